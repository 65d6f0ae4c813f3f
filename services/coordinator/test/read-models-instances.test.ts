// Two coordinator instances, each with its bucket cache, writing the read models of one store in turn (as they do
// under the read-models lock), on the store in memory: one stopped between its writes and its stamp must not make
// the other lose a batch from the statistics. What the store itself does with the versions is in
// test/coordinator/persist.test.ts, on the real store.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { COLLECTIONS, currentBuckets, type CollectionName, type Store, type StoredReport } from '@hub/store';
import { BucketCache } from '../src/bucket-cache';
import { updateReadModels } from '../src/read-models';
import { memoryStore, type MemoryStore } from './memory-store';

const SEIZED = new Date('2026-03-14T09:30:00Z');

/** An active GREEN report of KZ's, seized in March 2026: `kg` of heroin carried from AF to KZ. */
function report(kg: number): StoredReport {
  return {
    _id: randomUUID(),
    status: 'active',
    version: 1,
    originCountry: 'KZ',
    country: 'KZ',
    seizedAt: SEIZED,
    handling: { tlp: 'GREEN', releasableTo: [], releasableCountries: [], evaluation: null },
    report: {
      drugs: [{ substance: 'heroin', quantityKg: kg }],
      route: [{ country: 'AF' }, { country: 'KZ' }],
    },
    substances: ['heroin'],
  } as unknown as StoredReport;
}

/** Store a batch of one report, as the intake does after persisting it (`again`: stored before, a redelivery). */
const store1 = (store: Store, r: StoredReport, cache: BucketCache, again = false) =>
  updateReadModels(
    store,
    [r._id],
    { documents: new Map([[r._id, r]]), fresh: new Set(again ? [] : [r._id]) },
    cache,
  );

/** The store, the collection `name`'s replaceOne (the stamp's write, for meta) failing or skipped `times` times. */
function failingWrites(
  mem: MemoryStore,
  name: CollectionName,
  times: number,
  how: 'fails' | 'does nothing',
): Store {
  let left = times;
  return {
    ...mem.store,
    collection: (n: CollectionName) => {
      const coll = mem.store.collection(n);
      if (n !== name) return coll;
      return new Proxy(coll, {
        get: (target, prop, receiver) =>
          prop === 'replaceOne' && left > 0
            ? () => {
                left -= 1;
                return how === 'fails'
                  ? Promise.reject(new Error(`the store stopped at ${n}`))
                  : Promise.resolve({ acknowledged: true });
              }
            : (Reflect.get(target, prop, receiver) as unknown),
      });
    },
  } as unknown as Store;
}

/** The buckets of a collection as readers see them (each bucket's latest version, those that count). */
const buckets = (mem: MemoryStore, name: string) =>
  currentBuckets([...mem.docs(name).values()] as { _id: string; count: number; quantityKg: number }[]);

describe('coordinator read models: two instances, each with its bucket cache', () => {
  let mem: MemoryStore;
  let a: BucketCache;
  let b: BucketCache;

  beforeEach(() => {
    mem = memoryStore();
    a = new BucketCache();
    b = new BucketCache();
  });

  /** The statistics and the route leg hold the three reports (5, 3 and 1 kg), each counted once. */
  const expectAllThree = () => {
    const stats = buckets(mem, COLLECTIONS.statsMonthly);
    expect(stats, 'one statistics bucket').to.have.length(1);
    expect(stats[0]).to.include({ count: 3, quantityKg: 9 });
    const legs = buckets(mem, COLLECTIONS.routeLegs);
    expect(legs, 'one leg, AF to KZ').to.have.length(1);
    expect(legs[0]).to.include({ count: 3, quantityKg: 9 });
  };

  it('loses no batch when the other instance stopped between its buckets and its stamp', async () => {
    await store1(mem.store, report(5), a);
    // B writes the next versions; its stamp fails (a crash, the store gone): the batch fails, to be taken again.
    const r2 = report(3);
    await store1(failingWrites(mem, COLLECTIONS.meta, 1, 'fails'), r2, b).then(
      () => expect.fail('the stamp was to fail'),
      (err: Error) => expect(err.message).to.equal(`the store stopped at ${COLLECTIONS.meta}`),
    );
    // Its journal is left (the stamp comes before the journal goes), so that the next batch of any instance finishes
    // it and reads the buckets again rather than trusting its cache, whose stamp is still the store's.
    expect(mem.docs(COLLECTIONS.readModelJournal).size, "B's journal left").to.equal(1);
    await store1(mem.store, report(1), a);
    expect(mem.docs(COLLECTIONS.readModelJournal).size, 'finished').to.equal(0);
    expectAllThree();
    // B's batch taken again changes nothing: its contributions are recorded.
    await store1(mem.store, r2, b, true);
    expectAllThree();
  });

  it('rebuilds the buckets from the contributions when a batch was planned from a view that missed a write', async () => {
    await store1(mem.store, report(5), a);
    // B writes without stamping the store (a writer that does not stamp, a bucket written by hand): A's cache still
    // finds its own stamp there, and plans its next versions under _ids B's versions have taken.
    await store1(failingWrites(mem, COLLECTIONS.meta, 1, 'does nothing'), report(3), b);
    await store1(mem.store, report(1), a);
    expectAllThree();
    // What A holds was dropped: its next batch reads the buckets again, and counts on from the rebuilt ones.
    await store1(mem.store, report(2), a);
    const stats = buckets(mem, COLLECTIONS.statsMonthly);
    expect(stats[0]).to.include({ count: 4, quantityKg: 11 });
    const legs = buckets(mem, COLLECTIONS.routeLegs);
    expect(legs[0]).to.include({ count: 4, quantityKg: 11 });
    expect((legs[0] as { lastSeenAt?: Date }).lastSeenAt?.toISOString()).to.equal(SEIZED.toISOString());
  });
});
