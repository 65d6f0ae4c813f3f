// Looking up many documents by key. FerretDB 1.24 on SQLite pushes an equality filter down to SQLite but
// evaluates `$in` by scanning the whole collection, which made each batch cost O(collection size). One
// equality query per key, a few at a time, stays O(batch) on FerretDB and is cheap on MongoDB too.
import type { Collection, Document, Filter } from 'mongodb';

export async function findEach<T extends Document>(
  collection: Collection<T>,
  field: string,
  values: readonly unknown[],
  projection?: Document,
  concurrency = 16,
): Promise<T[]> {
  const unique = [...new Set(values)];
  const out: T[] = [];
  for (let i = 0; i < unique.length; i += concurrency) {
    const found = await Promise.all(
      unique
        .slice(i, i + concurrency)
        .map((v) => collection.find({ [field]: v } as Filter<T>, projection ? { projection } : {}).toArray()),
    );
    for (const docs of found) out.push(...(docs as T[]));
  }
  return out;
}
