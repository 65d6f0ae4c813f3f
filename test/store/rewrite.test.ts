// Rewriting documents by _id on the real MongoDB-wire server: FerretDB's way (delete, then insert) and MongoDB's
// (replace by _id), each journalled so that a crash between the delete and the insert loses nothing.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import {
  COLLECTIONS,
  connectStore,
  finishRewrites,
  rewriteById,
  rewriteJournalled,
  type Store,
} from '@hub/store';
import { createTestEnv, type TestEnv } from '../support/env';

type Doc = { _id: string; members: Record<string, number> };

describe('store: rewriting documents by _id', function () {
  this.timeout(120000);
  let env: TestEnv;
  let store: Store;
  const keys = () => store.collection<Doc>(COLLECTIONS.matchKeys);
  const all = async () => (await keys().find({}).sort({ _id: 1 }).toArray()) as Doc[];

  before(async () => {
    env = createTestEnv('rewrite');
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
  });
  beforeEach(async () => {
    await keys().deleteMany({});
    await store.collection(COLLECTIONS.rewriteJournal).deleteMany({});
  });
  after(async () => {
    await store?.db.dropDatabase().catch(() => undefined);
    await store?.close();
    env?.cleanup();
  });

  it('knows which engine answers: FerretDB on the local stack, MongoDB where a mongod serves', async () => {
    // HUB_MONGO_URL may name either: there the server's own buildInfo says which.
    const expected = process.env.HUB_MONGO_URL
      ? (await store.client.db('admin').command({ buildInfo: 1 })).ferretdbVersion
        ? 'ferretdb'
        : 'mongodb'
      : spawnSync('sh', ['-c', 'command -v mongod']).status === 0
        ? 'mongodb'
        : 'ferretdb';
    expect(store.engine).to.equal(expected);
  });

  for (const engine of ['ferretdb', 'mongodb'] as const) {
    it(`puts, removes and leaves the rest (${engine} writes; few ids one by one, many by one $in)`, async () => {
      const many = Array.from({ length: 30 }, (_, i) => ({
        _id: `k${String(i).padStart(2, '0')}`,
        members: { a: i },
      }));
      await keys().insertMany(many);
      await rewriteById(keys(), engine, {
        put: [
          { _id: 'k01', members: { a: 1, b: 2 } },
          { _id: 'new', members: { c: 3 } },
        ],
        remove: ['k02'],
        existing: new Set(['k01', 'k02']),
      });
      const after = await all();
      expect(after).to.have.length(30);
      expect(after.find((d) => d._id === 'k01')?.members).to.deep.equal({ a: 1, b: 2 });
      expect(after.find((d) => d._id === 'new')?.members).to.deep.equal({ c: 3 });
      expect(after.find((d) => d._id === 'k02')).to.equal(undefined);
      // Twenty at once (over the one-by-one limit), existing not known: every named id is deleted first.
      const twenty = many.slice(10).map((d) => ({ ...d, members: { z: 1 } }));
      await rewriteById(keys(), engine, { put: twenty, remove: [] });
      const again = await all();
      expect(again).to.have.length(30);
      expect(again.filter((d) => d.members.z === 1)).to.have.length(20);
    });

    it(`finishes a rewrite that crashed between its delete and its insert (${engine} writes)`, async () => {
      await keys().insertMany([
        { _id: 'k1', members: { a: 1 } },
        { _id: 'k2', members: { b: 2 } },
      ]);
      // The process "dies" at the insert: on FerretDB the documents are deleted by then.
      const crashing: Store = {
        ...store,
        engine,
        collection: ((name: string) =>
          name === COLLECTIONS.matchKeys
            ? Object.assign(Object.create(store.collection(name)), {
                insertMany: () => Promise.reject(new Error('crash')),
                bulkWrite: (ops: object[], o: object) =>
                  ops.some((op) => 'replaceOne' in op)
                    ? Promise.reject(new Error('crash'))
                    : store.collection(name).bulkWrite(ops as never, o),
              })
            : store.collection(name as never)) as Store['collection'],
      };
      const change = {
        put: [
          { _id: 'k1', members: { a: 1, c: 3 } },
          { _id: 'k2', members: { b: 2, c: 3 } },
        ],
        remove: [],
        existing: new Set(['k1', 'k2']),
      };
      await rewriteJournalled(crashing, COLLECTIONS.matchKeys, change).then(
        () => expect.fail('the insert should have failed'),
        (err: Error) => expect(err.message).to.equal('crash'),
      );
      expect(await all()).to.have.length(engine === 'ferretdb' ? 0 : 2);
      expect(await finishRewrites({ ...store, engine })).to.equal(1);
      expect(await all()).to.deep.equal(change.put);
      expect(await finishRewrites({ ...store, engine }), 'nothing left').to.equal(0);
      expect(await store.collection(COLLECTIONS.rewriteJournal).countDocuments()).to.equal(0);
    });
  }
});
