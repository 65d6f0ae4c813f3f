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
  unpackJournal,
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
      // The journal's body is stored as one binary field (FerretDB converts nested fields one by one).
      const [left] = await store.collection(COLLECTIONS.rewriteJournal).find({}).toArray();
      expect(left).to.have.property('packed');
      expect(left).not.to.have.property('put');
      expect(unpackJournal<{ _id: string; createdAt: Date; put: Doc[] }>(left!).put).to.deep.equal(
        change.put,
      );
      expect(await finishRewrites({ ...store, engine })).to.equal(1);
      expect(await all()).to.deep.equal(change.put);
      expect(await finishRewrites({ ...store, engine }), 'nothing left').to.equal(0);
      expect(await store.collection(COLLECTIONS.rewriteJournal).countDocuments()).to.equal(0);
    });
  }
  for (const engine of ['ferretdb', 'mongodb'] as const) {
    it(`removes each journal once applied, after those a crash left (${engine}: ${engine === 'ferretdb' ? 'drops the collection' : 'deletes by _id'})`, async () => {
      const as = { ...store, engine };
      const journals = () =>
        store.collection<{ _id: string; collection: string; put: Doc[]; remove: string[]; createdAt: Date }>(
          COLLECTIONS.rewriteJournal,
        );
      await keys().insertMany([{ _id: 'k1', members: { a: 1 } }]);
      // Two journals a crash left, stored as earlier versions wrote them (the body as fields): finishing them
      // removes them one by one (they are not the only documents).
      for (const [i, members] of [{ a: 2 }, { a: 3 }].entries())
        await journals().insertOne({
          _id: `left-${i}`,
          collection: COLLECTIONS.matchKeys,
          put: [{ _id: 'k1', members }],
          remove: [],
          createdAt: new Date(Date.now() + i),
        });
      expect(await finishRewrites(as)).to.equal(2);
      expect(await journals().countDocuments()).to.equal(0);
      expect((await all())[0]?.members).to.deep.equal({ a: 3 });
      // A batch's own rewrite, twice: its journal goes each time, and the collection takes the next one again.
      for (const members of [{ a: 4 }, { a: 5 }]) {
        await rewriteJournalled(as, COLLECTIONS.matchKeys, {
          put: [
            { _id: 'k1', members },
            { _id: `k${members.a}`, members },
          ],
          remove: [],
          existing: new Set(['k1']),
        });
        expect(await journals().countDocuments()).to.equal(0);
      }
      expect(await all()).to.deep.equal([
        { _id: 'k1', members: { a: 5 } },
        { _id: 'k4', members: { a: 4 } },
        { _id: 'k5', members: { a: 5 } },
      ]);
    });
  }
});
