// Unit tier: the dashboard's live feeds (services/query-api/public/live.js) retry a stream the hub refuses for now
// (429: too many of the caller's streams open; 5xx) and give up on one refused for good (no such feed for the
// caller), wait no longer after a stream that opened, and pace the refreshes that feed events ask for. Only the network
// and the clock are replaced: fetch answers as the query API does.
import { expect } from 'chai';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@hub/config';

type Follow = (o: {
  regions: string[];
  token: () => string;
  onEvent: (type: string) => void;
  onState: (region: string, state: string) => void;
  wait?: (ms: number) => Promise<void>;
}) => { stop(): void };

interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
}
type Pace = (
  refresh: () => Promise<void> | void,
  o?: { settleMs?: number; gapMs?: number; clock?: Clock },
) => { poke(): void; stop(): void };

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A clock whose time moves only when told to (`advance`), running the timers due meanwhile in order. */
function fakeClock() {
  let time = 0;
  let last = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => time,
    setTimeout: (fn: () => void, ms: number) => {
      timers.set(++last, { at: time + Math.max(0, ms), fn });
      return last;
    },
    clearTimeout: (id: number) => void timers.delete(id),
    async advance(ms: number) {
      const end = time + ms;
      for (;;) {
        const due = [...timers].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        time = due[1].at;
        due[1].fn();
        await flush();
      }
      time = end;
      await flush();
    },
  };
}

/** A stream the hub opens, gives `text` on, and ends. */
function streamOf(text: string): Response {
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode(text));
      c.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

describe('dashboard live feeds', function () {
  this.timeout(20000);
  let followFeeds: Follow;
  let paceRefresh: Pace;
  const realFetch = globalThis.fetch;
  before(async () => {
    const url = pathToFileURL(join(repoRoot, 'services', 'query-api', 'public', 'live.js')).href;
    ({ followFeeds, paceRefresh } = (await import(url)) as { followFeeds: Follow; paceRefresh: Pace });
  });
  after(() => {
    globalThis.fetch = realFetch;
  });

  it('connects again after a 429 or a 503, and not after a 403', async () => {
    const answers: Record<string, number[]> = { 'central-asia': [429, 503, 200], 'balkan-route': [403, 200] };
    const asked: string[] = [];
    globalThis.fetch = (async (input: string | URL) => {
      const region = decodeURIComponent(/feeds\/([^/]+)\/stream/.exec(String(input))![1]!);
      asked.push(region);
      const status = answers[region]!.shift()!;
      if (status !== 200) return new Response(JSON.stringify({ error: { code: 'X' } }), { status });
      const body = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('event: ready\ndata: {}\n\nevent: SeizureReport\ndata: {}\n\n'));
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }) as typeof fetch;
    const states: string[] = [];
    const events: string[] = [];
    const feeds = followFeeds({
      regions: ['central-asia', 'balkan-route'],
      token: () => 't',
      onEvent: (type) => events.push(type),
      onState: (region, state) => states.push(`${region} ${state}`),
    });
    try {
      const end = Date.now() + 15000;
      while (!states.includes('central-asia on') && Date.now() < end)
        await new Promise((r) => setTimeout(r, 50));
      expect(states).to.include('central-asia on');
      expect(events).to.deep.equal(['SeizureReport']);
      expect(asked.filter((r) => r === 'central-asia')).to.have.length(3);
      // Refused for good: asked once, off, never again.
      expect(asked.filter((r) => r === 'balkan-route')).to.deep.equal(['balkan-route']);
      expect(states).to.include('balkan-route off');
    } finally {
      feeds.stop();
    }
  });

  it('waits the first delay again once a stream has opened, and doubles it only while connecting fails', async () => {
    const answers = [503, 503, 200, 200, 200, 429, 503];
    globalThis.fetch = (async () => {
      const status = answers.shift() ?? 503;
      if (status !== 200) return new Response(JSON.stringify({ error: { code: 'X' } }), { status });
      // The hub ends the stream (it stops, or its instance is replaced): the dashboard connects again.
      return streamOf('event: ready\ndata: {}\n\n');
    }) as typeof fetch;
    const waits: number[] = [];
    let feeds: { stop(): void } | undefined;
    const done = new Promise<void>((resolve) => {
      feeds = followFeeds({
        regions: ['central-asia'],
        token: () => 't',
        onEvent: () => undefined,
        onState: () => undefined,
        wait: async (ms) => {
          waits.push(ms);
          if (waits.length === 7) {
            feeds!.stop();
            resolve();
          }
        },
      });
    });
    await done;
    expect(waits).to.deep.equal([2000, 4000, 2000, 2000, 2000, 4000, 8000]);
  });

  it('refreshes once for a burst of events, and at least 5 s apart however the events are spaced', async () => {
    const clock = fakeClock();
    const starts: number[] = [];
    const ends: number[] = [];
    const refresh = () =>
      new Promise<void>((resolve) => {
        starts.push(clock.now());
        clock.setTimeout(() => {
          ends.push(clock.now());
          resolve();
        }, 100);
      });
    const pacer = paceRefresh(refresh, { settleMs: 300, gapMs: 5000, clock });
    // A burst: ten events within 90 ms give one refresh, 300 ms after the first.
    for (let i = 0; i < 10; i++) {
      pacer.poke();
      await clock.advance(10);
    }
    await clock.advance(2000);
    expect(starts).to.deep.equal([300]);
    // Then an event every 400 ms for 20 s (more than the 300 ms a burst is waited for): refreshes, but not back to back.
    await clock.advance(10000);
    starts.length = 0;
    ends.length = 0;
    let lastEvent = 0;
    for (let i = 0; i < 50; i++) {
      lastEvent = clock.now();
      pacer.poke();
      await clock.advance(400);
    }
    await clock.advance(10000);
    expect(starts.length, `refreshes at ${starts.join(', ')}`).to.be.within(3, 5);
    for (let i = 1; i < starts.length; i++)
      expect(starts[i]! - ends[i - 1]!, `refresh ${i} after the one before`).to.be.at.least(5000);
    // The last event is answered (an event during a refresh gets one more, after the gap)...
    expect(starts.at(-1)).to.be.above(lastEvent);
    // ...and a sign-out ends the pacing: an event then refreshes nothing.
    pacer.stop();
    const before = starts.length;
    pacer.poke();
    await clock.advance(10000);
    expect(starts).to.have.length(before);
  });
});
