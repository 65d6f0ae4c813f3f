// The lock between service instances, on the real MongoDB-wire server: one holder at a time (callers of one process
// queue locally; a holder elsewhere is waited for through the store), a dead holder's lock taken over once it expires.
import { expect } from 'chai';
import { COLLECTIONS, connectStore, withLock, type Store } from '@hub/store';
import { createTestEnv, type TestEnv } from '../support/env';

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
