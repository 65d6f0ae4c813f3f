// Looking up many documents by key. FerretDB 1.24 on SQLite pushes down one filter only, exactly `{ _id: <string> }`,
// as `_ferretdb_sjson->'$._id' = ?`; its own unique index is on `_ferretdb_sjson->"_id"`, an expression SQLite does
// not take for the same, so even that scans the table (explain: SCAN, filterPushdown true). Every other filter, `$in`
// included, is evaluated in FerretDB after reading and decoding every document (source: internal/backends/sqlite).
// We measured, on 10,000 documents of 1.5 kB, 35 ms per equality query and 600 ms for one `$in` of 100 keys: a few
// keys go one query each, more go in one `$in` (a scan per query either way, so the fewer queries the better). On
// MongoDB both use the index.
import type { AnyBulkWriteOperation, Collection, Document, Filter } from 'mongodb';

/** Up to this many keys are looked up one equality query each; more go in `$in` queries. */
const SMALL = 12;
/** Keys per `$in` query. */
const IN_CHUNK = 1000;

export async function findEach<T extends Document>(
  collection: Collection<T>,
  field: string,
  values: readonly unknown[],
  projection?: Document,
  concurrency = 16,
): Promise<T[]> {
  const unique = [...new Set(values)];
  const options = projection ? { projection } : {};
  const out: T[] = [];
  if (unique.length <= SMALL) {
    for (let i = 0; i < unique.length; i += concurrency) {
      const found = await Promise.all(
        unique
          .slice(i, i + concurrency)
          .map((v) => collection.find({ [field]: v } as Filter<T>, options).toArray()),
      );
      for (const docs of found) out.push(...(docs as T[]));
    }
    return out;
  }
  for (let i = 0; i < unique.length; i += IN_CHUNK) {
    const docs = await collection
      .find({ [field]: { $in: unique.slice(i, i + IN_CHUNK) } } as Filter<T>, options)
      .toArray();
    out.push(...(docs as T[]));
  }
  return out;
}

/**
 * Insert documents whose _id derives from what they describe, keeping the one stored first when an _id exists:
 * an insert is the one write FerretDB does without scanning the collection (a replace or upsert scans it).
 * Rejects on any error but a duplicate key, and on a duplicate key that came with a write-concern error.
 */
export async function insertNew<T extends Document>(collection: Collection<T>, docs: T[]): Promise<void> {
  await insertFindingTaken(collection as never, docs as never);
}

/**
 * Insert documents (unordered) and return the _ids that were taken already (no error for those). Where the
 * server's answer does not say which document each duplicate was, every _id counts as possibly taken.
 * Rejects with the driver's error when the server reports a write-concern error as well: the new documents it did
 * insert are then not known to be durable (a primary stepping down may roll them back), so the caller must not go on
 * as if they were stored.
 */
export async function insertFindingTaken<T extends { _id: string }>(
  collection: Collection<T>,
  docs: T[],
): Promise<Set<string>> {
  const taken = new Set<string>();
  if (docs.length === 0) return taken;
  try {
    await collection.insertMany(docs as never, { ordered: false });
  } catch (err) {
    const e = err as { code?: number; writeErrors?: { code?: number; index?: number }[] | { code?: number } };
    const writeErrors = Array.isArray(e.writeErrors) ? e.writeErrors : e.writeErrors ? [e.writeErrors] : [];
    const onlyDuplicates = writeErrors.length ? writeErrors.every((w) => w.code === 11000) : e.code === 11000;
    if (!onlyDuplicates || hasWriteConcernError(err)) throw err;
    const indexes = writeErrors.map((w) => (w as { index?: number }).index);
    if (indexes.length === 0 || indexes.some((i) => typeof i !== 'number' || !docs[i]))
      for (const d of docs) taken.add(d._id);
    else for (const i of indexes) taken.add((docs[i as number] as T)._id);
  }
  return taken;
}

/**
 * Whether a write error also carries a write-concern error. The mongodb driver (7.x, bulk/common.js
 * handleWriteError) throws a MongoBulkWriteError named after the first write error when there are any, and leaves
 * the write-concern error only in its `result` (getWriteConcernError()); a server error may carry it as
 * `writeConcernError` itself or in the `errorResponse` it was made from.
 */
