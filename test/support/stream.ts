// A client of the query API's server-sent event streams (GET /v1/feeds/:region/stream): every event it receives, in
// order, once the stream's ready event has come.
import { expect } from 'chai';
import { waitUntil } from './env';

export interface Stream {
  events: { event: string; data: Record<string, unknown>; id?: string }[];
  /** The server ended the stream (not this client's close). */
  ended(): boolean;
  close(): void;
}

export async function openStream(
  url: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<Stream> {
  const controller = new AbortController();
  const res = await fetch(url, {
    headers: { ...headers, authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  expect(res.status).to.equal(200);
  expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
  const events: Stream['events'] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;
  void (async () => {
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          const id = /^id: (.*)$/m.exec(block)?.[1];
          if (event && data)
            events.push({ event, data: JSON.parse(data) as Record<string, unknown>, ...(id && { id }) });
        }
      }
      ended = true;
    } catch {
      // aborted
    }
  })();
  await waitUntil('the ready event', () => events.some((e) => e.event === 'ready'));
  return { events, ended: () => ended, close: () => controller.abort() };
}
