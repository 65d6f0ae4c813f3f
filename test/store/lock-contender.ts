// A contender for the store lock in a process of its own, run by test/store/lock.test.ts (not a test file itself).
// On stdin: one line of JSON naming the store, the lock, the journal file and how many turns to take; then a line
// `go` once every contender is ready. Each turn holds the lock and appends `enter <who> <turn>` and `leave <who> <turn>`
// to the journal (O_APPEND, one write a line, so the file keeps the order the lines were written in, across
// processes). On stdout: `ready`, then `done <refused>`, the inserts of its lock document the store refused as
// duplicates (another process held it).
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { COLLECTIONS, connectStore, withLock, type Store } from '@hub/store';

interface Contest {
  url: string;
  dbName: string;
  lock: string;
  journal: string;
  turns: number;
  who: string;
}

const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const nextLine = async () => {
  const line = await lines.next();
  if (line.done) throw new Error('stdin closed before the contest began');
  return line.value as string;
};

const contest = JSON.parse(await nextLine()) as Contest;
const store = await connectStore({ url: contest.url, dbName: contest.dbName, appName: contest.who });
let refused = 0;
/** The store as the lock sees it, inserts into its collection that the store refused as duplicates counted. */
const counting: Store = {
  ...store,
  collection: ((name: Parameters<Store['collection']>[0]) => {
    const collection = store.collection(name);
    if (name !== COLLECTIONS.locks) return collection;
    return new Proxy(collection, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (property !== 'insertOne' || typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          } catch (err) {
            // As the lock tells a duplicate (lock.ts isDuplicate).
            if ((err as { code?: number }).code === 11000 || String(err).includes('E11000')) refused++;
            throw err;
          }
        };
      },
    });
  }) as Store['collection'],
};
process.stdout.write('ready\n');
if ((await nextLine()) !== 'go') throw new Error('expected `go` on stdin');
try {
  for (let turn = 0; turn < contest.turns; turn++)
    await withLock(counting, contest.lock, async () => {
      appendFileSync(contest.journal, `enter ${contest.who} ${turn}\n`);
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 10));
      appendFileSync(contest.journal, `leave ${contest.who} ${turn}\n`);
    });
  process.stdout.write(`done ${refused}\n`);
} finally {
  await store.close();
  lines.return?.();
  process.stdin.destroy();
}
