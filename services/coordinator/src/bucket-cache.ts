// The read-model buckets (and the route-pattern match keys) held in memory by the coordinator that writes them, so
// that a batch need not read the documents it changes (on FerretDB a read by many _ids decodes the whole collection).
// Valid only while this instance is the last to have written any of them: every write of these collections, by
// anyone, ends by stamping an epoch in the store (`meta`, _id 'read-models-epoch'); a cache that finds the stamp is
// not its own starts again from the store. A journalled writer (read-models.ts) stamps before its journal goes: one
// stopped between its writes and its stamp leaves the journal, and whoever finishes it starts again from the store.
import { randomUUID } from 'node:crypto';
import { bucketKey, COLLECTIONS, deleteByIds, latestVersions, readVersions, type Store } from '@hub/store';

export type Bucket = Record<string, unknown> & { _id: string };

interface EpochDoc {
  _id: string;
  stamp: string;
}

const EPOCH_ID = 'read-models-epoch';

/** Stamp the buckets as written by `writer` (a cache's id; another value for writers without a cache). */
export async function stampBuckets(store: Store, stamp: string): Promise<void> {
  await store
    .collection<EpochDoc>(COLLECTIONS.meta)
    .replaceOne({ _id: EPOCH_ID }, { stamp }, { upsert: true });
}

/** After a write of held collections: stamped by `cache` when the writer has one, else with a stamp nobody holds. */
export async function stampWritten(store: Store, cache?: BucketCache): Promise<void> {
  if (cache) await cache.stampStore(store);
  else await stampBuckets(store, randomUUID());
}

/**
 * The latest versions of `keys` in a versioned collection, by key: held by `cache`, or else read from the store with
 * the versions they supersede, which a writer without a cache deletes at once (with a cache, they are compacted).
 */
export async function latestOf<T extends Bucket>(
  store: Store,
  collection: string,
  keys: string[],
  cache?: BucketCache,
): Promise<{ latest: Map<string, T>; superseded: string[] }> {
  if (!cache) return readVersions(store.collection<T>(collection as never), keys);
  const held = (await cache.get(store, collection, keys)) as T[];
  return { latest: new Map(held.map((d) => [bucketKey(d), d])), superseded: [] };
}

export class BucketCache {
  /** Per collection, each bucket's latest version by its key (complete: one not here does not exist), and weight. */
  private loaded = new Map<string, { docs: Map<string, Bucket>; weight: number }>();
  private stamp: string | null = null;
  /** Collections found too heavy to hold: read from the store by every batch. */
  private disabled = new Set<string>();
  /** Per collection, the versions superseded by later ones, deleted together now and then (see compact). */
  private superseded = new Map<string, Set<string>>();
  /** The deletes of superseded versions started so far, one after another (see compact). */
  private compacting: Promise<void> = Promise.resolve();

  /**
   * `limit`: a collection weighing more is not held in memory (each batch reads it as without a cache); `weigh`: a
   * document's weight (one by default: the limit counts documents); `onCompactError`: told of a compaction that
   * failed, with its collection and how many versions it was to delete (they wait for the next).
   */
  constructor(
    private readonly limit = 50_000,
    private readonly weigh: (collection: string, doc: Bucket) => number = () => 1,
    private readonly onCompactError: (err: unknown, collection: string, versions: number) => void = () =>
      undefined,
  ) {}

  /** Drop everything held unless the store's stamp is the one this cache wrote last. */
  async validate(store: Store): Promise<void> {
    const doc = await store.collection<EpochDoc>(COLLECTIONS.meta).findOne({ _id: EPOCH_ID });
    if (!this.stamp || doc?.stamp !== this.stamp) this.clear();
  }

  /**
   * Runs `write`, a change of held collections, first dropping what is held unless the store's stamp is this
   * cache's. When it fails, what the store holds is not known: the next batch starts from the store.
   */
  async writing<T>(store: Store, write: () => Promise<T>): Promise<T> {
    try {
      await this.validate(store);
      return await write();
    } catch (err) {
      this.clear();
      throw err;
    }
  }

  /** Forget what is held (the versions known to be superseded stay so: a version is never current again). */
  clear(): void {
    this.loaded.clear();
    this.stamp = null;
  }

