// Sorted, limited reads that do not make the store hold a whole collection in memory.
//
// FerretDB 1.24 sorts in its own memory, after reading and decoding every document the filter lets through (no sort
// pushdown but for capped collections): a sorted read of the 100,000 entries of an audit log took its process from
// 87 MiB to 1,461 MiB (measured 2026-12-06), about 14 kB a document, whatever the limit. The same read in the
// store's own order streams: 103 MiB. So on FerretDB a sorted read streams the matching documents in the store's
// order and keeps the first `limit` of the sort here, a few at a time; on MongoDB the server sorts (with an index).
import type { Collection, Document, Filter } from 'mongodb';
import type { StoreEngine } from './store';

/**
 * Documents a streamed read asks for at a time: the most work the store does past a read's time limit (the query
 * API's withReadTimeout stops a read between batches).
 */
const STREAM_BATCH = 500;

export type SortSpec = Record<string, 1 | -1>;

export interface SortedRead {
  sort: SortSpec;
  /** The most documents answered (0: all of them, sorted). */
  limit: number;
  projection?: Document;
}

/** The documents of `collection` matching `filter`, in the order of `sort`, at most `limit` of them. */
export async function findSorted<T extends Document>(
  engine: StoreEngine,
  collection: Collection<T>,
  filter: Filter<T>,
  read: SortedRead,
): Promise<T[]> {
  const { sort, limit, projection } = read;
  if (engine !== 'ferretdb')
    return (await collection
      .find(filter, { sort, ...(limit > 0 && { limit }), ...(projection && { projection }) })
      .toArray()) as T[];
  const cursor = collection.find(filter, { batchSize: STREAM_BATCH, ...(projection && { projection }) });
  return topOf(cursor as AsyncIterable<T>, sort, limit);
}

/** The first `limit` (0: all) of `docs` in the order of `sort`, holding at most about twice that many at once. */
export async function topOf<T extends Document>(
  docs: AsyncIterable<T>,
  sort: SortSpec,
  limit: number,
): Promise<T[]> {
  const order = comparator(sort);
  const keep = limit > 0 ? Math.max(2 * limit, 256) : Infinity;
  let held: T[] = [];
  for await (const doc of docs) {
    held.push(doc);
    if (held.length >= keep) held = held.sort(order).slice(0, limit);
  }
  held.sort(order);
  return limit > 0 ? held.slice(0, limit) : held;
}

/** MongoDB's order of `sort` over documents: each field in turn, ascending (1) or descending (-1). */
export function comparator(sort: SortSpec): (a: Document, b: Document) => number {
  const keys = Object.entries(sort).map(([path, direction]) => ({ path: path.split('.'), direction }));
  return (a, b) => {
    for (const { path, direction } of keys) {
      const c = compareValues(valueAt(a, path), valueAt(b, path));
      if (c !== 0) return c * direction;
    }
    return 0;
  };
}

function valueAt(doc: Document, path: string[]): unknown {
  let v: unknown = doc;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

// BSON's order of types (a missing field sorts as null): null < numbers < strings < objects < arrays < binary data <
// ObjectId < booleans < dates.
function rank(v: unknown): number {
  if (v === undefined || v === null) return 1;
  if (typeof v === 'number' || typeof v === 'bigint') return 2;
  if (typeof v === 'string') return 3;
  if (typeof v === 'boolean') return 8;
  if (v instanceof Date) return 9;
  if (Array.isArray(v)) return 5;
  const type = (v as { _bsontype?: string })._bsontype;
  if (type === 'Long' || type === 'Double' || type === 'Int32' || type === 'Decimal128') return 2;
  if (type === 'ObjectId') return 7;
  if (type === 'Binary' || Buffer.isBuffer(v)) return 6;
  return 4;
}

function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 1:
      return 0;
    case 2: {
      const x = Number(a);
      const y = Number(b);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    case 3:
      // MongoDB compares strings by their UTF-8 bytes; UTF-16 code units order them alike but around surrogates.
      return a === b
        ? 0
        : /[\ud800-\udfff]/.test((a as string) + (b as string))
          ? Buffer.compare(Buffer.from(a as string), Buffer.from(b as string))
          : (a as string) < (b as string)
            ? -1
            : 1;
    case 8:
      return Number(a) - Number(b);
    case 9:
      return (a as Date).getTime() - (b as Date).getTime();
    default:
      // Objects, arrays, binary data and ids are not sort keys of ours: ordered by their JSON, consistently.
      return Buffer.compare(Buffer.from(JSON.stringify(a)), Buffer.from(JSON.stringify(b)));
  }
}
