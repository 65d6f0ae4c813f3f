// Unit tier: the lock between service instances (services/store/src/lock.ts) as two processes meet it. Each process
// has its own queue of local callers, so two coordinator processes are kept apart by the store alone: here two
// instances of the module (each with a queue of its own, as in two processes) over a stand-in store in memory. The
// real store is contended by separate processes in test/store/lock.test.ts.
import { expect } from 'chai';
import type { Store } from '@hub/store';

type WithLock = typeof import('../../services/store/src/lock').withLock;
interface LockDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
}
type LockFilter = { _id: string; owner?: string };

/** A second instance of the lock module: its own map of local callers, as another process has. */
const otherInstance = async (): Promise<WithLock> =>
  (
    (await import(new URL('../../services/store/src/lock.ts?instance=other', import.meta.url).href)) as {
      withLock: WithLock;
    }
  ).withLock;

/**
 * A store whose lock collection is a list in memory. `atomic`: an insert checks for the _id and writes in one step,
 * refusing a duplicate as a MongoDB-wire server does (E11000); otherwise it checks, yields, then writes, as a store
 * that enforced no unique _id would be seen by two writers at once.
 */
function standInStore(atomic: boolean) {
  const docs: LockDoc[] = [];
  let refused = 0;
  const matching = (f: LockFilter) => (d: LockDoc) =>
    d._id === f._id && (f.owner === undefined || d.owner === f.owner);
  const duplicate = (id: string) =>
    Object.assign(new Error(`E11000 duplicate key error collection: locks index: _id_ dup key: ${id}`), {
      code: 11000,
    });
  const locks = {
    async insertOne(doc: LockDoc) {
      const taken = docs.some((d) => d._id === doc._id);
      if (!atomic) await new Promise((r) => setImmediate(r));
      if (taken) {
        refused++;
        throw duplicate(doc._id);
      }
      docs.push({ ...doc });
      return { acknowledged: true, insertedId: doc._id };
    },
    findOne: async (f: LockFilter) => docs.find(matching(f)) ?? null,
    async deleteOne(f: LockFilter) {
      const at = docs.findIndex(matching(f));
      if (at >= 0) docs.splice(at, 1);
      return { deletedCount: at >= 0 ? 1 : 0 };
    },
    async updateOne(f: LockFilter, update: { $set: Partial<LockDoc> }) {
      const doc = docs.find(matching(f));
      if (doc) Object.assign(doc, update.$set);
      return { matchedCount: doc ? 1 : 0 };
    },
  };
  const store = {
    db: { databaseName: 'seizurehub-unit' },
    collection: (name: string) => {
      if (name !== 'locks')
        throw new Error(`the stand-in store holds the locks collection only, not ${name}`);
      return locks;
    },
  } as unknown as Store;
  return { store, docs, refused: () => refused };
}

/**
 * Six callers of each instance at once on one lock, each holding it 20 ms: the most holders at once, the entries in
 * order, and how many inserts the store refused (how often the instances met there).
 */
async function race(first: WithLock, second: WithLock, store: Store) {
  let inside = 0;
  let most = 0;
  const entered: string[] = [];
  const section = (withLock: WithLock, who: string) =>
    withLock(store, 'coordinator-intake', async () => {
      inside++;
      most = Math.max(most, inside);
      entered.push(who);
      await new Promise((r) => setTimeout(r, 20));
      inside--;
    });
  await Promise.all(
    Array.from({ length: 12 }, (_, i) => (i % 2 ? section(first, `a${i}`) : section(second, `b${i}`))),
  );
  return { most, entered };
}

describe('store lock: instances in separate processes', function () {
  this.timeout(20000);
  let here: WithLock;
  let elsewhere: WithLock;
  before(async () => {
    ({ withLock: here } = await import('../../services/store/src/lock'));
    elsewhere = await otherInstance();
    expect(elsewhere, 'a second instance of the lock module, with a queue of its own').to.not.equal(here);
  });

  it('lets one holder in at a time, the instances kept apart by the store refusing a second lock document', async () => {
    const { store, docs, refused } = standInStore(true);
    const { most, entered } = await race(here, elsewhere, store);
    expect(most, 'holders at once').to.equal(1);
    expect(entered).to.have.length(12);
    expect(refused(), 'inserts the store refused: the instances met there').to.be.above(0);
    expect(docs, 'lock documents left').to.deep.equal([]);
  });

  it('would be seen letting two in: over a store whose insert checks, then writes, both instances get in', async () => {
    // The race above, over a store that does not refuse the second insert atomically: what its assertion sees when
    // the store does not keep the instances apart.
    const { store } = standInStore(false);
    const { most } = await race(here, elsewhere, store);
    expect(most, 'holders at once').to.equal(2);
  });
});
