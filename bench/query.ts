// Query API latency over a large store: reports and read-model buckets written straight into a database of their own,
// then the API's reads timed beside the same reads done with the driver (same filter, sort, limit and projection).
import { join } from 'node:path';
import { BSON, type Document, type Filter } from 'mongodb';
import { benchNumber } from '@hub/cli/run/bench-settings';
import { PkiStore } from '@hub/pki';
import { authDir, loadKeyRing, mintToken, readableFilter, startQueryApi, type Caller } from '@hub/query-api';
import { searchFilter } from '@hub/query-api/routes-seizures';
import { loadRegions } from '@hub/schemas';
import { COLLECTIONS, connectStore, type Store } from '@hub/store';
import { getJson, pairedLatencies, percentile, samplesFor, tailPercentile, timed, type Row } from './measure';
import { BucketTotals, random, storedReport } from './reports';
import { benchSection, QUICK, say } from './setup';

// FerretDB (the local store) scans the whole collection for every filtered read, at a few thousand stored reports a
// second on our 2-core machines: the quick run stays small, and the full run stops filling after FILL_MINUTES.
const REPORTS = benchNumber('BENCH_QUERY_REPORTS');
const FILL_MS = benchNumber('BENCH_QUERY_FILL_MINUTES') * 60000;
/** Time per query (API and raw in turn); a read slower than this is taken once. */
const BUDGET_MS = benchNumber('BENCH_QUERY_BUDGET_S') * 1000;
const BATCH = 1000;
const DAY = 86400000;

export interface QueryCase {
  path: string;
  /** The same read with the driver. */
  raw: (store: Store) => Promise<Document[]>;
  /** How many rows or items the API answered with. */
  size: (body: unknown) => number;
}

/** The four reads of the table, each with its raw twin. */
export function cases(caller: Caller, from: string): QueryCase[] {
  const buckets = (extra: Filter<Document>[]) => (store: Store) =>
    store
      .collection(COLLECTIONS.statsMonthly)
      .find(
        { $and: [{ source: 'seizures' }, readableFilter(caller, '', 'originCountry'), ...extra] },
        { projection: { rev: 0, journal: 0 } },
      )
      .toArray();
  const search = (p: Parameters<typeof searchFilter>[1]) => (store: Store) =>
    store
      .collection(COLLECTIONS.reports)
      .find(
        { $and: searchFilter(caller, p) as Filter<Document>[] },
        { sort: { seizedAt: -1, _id: -1 }, limit: 51 },
      )
      .toArray();
  const rows = (b: unknown) => (b as { rows: unknown[] }).rows.length;
  const items = (b: unknown) => (b as { items: unknown[] }).items.length;
  return [
    { path: '/v1/stats?groupBy=country', raw: buckets([]), size: rows },
    {
      path: '/v1/stats?groupBy=month&drug=heroin',
      raw: buckets([{ $or: [{ substance: 'heroin' }, { aggregates: 'heroin' }] }]),
      size: rows,
    },
    { path: '/v1/seizures?country=KZ&limit=50', raw: search({ country: 'KZ' }), size: items },
    {
      path: `/v1/seizures?drug=heroin&from=${from}&limit=50`,
      raw: search({ drug: 'heroin', from: new Date(from) }),
      size: items,
    },
  ];
}

interface Filled {
  count: number;
  totals: BucketTotals;
  /** Seconds each full 100,000 took. */
  per100k: number[];
  /** Mean BSON size of a stored report (first batch). */
  bytes: number;
}

/**
 * Fill `reports` with up to `n` reports, each batch generated while the previous one is inserted, stopping early
 * after `maxMs`; return how many and the read-model buckets they make.
 */
async function fill(store: Store, n: number, now: number, maxMs: number): Promise<Filled> {
  const regions = loadRegions();
  const rnd = random(0x5eed);
  const totals = new BucketTotals();
  const reports = store.collection(COLLECTIONS.reports);
  const per100k: number[] = [];
  const start = Date.now();
  let mark = start;
  let pending: Promise<unknown> = Promise.resolve();
  let count = 0;
  let bytes = 0;
  for (let i = 0; i < n && Date.now() - start < maxMs; i += BATCH) {
    const docs = Array.from({ length: Math.min(BATCH, n - i) }, (_, j) =>
      storedReport(rnd, i + j, { now, years: 3, regions }),
    );
    for (const d of docs) totals.add(d);
    if (i === 0) bytes = docs.reduce((sum, d) => sum + BSON.calculateObjectSize(d), 0) / docs.length;
    await pending;
    pending = reports.insertMany(docs as Document[], { ordered: false });
    const done = (count = i + docs.length);
    if (done % 100_000 === 0) {
      await pending;
      per100k.push((Date.now() - mark) / 1000);
      mark = Date.now();
      say(`  ${done.toLocaleString('en-US')} reports stored (last 100k in ${per100k.at(-1)?.toFixed(0)} s)`);
    }
  }
  await pending;
  return { count, totals, per100k, bytes };
}

