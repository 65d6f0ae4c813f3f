// What a query API request may ask of the store, on the real store: a read is stopped once it has taken longer than
// HUB_QUERY_TIMEOUT_S (504 QUERY_TIMEOUT, saying what to do), and a store that cannot be reached is answered 503
// STORE_UNAVAILABLE, not as an internal error.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { loadConfig } from '@hub/config';
import { createMetricsRegistry } from '@hub/observability';
import {
  authDir,
  createApp,
  createAuditLog,
  loadKeyRing,
  mintToken,
  startQueryApi,
  type RunningQueryApi,
} from '@hub/query-api';
import { COLLECTIONS, connectStore, type Store } from '@hub/store';
import { createTestEnv, type TestEnv } from '../support/env';
import { getJson, metricValue, testPki } from '../support/hub';
import { topicNames } from '@hub/kafka';

const REPORTS = 10_000;

/** A stored report as the coordinator keeps it (only what the search reads and answers). */
const storedReport = (i: number, tlp: string, originCountry: string) => {
  const id = randomUUID();
  return {
    _id: id,
    reportId: id,
    version: 1,
    status: 'active',
    originCountry,
    country: originCountry,
    seizedAt: new Date(Date.UTC(2025, 0, 1) + i * 60_000),
    receivedAt: new Date(),
    handling: { tlp, releasableTo: [], releasableCountries: [], evaluation: 'B2' },
    substances: ['heroin'],
    totalKg: 1,
    flags: [],
    report: { reportId: id, notes: 'x'.repeat(200) },
  };
};

/**
 * A burst's answers: each either the visible report (200) or refused with `status`, Retry-After 1 and `code`, its
 * message naming each of `mentions`; at least `minServed` served and one refused. Returns how many were refused.
 */
async function expectServedOrRefused(
  answers: Response[],
  visible: string,
  refusal: { status: number; code: string; mentions: string[]; minServed: number },
): Promise<number> {
  const refused = answers.filter((r) => r.status === refusal.status);
  const served = answers.filter((r) => r.status === 200);
  expect(refused.length + served.length, `every request answered 200 or ${refusal.status}`).to.equal(
    answers.length,
  );
  expect(refused.length, 'some refused').to.be.at.least(1);
  expect(served.length, 'the ones worked on and those waiting at least').to.be.at.least(refusal.minServed);
  for (const r of refused) {
    expect(r.headers.get('retry-after')).to.equal('1');
    const body = (await r.json()) as { error: { code: string; message: string } };
    expect(body.error.code).to.equal(refusal.code);
    for (const m of refusal.mentions) expect(body.error.message).to.contain(m);
  }
  for (const r of served)
    expect(
      ((await r.json()) as { items: { reportId: string }[] }).items.map((i) => i.reportId),
    ).to.deep.equal([visible]);
  return refused.length;
}

