// The store's indexes on the real MongoDB-wire server: on the fields the query API filters on, and the
// misdirected ones of earlier versions dropped.
import { expect } from 'chai';
import { COLLECTIONS, INDEXES, connectStore, type Store } from '@hub/store';
import { createTestEnv, type TestEnv } from '../support/env';

describe('store indexes', function () {
  this.timeout(120000);
  let env: TestEnv;
  let store: Store;

  before(async () => {
    env = createTestEnv('indexes');
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
  });
  after(async () => {
    await store?.db.dropDatabase().catch(() => undefined);
    await store?.close();
    env?.cleanup();
  });

  it('indexes reports by the denormalised fields every search filter uses', () => {
    const keys = (INDEXES[COLLECTIONS.reports] ?? []).map((i) => Object.keys(i.key)[0]);
    // routes-seizures.ts filters on these StoredReport fields; an index on the nested report would not serve them.
    for (const field of [
      'country',
      'substances',
      'drugGroups',
      'routeCountries',
      'conveyanceMode',
      'seizedAt',
    ])
      expect(keys, field).to.include(field);
    for (const k of keys)
      expect(k, 'no index on the nested report').not.to.match(/^(drugs|route|conveyance)\./);
  });

  it('creates them all, drops the ones earlier versions put on the nested report, and is idempotent', async () => {
    const reports = store.collection(COLLECTIONS.reports);
    await reports.insertOne({ _id: 'r1', country: 'KZ', substances: ['heroin'] } as never);
    await reports.createIndexes([
      { key: { 'drugs.substance': 1, seizedAt: -1 }, name: 'substance_seizedAt' },
    ]);
    await store.ensureIndexes();
    await store.ensureIndexes();
    const names = (await reports.listIndexes().toArray()).map((i) => String(i.name));
    expect(names).not.to.include('substance_seizedAt');
    for (const spec of INDEXES[COLLECTIONS.reports] ?? []) expect(names).to.include(spec.name);
    expect(await reports.countDocuments({ substances: 'heroin' })).to.equal(1);
  });
});
