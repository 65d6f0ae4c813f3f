// Looking up many documents by key. FerretDB 1.24 on SQLite answers every filter by scanning the collection:
// an equality is pushed down to SQLite as `EXISTS (SELECT … FROM json_each(…))`, which no index serves, and `$in`
// is evaluated in FerretDB after reading every document. We measured, on 10,000 documents of 1.5 kB, 35 ms per
// equality query and 600 ms for one `$in` of 100 keys: a few keys go one query each, more go in one `$in` (a
// scan per query either way, so the fewer queries the better). On MongoDB both use the index.
import type { Collection, Document, Filter } from 'mongodb';

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
 * Rejects on any error but a duplicate key.
 */
export async function insertNew<T extends Document>(collection: Collection<T>, docs: T[]): Promise<void> {
  await insertFindingTaken(collection as never, docs as never);
}

/**
 * Insert documents (unordered) and return the _ids that were taken already (no error for those). Where the
 * server's answer does not say which document each duplicate was, every _id counts as possibly taken.
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
    if (!onlyDuplicates) throw err;
    const indexes = writeErrors.map((w) => (w as { index?: number }).index);
    if (indexes.length === 0 || indexes.some((i) => typeof i !== 'number' || !docs[i]))
      for (const d of docs) taken.add(d._id);
    else for (const i of indexes) taken.add((docs[i as number] as T)._id);
  }
  return taken;
}
