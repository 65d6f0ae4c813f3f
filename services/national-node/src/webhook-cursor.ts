// The webhook's cursor file: how many of the inbox's messages were delivered, so that a restart resumes there.
import { existsSync, readFileSync } from 'node:fs';
import type { Logger } from '@hub/observability';
import { discardUnfinishedRewrite, rewriteLines } from './json-lines';

/**
 * How many of the newest messages are delivered again when the cursor cannot be read. Delivery is in order, so the
 * messages a lost cursor leaves undelivered are always the newest ones: the backlog of an outage of the agency's
 * system is as a rule far smaller, and the bound keeps a node that holds hundreds of thousands of messages from
 * sending them all again at once.
 */
export const REDELIVER_AT_MOST = 10_000;

/** A position as the cursor file holds it (digits, and the line break it is written with), or undefined. */
function parseCursor(text: string): number | undefined {
  if (!/^\s*\d+\s*$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Where delivery resumes: the position `file` holds, 0 when there is none yet (nothing delivered). A cursor that
 * cannot be read (emptied or torn by a crash before it was written whole, or damaged), or that points past the
 * inbox's end (the inbox replaced; the next messages would be passed over until it grew past it), is reported, and
 * delivery resumes `redeliverAtMost` messages before the inbox's end (at its start when it holds no more): the safer of the
 * two losses. Starting at the end would never deliver the messages the agency had not had yet (an alert, a rejected
 * report's receipt, an information request with a due date), without trace; delivering again what it had is what
 * at-least-once delivery does anyway, and its system knows a message it has by x-hub-message-id. The bound keeps a
 * node that holds hundreds of thousands of messages from sending them all again; the warning says how to have the
 * older ones delivered too.
 */
export function readWebhookCursor(
  file: string,
  inboxSize: number,
  logger: Pick<Logger, 'warn'>,
  redeliverAtMost = REDELIVER_AT_MOST,
): number {
  // What a save left half done: the cursor itself is whole (the old one).
  discardUnfinishedRewrite(file);
  if (!existsSync(file)) return 0;
  const text = readFileSync(file, 'utf8');
  const cursor = parseCursor(text);
  if (cursor !== undefined && cursor <= inboxSize) return cursor;
  const from = Math.max(0, inboxSize - redeliverAtMost);
  const wrong =
    cursor === undefined
      ? `holds no position (${text.length} bytes)`
      : `points past the end of the inbox (position ${cursor}, ${inboxSize} messages)`;
  logger.warn(
    { path: file, bytes: text.length, cursor: cursor ?? null, inbox: inboxSize, from },
    `the webhook cursor ${file} ${wrong}: delivering again from message ${from} of ` +
      `${inboxSize}, the last ${inboxSize - from}, as a message delivered twice is known by its x-hub-message-id ` +
      `and one never delivered is lost` +
      (from > 0
        ? `; the ${from} before them are not delivered again: to have them delivered, stop the node, write the ` +
          `position to resume from (0: the first message) into ${file}, and start it`
        : ''),
  );
  return from;
}

/** Save the cursor: written beside, flushed, renamed over the old one and the folder flushed, so it is never torn. */
export function saveWebhookCursor(file: string, cursor: number): void {
  rewriteLines(file, (line) => line(String(cursor)));
}
