// The audit chain on the real store with two query API instances appending at once: one unbroken chain.
import { expect } from 'chai';
import { createAuditLog } from '@hub/query-api';
import { COLLECTIONS, connectStore, type Store } from '@hub/store';
import { createTestEnv, type TestEnv } from '../support/env';

describe('audit chain shared by two API instances', function () {
  this.timeout(120000);
  let env: TestEnv;
  const stores: Store[] = [];

  before(async () => {
    env = createTestEnv('audit-chain');
    for (let i = 0; i < 2; i++)
      stores.push(await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName }));
    await stores[0]!.ensureIndexes();
  });
  after(async () => {
    await stores[0]?.db.dropDatabase().catch(() => undefined);
    for (const s of stores) await s.close();
    env?.cleanup();
  });

  it('chains every entry after the other instance’s, without gaps, and verifies', async () => {
    const [a, b] = stores.map((s) => createAuditLog(s));
    const entry = (actor: string, i: number) => ({
      actor: { sub: `analyst-${actor}`, role: 'analyst', country: 'KZ' },
      action: 'search' as const,
      query: { i },
      count: 1,
      reportIds: [`r-${actor}-${i}`],
    });
    await a!.append(entry('a', 0));
    const appended = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a! : b!).append(entry(i % 2 ? 'a' : 'b', i + 1))),
    );
    // An instance that was idle meanwhile still chains after everything the other wrote.
    const late = await b!.append(entry('b', 99));
    const seqs = [...appended.map((e) => e.seq), late.seq].sort((x, y) => x - y);
    expect(seqs).to.deep.equal(Array.from({ length: 21 }, (_, i) => i + 2));
    expect(late.seq).to.equal(22);
    expect(await stores[0]!.collection(COLLECTIONS.audit).countDocuments()).to.equal(22);
    const verdict = await a!.verify();
    expect(verdict).to.include({ valid: true, checked: 22 });
  });

  it('appends by inserting alone while no other instance writes, and follows one that did', async () => {
    const commands: { command: string; collection: string }[] = [];
    const watched = await connectStore({
      url: env.config.mongo.url,
      dbName: env.config.mongo.dbName,
      onCommand: (c) => commands.push(c),
    });
    stores.push(watched);
    const mine = createAuditLog(watched);
    const other = createAuditLog(stores[1]!);
    const entry = (i: number) => ({
      actor: { sub: 'analyst-c', role: 'analyst', country: 'KZ' },
      action: 'search' as const,
      query: { i },
      count: 0,
      reportIds: [],
    });
    await mine.append(entry(0)); // reads the tail once
    commands.length = 0;
    for (let i = 1; i <= 10; i++) await mine.append(entry(i));
    // No read of the log per append: on FerretDB a find by _id reads the whole collection.
    const onAudit = commands.filter((c) => c.collection === COLLECTIONS.audit).map((c) => c.command);
    expect(onAudit).to.deep.equal(Array.from({ length: 10 }, () => 'insert'));
    const theirs = await other.append(entry(11));
    const after = await mine.append(entry(12));
    expect(after.seq, 'chained after the other instance’s entry').to.equal(theirs.seq + 1);
    expect(after.prevHash).to.equal(theirs.hash);
    expect(await mine.verify()).to.include({ valid: true });
  });
});
