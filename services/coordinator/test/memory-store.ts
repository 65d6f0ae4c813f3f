// The store's collections in memory, as far as storing a batch uses them (persistBatch, updateReadModels): inserts keep
// _id unique and report each duplicate as the driver does (code 11000 with its index), finds take equality, `$in` and
// `$or` filters (their results sorted by one field, or read one by one), bulk writes insert, replace, `$set` and
// delete by _id, and updateMany `$set`s what its filter matches. Every find is recorded with its collection, as a unit
// test's view of what the store was asked to read (on FerretDB, each a decode of the whole collection). A field in a
// filter (`countries`, `matched.reportId`) is read through arrays, as MongoDB reads it: any value there matches.
// Projections are not applied (whole documents come back).
import type { Store } from '@hub/store';

type Doc = Record<string, unknown> & { _id: string };
export type Filter = Record<string, unknown>;

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

const matches = (doc: Doc, filter: Filter): boolean =>
  Object.entries(filter).every(([field, want]) => {
    if (field === '$or') return (want as Filter[]).some((f) => matches(doc, f));
    const found = valuesAt(doc, field.split('.'));
    return want !== null && typeof want === 'object' && '$in' in want
      ? found.some((v) => (want as { $in: unknown[] }).$in.includes(v))
      : found.includes(want);
  });

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
      find(filter: Filter = {}) {
        finds.push({ collection: name, filter });
        let order: [string, number] | undefined;
        const found = () => {
          const list = [...stored.values()].filter((d) => matches(d, filter)).map((d) => structuredClone(d));
          if (!order) return list;
          const [field, way] = order;
          return list.sort((a, b) => ((a[field] as number) < (b[field] as number) ? -way : way));
        };
        const cursor = {
          sort(by: Record<string, number>) {
            order = Object.entries(by)[0] as [string, number];
            return cursor;
          },
          toArray: async () => found(),
          async *[Symbol.asyncIterator]() {
            yield* found();
          },
        };
        return cursor;
      },
      async findOne(filter: Filter) {
        const doc = [...stored.values()].find((d) => matches(d, filter));
        return doc ? structuredClone(doc) : null;
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
        for (const [id, doc] of stored) if (matches(doc, filter)) stored.delete(id);
      },
      async updateMany(filter: Filter, update: { $set: Filter }) {
        for (const doc of stored.values())
          if (matches(doc, filter)) Object.assign(doc, structuredClone(update.$set));
      },
    };
  };
  return { store: { engine: 'ferretdb', collection } as unknown as Store, docs, finds };
}
