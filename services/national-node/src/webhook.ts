// Forwarding what the coordinator sends this node (receipts, alerts, requests, retention notices) to the agency's
// own system: POST one JSON item at a time to a webhook, in arrival order, at least once. A cursor file remembers
// how far delivery got, so a restart resumes; a failing endpoint is retried with backoff and never blocks the node.
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Logger } from '@hub/observability';
import type { InboundStore } from './inbox-store';

export interface WebhookOptions {
  url: string;
  /** When set, each body is signed: `x-hub-signature: sha256=<hex HMAC of the body>`. */
  secret?: string;
  cursorFile: string;
  inbound: InboundStore;
  logger: Logger;
  timeoutMs?: number;
}

export interface WebhookForwarder {
  pending(): number;
  lastError(): string | undefined;
  stop(): Promise<void>;
}

export function startWebhook(options: WebhookOptions): WebhookForwarder {
  let cursor = existsSync(options.cursorFile) ? Number(readFileSync(options.cursorFile, 'utf8')) || 0 : 0;
  let stopped = false;
  let running: Promise<void> | undefined;
  let error: string | undefined;
  let backoff = 0;
  let timer: NodeJS.Timeout | undefined;

  const deliver = async () => {
    // Read by index, not copied: a copy of everything received per delivery cost the node O(n) per receipt.
    while (!stopped && cursor < options.inbound.size) {
      const item = options.inbound.at(cursor)!;
      const body = JSON.stringify({
        messageId: item.messageId,
        messageType: item.messageType,
        receivedAt: new Date(item.receivedAt).toISOString(),
        value: item.value,
      });
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-hub-message-id': item.messageId,
        'x-hub-message-type': item.messageType,
      };
      if (options.secret)
        headers['x-hub-signature'] =
          `sha256=${createHmac('sha256', options.secret).update(body).digest('hex')}`;
      // A redirect is not followed: fetch would turn the POST into a GET without its body (or take the body and its
      // signature to wherever the redirect points), and count the message delivered. It is a failure, retried.
      const res = await fetch(options.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeoutMs ?? 10000),
      });
      await res.body?.cancel();
      if (res.status >= 300 && res.status < 400)
        throw new Error(
          `the webhook answered HTTP ${res.status}, a redirect to ${res.headers.get('location') ?? '(no location)'}, which is not followed: set the webhook's URL (HUB_NODE_WEBHOOK_URL) to the address that takes the POST`,
        );
      if (!res.ok) throw new Error(`the webhook answered HTTP ${res.status}`);
      cursor++;
      writeFileSync(options.cursorFile, String(cursor));
    }
  };

  const kick = () => {
    if (stopped || running || timer) return;
    running = deliver()
      .then(() => {
        error = undefined;
        backoff = 0;
      })
      .catch((err: unknown) => {
        error = failureOf(err);
        backoff = Math.min(backoff ? backoff * 2 : 1000, 60000);
        options.logger.warn({ err: error, retryInMs: backoff }, 'webhook delivery failed; will retry');
        timer = setTimeout(() => {
          timer = undefined;
          kick();
        }, backoff);
      })
      .finally(() => {
        running = undefined;
        if (!error && cursor < options.inbound.size) kick();
      });
  };
  options.inbound.onAdd(kick);
  kick();
  return {
    pending: () => Math.max(0, options.inbound.size - cursor),
    lastError: () => error,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/**
 * What a delivery failure says to an operator: fetch's own "fetch failed" with its cause (refused, unreachable, a
 * certificate not trusted), and for a certificate the remedy.
 */
export function failureOf(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause && (e.cause.code ?? e.cause.message);
  if (!cause) return e.message;
  const certificate = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/.test(
    String(e.cause?.code ?? ''),
  );
  return (
    `${e.message}: ${e.cause?.message && e.cause.message !== cause ? `${cause} (${e.cause.message})` : cause}` +
    (certificate
      ? "; the webhook's TLS certificate is not trusted by this node: give the node its CA with NODE_EXTRA_CA_CERTS=<pem file>"
      : '')
  );
}
