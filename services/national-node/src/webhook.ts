// Forwarding what the coordinator sends this node (receipts, alerts, requests, retention notices) to the agency's
// own system: POST one JSON item at a time to a webhook, in arrival order, at least once. A cursor file remembers
// how far delivery got, so a restart resumes; a failing endpoint is retried with backoff and never blocks the node.
//
// What each POST carries:
//   headers  content-type: application/json
//            x-hub-message-id: <the message's id>    (the same on every delivery of it: at least once, dedupe by it)
//            x-hub-message-type: <its type>           (Receipt, CrossBorderAlert, RequestNotice, ErasureNotice, ...)
//            x-hub-signature: sha256=<hex HMAC-SHA256 of the body with the webhook's secret>   (when one is set)
//   body     {"messageId": "<id>", "messageType": "<type>", "receivedAt": "<ISO 8601>", "value": {<the message>}}
//
// A message whose record was erased at retention review (an ErasureNotice) before it was delivered is delivered in
// its place without its content, as a stand-in: its id and type as they were (so that a system that had it already
// knows which one it was, and one that dedupes by id still does), marked so that it is never read as a message of its
// type, and no `value`:
//   headers  as above, and  x-hub-erased: <the erasure's id (the ErasureNotice's erasureId)>
//   body     {"messageId": "<id>", "messageType": "<type>", "receivedAt": "<ISO 8601>", "erased": true,
//             "erasureId": "<the erasure's id>", "subjectId": "<the erased record's id>"}
// Only stand-ins carry x-hub-erased and `erased`. Answer it 2xx as any other: delivery does not move past a message
// until it is taken. The ErasureNotice itself is delivered in its own place, as any message.
import { createHmac } from 'node:crypto';
import type { Logger } from '@hub/observability';
import { isErased, type InboundItem, type InboundStore } from './inbox-store';
import { readWebhookCursor, saveWebhookCursor } from './webhook-cursor';

/**
 * How often the cursor is saved while a backlog is delivered (and always once delivery stops): each save is two
 * flushes to the disk, and a crash between saves only delivers those messages again.
 */
const SAVE_EVERY_MS = 1000;

export interface WebhookOptions {
  url: string;
  /** When set, each body is signed: `x-hub-signature: sha256=<hex HMAC of the body>`. */
  secret?: string;
  cursorFile: string;
  inbound: InboundStore;
  logger: Logger;
  timeoutMs?: number;
  /** How many of the newest messages are delivered again when the cursor cannot be read (see webhook-cursor.ts). */
  redeliverAtMost?: number;
}

export interface WebhookForwarder {
  pending(): number;
  lastError(): string | undefined;
  stop(): Promise<void>;
}

export function startWebhook(options: WebhookOptions): WebhookForwarder {
  let cursor = readWebhookCursor(
    options.cursorFile,
    options.inbound.size,
    options.logger,
    options.redeliverAtMost,
  );
  let saved = cursor;
  let savedAt = Date.now();
  const save = async () => {
    if (saved === cursor) return;
    const at = cursor;
    // The inbox first: a cursor on the disk never points past what the inbox holds there after a power loss (the
    // messages the coordinator sends again would take the places it points past, and be passed over).
    await options.inbound.sync();
    saveWebhookCursor(options.cursorFile, at);
    saved = at;
    savedAt = Date.now();
  };
  let stopped = false;
  let running: Promise<void> | undefined;
  let error: string | undefined;
  let backoff = 0;
  let timer: NodeJS.Timeout | undefined;

  // The position reached is saved once delivery stops too. After a failed delivery, as far as it can be: the
  // delivery's error is the one reported, and a cursor not saved now is saved after the next delivery.
  const deliver = async () => {
    try {
      await deliverPending();
    } catch (err) {
      // Reported by the next attempt, if the disk still refuses it.
      await save().catch(() => undefined);
      throw err;
    }
    await save();
  };
  const deliverPending = async () => {
    // Read by index, not copied: a copy of everything received per delivery cost the node O(n) per receipt.
    while (!stopped && cursor < options.inbound.size) {
      const { body, headers } = deliveryOf(options.inbound.at(cursor)!);
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
      if (Date.now() - savedAt >= SAVE_EVERY_MS) await save();
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

/** The body and headers of one POST (the comment at the top of this file describes them). */
function deliveryOf(item: InboundItem): { body: string; headers: Record<string, string> } {
  const about = {
    messageId: item.messageId,
    messageType: item.messageType,
    receivedAt: new Date(item.receivedAt).toISOString(),
  };
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-hub-message-id': item.messageId,
    'x-hub-message-type': item.messageType,
  };
  if (!isErased(item)) return { body: JSON.stringify({ ...about, value: item.value }), headers };
  // Not under `value`: a system reading a message by its type would take the stand-in for one of that type.
  const erasureId = String(item.value.erasedBy);
  return {
    body: JSON.stringify({ ...about, erased: true, erasureId, subjectId: String(item.value.subjectId) }),
    headers: { ...headers, 'x-hub-erased': erasureId },
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
