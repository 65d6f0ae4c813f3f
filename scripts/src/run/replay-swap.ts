// Moving a store's collections into another database, for `hub replay --replace`: the live database is rebuilt
// beside itself and, only once the comparison finds nothing lost, its collections are replaced by the rebuilt ones.
// Copied document by document, in bounded batches: plain reads and inserts, which MongoDB and FerretDB alike take,
// rather than a rename across databases, which not every store we run on may do.
import { BSON, type Document } from 'mongodb';
import type { Store } from '@hub/store';

/** Documents sent to the target in one insert at most, and bytes (envelopes may be 1 MiB each). */
const BATCH_DOCS = 500;
const BATCH_BYTES = 8 * 1024 * 1024;

/** The names of a store's collections (FerretDB and MongoDB alike), system ones left out. */
export async function collectionNames(store: Store): Promise<string[]> {
  return (await store.db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((n) => !n.startsWith('system.'))
    .sort();
}

/** Replaces `name` in `to` by a copy of `from`'s (dropped in `to` when `from` has none). Returns how many copied. */
export async function copyCollection(from: Store, to: Store, name: string): Promise<number> {
  await to.db.dropCollection(name).catch((err: { codeName?: string }) => {
    if (err.codeName !== 'NamespaceNotFound') throw err;
  });
  const target = to.db.collection(name);
  let batch: Document[] = [];
  let bytes = 0;
  let copied = 0;
  const flush = async () => {
    if (batch.length) await target.insertMany(batch, { ordered: true });
    copied += batch.length;
    batch = [];
    bytes = 0;
  };
  for await (const doc of from.db.collection(name).find({})) {
    batch.push(doc);
    bytes += BSON.calculateObjectSize(doc);
    if (batch.length >= BATCH_DOCS || bytes >= BATCH_BYTES) await flush();
  }
  await flush();
  return copied;
}
