// The coordinator's cache of buckets and route keys, over an in-memory stand-in for the store's collections (what
// the cache does with them is under test, not the store; the store's side is in test/coordinator/persist.test.ts).
import { expect } from 'chai';
import type { Store } from '@hub/store';
import { BucketCache, type Bucket } from '../src/bucket-cache';

function memoryStore(data: Record<string, Bucket[]>): Store {
  const remove = (name: string, ids: string[]) => {
    data[name] = (data[name] ?? []).filter((d) => !ids.includes(d._id));
  };
  const collection = (name: string) => ({
    find: (filter: { _id?: { $in: string[] } } = {}) => {
      const list = (data[name] ?? []).filter((d) => !filter._id || filter._id.$in.includes(d._id));
      return {
        toArray: async () => list,
        async *[Symbol.asyncIterator]() {
          yield* list;
        },
      };
    },
    bulkWrite: async (ops: { deleteOne: { filter: { _id: string } } }[]) =>
      remove(
        name,
        ops.map((o) => o.deleteOne.filter._id),
      ),
    deleteMany: async (filter: { _id: { $in: string[] } }) => remove(name, filter._id.$in),
  });
  return { collection } as unknown as Store;
}

describe('coordinator: bucket cache', function () {
  it('holds each bucket by its key at its latest version, and deletes the superseded versions together', async () => {
    const data: Record<string, Bucket[]> = {
      stats_monthly: [
        { _id: 's|a', rev: 1, count: 1 },
        { _id: 's|a#2', bucket: 's|a', rev: 2, count: 2 },
        { _id: 's|b#1', bucket: 's|b', rev: 1, count: 1 },
      ],
    };
    const store = memoryStore(data);
    const cache = new BucketCache();
    const held = await cache.get(store, 'stats_monthly', ['s|a', 's|b', 's|c']);
    expect(held.map((d) => d._id)).to.deep.equal(['s|a#2', 's|b#1']);
    // A batch writes b's next version: held at once, b#1 superseded.
    cache.noteWritten('stats_monthly', [{ _id: 's|b#2', bucket: 's|b', rev: 2, count: 3 }], [], ['s|b#1']);
    data.stats_monthly!.push({ _id: 's|b#2', bucket: 's|b', rev: 2, count: 3 });
    expect((await cache.get(store, 'stats_monthly', ['s|b'])).map((d) => d.count)).to.deep.equal([3]);
    // Two superseded: below the threshold nothing goes; above it, both in one delete.
    expect(await cache.compact(store, 'stats_monthly')).to.equal(0);
    expect(await cache.compact(store, 'stats_monthly', 2, 0)).to.equal(2);
    expect(data.stats_monthly!.map((d) => d._id)).to.deep.equal(['s|a#2', 's|b#2']);
    expect(await cache.compact(store, 'stats_monthly', 1, 0), 'nothing left').to.equal(0);
  });

  it('does not hold a collection that weighs more than its limit: it is read as without a cache', async () => {
    const members = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`r${i}`, {}]));
    const data: Record<string, Bucket[]> = {
      route_keys: [
        { _id: 'k:1', members: members(8) },
        { _id: 'k:2', members: members(1) },
      ],
    };
    const store = memoryStore(data);
    // A key weighs one plus a quarter per member: 3 + 1.25 > 4.
    const cache = new BucketCache(4, (_c, d) => 1 + Object.keys(d.members ?? {}).length / 4);
    const asked: string[][] = [];
    const read = async (keys: string[]) => {
      asked.push(keys);
      return data.route_keys!.filter((d) => keys.includes(d._id));
    };
    expect((await cache.get(store, 'route_keys', ['k:2'], read)).map((d) => d._id)).to.deep.equal(['k:2']);
    expect(asked, 'read from the store').to.deep.equal([['k:2']]);
    // Light enough, it is held; a write that makes it too heavy lets it go.
    data.route_keys = [{ _id: 'k:3', members: members(1) }];
    const light = new BucketCache(4, (_c, d) => 1 + Object.keys(d.members ?? {}).length / 4);
    await light.get(store, 'route_keys', ['k:3'], read);
    await light.get(store, 'route_keys', ['k:3'], read);
    expect(asked, 'held after its load').to.have.length(1);
    light.noteWritten('route_keys', [{ _id: 'k:4', members: members(12) }], []);
    await light.get(store, 'route_keys', ['k:4'], read);
    expect(asked.at(-1)).to.deep.equal(['k:4']);
  });
});