async function insertAll(
  store: Store,
  name: typeof COLLECTIONS.statsMonthly | typeof COLLECTIONS.routeLegs,
  docs: Document[],
) {
  for (let i = 0; i < docs.length; i += BATCH)
    await store.collection(name).insertMany(docs.slice(i, i + BATCH), { ordered: false });
}

const secs = (ms: number) => `${(ms / 1000).toFixed(ms < 10000 ? 1 : 0)} s`;

/**
 * A query figure's name: the percentile and the read, and, when the fill stopped short of the reports asked
 * (BENCH_QUERY_FILL_MINUTES), how many were stored, so that no figure passes for one at the asked size.
 */
export function queryFigure(label: string, path: string, stored: number, asked: number): string {
  const count = (x: number) => x.toLocaleString('en-US');
  const at = stored === asked ? '' : ` at ${count(stored)} stored reports (of ${count(asked)} asked)`;
  return `query API ${label}${at}: GET ${path}`;
}

/** One read's latencies, the API's and the raw driver's, taken in turn, and what they answered. */
export interface ReadMeasured {
  path: string;
  /** Reports stored, and asked for (BENCH_QUERY_REPORTS). */
  stored: number;
  asked: number;
  /** What the raw read goes through: read-model buckets (a stats read) or reports (a search), and how many. */
  scans: 'buckets' | 'reports';
  scanned: number;
  api: number[];
  raw: number[];
  /** Rows or items the API answered, documents the raw find returned. */
  size: number;
  rawSize: number;
}

/**
 * A read's p50 and p95 rows. With fewer than 20 samples (a read slower than BENCH_QUERY_BUDGET_S allows more of)
 * the p95 is no more than the slowest sample: it is shown as n/a, without a ratio, and its note says why.
 */
export function readRows(m: ReadMeasured): Row[] {
  const count = (x: number) => x.toLocaleString('en-US');
  const [a50, r50] = [percentile(m.api, 50), percentile(m.raw, 50)];
  const [a95, r95] = [tailPercentile(m.api, 95), tailPercentile(m.raw, 95)];
  const stat = m.scans === 'buckets';
  const samples = m.api.length;
  return [
    {
      figure: queryFigure('p50', m.path, m.stored, m.asked),
      value: a50,
      unit: 'ms',
      ratio: a50 / r50,
      baseline: `raw driver find, same filter: ${r50.toFixed(0)} ms (ratio = API / this)`,
      note:
        `${count(m.stored)} reports; ${samples} sample${samples === 1 ? '' : 's'} each; API answered ${m.size} ${stat ? 'rows' : 'items'}, the raw find ${m.rawSize} ${stat ? 'buckets' : 'documents'}; ` +
        `the store read ${count(Math.round((m.scanned / r50) * 1000))} ${m.scans}/s` +
        (!stat && m.stored < 1_000_000
          ? `, so ≈ ${secs((a50 * 1_000_000) / m.stored)} at 1,000,000 reports if linear`
          : ''),
    },
    a95 === undefined || r95 === undefined
      ? {
          figure: queryFigure('p95', m.path, m.stored, m.asked),
          value: undefined,
          unit: 'ms',
          baseline: 'raw p95: n/a',
          note: `a p95 needs at least ${samplesFor(95)} samples, and ${samples} ${samples === 1 ? 'was' : 'were'} taken within BENCH_QUERY_BUDGET_S: with fewer it is only the slowest one`,
        }
      : {
          figure: queryFigure('p95', m.path, m.stored, m.asked),
          value: a95,
          unit: 'ms',
          ratio: a95 / r95,
          baseline: `raw p95: ${r95.toFixed(0)} ms`,
        },
  ];
}

/** What the store says it does for the search: FerretDB reports a full SCAN with no filter or sort pushdown. */
async function planOf(store: Store, caller: Caller): Promise<string> {
  const e = (await store
    .collection(COLLECTIONS.reports)
    .find(
      { $and: searchFilter(caller, { country: 'KZ' }) as Filter<Document>[] },
      { sort: { seizedAt: -1, _id: -1 }, limit: 51 },
    )
    .explain()) as Document;
  if (e.filterPushdown !== undefined)
    return `FerretDB plan ${JSON.stringify(e.queryPlanner?.Plan ?? [])
      .replace(/_[0-9a-f]{8}/g, '')
      .replace(/"/g, "'")}, filterPushdown ${e.filterPushdown}, sortPushdown ${e.sortPushdown}`;
  return `plan ${String(e.queryPlanner?.winningPlan?.stage ?? 'unknown')}`;
}