export function hasWriteConcernError(err: unknown): boolean {
  const e = err as {
    writeConcernError?: unknown;
    writeConcernErrors?: unknown[];
    errorResponse?: { writeConcernError?: unknown; writeConcernErrors?: unknown[] };
    result?: {
      getWriteConcernError?: () => unknown;
      writeConcernError?: unknown;
      writeConcernErrors?: unknown[];
    };
  } | null;
  if (!e || typeof e !== 'object') return false;
  const some = (list: unknown[] | undefined) => Array.isArray(list) && list.length > 0;
  return Boolean(
    e.writeConcernError ||
    some(e.writeConcernErrors) ||
    e.errorResponse?.writeConcernError ||
    some(e.errorResponse?.writeConcernErrors) ||
    (typeof e.result?.getWriteConcernError === 'function' && e.result.getWriteConcernError()) ||
    e.result?.writeConcernError ||
    some(e.result?.writeConcernErrors),
  );
}

/**
 * FerretDB 1.24 keeps the read behind each update statement of a command open until the whole command has run, and
 * each read holds one of the database's 100 SQLite connections: a command of about 100 updates waits for a
 * connection it holds itself, and the database then hangs for every client (seen: a read-model batch replacing 120
 * buckets; internal/handler/msg_update.go defers each statement's close to the end of the command). Updates,
 * replaces and deletes therefore go in commands of at most this many; inserts hold nothing and ride along.
 */
export const UPDATES_PER_COMMAND = 16;

/** `bulkWrite` in commands of at most UPDATES_PER_COMMAND updates, in order. */
export async function bulkWriteInBatches<T extends Document>(
  collection: Collection<T>,
  ops: AnyBulkWriteOperation<T>[],
  options: { ordered: boolean },
): Promise<void> {
  let batch: AnyBulkWriteOperation<T>[] = [];
  let updates = 0;
  for (const op of ops) {
    batch.push(op);
    if (!('insertOne' in op)) updates++;
    if (updates === UPDATES_PER_COMMAND) {
      await collection.bulkWrite(batch, options);
      batch = [];
      updates = 0;
    }
  }
  if (batch.length) await collection.bulkWrite(batch, options);
}

/**
 * Make `put` the stored documents of their _ids and delete the `remove` ids. On MongoDB, replaces by _id (each
 * document changes at once). On FerretDB 1.24 every replace or delete by _id scans the collection (two scans each:
 * 200 replaces took 12.9 s on 3,500 buckets, 73 s on 20,000), but one `$in` delete reads it once and inserts scan
 * nothing: the ids are deleted in one command and the new documents inserted (0.7 s and 3.4 s for the same).
 * Between the two commands a reader misses these documents; callers say where that matters.
 * `existing`: the ids known to be stored now (only those are deleted); leave it out when unknown (after a crash).
 */
export async function rewriteById<T extends { _id: string }>(
  collection: Collection<T>,
  engine: 'mongodb' | 'ferretdb',
  change: { put: T[]; remove: string[]; existing?: ReadonlySet<string> },
): Promise<void> {
  const { put, remove, existing } = change;
  if (engine === 'mongodb') {
    const ops: AnyBulkWriteOperation<T>[] = [
      ...put.map((d) => ({ replaceOne: { filter: byId<T>(d._id), replacement: d, upsert: true } })),
      ...remove.map((id) => ({ deleteOne: { filter: byId<T>(id) } })),
    ];
    await bulkWriteInBatches(collection, ops, { ordered: false });
    return;
  }
  const ids = [...new Set([...put.map((d) => d._id), ...remove])].filter(
    (id) => !existing || existing.has(id),
  );
  await deleteByIds(collection, ids);
  if (put.length) await collection.insertMany(put as never, { ordered: false });
}

/** Delete documents by _id: a few one statement each (a scan each on FerretDB), more by `$in` (a decode of all). */
export async function deleteByIds<T extends { _id: string }>(
  collection: Collection<T>,
  ids: string[],
): Promise<void> {
  if (ids.length <= SMALL_DELETE)
    await bulkWriteInBatches(
      collection,
      ids.map((id) => ({ deleteOne: { filter: byId<T>(id) } })),
      { ordered: false },
    );
  else
    for (let i = 0; i < ids.length; i += DELETE_IN_CHUNK)
      await collection.deleteMany({ _id: { $in: ids.slice(i, i + DELETE_IN_CHUNK) } } as Filter<T>);
}

/**
 * Ids per `$in` delete: each command decodes the whole collection on FerretDB whatever it deletes, so a compaction
 * of thousands of superseded versions goes in one (20,000 ids of about 80 bytes: 1.6 MB, far below a command's
 * 48 MB). At 1,000 a command, a compaction of 3,000 decoded the collection three times (10,000 reports: 33 deletes,
 * 13.9 s of a 46 s run).
 */
const DELETE_IN_CHUNK = 20000;

/** Up to this many ids are deleted one statement each (a scan each) rather than by one `$in` (a decode of all). */
const SMALL_DELETE = 8;

const byId = <T extends Document>(id: string) => ({ _id: id }) as Filter<T>;
