// The store's collections in memory, as far as storing a batch uses them (persistBatch, updateReadModels): inserts keep
// _id unique and report each duplicate as the driver does (code 11000 with its index), finds take equality (null
// also matching a field not there), `$in`, `$nin`, `$ne`, `$lt`, `$lte`, `$gt`, `$gte`, `$exists` and `$or` filters
// (their results sorted by one field and limited, or read one by one), bulk writes insert, replace, `$set` and
// delete by _id, and updateOne and updateMany `$set` what their filter matches. Every find is recorded with its
// collection, as a unit test's view of what the store was asked to read (on FerretDB, each a decode of the whole
// collection). A field in a filter (`countries`, `matched.reportId`) is read through arrays, as MongoDB reads it: any
// value there matches. A find's projection is applied as the server applies it (the fields named, dotted paths into
// subdocuments and arrays of them; or the fields left out): code reading a field its projection leaves out fails
// here as on the real store.
import type { Store } from '@hub/store';

type Doc = Record<string, unknown> & { _id: string };
export type Filter = Record<string, unknown>;
type Projection = Record<string, unknown>;

export interface MemoryStore {
  store: Store;
  /** A collection's documents by _id, as stored. */
  docs(name: string): Map<string, Doc>;
  /** The collection and filter of each find, in turn. */
  finds: { collection: string; filter: Filter }[];
}

/** The values at a dotted path of `value`, each element of an array on the way read in turn. */
const valuesAt = (value: unknown, path: string[]): unknown[] => {
  if (Array.isArray(value)) return value.flatMap((v) => valuesAt(v, path));
  const [first, ...rest] = path;
  if (first === undefined) return [value];
  if (value === null || typeof value !== 'object') return [];
  return valuesAt((value as Record<string, unknown>)[first], rest);
};

/** A value as compared: a date by its time. */
const comparable = (v: unknown) => (v instanceof Date ? v.getTime() : v);
const same = (a: unknown, b: unknown) => comparable(a) === comparable(b);
/** Whether `want` is a condition of operators (`{ $in: [...] }`), not a value to equal. */
const isCondition = (want: unknown): want is Record<string, unknown> =>
  want !== null &&
  typeof want === 'object' &&
  !(want instanceof Date) &&
  !Array.isArray(want) &&
  Object.keys(want).length > 0 &&
  Object.keys(want).every((k) => k.startsWith('$'));

/** Whether the values found at a field (none: the field is not there) pass one operator. */
const passes = (found: unknown[], op: string, arg: unknown): boolean => {
  const present = found.filter((v) => v !== undefined);
  const order = (test: (a: number | string, b: number | string) => boolean) =>
    present.some((v) => v !== null && test(comparable(v) as number, comparable(arg) as number));
  switch (op) {
    case '$in':
      return (arg as unknown[]).some((w) =>
        w === null ? present.length === 0 || present.includes(null) : present.some((v) => same(v, w)),
      );
    case '$nin':
      return !passes(found, '$in', arg);
    case '$ne':
      return !(arg === null
        ? present.length === 0 || present.includes(null)
        : present.some((v) => same(v, arg)));
    case '$exists':
      return present.length > 0 === Boolean(arg);
    case '$lt':
      return order((a, b) => a < b);
    case '$lte':
      return order((a, b) => a <= b);
    case '$gt':
      return order((a, b) => a > b);
    case '$gte':
      return order((a, b) => a >= b);
    default:
      throw new Error(`the memory store does not read the operator ${op}`);
  }
};

const matches = (doc: Doc, filter: Filter): boolean =>
  Object.entries(filter).every(([field, want]) => {
    if (field === '$or') return (want as Filter[]).some((f) => matches(doc, f));
    const found = valuesAt(doc, field.split('.'));
    if (isCondition(want)) return Object.entries(want).every(([op, arg]) => passes(found, op, arg));
    if (want === null) return found.every((v) => v === undefined) || found.includes(null);
    return found.some((v) => same(v, want));
  });

/** The paths of a projection as a tree: `{ 'response.status': 1 }` → `{ response: { status: true } }`. */
const pathTree = (paths: string[]) => {
  type Tree = { [key: string]: Tree | true };
  const tree: Tree = {};
  for (const path of paths) {
    const parts = path.split('.');
    let at = tree;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) at[part] = true;
      else if (at[part] !== true) at = (at[part] ??= {}) as Tree;
    });
  }
  return tree;
};
type Tree = ReturnType<typeof pathTree>;

/** `value` with only the paths of `tree` (inclusion), or without them (exclusion), through subdocuments and arrays. */
const projected = (value: unknown, tree: Tree, include: boolean): unknown => {
  if (Array.isArray(value))
    return value
      .filter((v) => !include || (v !== null && typeof v === 'object'))
      .map((v) => projected(v, tree, include));
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(record)) {
    const sub = tree[key];
    if (include) {
      if (sub === true) out[key] = v;
      else if (sub && v !== null && typeof v === 'object') out[key] = projected(v, sub, true);
    } else if (sub === undefined) out[key] = v;
    else if (sub !== true) out[key] = projected(v, sub, false);
  }
  return out;
};

