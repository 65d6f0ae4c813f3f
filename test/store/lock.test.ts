// The lock between service instances, on the real MongoDB-wire server: one holder at a time (callers of one process
// queue locally; a holder in another process is waited for through the store, as separate processes show here), a
// dead holder's lock taken over once it expires.
import { expect } from 'chai';
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { repoRoot } from '@hub/config';
import { COLLECTIONS, connectStore, withLock, type Store } from '@hub/store';
import { createTestEnv, type TestEnv } from '../support/env';

const CONTENDER = join(repoRoot, 'test', 'store', 'lock-contender.ts');

/** A contender for the lock in a process of its own (lock-contender.ts), with the loader the tests use. */
function contender(who: string) {
  const child: ChildProcessByStdio<Writable, Readable, null> = spawn(
    process.execPath,
    ['--import', 'tsx', CONTENDER],
    { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const said: string[] = [];
  const heard = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    said.push(line);
    for (const h of heard) h();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  /** Its first line starting with `word`, once said; fails if it exits before. */
  const line = (word: string) =>
    new Promise<string>((resolve, reject) => {
      const look = () => {
        const found = said.find((l) => l.startsWith(word));
        if (found !== undefined) {
          heard.delete(look);
          resolve(found);
        }
      };
      heard.add(look);
      look();
      void exited.then((code) =>
        reject(new Error(`contender ${who} exited (code ${code}) before saying ${word}`)),
      );
    });
  return { who, child, line, exited, tell: (text: string) => child.stdin.write(`${text}\n`) };
}

describe('store: lock between instances', function () {
  this.timeout(120000);
  let env: TestEnv;
  let a: Store;
  let b: Store;

  before(async () => {
    env = createTestEnv('lock');
    a = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    b = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
  });
  after(async () => {
    await a?.db.dropDatabase().catch(() => undefined);
    await a?.close();
    await b?.close();
    env?.cleanup();
  });

  it('lets one holder in at a time, callers of one process queued (two connections to one database)', async () => {
    let inside = 0;
    let most = 0;
    const order: string[] = [];
    const section = (store: Store, who: string) =>
      withLock(store, 'test-lock', async () => {
        inside++;
        most = Math.max(most, inside);
        order.push(who);
        await new Promise((r) => setTimeout(r, 20));
        inside--;
      });
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => section(i % 2 ? a : b, `${i % 2 ? 'a' : 'b'}${i}`)),
    );
    expect(most).to.equal(1);
    expect(order).to.have.length(12);
    expect(await a.collection(COLLECTIONS.locks).countDocuments({ _id: 'test-lock' } as never)).to.equal(0);
  });

  it('lets one holder in at a time between processes, which meet at the store alone', async () => {
    // Production runs two coordinator processes: only the store's lock keeps them apart (each process queues its own
    // callers in memory). Three processes race for one lock, ten turns each; every holder appends its entry and its
    // leaving to one journal (O_APPEND), whose order is the order the lines were written in.
    const journal = join(env.home, 'lock-journal.log');
    const turns = 10;
    const contenders = ['p1', 'p2', 'p3'].map(contender);
    try {
      for (const c of contenders) {
        c.tell(
          JSON.stringify({
            url: env.config.mongo.url,
            dbName: env.config.mongo.dbName,
            lock: 'process-lock',
            journal,
            turns,
            who: c.who,
          }),
        );
      }
      for (const c of contenders) await c.line('ready');
      for (const c of contenders) c.tell('go');
      const refused = (await Promise.all(contenders.map((c) => c.line('done')))).map((l) =>
        Number(l.split(' ')[1]),
      );
      expect(await Promise.all(contenders.map((c) => c.exited))).to.deep.equal([0, 0, 0]);

      const lines = readFileSync(journal, 'utf8').trim().split('\n');
      let holder: string | undefined;
      lines.forEach((line, i) => {
        const [what, who, turn] = line.split(' ');
        const at = `journal line ${i + 1} (${line})`;
        if (what === 'enter') {
          expect(holder, `${at}: ${who} got in while ${holder} held the lock`).to.equal(undefined);
          holder = `${who} ${turn}`;
        } else {
          expect(what, at).to.equal('leave');
          expect(`${who} ${turn}`, `${at}: left by another than its holder`).to.equal(holder);
          holder = undefined;
        }
      });
      for (const c of contenders)
        expect(
          lines.filter((l) => l.startsWith(`enter ${c.who} `)),
          `turns of ${c.who}`,
        ).to.have.length(turns);
      expect(
        refused.reduce((a, b) => a + b, 0),
        'inserts of the lock document the store refused: the processes met there',
      ).to.be.above(0);
      expect(await a.collection(COLLECTIONS.locks).countDocuments({ _id: 'process-lock' } as never)).to.equal(
        0,
      );
    } finally {
      for (const c of contenders) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    }
  });

  it('passes an error on to its holder and frees the lock for the next', async () => {
    const failed = await withLock(a, 'test-lock', () => Promise.reject(new Error('boom'))).catch(
      (e: Error) => e.message,
    );
    expect(failed).to.equal('boom');
    expect(await withLock(b, 'test-lock', async () => 'next')).to.equal('next');
  });

  it('takes over a lock whose holder elsewhere died (expired), and waits for one that lives', async () => {
    await a
      .collection<{ _id: string; owner: string; expiresAt: Date }>(COLLECTIONS.locks)
      .insertOne({ _id: 'dead-lock', owner: 'gone', expiresAt: new Date(Date.now() - 1000) });
    expect(await withLock(b, 'dead-lock', async () => 'taken over', { waitMs: 10000 })).to.equal(
      'taken over',
    );
    await a
      .collection<{ _id: string; owner: string; expiresAt: Date }>(COLLECTIONS.locks)
      .insertOne({ _id: 'live-lock', owner: 'alive', expiresAt: new Date(Date.now() + 60000) });
    const waited = await withLock(b, 'live-lock', async () => 'entered', { waitMs: 500 }).catch(
      (e: Error) => e.message,
    );
    expect(waited).to.match(/lock live-lock still held by alive after waiting/);
  });
});
