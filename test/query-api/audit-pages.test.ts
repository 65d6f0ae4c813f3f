// The audit log read by an auditor on the real store: pages followed back to the first entry, filters, the chain
// walked in the store's order (FerretDB) or sorted (MongoDB), and sorted reads that do not sort in FerretDB.
import { expect } from 'chai';
import { random } from '../../bench/reports';
import {
  AUDIT_ACTIONS,
  createAuditLog,
  entryHash,
  withReadTimeout,
  type AuditEntry,
  type AuditQuery,
} from '@hub/query-api';
import type { Caller } from '@hub/query-api';
import { auditRoutes, CHAIN_FIELDS, READ_FIELDS } from '@hub/query-api/routes-audit';
import { COLLECTIONS, connectStore, findSorted, type SortSpec, type Store } from '@hub/store';
import express from 'express';
import type { Server } from 'node:http';
import { hubSync } from '../support/cli';
import { cliEnv, createTestEnv, type TestEnv } from '../support/env';

describe('audit log pages and verification on the real store', function () {
  this.timeout(180000);
  let env: TestEnv;
  let store: Store;
  const written: AuditEntry[] = [];
  const START = Date.UTC(2026, 0, 1);

  before(async () => {
    env = createTestEnv('audit-pages');
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    await store.ensureIndexes();
    const next = random(7);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    let now = START;
    const log = createAuditLog(store, () => now);
    for (let i = 0; i < 45; i++) {
      now = START + i * 3_600_000;
      written.push(
        await log.append({
          actor: {
            sub: pick(['ana@kz', 'boris', 'chen-uz']),
            role: pick(['analyst', 'coordinator']),
            country: pick(['KZ', 'UZ']),
          },
          action: pick(AUDIT_ACTIONS),
          query: { i },
          count: i,
          reportIds: [],
        }),
      );
    }
  });
  after(async () => {
    await store?.db.dropDatabase().catch(() => undefined);
    await store?.close();
    env?.cleanup();
  });

  /** Every page of `query` followed from the newest entry, as the API answers them. */
  const allPages = async (query: AuditQuery, limit: number, verify: boolean) => {
    const log = createAuditLog(store);
    const seen: number[] = [];
    let before: number | undefined;
    for (let pages = 0; pages < 100; pages++) {
      const page = await log.page({ ...query, before: before ?? query.before }, limit, { verify });
      expect(page.entries.length).to.be.at.most(limit);
      seen.push(...page.entries.map((e) => e.seq));
      if (verify) expect(page).to.include({ valid: true, checked: 45 });
      else expect(page.intact).to.equal(true);
      if (page.next === null) return seen;
      before = page.next;
    }
    throw new Error('pages never ended');
  };

  it('pages back to the first entry, newest first, with and without walking the chain', async () => {
    const all = written.map((e) => e.seq).reverse();
    for (const verify of [true, false])
      for (const limit of [1, 7, 45, 1000])
        expect(await allPages({}, limit, verify), `${limit}`).to.deep.equal(all);
  });

  it('shows only the entries of who, what and when it is asked for', async () => {
    const queries: [AuditQuery, (e: AuditEntry) => boolean][] = [
      [{ sub: 'ana@kz' }, (e) => e.actor.sub === 'ana@kz'],
      [
        { country: 'UZ', role: 'coordinator' },
        (e) => e.actor.country === 'UZ' && e.actor.role === 'coordinator',
      ],
      [{ action: written[3]!.action }, (e) => e.action === written[3]!.action],
      [
        { from: new Date(START + 10 * 3_600_000), to: new Date(START + 20 * 3_600_000) },
        (e) => e.seq >= 11 && e.seq <= 21,
      ],
      [{ before: 30, sub: 'boris' }, (e) => e.seq < 30 && e.actor.sub === 'boris'],
      [{ sub: 'nobody' }, () => false],
    ];
    for (const [query, holds] of queries) {
      const expected = written
        .filter(holds)
        .map((e) => e.seq)
        .reverse();
      expect(expected.length, JSON.stringify(query)).to.be.below(45);
      for (const verify of [true, false])
        expect(await allPages(query, 4, verify), JSON.stringify(query)).to.deep.equal(expected);
    }
  });

  it('is verified by `hub audit` straight from the store, for a scheduled check', () => {
    const run = hubSync(['audit'], cliEnv(env));
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.equal('VALID: 45 entries, each chained to the one before it from the first\n');
  });

  it('tells a changed entry from the page alone, and from the chain where it breaks', async () => {
    const audit = store.collection<AuditEntry>(COLLECTIONS.audit);
    const log = createAuditLog(store);
    await audit.updateOne({ seq: 40 }, { $set: { count: 999 } });
    try {
      const alone = await log.page({ before: 42 }, 5, { verify: false });
      expect(alone).to.include({ intact: false, brokenAt: 40 });
      expect(alone.reason).to.match(/hash/);
      // A page that does not hold entry 40 cannot tell.
      expect(await log.page({ before: 40 }, 5, { verify: false })).to.include({ intact: true });
      // An entry rewritten whole (its hash made again) no longer follows the one before it.
      const rewritten = { ...written[42]!, prevHash: written[40]!.hash };
      const { _id, hash, ...body } = rewritten;
      void _id;
      void hash;
      await audit.replaceOne({ seq: 43 }, { ...rewritten, hash: entryHash(body) });
      expect(await log.page({ before: 45 }, 3, { verify: false })).to.include({
        intact: false,
        brokenAt: 43,
        reason: 'prevHash does not match the previous entry',
      });
      await audit.replaceOne({ seq: 43 }, written[42]!);
      expect(await log.page({}, 2, { verify: true })).to.include({ valid: false, brokenAt: 40, checked: 39 });
      const run = hubSync(['audit', '--json'], cliEnv(env));
      expect(run.status, run.stderr).to.equal(1);
      expect(JSON.parse(run.stdout)).to.deep.equal({
        valid: false,
        checked: 39,
        brokenAt: 40,
        reason: 'entry content does not match its hash',
      });
    } finally {
      await audit.updateOne({ seq: 40 }, { $set: { count: written[39]!.count } });
    }
    expect(await log.verify()).to.include({ valid: true, checked: 45 });
  });

  it('verifies a log stored out of order, and finds a missing entry, in either order of reading', async () => {
    const db = `${env.config.mongo.dbName}-shuffled`;
    const other = await connectStore({ url: env.config.mongo.url, dbName: db });
    try {
      await other.ensureIndexes();
      const audit = other.collection<AuditEntry>(COLLECTIONS.audit);
      const next = random(11);
      const shuffled = [...written].sort(() => next() - 0.5);
      await audit.insertMany(shuffled);
      expect((await audit.find({}).limit(5).toArray()).map((e) => e.seq)).to.not.deep.equal([1, 2, 3, 4, 5]);
      // The store's order, holding what comes early; past 3 held, the rest read sorted; MongoDB's sorted read.
      const logs = [
        createAuditLog(other),
        createAuditLog(other, Date.now, { heldAhead: 3 }),
        createAuditLog({ ...other, engine: 'mongodb' }),
      ];
      for (const log of logs) expect(await log.verify()).to.deep.equal({ valid: true, checked: 45 });
      await audit.deleteOne({ seq: 17 });
      for (const log of logs)
        expect(await log.verify()).to.deep.equal({
          valid: false,
          checked: 16,
          brokenAt: 17,
          reason: 'entry 17 is missing',
        });
      // The page still shows what is there.
      expect(
        (await logs[0]!.page({ before: 19 }, 3, { verify: true })).entries.map((e) => e.seq),
      ).to.deep.equal([18, 16, 15]);
    } finally {
      await other.db.dropDatabase().catch(() => undefined);
      await other.close();
    }
  });

  it('reads sorted pages on FerretDB in the order the store sorts them', async () => {
    const probe = store.db.collection<{
      _id: string;
      at?: Date | null;
      n: number;
      s: string;
      c: { k: string };
    }>('sorted_probe');
    const next = random(5);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
    await probe.insertMany(
      Array.from({ length: 400 }, (_, i) => ({
        _id: `p-${String(Math.floor(next() * 1e6)).padStart(7, '0')}-${i}`,
        ...(next() < 0.1
          ? {}
          : { at: next() < 0.1 ? null : new Date(Date.UTC(2025, 0, 1 + Math.floor(next() * 20))) }),
        n: Math.floor(next() * 40) - 20,
        s: pick(['a', 'B', 'ab', 'é', 'z', '\u{1F600}', '\uFF01']),
        c: { k: pick(['KZ', 'UZ']) },
      })),
    );
    const sorts: SortSpec[] = [
      { at: -1, _id: -1 },
      { n: 1, _id: 1 },
      { s: 1, n: -1, _id: 1 },
      { 'c.k': -1, at: 1, _id: 1 },
    ];
    for (const sort of sorts)
      for (const [filter, limit] of [
        [{}, 10],
        [{ n: { $gte: 0 } }, 51],
        [{ 'c.k': 'KZ' }, 0],
      ] as const) {
        const server = await findSorted('mongodb', probe, filter, { sort, limit });
        const kept = await findSorted('ferretdb', probe, filter, { sort, limit });
        expect(
          kept.map((d) => d._id),
          `${JSON.stringify(sort)} ${JSON.stringify(filter)} ${limit}`,
        ).to.deep.equal(server.map((d) => d._id));
        expect(server.length).to.equal(limit || (await probe.countDocuments(filter)));
      }
    // Through the query API's bounded reads (a cursor read within HUB_QUERY_TIMEOUT_S), the same.
    const bounded = withReadTimeout({ ...store, collection: () => probe } as unknown as Store, 60_000);
    const sort = { s: 1, n: -1, _id: 1 } as const;
    expect(
      (await findSorted('ferretdb', bounded.collection(COLLECTIONS.audit), {}, { sort, limit: 7 })).map(
        (d) => d._id,
      ),
    ).to.deep.equal((await findSorted('mongodb', probe, {}, { sort, limit: 7 })).map((d) => d._id));
  });

  it('shows an auditor below RED what other countries’ callers read as withheld, the chain verified all the same', async () => {
    // A copy of the log in a database of its own: each look at the log appends to it.
    const other = await connectStore({
      url: env.config.mongo.url,
      dbName: `${env.config.mongo.dbName}-shown`,
    });
    let caller: Caller | undefined;
    const app = express();
    app.use((req, _res, next) => {
      req.caller = caller;
      next();
    });
    app.use(auditRoutes({ audit: createAuditLog(other) }));
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    const look = async (clearance: Caller['clearance'], query: string) => {
      caller = { sub: 'auditor-KZ', role: 'auditor', country: 'KZ', clearance, regions: [] };
      const port = (server.address() as { port: number }).port;
      const r = await fetch(`http://127.0.0.1:${port}/v1/audit?${query}`);
      expect(r.status).to.equal(200);
      return (await r.json()) as Record<string, unknown> & { entries: Record<string, unknown>[] };
    };
    try {
      await other.ensureIndexes();
      await other.collection<AuditEntry>(COLLECTIONS.audit).insertMany(written.map((e) => ({ ...e })));
      const seqOf = (country: string) => written.find((e) => e.actor.country === country)!.seq;
      for (const query of [`limit=45&before=46`, `limit=45&before=46&verify=false`]) {
        const page = await look('AMBER', query);
        expect(page, query).to.include(
          query.includes('verify') ? { intact: true } : { valid: true, checked: 45 },
        );
        const shown = new Map(page.entries.map((e) => [e.seq, e]));
        const uz = shown.get(seqOf('UZ'))!;
        for (const field of [...READ_FIELDS, ...CHAIN_FIELDS]) expect(uz[field], field).to.equal(null);
        expect(uz).to.deep.include({
          withheld: { by: 'clearance', fields: [...READ_FIELDS, ...CHAIN_FIELDS] },
        });
        const kz = written[seqOf('KZ') - 1]!;
        expect(shown.get(kz.seq)).to.deep.include({ query: kz.query, count: kz.count, hash: null });
      }
      const red = await look('RED', 'limit=45&before=46');
      expect(red).to.include({ valid: true, checked: 47 });
      expect(red.entries.map((e) => e.hash)).to.deep.equal(written.map((e) => e.hash).reverse());
    } finally {
      await new Promise((r) => server.close(r));
      await other.db.dropDatabase().catch(() => undefined);
      await other.close();
    }
  });

  it('answers each entry as it was written', async () => {
    const [newest] = (await createAuditLog(store).page({}, 1, { verify: false })).entries;
    const { _id, hash, ...body } = newest!;
    void _id;
    expect(hash).to.equal(entryHash(body));
    expect(newest).to.deep.include({ seq: 45, hash: written[44]!.hash });
  });
});
