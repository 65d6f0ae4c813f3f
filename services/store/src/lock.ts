// A mutual-exclusion lock between service instances, made of the one write every MongoDB-wire server does
// atomically: inserting a document with a unique _id. (FerretDB 1.x applies updates as read-then-write, so a
// conditional update cannot guard a read-modify-write; an insert can.) A holder that dies leaves a lock that
// expires; a live holder keeps extending it.
import { randomBytes } from 'node:crypto';
import { COLLECTIONS } from './collections';
import type { Store } from './store';

interface LockDoc {
  _id: string;
  owner: string;
  expiresAt: Date;
}

export interface LockOptions {
  /** How long a lock outlives a holder that stopped extending it. */
  ttlMs?: number;
  /** Give up waiting after this long. */
  waitMs?: number;
  /** Called now and then while waiting (a Kafka consumer's heartbeat, say). */
  onWait?: () => Promise<void>;
}

const isDuplicate = (err: unknown) =>
  (err as { code?: number }).code === 11000 || String(err).includes('E11000');

/** Callers in this process queue here first, so that they wait for each other without polling the store. */
const local = new Map<string, Promise<unknown>>();

export async function withLock<T>(
  store: Store,
  name: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const key = `${store.db.databaseName}/${name}`;
  const before = local.get(key) ?? Promise.resolve();
  const mine = before.catch(() => undefined).then(() => withStoreLock(store, name, fn, options));
  const tail = mine.catch(() => undefined);
  local.set(key, tail);
  try {
    return await mine;
  } finally {
    if (local.get(key) === tail) local.delete(key);
  }
}

async function withStoreLock<T>(
  store: Store,
  name: string,
  fn: () => Promise<T>,
  options: LockOptions,
): Promise<T> {
  const ttl = options.ttlMs ?? 20000;
  const locks = store.collection<LockDoc>(COLLECTIONS.locks);
  const owner = randomBytes(8).toString('hex');
  const deadline = Date.now() + (options.waitMs ?? 120000);
  let lastWaitCall = Date.now();
  for (let delay = 10; ; delay = Math.min(delay * 2, 250)) {
    try {
      await locks.insertOne({ _id: name, owner, expiresAt: new Date(Date.now() + ttl) });
      break;
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
    const held = await locks.findOne({ _id: name });
    if (held && held.expiresAt.getTime() < Date.now()) {
      // Its holder died: take it over (only that holder's document is removed).
      await locks.deleteOne({ _id: name, owner: held.owner });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`lock ${name} still held by ${held?.owner} after waiting`);
    if (options.onWait && Date.now() - lastWaitCall > 1000) {
      lastWaitCall = Date.now();
      await options.onWait();
    }
    await new Promise((r) => setTimeout(r, delay + Math.random() * delay));
  }
  const extend = setInterval(() => {
    void locks
      .updateOne({ _id: name, owner }, { $set: { expiresAt: new Date(Date.now() + ttl) } })
      .catch(() => undefined);
  }, ttl / 3);
  try {
    return await fn();
  } finally {
    clearInterval(extend);
    await locks.deleteOne({ _id: name, owner }).catch(() => undefined);
  }
}