  /**
   * The latest stored versions of the buckets `keys` (loading the whole collection the first time, and noting the
   * versions it finds superseded). A collection too heavy to hold is read with `read`: by default every version of
   * those keys, the superseded ones noted for the next compaction.
   */
  async get(
    store: Store,
    collection: string,
    keys: string[],
    read?: (keys: string[]) => Promise<Bucket[]>,
  ): Promise<Bucket[]> {
    const target = store.collection<Bucket>(collection as never);
    let held = this.loaded.get(collection);
    if (!held && !this.disabled.has(collection)) {
      const docs: Bucket[] = [];
      let weight = 0;
      for await (const d of target.find({})) {
        docs.push(d);
        weight += this.weigh(collection, d);
        if (weight > this.limit) {
          this.disabled.add(collection);
          break;
        }
      }
      if (!this.disabled.has(collection)) {
        const { latest, superseded } = latestVersions(docs);
        held = { docs: latest, weight: 0 };
        for (const d of latest.values()) held.weight += this.weigh(collection, d);
        this.loaded.set(collection, held);
        this.supersede(collection, superseded);
      }
    }
    if (this.disabled.has(collection) || !held) {
      if (read) return read(keys);
      const versions = await readVersions(target, keys);
      this.supersede(collection, versions.superseded);
      return [...versions.latest.values()];
    }
    const docs = held.docs;
    return keys.flatMap((key) => docs.get(key) ?? []);
  }

  /** Record what was just written to a collection held here, and the versions it superseded. */
  noteWritten(collection: string, put: Bucket[], remove: string[], superseded: string[] = []): void {
    this.supersede(collection, superseded);
    const held = this.loaded.get(collection);
    if (!held) return;
    const drop = (key: string) => {
      const old = held.docs.get(key);
      if (old) held.weight -= this.weigh(collection, old);
      held.docs.delete(key);
    };
    for (const d of put) {
      drop(bucketKey(d));
      held.docs.set(bucketKey(d), d);
      held.weight += this.weigh(collection, d);
    }
    for (const key of remove) drop(key);
    if (held.weight > this.limit) {
      this.disabled.add(collection);
      this.loaded.delete(collection);
    }
  }

  private supersede(collection: string, ids: string[]): void {
    if (ids.length === 0) return;
    let set = this.superseded.get(collection);
    if (!set) this.superseded.set(collection, (set = new Set()));
    for (const id of ids) set.add(id);
  }

  /**
   * Delete the superseded versions of a collection once they are many: at least `min`, and `share` of its buckets,
   * so that readers, who take each bucket's latest version, never read much more than the buckets themselves, while
   * the delete, a decode of the whole collection on FerretDB (whose `$in` also compares each _id with every id
   * listed), comes once every several batches. The delete runs in the background, after those started before it,
   * not in the stage that asks for it: a superseded version is never current again, so readers and later stages
   * do not depend on when it goes (under the lock it held up every stage: 2.3 s of an 11 s run at 5,000 reports).
   * One that fails is put back for the next compaction (and a restart finds them again when it loads the
   * collection). Returns how many were handed to the delete; `settled` waits for it.
   */
  compact(store: Store, collection: string, min = 2000, share = 0.25): number {
    const ids = this.superseded.get(collection);
    const held = this.loaded.get(collection)?.docs.size ?? 0;
    if (!ids || ids.size === 0 || ids.size < Math.max(min, held * share)) return 0;
    const list = [...ids];
    this.superseded.delete(collection);
    this.compacting = this.compacting.then(async () => {
      try {
        await deleteByIds(store.collection<Bucket>(collection as never), list);
      } catch (err) {
        this.supersede(collection, list);
        this.onCompactError(err, collection, list.length);
      }
    });
    return list.length;
  }

  /** Wait for the compactions started so far (before the store is closed, and in tests). */
  async settled(): Promise<void> {
    await this.compacting;
  }

  /** Stamp the store as last written by this cache (after its writes). */
  async stampStore(store: Store): Promise<void> {
    const stamp = randomUUID();
    await stampBuckets(store, stamp);
    this.stamp = stamp;
  }
}
