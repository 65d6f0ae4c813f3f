// What the query API asks of the store on a caller's behalf is bounded in time, and what the store does wrong is
// answered with a code the caller can act on (docs/errors.md), not as an internal error.
import type { Collection, Document, FindCursor } from 'mongodb';
import { HubError } from '@hub/errors';
import type { Store } from '@hub/store';

/** Where each read of a collection takes its options (find(filter, options), distinct(key, filter, options) …). */
const READ_OPTIONS_AT: Record<string, number> = {
  find: 1,
  findOne: 1,
  aggregate: 1,
  countDocuments: 1,
  distinct: 2,
  estimatedDocumentCount: 0,
};

/**
 * `store` whose collections' reads carry `maxTimeMS: ms` unless a read sets its own (0: no limit). The store stops
 * such a read once it has spent that long on it: a search that would scan a large collection (as every search does
 * on FerretDB) no longer holds the store's cores, and the ingest that shares them, after its caller has given up.
 */
export function withReadTimeout(store: Store, ms: number): Store {
  if (ms <= 0) return store;
  const limited = <T extends Document>(target: Collection<T>): Collection<T> =>
    new Proxy(target, {
      get(obj, prop, receiver) {
        const value: unknown = Reflect.get(obj, prop, receiver);
        const at = typeof prop === 'string' ? READ_OPTIONS_AT[prop] : undefined;
        if (at === undefined || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          for (let i = 0; i < at; i++) args[i] ??= i === 0 && prop === 'aggregate' ? [] : {};
          const options = { maxTimeMS: ms, ...(args[at] as { maxTimeMS?: number } | undefined) };
          args[at] = options;
          const answer = (value as (...a: unknown[]) => unknown).apply(obj, args);
          // A read that sets its own limit (0: none) is held to that one.
          return prop === 'find' && options.maxTimeMS > 0
            ? bounded(answer as FindCursor, options.maxTimeMS)
            : answer;
        };
      },
    });
  return {
    ...store,
    collection: <T extends Document = Document>(name: Parameters<Store['collection']>[0]) =>
      limited(store.collection<T>(name)),
  };
}

/** A read stopped at its time limit by the API (withinTime): answered as the store's own time-out. */
export class ReadTimeLimitError extends Error {
  constructor(readonly ms: number) {
    super(`the read took longer than ${ms} ms and was stopped`);
    this.name = 'ReadTimeLimitError';
  }
}

/**
 * `cursor`, read whole (toArray) or in turn (for await) within `ms` in all. The store bounds a read by its
 * `maxTimeMS`, but FerretDB applies it to a find's first batch only, not to the getMore commands after it: a search of
 * 100,000 reports given 2 s went on for 37 s (measured 2026-12-06), streamed as FerretDB's sorted reads are (sorted.ts).
 */
function bounded<T>(cursor: FindCursor<T>, ms: number): FindCursor<T> {
  return Object.assign(cursor, {
    toArray: async () => {
      const all: T[] = [];
      for await (const doc of withinTime(cursor, ms)) all.push(doc);
      return all;
    },
    [Symbol.asyncIterator]: () => withinTime(cursor, ms),
  });
}

/** The documents of `cursor` until `ms` have passed since the first was asked for; then ReadTimeLimitError. */
export async function* withinTime<T>(cursor: FindCursor<T>, ms: number): AsyncGenerator<T> {
  const deadline = Date.now() + ms;
  const late = Symbol('late');
  let done = false;
  try {
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new ReadTimeLimitError(ms);
      let timer: NodeJS.Timeout | undefined;
      // A document already received is taken as it is; only a wait for the store races the time left.
      const next =
        cursor.bufferedCount() > 0
          ? await cursor.next()
          : await Promise.race([
              cursor.next(),
              new Promise<typeof late>((resolve) => (timer = setTimeout(() => resolve(late), left))),
            ]).finally(() => clearTimeout(timer));
      if (next === late) throw new ReadTimeLimitError(ms);
      if (next === null) {
        done = true;
        return;
      }
      yield next;
    }
  } finally {
    // Not awaited when stopped early: a getMore still running ends with its batch, then the cursor is killed.
    if (!done) void cursor.close().catch(() => undefined);
  }
}

/**
 * The store's codes for a server that is stopping or is not (or no longer) the primary: it cannot answer now, and
 * another (or the same, restarted or elected again) will in a moment. 91 ShutdownInProgress, 11600
 * InterruptedAtShutdown, 10107 NotWritablePrimary, 13435 NotPrimaryNoSecondaryOk, 189 PrimarySteppedDown.
 */
const STORE_GOING_AWAY = new Set([91, 11600, 10107, 13435, 189]);

/** The driver's errors a caller can act on, as the API's codes; anything else is left as it is. */
export function storeErrorToHubError(err: unknown, timeoutMs: number): unknown {
  // A read the API stopped at the time limit (withinTime) is answered as the store's own time-out.
  if (err instanceof ReadTimeLimitError) return queryTimeout(err, timeoutMs);
  const e = err as { name?: string; code?: unknown; message?: string } | null;
  if (!e || typeof e !== 'object' || typeof e.name !== 'string' || !e.name.startsWith('Mongo')) return err;
  // The store stopped the read at its time limit: 50 MaxTimeMSExpired (maxTimeMS), 262 ExceededTimeLimit.
  if (e.code === 50 || e.code === 262) return queryTimeout(err, timeoutMs);
  if (typeof e.code === 'number' && STORE_GOING_AWAY.has(e.code))
    return new HubError(
      'STORE_UNAVAILABLE',
      'the store cannot answer now (a server is shutting down or the primary is changing); retry later',
      { retriable: true, cause: err },
    );
  if (
    [
      'MongoNetworkError',
      'MongoNetworkTimeoutError',
      'MongoServerSelectionError',
      'MongoNotConnectedError',
      'MongoTopologyClosedError',
      'MongoPoolClearedError',
    ].includes(e.name)
  )
    return new HubError('STORE_UNAVAILABLE', 'the store cannot be reached; retry later', {
      retriable: true,
      cause: err,
    });
  return err;
}

function queryTimeout(err: unknown, timeoutMs: number): HubError {
  return new HubError(
    'QUERY_TIMEOUT',
    `the store did not answer within ${timeoutMs / 1000} s (HUB_QUERY_TIMEOUT_S), so the query was stopped: ` +
      'narrow it (from/to, country, drug) or ask the hub operator to raise the limit',
    { cause: err },
  );
}
