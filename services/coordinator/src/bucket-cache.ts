// The read-model buckets (and the route-pattern match keys) held in memory by the coordinator that writes them, so
// that a batch need not read the documents it changes (on FerretDB a read by many _ids decodes the whole collection).
// Valid only while this instance is the last to have written any of them: every write of these collections, by
// anyone, ends by stamping an epoch in the store (`meta`, _id 'read-models-epoch'); a cache that finds the stamp is
// not its own starts again from the store.
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
  /** Per collection, every document stored (complete: one not here does not exist), and their weight in all. */
  private loaded = new Map<string, { docs: Map<string, Bucket>; weight: number }>();
  private stamp: string | null = null;
  /** Collections found too heavy to hold: read from the store by every batch. */
  private disabled = new Set<string>();

  /**
   * `limit`: a collection weighing more is not held in memory (each batch reads it as without a cache); `weigh`: a
   * document's weight (one by default: the limit counts documents).
   */
  constructor(
    private readonly limit = 50_000,
    private readonly weigh: (collection: string, doc: Bucket) => number = () => 1,
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

  clear(): void {
    this.loaded.clear();
    this.stamp = null;
  }

  /** The stored documents among `ids` (loading the whole collection the first time). */
  async get(store: Store, collection: string, ids: string[]): Promise<Bucket[]> {
    const target = store.collection<Bucket>(collection as never);
    let held = this.loaded.get(collection);
    if (!held && !this.disabled.has(collection)) {
      held = { docs: new Map(), weight: 0 };
      for await (const d of target.find({})) {
        held.docs.set(d._id, d);
        held.weight += this.weigh(collection, d);
        if (held.weight > this.limit) {
          this.disabled.add(collection);
          break;
        }
      }
      if (!this.disabled.has(collection)) this.loaded.set(collection, held);
    }
    if (this.disabled.has(collection) || !held) return findEach(target, '_id', ids);
    const docs = held.docs;
    return ids.flatMap((id) => docs.get(id) ?? []);
  }

  /** Record what was just written to a collection held here. */
  noteWritten(collection: string, put: Bucket[], remove: string[]): void {
    const held = this.loaded.get(collection);
    if (!held) return;
    const drop = (id: string) => {
      const old = held.docs.get(id);
      if (old) held.weight -= this.weigh(collection, old);
      held.docs.delete(id);
    };
    for (const d of put) {
      drop(d._id);
      held.docs.set(d._id, d);
      held.weight += this.weigh(collection, d);
    }
    for (const id of remove) drop(id);
    if (held.weight > this.limit) {
      this.disabled.add(collection);
      this.loaded.delete(collection);
    }
  }

  /** Stamp the store as last written by this cache (after its writes). */
  async stampStore(store: Store): Promise<void> {
    const stamp = randomUUID();
    await stampBuckets(store, stamp);
    this.stamp = stamp;
  }
}
