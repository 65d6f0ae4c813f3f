// A store holding one collection in memory, enough for the audit log and the reads of it by unit tests: inserts keep
// _id unique (as the store's index does), and a find streams every document in the order they were inserted (as
// FerretDB does), recording the filter it was asked with instead of applying it.
import type { Store } from '@hub/store';

export interface MemoryStore {
  store: Store;
  /** The documents, as stored. */
  docs: Record<string, unknown>[];
  /** The filter of each find, in turn. */
  filters: unknown[];
}

export function memoryStore(): MemoryStore {
  const docs: Record<string, unknown>[] = [];
  const filters: unknown[] = [];
  const collection = {
    find(filter: unknown) {
      filters.push(filter);
      const copies = docs.map((d) => structuredClone(d));
      return (async function* () {
        yield* copies;
      })();
    },
    async findOne(query: { _id: unknown }) {
      const found = docs.find((d) => d._id === query._id);
      return found ? structuredClone(found) : null;
    },
    async insertOne(doc: Record<string, unknown>) {
      if (docs.some((d) => d._id === doc._id))
        throw Object.assign(new Error(`duplicate _id ${String(doc._id)}`), { code: 11000 });
      docs.push(structuredClone(doc));
    },
  };
  return { store: { engine: 'ferretdb', collection: () => collection } as unknown as Store, docs, filters };
}
