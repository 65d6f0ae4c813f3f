// Unit tier: how many requests of one caller the query API works on at once (callerLimit), over real HTTP. Only
// what it does not test is faked: the caller is named by a header instead of a token, and the route answers when
// the test lets it instead of reading the store.
import { expect } from 'chai';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { HubError } from '@hub/errors';
import { createMetricsRegistry, type Registry } from '@hub/observability';
import { callerLimit, QUEUE_FACTOR, RETRY_AFTER_S } from '@hub/query-api/caller-limit';
import { ERROR_STATUS } from '@hub/query-api';

interface Harness {
  url: string;
  metrics: Registry;
  /** What the limit told the log. */
  warnings: { fields: Record<string, unknown>; message: string }[];
  /** Requests the route has begun, in order, by their `n` parameter. */
  begun: string[];
  /** Let the route answer every request it holds, and those it gets later at once. */
  open(): void;
  /** Let the route answer the request it holds with this `n`. */
  answer(n: string): void;
  close(): Promise<void>;
}

async function harness(limit: number, abandonedHoldMs?: number, total?: number): Promise<Harness> {
  const metrics = createMetricsRegistry('caller-limit-test');
  const begun: string[] = [];
  const warnings: Harness['warnings'] = [];
  const held = new Map<string, () => void>();
  let opened = false;
  const app = express();
  app.use((req, _res, next) => {
    const sub = req.header('x-caller');
    req.caller = sub ? { sub, role: 'analyst', country: 'KZ', clearance: 'GREEN', regions: [] } : undefined;
    next();
  });
  const v1 = express.Router();
  const logger = {
    warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }),
  };
  v1.use('/v1', callerLimit({ limit, total, metrics, logger: logger as never, abandonedHoldMs }));
  const hold = async (req: Request, res: Response) => {
    const n = String(req.query.n);
    begun.push(n);
    if (!opened) await new Promise<void>((resolve) => held.set(n, resolve));
    res.json({ n });
  };
  v1.get('/v1/work', hold);
  v1.get('/v1/feeds/:region/stream', hold);
  app.use(v1);
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as HubError;
    res.status(ERROR_STATUS[e.code]?.status ?? 500).json({ error: { code: e.code, message: e.message } });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    metrics,
    warnings,
    begun,
    open() {
      opened = true;
      for (const resolve of held.values()) resolve();
      held.clear();
    },
    answer(n) {
      held.get(n)?.();
      held.delete(n);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const until = async (what: string, ok: () => boolean | Promise<boolean>) => {
  const end = Date.now() + 5000;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

const metric = async (metrics: Registry, name: string) =>
  Number(/\s([0-9.e+-]+)$/m.exec((await metrics.getSingleMetricAsString(name)).trim())?.[1] ?? NaN);

describe('query API: requests of one caller worked on at once (HUB_QUERY_CONCURRENCY)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    h?.open();
    await h?.close();
    h = undefined;
  });
  const get = (caller: string, n: string | number, path = '/v1/work', signal?: AbortSignal) =>
    fetch(`${h!.url}${path}?n=${n}`, { headers: { 'x-caller': caller }, signal });

  it('works on `limit` at once, queues four times as many in order, and refuses the next with 429 and Retry-After', async () => {
    h = await harness(2);
    const queued = 2 * QUEUE_FACTOR;
    const first = [0, 1, ...Array.from({ length: queued }, (_, i) => i + 2)].map((n) => get('ana', n));
    await until('two requests begun', () => h!.begun.length === 2);
    await until(
      'the rest queued',
      async () => (await metric(h!.metrics, 'hub_query_requests_waiting')) === queued,
    );
    expect(h.begun).to.deep.equal(['0', '1']);
    expect(await metric(h.metrics, 'hub_query_requests_working')).to.equal(2);

    const refused = await get('ana', 'over');
    expect(refused.status).to.equal(429);
    expect(refused.headers.get('retry-after')).to.equal(String(RETRY_AFTER_S));
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).to.equal('TOO_MANY_REQUESTS');
    expect(body.error.message).to.contain('HUB_QUERY_CONCURRENCY=2').and.contain('ana');
    expect(h.begun, 'the refused request never reached the route').to.not.include('over');
    // The operator is told who, once for the burst.
    expect((await get('ana', 'over-again')).status).to.equal(429);
    expect(h.warnings.map((w) => w.fields)).to.deep.equal([
      { caller: 'ana', country: 'KZ', path: '/v1/work', limit: 2, waiting: queued },
    ]);
    expect(await metric(h.metrics, 'hub_query_requests_refused_total')).to.equal(2);

    // Another caller is not held behind the first.
    const other = get('bob', 'b');
    await until('the other caller begun', () => h!.begun.includes('b'));
    h.answer('b');
    expect((await other).status).to.equal(200);

    // Each answer lets the next waiting request in, in the order they came.
    h.answer('0');
    await until('request 2 begun', () => h!.begun.includes('2'));
    expect(h.begun.filter((n) => n !== 'b')).to.deep.equal(['0', '1', '2']);
    h.open();
    const statuses = await Promise.all(first.map(async (r) => (await r).status));
    expect(statuses).to.deep.equal(Array(first.length).fill(200));
    expect(h.begun.filter((n) => n !== 'b')).to.deep.equal(first.map((_, i) => String(i)));
    expect(await metric(h.metrics, 'hub_query_requests_waiting')).to.equal(0);
    await until('no turn held', async () => (await metric(h!.metrics, 'hub_query_requests_working')) === 0);
    // All turns are back: as many can be worked on at once again.
    expect((await get('ana', 'after')).status).to.equal(200);
  });

  it('gives back the place of a caller that leaves waiting at once, and its turn once the work it left ends', async () => {
    h = await harness(1);
    const leaving = new AbortController();
    const leavingWhileAnswered = new AbortController();
    const a = get('ana', 'a', '/v1/work', leavingWhileAnswered.signal).catch((e: Error) => e.name);
    await until('a begun', () => h!.begun.length === 1);
    const b = get('ana', 'b', '/v1/work', leaving.signal).catch((e: Error) => e.name);
    const c = get('ana', 'c');
    await until('b and c queued', async () => (await metric(h!.metrics, 'hub_query_requests_waiting')) === 2);
    leaving.abort();
    expect(await b).to.equal('AbortError');
    await until(
      'b gone from the queue',
      async () => (await metric(h!.metrics, 'hub_query_requests_waiting')) === 1,
    );
    // a's caller hangs up; a's work (its store reads) goes on, and so a keeps the turn: hanging up does not let a
    // caller start more work than its turns.
    leavingWhileAnswered.abort();
    expect(await a).to.equal('AbortError');
    await new Promise((r) => setTimeout(r, 100));
    expect(h.begun, 'c waits while the work a left runs').to.deep.equal(['a']);
    expect(await metric(h.metrics, 'hub_query_requests_working'), 'a holds its turn').to.equal(1);
    // a's route ends (it answers a caller no longer there): the turn passes to c; b never ran.
    h.answer('a');
    await until('c begun', () => h!.begun.includes('c'));
    expect(h.begun).to.deep.equal(['a', 'c']);
    h.answer('c');
    expect((await c).status).to.equal(200);
  });

  it('gives the turn of a left request back after abandonedHoldMs if its route never ends', async () => {
    h = await harness(1, 300);
    const leaving = new AbortController();
    const a = get('ana', 'a', '/v1/work', leaving.signal).catch((e: Error) => e.name);
    await until('a begun', () => h!.begun.length === 1);
    const b = get('ana', 'b');
    await until('b queued', async () => (await metric(h!.metrics, 'hub_query_requests_waiting')) === 1);
    const left = Date.now();
    leaving.abort();
    expect(await a).to.equal('AbortError');
    await until('b begun', () => h!.begun.includes('b'));
    expect(Date.now() - left, 'not before the hold').to.be.at.least(250);
    h.answer('b');
    expect((await b).status).to.equal(200);
  });

  it('lets feed streams take no turns, but refuses a caller more than four times the limit open at once', async () => {
    h = await harness(1);
    const max = QUEUE_FACTOR;
    const streams = Array.from({ length: max }, () => new AbortController());
    // The route answers its path in any case and with a trailing slash (Express): each is a stream all the same.
    const paths = [
      '/v1/feeds/central-asia/stream',
      '/v1/feeds/central-asia/stream/',
      '/V1/Feeds/central-asia/STREAM',
    ];
    const open = streams.map((c, i) => get('ana', `s${i}`, paths[i % paths.length], c.signal));
    await until('every stream begun', () => h!.begun.filter((n) => n.startsWith('s')).length === max);
    // Streams take no turn: a request is worked on beside them.
    const work = get('ana', 'w');
    await until('work begun beside the streams', () => h!.begun.includes('w'));
    const over = await get('ana', 'over', '/v1/feeds/central-asia/stream');
    expect(over.status).to.equal(429);
    expect(over.headers.get('retry-after')).to.equal(String(RETRY_AFTER_S));
    expect(((await over.json()) as { error: { message: string } }).error.message).to.contain(
      `has ${max} feed streams open, the most allowed (four times HUB_QUERY_CONCURRENCY=1)`,
    );
    expect(h.warnings.map((w) => w.fields)).to.deep.equal([
      { caller: 'ana', country: 'KZ', path: '/v1/feeds/central-asia/stream', limit: 1, streams: max },
    ]);
    // Another caller's stream is not refused; one closed makes room for another.
    const bob = get('bob', 'sb', '/v1/feeds/central-asia/stream');
    await until('bob streams', () => h!.begun.includes('sb'));
    expect(await metric(h.metrics, 'hub_query_feed_streams_open')).to.equal(max + 1);
    streams[0]!.abort();
    await open[0]!.catch(() => undefined);
    await until(
      'the stream closed',
      async () => (await metric(h!.metrics, 'hub_query_feed_streams_open')) === max,
    );
    const again = get('ana', 'again', '/v1/feeds/central-asia/stream');
    await until('a new stream begun', () => h!.begun.includes('again'));
    h.open();
    for (const r of [work, bob, again, ...open.slice(1)]) expect((await r).status).to.equal(200);
  });

  it('hands the turns all callers share to the callers waiting in turn, and refuses 503 QUERY_API_BUSY beyond four times as many waiting', async () => {
    h = await harness(8, undefined, 1);
    const waitingShared = () => metric(h!.metrics, 'hub_query_requests_waiting_total_limit');
    const a = ['a0', 'a1', 'a2', 'a3'].map((n) => get('ana', n));
    await until('a0 begun', () => h!.begun.length === 1);
    await until('a1-a3 waiting for a shared turn', async () => (await waitingShared()) === 3);
    const b = get('bob', 'b1');
    await until('b1 waiting', async () => (await waitingShared()) === QUEUE_FACTOR);
    expect(
      await metric(h.metrics, 'hub_query_requests_waiting'),
      'no caller waits for its own turns',
    ).to.equal(0);

    // The line is full (four times the one shared turn): the next caller is refused at once, and told why.
    const refused = await get('cid', 'c1');
    expect(refused.status).to.equal(503);
    expect(refused.headers.get('retry-after')).to.equal(String(RETRY_AFTER_S));
    const body = (await refused.json()) as { error: { code: string; message: string } };
    expect(body.error.code).to.equal('QUERY_API_BUSY');
    expect(body.error.message).to.contain('HUB_QUERY_TOTAL_CONCURRENCY=1').and.contain('4 more are waiting');
    expect(ERROR_STATUS.QUERY_API_BUSY?.status).to.equal(503);
    expect(h.begun).to.not.include('c1');
    expect((await get('cid', 'c2')).status).to.equal(503);
    expect(h.warnings.map((w) => w.fields)).to.deep.equal([
      { caller: 'cid', country: 'KZ', path: '/v1/work', total: 1, waiting: QUEUE_FACTOR },
    ]);
    expect(await metric(h.metrics, 'hub_query_requests_refused_busy_total')).to.equal(2);
    expect(await metric(h.metrics, 'hub_query_requests_refused_total'), 'not a caller refusal').to.equal(0);

    // Each turn goes to the caller first in line, which then goes to the back: bob's one request is worked on
    // after ana's second, not after her fourth.
    for (const [answer, next] of [
      ['a0', 'a1'],
      ['a1', 'b1'],
      ['b1', 'a2'],
      ['a2', 'a3'],
    ] as const) {
      h.answer(answer);
      await until(`${next} begun`, () => h!.begun.includes(next));
    }
    expect(h.begun).to.deep.equal(['a0', 'a1', 'b1', 'a2', 'a3']);
    h.answer('a3');
    for (const r of [...a, b]) expect((await r).status).to.equal(200);
    expect(await waitingShared()).to.equal(0);
    await until('no turn held', async () => (await metric(h!.metrics, 'hub_query_requests_working')) === 0);
    // Every shared turn is back, and the line is empty again: the refused caller is answered.
    const again = get('cid', 'c3');
    await until('c3 begun', () => h!.begun.includes('c3'));
    h.answer('c3');
    expect((await again).status).to.equal(200);
  });

  it('gives up the shared place of a caller that leaves while waiting for it', async () => {
    h = await harness(8, undefined, 1);
    const waitingShared = () => metric(h!.metrics, 'hub_query_requests_waiting_total_limit');
    const a = get('ana', 'a');
    await until('a begun', () => h!.begun.length === 1);
    const leaving = new AbortController();
    const b = get('bob', 'b', '/v1/work', leaving.signal).catch((e: Error) => e.name);
    await until('b waiting', async () => (await waitingShared()) === 1);
    leaving.abort();
    expect(await b).to.equal('AbortError');
    await until('b gone from the line', async () => (await waitingShared()) === 0);
    h.answer('a');
    expect((await a).status).to.equal(200);
    // b never ran; bob's next request takes the turn a gave back.
    const again = get('bob', 'b2');
    await until('b2 begun', () => h!.begun.includes('b2'));
    expect(h.begun).to.deep.equal(['a', 'b2']);
    h.answer('b2');
    expect((await again).status).to.equal(200);
  });

  it('limits nothing when the limit is 0', async () => {
    h = await harness(0);
    const many = Array.from({ length: 20 }, (_, n) => get('ana', n));
    await until('all twenty begun at once', () => h!.begun.length === 20);
    h.open();
    for (const r of await Promise.all(many)) expect(r.status).to.equal(200);
  });
});
