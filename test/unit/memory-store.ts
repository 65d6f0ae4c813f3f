// A store in memory, as far as `hub replay --replace`'s comparison and swap use one (find sorted by _id with a
// projection, inserts, deletes by _id, drops, listing): its tests run without a server. Not a test file itself.
import type { Store } from '@hub/store';

export type Doc = { _id: string } & Record<string, unknown>;
type IdFilter = { _id?: string | { $nin?: string[]; $ne?: string } };

/** Whether a document passes the only filters the swap and comparison send: on _id, or none. */
function matches(d: Doc, filter: IdFilter = {}): boolean {
  const f = filter._id;
  if (f === undefined) return true;
  if (typeof f === 'string') return d._id === f;
  if (f.$nin !== undefined && f.$nin.includes(d._id)) return false;
  if (f.$ne !== undefined && f.$ne === d._id) return false;
  return true;
}

/** A document as a projection `{ _id: 1, field: 1 }` returns it: the fields named, those it has. */
function project(d: Doc, projection?: Record<string, unknown>): Doc {
  if (projection === undefined) return structuredClone(d);
  const out: Doc = { _id: d._id };
  for (const k of Object.keys(projection)) if (k in d) out[k] = structuredClone(d[k]);
  return out;
}

export interface MemoryStore {
  store: Store;
  /** The collections by name, each a list of documents. */
  collections: Map<string, Doc[]>;
  /** Makes the next insert into this collection fail, as a store gone away half-way would. */
  failNextInsertInto(name: string): void;
  dropped: () => boolean;
}

export function memoryStore(databaseName: string, initial: Record<string, Doc[]> = {}): MemoryStore {
  const collections = new Map(Object.entries(initial).map(([n, docs]) => [n, docs.map((d) => ({ ...d }))]));
  const failing = new Set<string>();
  let dropped = false;
  const collection = (name: string) => ({
    find: (filter?: IdFilter, options?: { projection?: Record<string, unknown> }) => {
      const docs = () =>
        (collections.get(name) ?? [])
          .filter((d) => matches(d, filter))
          .map((d) => project(d, options?.projection));
      const cursor = {
        sort: (order: { _id: 1 }) => {
          if (order._id !== 1) throw new Error('only { _id: 1 } sorts here');
          const sorted = docs().sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
          return {
            [Symbol.asyncIterator]: async function* () {
              yield* sorted;
            },
          };
        },
        toArray: async () => docs(),
        [Symbol.asyncIterator]: async function* () {
          yield* docs();
        },
      };
      return cursor;
    },
    findOne: async (filter: IdFilter) => {
      const d = (collections.get(name) ?? []).find((x) => matches(x, filter));
      return d ? structuredClone(d) : null;
    },
    insertOne: async (doc: Doc) => {
      const docs = collections.get(name) ?? [];
      if (docs.some((d) => d._id === doc._id)) throw new Error(`duplicate _id ${doc._id} in ${name}`);
      docs.push(structuredClone(doc));
      collections.set(name, docs);
      return { acknowledged: true };
    },
    insertMany: async (batch: Doc[]) => {
      if (failing.delete(name)) throw new Error(`connection lost inserting into ${name}`);
      const docs = collections.get(name) ?? [];
      for (const doc of batch) {
        if (docs.some((d) => d._id === doc._id)) throw new Error(`duplicate _id ${doc._id} in ${name}`);
        docs.push(structuredClone(doc));
      }
      collections.set(name, docs);
      return { acknowledged: true };
    },
    deleteMany: async (filter: IdFilter) => {
      const docs = collections.get(name);
      if (docs)
        collections.set(
          name,
          docs.filter((d) => !matches(d, filter)),
        );
      return { acknowledged: true };
    },
    deleteOne: async (filter: IdFilter) => {
      const docs = collections.get(name) ?? [];
      const i = docs.findIndex((d) => matches(d, filter));
      if (i >= 0) docs.splice(i, 1);
      return { acknowledged: true };
    },
  });
  const db = {
    databaseName,
    collection,
    listCollections: () => ({
      toArray: async () => [...collections.keys()].map((n) => ({ name: n })),
    }),
    dropCollection: async (name: string) => {
      if (!collections.delete(name))
        throw Object.assign(new Error('ns not found'), { codeName: 'NamespaceNotFound' });
      return true;
    },
    dropDatabase: async () => {
      collections.clear();
      dropped = true;
      return true;
    },
  };
  const store = {
    db,
    engine: 'mongodb',
    collection,
    ensureIndexes: async () => undefined,
    ping: async () => true,
    close: async () => undefined,
  } as unknown as Store;
  return { store, collections, failNextInsertInto: (n) => void failing.add(n), dropped: () => dropped };
}
