// Rewriting documents by _id with a journal: on FerretDB a rewrite deletes, then inserts (see rewriteById), and a
// crash between the two would lose what the deleted documents held for other records. The whole change is written
// first; the next rewrite (or finishRewrites) finishes whatever a crash left.
import { randomUUID } from 'node:crypto';
import { Binary, BSON, type Document } from 'mongodb';
import { COLLECTIONS, type CollectionName } from './collections';
import { rewriteById } from './lookup';
import type { Store } from './store';

interface RewriteJournal<T> {
  _id: string;
  collection: CollectionName;
  put: T[];
  remove: string[];
  createdAt: Date;
}

/** A journal as stored: its body in one binary field (see packJournal). */
export interface PackedJournal {
  _id: string;
  createdAt: Date;
  packed: Uint8Array;
}

/**
 * A journal as it is stored: _id and createdAt as fields, the rest as one BSON binary. FerretDB converts a nested
 * document field by field on insert (a read-model journal of 600 buckets and 500 reports' contributions, 330 kB:
 * 75-100 ms) and a binary as one value (15-25 ms). Read back with unpackJournal.
 */
export function packJournal(journal: { _id: string; createdAt: Date } & Document): PackedJournal {
  const { _id, createdAt, ...body } = journal;
  return { _id, createdAt, packed: BSON.serialize(body) };
}

/**
 * A stored journal as it was written: packed (read as a Buffer where the client promotes binaries, else as a
 * Binary), or with its body as fields (as journals were stored before).
 */
export function unpackJournal<T extends { _id: string; createdAt: Date }>(stored: Document): T {
  const { packed, ...rest } = stored;
  const bytes = packed instanceof Binary ? packed.buffer : packed instanceof Uint8Array ? packed : null;
  if (!bytes) return stored as T;
  return { ...BSON.deserialize(bytes, { promoteBuffers: true }), ...rest } as T;
}

/**
 * `put` become the stored documents of their _ids and `remove` are deleted, journalled. Callers hold a lock that keeps
 * other writers of these documents out (correlation: 'read-models'), and call finishRewrites under it first.
 */
export async function rewriteJournalled<T extends { _id: string }>(
  store: Store,
  collection: CollectionName,
  change: { put: T[]; remove: string[]; existing: ReadonlySet<string> },
): Promise<void> {
  if (change.put.length === 0 && change.remove.length === 0) return;
  const journals = store.collection<PackedJournal>(COLLECTIONS.rewriteJournal);
  const journal: RewriteJournal<T> = {
    _id: randomUUID(),
    collection,
    put: change.put,
    remove: change.remove,
    createdAt: new Date(),
  };
  await journals.insertOne(packJournal(journal));
  await rewriteById(store.collection<T>(collection), store.engine, change);
  await removeLastJournal(store, COLLECTIONS.rewriteJournal, journal._id);
}

/**
 * Removes a journal just applied, which callers know to be the only document of its collection: journals are
 * written and removed under a lock, and each batch finishes (and removes) those a crash left before it writes its
 * own. On FerretDB the collection is dropped: a delete by _id decodes every document of the table, the journal
 * included (about 45 ms for a batch's read-model journal of 70 kB), a drop decodes nothing (about 3 ms), and the
 * next insert makes the collection again. MongoDB deletes it by _id.
 */
export async function removeLastJournal(store: Store, name: CollectionName, id: string): Promise<void> {
  const journals = store.collection<{ _id: string }>(name);
  if (store.engine === 'ferretdb') await journals.drop();
  else await journals.deleteOne({ _id: id });
}

/** Finish the rewrites a crash left, in the order they were written (every _id they name is deleted first). */
export async function finishRewrites(store: Store): Promise<number> {
  const journals = store.collection<Document & { _id: string }>(COLLECTIONS.rewriteJournal);
  const left = (await journals.find({}).sort({ createdAt: 1 }).toArray()).map((d) =>
    unpackJournal<RewriteJournal<{ _id: string }>>(d),
  );
  for (const j of left) {
    await rewriteById(store.collection<{ _id: string }>(j.collection), store.engine, {
      put: j.put,
      remove: j.remove,
    });
    await journals.deleteOne({ _id: j._id });
  }
  return left.length;
}
