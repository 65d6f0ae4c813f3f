// ErasedSet.catchUp: an instance learns another's erasures from the store's erasure log before it stores anything
// more, reading the log again only when the erasures stamp changed (each read a decode of the whole log on FerretDB).
import { expect } from 'chai';
import { ErasedSet } from '@hub/coordinator/retention';
import { COLLECTIONS, type Store } from '@hub/store';

type Doc = Record<string, unknown> & { _id: string };

/** meta and erasures in memory, as far as catchUp reads them; counts the reads of the log. */
function fakeStore() {
  const meta = new Map<string, Doc>();
  const log: Doc[] = [];
  let logReads = 0;
  const store = {
    collection(name: string) {
      if (name === COLLECTIONS.meta)
        return { findOne: async (f: { _id: string }) => meta.get(f._id) ?? null };
      if (name === COLLECTIONS.erasures)
        return {
          find: () => ({
            toArray: async () => {
              logReads++;
              return log.map((d) => ({ ...d }));
            },
          }),
        };
      throw new Error(`unexpected collection ${name}`);
    },
  } as unknown as Store;
  return {
    store,
    meta,
    log,
    reads: () => logReads,
  };
}

describe('ErasedSet.catchUp', () => {
  it('learns erasures another instance logged, and reads the log again only when its stamp changed', async () => {
    const fake = fakeStore();
    const erased = new ErasedSet();
    fake.log.push({ _id: 'r1', subjectId: 'r1', versionsUpTo: 2 });
    await erased.catchUp(fake.store);
    expect(erased.has('r1', 2)).to.equal(true);
    expect(erased.has('r1', 3)).to.equal(false);
    expect(fake.reads()).to.equal(1);

    // Nothing erased since (the same stamp, none yet): the log is not read again.
    await erased.catchUp(fake.store);
    expect(fake.reads()).to.equal(1);

    // Another instance erases r2 and stamps: the next catch-up (under the lock, before storing) learns it.
    fake.log.push({ _id: 'r2', subjectId: 'r2', versionsUpTo: 1 });
    fake.meta.set('erasures-epoch', { _id: 'erasures-epoch', stamp: 'a' });
    expect(erased.has('r2', 1)).to.equal(false);
    await erased.catchUp(fake.store);
    expect(erased.has('r2', 1)).to.equal(true);
    expect(fake.reads()).to.equal(2);
    await erased.catchUp(fake.store);
    expect(fake.reads()).to.equal(2);

    fake.meta.set('erasures-epoch', { _id: 'erasures-epoch', stamp: 'b' });
    await erased.catchUp(fake.store);
    expect(fake.reads()).to.equal(3);
  });
});
