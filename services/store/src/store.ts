// Connecting to the MongoDB-wire store (a real mongod, a replica set, or FerretDB locally).
import { MongoClient, type Collection, type Db, type Document } from 'mongodb';
import { HubError } from '@hub/errors';
import { COLLECTIONS, INDEXES, RETIRED_INDEXES, type CollectionName } from './collections';

export interface StoreOptions {
  url: string;
  dbName: string;
  /** How long to wait for the server before giving up on one operation. */
  serverSelectionTimeoutMs?: number;
  appName?: string;
  /** Told of every command once it has been answered or has failed (the driver's command monitoring). */
  onCommand?: (command: StoreCommand) => void;
}

/** One command the store answered: what it was, on which collection, and how long it took. */
export interface StoreCommand {
  /** The command's name: insert, update, delete, find, getMore, aggregate, drop… */
  command: string;
  /** The collection it named ('' for commands on none, such as ping). */
  collection: string;
  ms: number;
  ok: boolean;
}

/** What answers on the wire: a MongoDB server, or FerretDB (whose updates each scan the collection, see lookup.ts). */
export type StoreEngine = 'mongodb' | 'ferretdb';

export interface Store {
  client: MongoClient;
  db: Db;
  engine: StoreEngine;
  collection<T extends Document = Document>(name: CollectionName): Collection<T>;
  ensureIndexes(): Promise<void>;
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export async function connectStore(options: StoreOptions): Promise<Store> {
  const client = newClient(options);
  if (options.onCommand) monitorCommands(client, options.onCommand);
  try {
    await client.connect();
  } catch (cause) {
    throw new HubError(
      'STORE_UNAVAILABLE',
      `cannot reach the store at ${redactUrl(options.url)}: ${(cause as Error).message}`,
      {
        retriable: true,
        cause,
      },
    );
  }
  const db = client.db(options.dbName);
  const info = await client
    .db('admin')
    .command({ buildInfo: 1 })
    .catch(() => ({}) as Document);
  return {
    client,
    db,
    engine: info.ferretdbVersion ? 'ferretdb' : 'mongodb',
    collection: <T extends Document = Document>(name: CollectionName) => db.collection<T>(name),
    async ensureIndexes() {
      // One index at a time, only those missing: FerretDB 1.24 drops the connection (a server panic) when one
      // createIndexes command names several indexes of which some already exist.
      for (const [name, specs] of Object.entries(INDEXES)) {
        const existing = new Set(
          (
            await db
              .collection(name)
              .listIndexes()
              .toArray()
              .catch(() => [])
          ).map((i) => String(i.name)),
        );
        for (const retired of RETIRED_INDEXES[name as CollectionName] ?? [])
          if (existing.has(retired)) await db.collection(name).dropIndex(retired);
        for (const spec of specs ?? [])
          if (!existing.has(String(spec.name))) await db.collection(name).createIndexes([spec]);
      }
    },
    async ping() {
      try {
        await db.command({ ping: 1 });
        return true;
      } catch {
        return false;
      }
    },
    close: () => client.close(),
  };
}

/**
 * The driver's client for `options.url`. A URL it cannot parse (no mongodb:// scheme, an unknown option) is a setting
 * to correct, not a store that is down: refused as such, not retried.
 */
function newClient(options: StoreOptions): MongoClient {
  try {
    return new MongoClient(options.url, {
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 5000,
      appName: options.appName ?? 'seizure-hub',
      promoteBuffers: true,
      retryWrites: false, // FerretDB and standalone servers have no retryable writes; our writes are idempotent anyway.
      monitorCommands: options.onCommand !== undefined,
    });
  } catch (cause) {
    throw new HubError(
      'CONFIG_INVALID',
      `the store's URL ${redactUrl(options.url)} is not a MongoDB connection string the driver takes (mongodb://<host>:<port>/ or mongodb+srv://...): ${(cause as Error).message}`,
      { cause },
    );
  }
}

/** The connection string without credentials, for messages and logs. */
export function redactUrl(url: string): string {
  // Without a scheme (not a URL the driver takes, but shown in its refusal), a user and password before an @.
  if (!url.includes('//') && url.includes('@')) return `***${url.slice(url.lastIndexOf('@'))}`;
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

export { COLLECTIONS };

/**
 * Tell `onCommand` of each command `client` runs, with the collection it named (only its start event says which) and
 * how long it took, timed here to the microsecond: the driver's own `duration` is in whole milliseconds, so a fast
 * command would count as taking no time at all.
 */
function monitorCommands(client: MongoClient, onCommand: (command: StoreCommand) => void): void {
  const started = new Map<string, { collection: string; at: number }>();
  const key = (e: { connectionId?: unknown; requestId: number }) =>
    `${String(e.connectionId)}/${e.requestId}`;
  client.on('commandStarted', (e) => {
    // Most commands name their collection as their own value; getMore's value is the cursor, its collection apart.
    const named = [e.command[e.commandName], e.command.collection].find((v) => typeof v === 'string');
    started.set(key(e), { collection: (named as string | undefined) ?? '', at: performance.now() });
  });
  const done = (
    e: { connectionId?: unknown; requestId: number; commandName: string; duration: number },
    ok: boolean,
  ) => {
    const start = started.get(key(e));
    started.delete(key(e));
    onCommand({
      command: e.commandName,
      collection: start?.collection ?? '',
      ms: start ? performance.now() - start.at : e.duration,
      ok,
    });
  };
  client.on('commandSucceeded', (e) => done(e, true));
  client.on('commandFailed', (e) => done(e, false));
}