export async function queryRows(): Promise<Row[]> {
  const bench = benchSection('query');
  const { config, logger } = bench;
  const store = await connectStore({
    url: config.mongo.url,
    dbName: config.mongo.dbName,
    appName: 'bench-raw',
  });
  try {
    const now = Date.now();
    say(`query API: filling ${REPORTS.toLocaleString('en-US')} stored reports into ${config.mongo.dbName}`);
    const filled = await timed(() => fill(store, REPORTS, now, FILL_MS));
    const n = filled.result.count;
    if (n < REPORTS)
      say(`  stopped filling after ${secs(filled.ms)}, at ${n.toLocaleString('en-US')} reports`);
    const { stats, legs } = filled.result.totals.documents();
    say(`  ${stats.length} stats and ${legs.length} route-leg buckets`);
    const bucketT = await timed(async () => {
      await insertAll(store, COLLECTIONS.statsMonthly, stats);
      await insertAll(store, COLLECTIONS.routeLegs, legs);
    });
    say('  ensureIndexes');
    const indexT = await timed(() => store.ensureIndexes());

    new PkiStore(join(config.hubHome, 'pki')).initCa({ bits: 2048 });
    const ring = loadKeyRing(authDir(config.hubHome));
    const caller: Caller = { sub: 'bench', role: 'analyst', country: 'KZ', clearance: 'AMBER', regions: [] };
    const token = mintToken(ring, { ...caller, ttlSeconds: 7200 });
    // No time limit on reads (HUB_QUERY_TIMEOUT_S): the bench measures how long they take, minutes at 1,000,000.
    const api = await startQueryApi({ config: { ...config, queryTimeoutMs: 0 }, logger, port: 0 });
    const rows: Row[] = [];
    const rate = (n / filled.ms) * 1000;
    const per100k = filled.result.per100k;
    const count = (x: number) => x.toLocaleString('en-US');
    rows.push({
      figure: `query fill: ${count(n)} stored reports, driver insertMany${n < REPORTS ? ` (of ${count(REPORTS)} asked: stopped after ${secs(FILL_MS)})` : ''}`,
      value: rate,
      unit: 'reports/s',
      note:
        `${Math.round(filled.result.bytes)} bytes each (BSON); ${secs(filled.ms)} (${per100k.length ? `per 100k: ${per100k.map((x) => x.toFixed(0)).join(', ')} s` : `≈ ${secs((100_000 / rate) * 1000)} per 100k`}); ` +
        `+ ${count(stats.length)} stats and ${count(legs.length)} route-leg buckets (contributionsOf, as the coordinator writes them) in ${secs(bucketT.ms)}; ` +
        `ensureIndexes ${secs(indexT.ms)}; ${await planOf(store, caller)}`,
    });
    try {
      const from = new Date(now - 365 * DAY).toISOString().slice(0, 10);
      // BENCH_QUERY_ONLY=stats (say) takes only the reads whose path contains it: at 1,000,000 reports on FerretDB
      // each search reads the whole collection, a quarter of an hour a sample.
      const only = process.env.BENCH_QUERY_ONLY;
      for (const c of cases(caller, from).filter((x) => !only || x.path.includes(only))) {
        say(`  GET ${c.path}`);
        let size = 0;
        let rawSize = 0;
        const s = await pairedLatencies(
          async () => {
            const res = await getJson(`${api.url}${c.path}`, token);
            if (res.status !== 200)
              throw new Error(`GET ${c.path}: ${res.status} ${JSON.stringify(res.body)}`);
            size = c.size(res.body);
          },
          async () => (rawSize = (await c.raw(store)).length),
          { budgetMs: BUDGET_MS, min: QUICK ? 2 : 3, max: QUICK ? samplesFor(95) : 50 },
        );
        const [a50, r50] = [percentile(s.a, 50), percentile(s.b, 50)];
        const [a95, r95] = [tailPercentile(s.a, 95), tailPercentile(s.b, 95)];
        const ms = (x: number | undefined) => (x === undefined ? 'n/a' : `${x.toFixed(0)} ms`);
        say(
          `    API p50 ${ms(a50)}, p95 ${ms(a95)}; raw p50 ${ms(r50)}, p95 ${ms(r95)} (${s.a.length} each)`,
        );
        const stat = c.path.startsWith('/v1/stats');
        rows.push(
          ...readRows({
            path: c.path,
            stored: n,
            asked: REPORTS,
            scans: stat ? 'buckets' : 'reports',
            scanned: stat ? stats.length : n,
            api: s.a,
            raw: s.b,
            size,
            rawSize,
          }),
        );
      }
    } finally {
      await api.close();
    }
    return rows;
  } finally {
    await store.db.dropDatabase().catch(() => undefined);
    await store.close();
    await bench.cleanup();
  }
}
