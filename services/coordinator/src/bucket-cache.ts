// The read-model buckets held in memory by the coordinator that writes them, so that a batch need not read the
// buckets it changes (on FerretDB a read by many _ids decodes the whole collection). Valid only while this instance
// is the last to have written any bucket: every write of buckets, by anyone, ends by stamping an epoch in the store
// (`meta`, _id 'read-models-epoch'); a cache that finds the stamp is not its own starts again from the store.
import { randomUUID } from 'node:crypto';
import { COLLECTIONS, findEach, type Store } from '@hub/store';

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

export class BucketCache {
  /** Per collection, every bucket stored (complete: a bucket not here does not exist), or null when not loaded. */
  private loaded = new Map<string, Map<string, Bucket>>();
  private stamp: string | null = null;
  private disabled = false;

  /** `limit`: above this many buckets in a collection, it is not held in memory (each batch reads as without). */
  constructor(private readonly limit = 50_000) {}

  /** Drop everything held unless the store's stamp is the one this cache wrote last. */
  async validate(store: Store): Promise<void> {
    const doc = await store.collection<EpochDoc>(COLLECTIONS.meta).findOne({ _id: EPOCH_ID });
    if (!this.stamp || doc?.stamp !== this.stamp) this.clear();
  }

  clear(): void {
    this.loaded.clear();
    this.stamp = null;
  }

  /** The stored buckets among `ids` (loading the whole collection the first time). */
  async get(store: Store, collection: string, ids: string[]): Promise<Bucket[]> {
    const target = store.collection<Bucket>(collection as never);
    let held = this.loaded.get(collection);
    if (!held && !this.disabled) {
      held = new Map();
      for await (const d of target.find({})) {
        held.set(d._id, d);
        if (held.size > this.limit) {
          this.disabled = true;
          this.loaded.clear();
          break;
        }
      }
      if (!this.disabled) this.loaded.set(collection, held);
    }
    if (this.disabled || !held) return findEach(target, '_id', ids);
    return ids.flatMap((id) => held.get(id) ?? []);
  }

  /** Record what was just written to a collection of buckets. */
  noteWritten(collection: string, put: Bucket[], remove: string[]): void {
    const held = this.loaded.get(collection);
    if (!held) return;
    for (const d of put) held.set(d._id, d);
    for (const id of remove) held.delete(id);
  }

  /** Stamp the store as last written by this cache (after its writes). */
  async stampStore(store: Store): Promise<void> {
    const stamp = randomUUID();
    await stampBuckets(store, stamp);
    this.stamp = stamp;
  }
}
