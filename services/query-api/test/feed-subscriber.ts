// A feed's subscriber without a connection, for the feed stream's unit tests: its response keeps each server-sent
// event it is written, parsed, so that a test reads what the client was sent.
import type { Response } from 'express';
import type { Caller } from '../src/auth';
import type { Subscriber } from '../src/feed-stream';

/** An event the client was sent: its type, its id (when it has one) and its data, parsed. */
export interface SentEvent {
  event: string;
  id?: string;
  data: Record<string, unknown>;
}

/** A subscriber of `region`'s feed as `caller` (with `over` set on it), and the events its client was sent. */
export function feedSubscriber(
  caller: Caller,
  region: string,
  over: Partial<Subscriber> = {},
): { sub: Subscriber; sent: SentEvent[] } {
  const sent: SentEvent[] = [];
  const res = {
    writableEnded: false,
    destroyed: false,
    write(text: string) {
      const fields = Object.fromEntries(
        text
          .trim()
          .split('\n')
          .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
      );
      sent.push({
        event: fields.event!,
        id: fields.id,
        data: JSON.parse(fields.data!) as Record<string, unknown>,
      });
      return true;
    },
  } as unknown as Response;
  const sub: Subscriber = { caller, res, region, given: { ids: [], origins: [] }, ...over };
  return { sub, sent };
}
