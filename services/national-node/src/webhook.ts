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
//
// A RequestNotice is delivered only with the request or answer it carries, read and verified here (`value.content`,
// `value.original`); one this node could not take (GET /v1/requests lists it, saying why) is not delivered as kept:
//   refused     (its originator's signature not trusted here, or not matching its notice): never delivered, nothing
//               of it being trusted;
//   unreadable  (written with a schema of a newer release than this node's): held back, and delivered whole once the
//               node is upgraded to a release that reads it, after the restart (so out of arrival order; its
//               x-hub-message-id is the notice's as ever). Held back in `<cursor file>.held` meanwhile.
import { createHmac } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Logger } from '@hub/observability';
import { loadSchemaRegistry, type SchemaRegistry } from '@hub/schemas';
import { isErased, type InboundItem, type InboundStore } from './inbox-store';
import { discardUnfinishedRewrite, readJsonLines, rewriteLines } from './json-lines';
import { readAgain, REQUEST_NOTICE, type KeptRequestNotice } from './request-notices';
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
  /**
   * What reads the requests and answers kept unreadable (a schema of a newer release) once the node is upgraded.
   * Default: this release's schemas (loadSchemaRegistry), loaded when one is met.
   */
  registry?: Pick<SchemaRegistry, 'decode' | 'byFingerprint'>;
  clock?: () => number;
}

/** A notice held back (unreadable here): where it is in the inbox, and its id (an inbox replaced since is known). */
interface Held {
  at: number;
  messageId: string;
}

/** What to do with a message: POST it (its body and headers), pass over it, or hold it back until it can be read. */
type Delivery = { body: string; headers: Record<string, string> } | 'pass' | 'hold';

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
  const heldFile = `${options.cursorFile}.held`;
  discardUnfinishedRewrite(heldFile);
  /** Notices held back, oldest first; `heldChanged`: not saved so since. */
  const held: Held[] = [];
  if (existsSync(heldFile)) readJsonLines<Held>(heldFile, (h) => held.push(h));
  /**
   * Their positions, and those of the ones delivered since the start: the cursor, when behind one (a stop between
   * the two saves, a cursor set back), passes over it there.
   */
  const heldAt = new Set(held.map((h) => h.at));
  let heldChanged = false;
  let registry = options.registry;
  const deliveryOf = (item: InboundItem): Delivery =>
    deliveryOfItem(item, () => (registry ??= loadSchemaRegistry()), (options.clock ?? Date.now)());
  /** Held back before and readable now (the node upgraded since), or erased or refused since: seen to first. */
  const ready = held.filter((h) => {
    const item = options.inbound.at(h.at);
    return item?.messageId !== h.messageId || deliveryOf(item) !== 'hold';
  });
  const save = async () => {
    if (saved === cursor && !heldChanged) return;
    const at = cursor;
    // The inbox first: a cursor on the disk never points past what the inbox holds there after a power loss (the
    // messages the coordinator sends again would take the places it points past, and be passed over).
    await options.inbound.sync();
    // Then what is held back: the cursor is never saved past a notice held back and not saved so.
    if (heldChanged) {
      heldChanged = false;
      const lines = held.map((h) => JSON.stringify(h));
      try {
        rewriteLines(heldFile, (line) => lines.forEach(line));
      } catch (err) {
        heldChanged = true;
        throw err;
      }
    }
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
  /** POST one message; throws when the webhook does not take it. */
  const post = async ({ body, headers }: { body: string; headers: Record<string, string> }) => {
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
  };
  const deliverPending = async () => {
    while (!stopped && ready.length > 0) {
      const h = ready[0]!;
      const item = options.inbound.at(h.at);
      const delivery = item?.messageId === h.messageId ? deliveryOf(item) : 'pass';
      // Out of `ready` once taken by the webhook (a failed POST is tried again), or passed over; one still unreadable
      // (never so: the registry reads no less than when it was found ready) stays held.
      if (typeof delivery !== 'string') await post(delivery);
      ready.shift();
      if (delivery === 'hold') continue;
      if (delivery === 'pass')
        options.logger.info(
          { messageId: h.messageId, position: h.at },
          'a request notice held back from the webhook is not delivered: refused on reading, or no longer in the inbox',
        );
      // Its position stays in `heldAt`: delivered from here, it is passed over there.
      held.splice(held.indexOf(h), 1);
      heldChanged = true;
      await save();
    }
    // Read by index, not copied: a copy of everything received per delivery cost the node O(n) per receipt.
    while (!stopped && cursor < options.inbound.size) {
      const item = options.inbound.at(cursor)!;
      const delivery = heldAt.has(cursor) ? 'pass' : deliveryOf(item);
      if (typeof delivery !== 'string') await post(delivery);
      else if (delivery === 'hold') {
        held.push({ at: cursor, messageId: item.messageId });
        heldAt.add(cursor);
        heldChanged = true;
        options.logger.info(
          { messageId: item.messageId, position: cursor },
          'a request notice this node cannot read yet is held back from the webhook until the node is upgraded',
        );
      }
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
    pending: () => Math.max(0, options.inbound.size - cursor) + ready.length,
    lastError: () => error,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/**
 * What is delivered of `item` (the comment at the top of this file describes it): the body and headers of its POST;
 * 'pass' for a request notice refused here; 'hold' for one unreadable with `registry` (a schema of a newer release).
 */
function deliveryOfItem(
  item: InboundItem,
  registry: () => Pick<SchemaRegistry, 'decode' | 'byFingerprint'>,
  now: number,
): Delivery {
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
  if (!isErased(item)) {
    const value = item.messageType === REQUEST_NOTICE ? noticeRead(item.value, registry, now) : item.value;
    return typeof value === 'string' ? value : { body: JSON.stringify({ ...about, value }), headers };
  }
  // Not under `value`: a system reading a message by its type would take the stand-in for one of that type.
  const erasureId = String(item.value.erasedBy);
  return {
    body: JSON.stringify({ ...about, erased: true, erasureId, subjectId: String(item.value.subjectId) }),
    headers: { ...headers, 'x-hub-erased': erasureId },
  };
}

/** A request notice as delivered: read (again, when kept unreadable), or 'pass' (refused) or 'hold' (unreadable). */
function noticeRead(
  value: Record<string, unknown>,
  registry: () => Pick<SchemaRegistry, 'decode' | 'byFingerprint'>,
  now: number,
): Record<string, unknown> | 'pass' | 'hold' {
  const notice = value as unknown as KeptRequestNotice;
  if (!notice.unread) return value;
  if (notice.unread.status !== 'unreadable') return 'pass';
  const read = readAgain(notice, registry(), now);
  if (!read.unread) return read as unknown as Record<string, unknown>;
  return read.unread.status === 'unreadable' ? 'hold' : 'pass';
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
