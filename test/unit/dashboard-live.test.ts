// Unit tier: the dashboard's live feeds (services/query-api/public/live.js) retry a stream the hub refuses for now
// (429: too many of the caller's streams open; 5xx) and give up on one refused for good (no such feed for the
// caller), wait no longer after a stream that opened, and pace the refreshes that feed events ask for, counting from
// the end of every reload, the periodic ones too (overview.js oneReloadAtATime, wired as app.js does). Only the network
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
  o?: { settleMs?: number; gapMs?: number; clock?: Clock; busy?: () => boolean },
) => { poke(): void; ended(): void; stop(): void };
type Reloads = <T>(
  reload: (options: T) => Promise<void>,
  o?: { session?: () => number; merge?: (queued: T, next: T) => T; onEnd?: () => void },
) => { request(options: T): Promise<void>; running(): boolean };

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
  let oneReloadAtATime: Reloads;
  const realFetch = globalThis.fetch;
  before(async () => {
    const url = (name: string) => pathToFileURL(join(repoRoot, 'services', 'query-api', 'public', name)).href;
    ({ followFeeds, paceRefresh } = (await import(url('live.js'))) as {
      followFeeds: Follow;
      paceRefresh: Pace;
    });
    ({ oneReloadAtATime } = (await import(url('overview.js'))) as { oneReloadAtATime: Reloads });
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

  it('starts a feed’s refresh at least 5 s after the reload before it ended, though reloads take 6 s and others run', async () => {
    const clock = fakeClock();
    /** Each reload: when it ran, and what asked for it (the feed, the 30 s poll; merged when several did). */
    const runs: { start: number; end: number; why: string[] }[] = [];
    const reload = (why: string[]) =>
      new Promise<void>((resolve) => {
        const run = { start: clock.now(), end: Infinity, why };
        runs.push(run);
        clock.setTimeout(() => {
          run.end = clock.now();
          resolve();
        }, 6000);
      });
    // As app.js wires them: every reload goes through one gate, and the pacer counts from each one's end.
    const pacer: { current?: ReturnType<Pace> } = {};
    const reloads = oneReloadAtATime(reload, {
      merge: (queued, next) => [...new Set([...queued, ...next])],
      onEnd: () => pacer.current?.ended(),
    });
    pacer.current = paceRefresh(() => reloads.request(['feed']), {
      settleMs: 300,
      gapMs: 5000,
      clock,
      busy: () => reloads.running(),
    });
    // A record a second on the feed for 90 s, and the poll every 30 s.
    for (let t = 0; t < 90000; t += 1000) clock.setTimeout(() => pacer.current!.poke(), t);
    for (let t = 30000; t < 90000; t += 30000) clock.setTimeout(() => void reloads.request(['periodic']), t);
    await clock.advance(120000);

    const said = runs.map((r) => `${r.start / 1000} s (${r.why.join('+')})`).join(', ');
    expect(
      runs.filter((r) => r.why.includes('periodic')),
      said,
    ).to.have.length(2);
    expect(runs.filter((r) => r.why.includes('feed')).length, said).to.be.at.least(5);
    for (let i = 1; i < runs.length; i++) {
      expect(runs[i]!.start, `reload ${i} (${said})`).to.be.at.least(runs[i - 1]!.end);
      if (runs[i]!.why.includes('feed'))
        expect(
          runs[i]!.start - runs[i - 1]!.end,
          `feed reload ${i} after the one before (${said})`,
        ).to.be.at.least(5000);
    }
    // The last record is answered.
    expect(runs.at(-1)!.start, said).to.be.above(89000);
  });
});

describe('dashboard reloads one at a time', () => {
  let oneReloadAtATime: Reloads;
  before(async () => {
    const url = pathToFileURL(join(repoRoot, 'services', 'query-api', 'public', 'overview.js')).href;
    ({ oneReloadAtATime } = (await import(url)) as { oneReloadAtATime: Reloads });
  });

  /** A reload that ends when told (`finish()`), keeping what it was asked with. */
  function controlledReloads(session = () => 0) {
    const asked: { byHand: boolean }[] = [];
    const finish: (() => void)[] = [];
    const ends: number[] = [];
    const reloads = oneReloadAtATime(
      (o: { byHand: boolean }) =>
        new Promise<void>((resolve) => {
          asked.push(o);
          finish.push(resolve);
        }),
      { session, merge: (a, b) => ({ byHand: a.byHand || b.byHand }), onEnd: () => ends.push(asked.length) },
    );
    return { reloads, asked, ends, finish: () => finish.shift()!() };
  }

  it('runs a reload asked for during one once more when it ends, and settles the ask only then', async () => {
    const { reloads, asked, ends, finish } = controlledReloads();
    const settled: string[] = [];
    void reloads.request({ byHand: false }).then(() => settled.push('first'));
    expect(reloads.running()).to.equal(true);
    void reloads.request({ byHand: true }).then(() => settled.push('second'));
    void reloads.request({ byHand: false }).then(() => settled.push('third'));
    await flush();
    expect(asked).to.deep.equal([{ byHand: false }]);
    finish();
    await flush();
    // Once more, for both asks made meanwhile, and by hand since one of them was.
    expect(settled).to.deep.equal(['first']);
    expect(asked).to.deep.equal([{ byHand: false }, { byHand: true }]);
    expect(ends).to.deep.equal([1]);
    expect(reloads.running()).to.equal(true);
    finish();
    await flush();
    expect(settled).to.deep.equal(['first', 'second', 'third']);
    expect(ends).to.deep.equal([1, 2]);
    expect(reloads.running()).to.equal(false);
  });

  it('neither holds up a new session’s reload with an earlier one’s nor runs what was asked for during that', async () => {
    let session = 1;
    const { reloads, asked, ends, finish } = controlledReloads(() => session);
    void reloads.request({ byHand: false });
    let leftOver = false;
    void reloads.request({ byHand: true }).then(() => (leftOver = true));
    session = 2; // signed out, and in again
    expect(reloads.running()).to.equal(false);
    void reloads.request({ byHand: false });
    expect(asked).to.have.length(2);
    finish(); // the earlier session's reload ends: nothing more for it, and no end told for it
    await flush();
    expect(leftOver).to.equal(true);
    expect(asked).to.have.length(2);
    expect(ends).to.deep.equal([]);
    expect(reloads.running()).to.equal(true);
    finish();
    await flush();
    expect(asked).to.deep.equal([{ byHand: false }, { byHand: false }]);
    expect(ends).to.deep.equal([2]);
  });
});
