// Unit tier: the dashboard's live feeds (services/query-api/public/live.js) retry a stream the hub refuses for now
// (429: too many of the caller's streams open; 5xx) and give up on one refused for good (no such feed for the
// caller). Only the network is replaced: fetch answers as the query API does.
import { expect } from 'chai';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '@hub/config';

type Follow = (o: {
  regions: string[];
  token: () => string;
  onEvent: (type: string) => void;
  onState: (region: string, state: string) => void;
}) => { stop(): void };

describe('dashboard live feeds', function () {
  this.timeout(20000);
  let followFeeds: Follow;
  const realFetch = globalThis.fetch;
  before(async () => {
    const url = pathToFileURL(join(repoRoot, 'services', 'query-api', 'public', 'live.js')).href;
    ({ followFeeds } = (await import(url)) as { followFeeds: Follow });
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
});