describe('query API: how long and how much a caller may hold the store, and a store gone', function () {
  this.timeout(120000);
  let env: TestEnv;
  let store: Store;
  let visible: string;
  const apis: RunningQueryApi[] = [];
  const token = () =>
    mintToken(loadKeyRing(authDir(env.config.hubHome)), {
      sub: 'analyst-KG',
      role: 'analyst',
      country: 'KG',
      clearance: 'GREEN',
      ttlSeconds: 600,
    });

  before(async () => {
    env = createTestEnv('query-limits');
    testPki(env, []);
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    // Many reports a KG analyst may not read (RED, from AF), which a search must still look through, and one it may.
    const reports = store.collection<ReturnType<typeof storedReport>>(COLLECTIONS.reports);
    for (let i = 0; i < REPORTS; i += 2500)
      await reports.insertMany(Array.from({ length: 2500 }, (_, j) => storedReport(i + j, 'RED', 'AF')));
    const open = storedReport(-1, 'GREEN', 'TJ');
    await reports.insertOne(open);
    visible = open._id;
  });
  after(async () => {
    for (const api of apis) await api.close();
    await store?.close();
    env?.cleanup();
  });

  it('stops a read that takes longer than HUB_QUERY_TIMEOUT_S and answers 504 QUERY_TIMEOUT, saying what to do', async () => {
    // HUB_QUERY_TIMEOUT_S=0.001: no store reads that many reports within it.
    const config = { ...env.config, queryTimeoutMs: 1 };
    const limited = await startQueryApi({ config, logger: env.logger, port: 0 });
    apis.push(limited);
    const r = await getJson(`${limited.url}/v1/seizures?limit=50`, token());
    expect(r.status, JSON.stringify(r.body)).to.equal(504);
    const error = r.body.error as { code: string; message: string };
    expect(error.code).to.equal('QUERY_TIMEOUT');
    expect(error.message).to.match(/within 0\.001 s \(HUB_QUERY_TIMEOUT_S\)/);
    expect(error.message).to.match(/narrow it/);
    // The service goes on: its health (and the store's) is unaffected.
    expect((await getJson(`${limited.url}/healthz`)).status).to.equal(200);
    // An operator sees it in the metrics, by route and status.
    const answered = { route: '/v1/seizures', status: '504' };
    expect(await metricValue(limited.url, 'hub_http_request_seconds_count', answered)).to.equal(1);
    expect(await metricValue(limited.url, 'hub_http_request_seconds_count', { route: '/healthz' })).to.equal(
      1,
    );
    // The contributors' quality, computed from whole collections for coordinators at most once a minute (every few
    // seconds with fresh=1, one computation at a time), is not bounded: it reads every report even here (AF's
    // coordinator: its own reports, RED as they are).
    const coordinator = mintToken(loadKeyRing(authDir(env.config.hubHome)), {
      sub: 'coordinator-AF',
      role: 'coordinator',
      country: 'AF',
      clearance: 'RED',
      ttlSeconds: 600,
    });
    const quality = await getJson(`${limited.url}/v1/quality`, coordinator);
    expect(quality.status, JSON.stringify(quality.body)).to.equal(200);
    const contributors = quality.body.contributors as { country: string; reports: number }[];
    expect(contributors.find((c) => c.country === 'AF')?.reports).to.equal(REPORTS);
    // The same search on the same store, without a limit, is answered in full.
    const unlimited = await startQueryApi({
      config: { ...config, queryTimeoutMs: 0 },
      logger: env.logger,
      port: 0,
    });
    apis.push(unlimited);
    const full = await getJson(`${unlimited.url}/v1/seizures?limit=50`, token());
    expect(full.status, JSON.stringify(full.body)).to.equal(200);
    expect((full.body.items as { reportId: string }[]).map((i) => i.reportId)).to.deep.equal([visible]);
  });

  it('works on HUB_QUERY_CONCURRENCY requests of one caller at once and refuses what would queue beyond, 429 with Retry-After', async () => {
    // One turn and four places in the queue; forty searches sent together, each a scan of 10,001 reports on FerretDB.
    const config = { ...env.config, queryTimeoutMs: 0, queryConcurrency: 1 };
    const api = await startQueryApi({ config, logger: env.logger, port: 0 });
    apis.push(api);
    const analyst = token();
    const other = mintToken(loadKeyRing(authDir(env.config.hubHome)), {
      sub: 'analyst-TJ',
      role: 'analyst',
      country: 'TJ',
      clearance: 'GREEN',
      ttlSeconds: 600,
    });
    const burst = Array.from({ length: 40 }, () =>
      fetch(`${api.url}/v1/seizures?limit=50`, { headers: { authorization: `Bearer ${analyst}` } }),
    );
    const beside = getJson(`${api.url}/v1/seizures?limit=50`, other);
    const answers = await Promise.all(burst);
    const refused = await expectServedOrRefused(answers, visible, {
      status: 429,
      code: 'TOO_MANY_REQUESTS',
      mentions: ['analyst-KG', 'HUB_QUERY_CONCURRENCY=1'],
      minServed: 5,
    });
    // The other analyst was answered beside the burst, and the operator sees the refusals.
    const b = await beside;
    expect(b.status, JSON.stringify(b.body)).to.equal(200);
    expect(await metricValue(api.url, 'hub_query_requests_refused_total', {})).to.equal(refused);
    expect(await metricValue(api.url, 'hub_query_requests_waiting', {})).to.equal(0);
    // Every turn was given back: the caller is answered again.
    expect((await getJson(`${api.url}/v1/seizures?limit=50`, analyst)).status).to.equal(200);
  });

  it('works on HUB_QUERY_TOTAL_CONCURRENCY requests of all callers at once and answers 503 QUERY_API_BUSY when too many wait', async () => {
    // One shared turn and four places in its line; three analysts send four searches each, together.
    const config = { ...env.config, queryTimeoutMs: 0, queryConcurrency: 8, queryTotalConcurrency: 1 };
    const api = await startQueryApi({ config, logger: env.logger, port: 0 });
    apis.push(api);
    const keys = loadKeyRing(authDir(env.config.hubHome));
    const tokens = ['KG', 'TJ', 'UZ'].map((cc) =>
      mintToken(keys, {
        sub: `analyst-${cc}`,
        role: 'analyst',
        country: cc,
        clearance: 'GREEN',
        ttlSeconds: 600,
      }),
    );
    const answers = await Promise.all(
      tokens.flatMap((t) =>
        Array.from({ length: 4 }, () =>
          fetch(`${api.url}/v1/seizures?limit=50`, { headers: { authorization: `Bearer ${t}` } }),
        ),
      ),
    );
    const busy = await expectServedOrRefused(answers, visible, {
      status: 503,
      code: 'QUERY_API_BUSY',
      mentions: ['HUB_QUERY_TOTAL_CONCURRENCY=1'],
      minServed: 5,
    });
    expect(await metricValue(api.url, 'hub_query_requests_refused_busy_total', {})).to.equal(busy);
    expect(await metricValue(api.url, 'hub_query_requests_waiting_total_limit', {})).to.equal(0);
    // Every turn was given back: a caller is answered again.
    expect((await getJson(`${api.url}/v1/seizures?limit=50`, tokens[2])).status).to.equal(200);
    expect(loadConfig({ HUB_HOME: env.home }).queryTotalConcurrency).to.equal(32);
    expect(
      loadConfig({ HUB_HOME: env.home, HUB_QUERY_TOTAL_CONCURRENCY: '0' }).queryTotalConcurrency,
    ).to.equal(0);
    for (const bad of ['-1', 'all', '10001'])
      expect(() => loadConfig({ HUB_HOME: env.home, HUB_QUERY_TOTAL_CONCURRENCY: bad }), bad).to.throw(
        /HUB_QUERY_TOTAL_CONCURRENCY=.* must be a whole number from 0 \(no limit\) to 10000/,
      );
  });

  it('works on 8 requests of a caller at once by default, and refuses a number it cannot use', () => {
    expect(loadConfig({ HUB_HOME: env.home }).queryConcurrency).to.equal(8);
    expect(loadConfig({ HUB_HOME: env.home, HUB_QUERY_CONCURRENCY: '0' }).queryConcurrency).to.equal(0);
    for (const bad of ['-1', 'many', '2.5', '1001'])
      expect(() => loadConfig({ HUB_HOME: env.home, HUB_QUERY_CONCURRENCY: bad }), bad).to.throw(
        /HUB_QUERY_CONCURRENCY=.* must be a whole number from 0 \(no limit\) to 1000/,
      );
  });

  it('reads with the default limit of 120 s, and refuses a limit it cannot use', () => {
    expect(loadConfig({ HUB_HOME: env.home }).queryTimeoutMs).to.equal(120_000);
    expect(loadConfig({ HUB_HOME: env.home, HUB_QUERY_TIMEOUT_S: '0' }).queryTimeoutMs).to.equal(0);
    expect(loadConfig({ HUB_HOME: env.home, HUB_QUERY_TIMEOUT_S: '2.5' }).queryTimeoutMs).to.equal(2500);
    for (const bad of ['-1', 'soon', '0.0001'])
      expect(() => loadConfig({ HUB_HOME: env.home, HUB_QUERY_TIMEOUT_S: bad }), bad).to.throw(
        /HUB_QUERY_TIMEOUT_S=.* must be a number of seconds: 0 \(no limit\) or at least 0\.001/,
      );
  });

  it('answers 503 STORE_UNAVAILABLE when the store cannot be reached, and logs nothing as an internal error', async () => {
    // A client of a port where no store listens: every operation fails to find a server.
    const client = new MongoClient('mongodb://127.0.0.1:1/', { serverSelectionTimeoutMS: 300 });
    const db = client.db('none');
    const gone: Store = {
      client,
      db,
      engine: 'mongodb',
      collection: (name) => db.collection(name),
      ensureIndexes: async () => undefined,
      ping: async () => false,
      close: () => client.close(),
    };
    const errors: unknown[] = [];
    const logger = Object.assign(Object.create(env.logger) as typeof env.logger, {
      child: () => logger,
      error: (...args: unknown[]) => errors.push(args),
    });
    const app = createApp({
      names: topicNames(env.config.namespace),
      store: gone,
      keys: loadKeyRing(authDir(env.config.hubHome)),
      audit: createAuditLog(gone),
      caPem: '',
      metrics: createMetricsRegistry('query-api-test'),
      health: [],
      logger,
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as { port: number };
      for (const path of ['/v1/seizures', '/v1/stats?groupBy=country', '/v1/alerts']) {
        const r = await getJson(`http://127.0.0.1:${port}${path}`, token());
        expect(r.status, `${path}: ${JSON.stringify(r.body)}`).to.equal(503);
        expect(r.body.error, path).to.deep.equal({
          code: 'STORE_UNAVAILABLE',
          message: 'the store cannot be reached; retry later',
        });
      }
      expect(errors, 'no internal errors').to.deep.equal([]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await client.close();
    }
  });
});