/** `doc` as a find with `projection` returns it: _id always, unless left out by name. */
export function project(doc: Doc, projection: Projection | undefined): Doc {
  if (!projection || Object.keys(projection).length === 0) return doc;
  const entries = Object.entries(projection);
  // `{ _id: 1 }` alone names the one field kept.
  const include = entries.some(([key, v]) => (key !== '_id' || entries.length === 1) && Boolean(v));
  const paths = entries.filter(([key, v]) => key !== '_id' && Boolean(v) === include).map(([key]) => key);
  const out = projected(doc, pathTree(paths), include) as Doc;
  const keepId = projection._id === undefined || Boolean(projection._id);
  if (keepId) return include ? (Object.assign({ _id: doc._id }, out) as Doc) : out;
  const { _id: _left, ...rest } = out;
  return rest as Doc;
}

export function memoryStore(): MemoryStore {
  const collections = new Map<string, Map<string, Doc>>();
  const finds: MemoryStore['finds'] = [];
  const docs = (name: string) => {
    let c = collections.get(name);
    if (!c) collections.set(name, (c = new Map()));
    return c;
  };
  const collection = (name: string) => {
    const stored = docs(name);
    const insert = (doc: Doc) => {
      if (stored.has(doc._id))
        throw Object.assign(new Error(`E11000 duplicate key ${doc._id}`), { code: 11000 });
      stored.set(doc._id, structuredClone(doc));
    };
    return {
      async insertMany(list: Doc[]) {
        const writeErrors: { code: number; index: number }[] = [];
        list.forEach((doc, index) => {
          if (stored.has(doc._id)) writeErrors.push({ code: 11000, index });
          else insert(doc);
        });
        if (writeErrors.length)
          throw Object.assign(new Error('E11000 duplicate key'), { code: 11000, writeErrors });
      },
      async insertOne(doc: Doc) {
        insert(doc);
      },
      find(filter: Filter = {}, options: { projection?: Projection } = {}) {
        finds.push({ collection: name, filter });
        let order: [string, number] | undefined;
        let limit = 0;
        const found = () => {
          const list = [...stored.values()]
            .filter((d) => matches(d, filter))
            .map((d) => project(structuredClone(d), options.projection));
          if (order) {
            const [field, way] = order;
            list.sort((a, b) => ((a[field] as number) < (b[field] as number) ? -way : way));
          }
          return limit > 0 ? list.slice(0, limit) : list;
        };
        const cursor = {
          sort(by: Record<string, number>) {
            order = Object.entries(by)[0] as [string, number];
            return cursor;
          },
          limit(n: number) {
            limit = n;
            return cursor;
          },
          toArray: async () => found(),
          async *[Symbol.asyncIterator]() {
            yield* found();
          },
        };
        return cursor;
      },
      async findOne(filter: Filter, options: { projection?: Projection } = {}) {
        const doc = [...stored.values()].find((d) => matches(d, filter));
        return doc ? project(structuredClone(doc), options.projection) : null;
      },
      async replaceOne(filter: Filter, replacement: Doc, options?: { upsert?: boolean }) {
        const id = filter._id as string;
        if (stored.has(id) || options?.upsert) stored.set(id, structuredClone({ ...replacement, _id: id }));
      },
      async deleteOne(filter: Filter) {
        stored.delete(filter._id as string);
      },
      async drop() {
        stored.clear();
      },
      async bulkWrite(
        ops: Record<
          string,
          { filter?: Filter; document?: Doc; replacement?: Doc; update?: { $set: Filter }; upsert?: boolean }
        >[],
      ) {
        for (const op of ops) {
          const [kind, spec] = Object.entries(op)[0]!;
          const id = spec.filter?._id as string;
          if (kind === 'insertOne') insert(spec.document!);
          else if (kind === 'replaceOne') {
            if (stored.has(id) || spec.upsert)
              stored.set(id, structuredClone({ ...spec.replacement!, _id: id }));
          } else if (kind === 'updateOne') {
            const doc = stored.get(id);
            if (doc) Object.assign(doc, structuredClone(spec.update!.$set));
          } else if (kind === 'deleteOne') stored.delete(id);
          else throw new Error(`the memory store does not do ${kind}`);
        }
      },
      async deleteMany(filter: Filter) {
        let deletedCount = 0;
        for (const [id, doc] of stored)
          if (matches(doc, filter)) {
            stored.delete(id);
            deletedCount++;
          }
        return { deletedCount };
      },
      async updateOne(filter: Filter, update: { $set: Filter }) {
        const doc = [...stored.values()].find((d) => matches(d, filter));
        if (doc) Object.assign(doc, structuredClone(update.$set));
        return { matchedCount: doc ? 1 : 0, modifiedCount: doc ? 1 : 0 };
      },
      async updateMany(filter: Filter, update: { $set: Filter }) {
        for (const doc of stored.values())
          if (matches(doc, filter)) Object.assign(doc, structuredClone(update.$set));
      },
    };
  };
  return { store: { engine: 'ferretdb', collection } as unknown as Store, docs, finds };
}
