// The retention review when many records fall due at once (a country's backlog imported in one day, its period
// over): it erases and warns them a slice at a time, giving the store's read-models lock up between slices, so the
// intake, which stores under the same lock, goes on meanwhile instead of waiting for the whole review. On the real
// store; nothing is sent (as in a replay), so no broker is needed.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { ErasedSet, startRetention, type RetentionDoc } from '@hub/coordinator/retention';
import { createSigner, HUB_ORIGIN } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, connectStore, withLock, type Store } from '@hub/store';
import { createTestEnv, type TestEnv } from '../support/env';
import { testPki } from '../support/hub';

describe('retention review of many records due at once', function () {
  this.timeout(120000);
  let env: TestEnv;
  let store: Store;
  const commands: { command: string; collection: string }[] = [];

  before(async () => {
    env = createTestEnv('retention-slices');
    store = await connectStore({
      url: env.config.mongo.url,
      dbName: env.config.mongo.dbName,
      onCommand: (c) => commands.push(c),
    });
    await store.ensureIndexes();
  });
  after(async () => {
    await store?.close();
    env?.cleanup();
  });

  it('erases and warns a slice at a time, the lock given up between slices, until none is left', async () => {
    const id = testPki(env, ['KZ']).identity(HUB_ORIGIN);
    const now = Date.now();
    const DAY = 86_400_000;
    const doc = (reviewAt: number, warnedAt: Date | null = null): RetentionDoc => ({
      _id: randomUUID(),
      subjectType: 'SeizureReport',
      category: 'seizure',
      originCountry: 'KZ',
      reviewAt: new Date(reviewAt),
      warnedAt,
      renewals: [],
    });
    // Seven past their date, three to be warned, one warned already (it waits for its date), one not due yet.
    const due = Array.from({ length: 7 }, (_, i) => doc(now - (i + 1) * DAY));
    const toWarn = Array.from({ length: 3 }, (_, i) => doc(now + (i + 1) * DAY));
    const warned = doc(now + DAY, new Date(now - DAY));
    const later = doc(now + 400 * DAY);
    const retention = store.collection<RetentionDoc>(COLLECTIONS.retention);
    await retention.insertMany([...due, ...toWarn, warned, later]);
    // What some of them left in the store (erased in slices, each collection once a slice), and what another
    // record left there (kept).
    const [d0, d1, d2] = due.map((d) => d._id) as [string, string, string];
    const other = randomUUID();
    // d0's current report is gone already (a review that stopped halfway), its history not: the erasure says it
    // erased up to version 2, so that neither version is stored again.
    await store
      .collection<{ _id: string; reportId: string; version: number }>(COLLECTIONS.reportVersions)
      .insertMany([
        { _id: `${d0}:1`, reportId: d0, version: 1 },
        { _id: `${d0}:2`, reportId: d0, version: 2 },
        { _id: `${other}:1`, reportId: other, version: 1 },
      ]);
    await store.collection<{ _id: string; subjectId: string }>(COLLECTIONS.envelopes).insertMany([
      { _id: randomUUID(), subjectId: d0 },
      { _id: randomUUID(), subjectId: d1 },
      { _id: randomUUID(), subjectId: d2 },
      { _id: randomUUID(), subjectId: other },
    ]);
    // The receipts of d0's messages quote its content (a content flag's message): erased with it; other's stay.
    const receipts = store.collection<{ _id: string; subjectId: string }>(COLLECTIONS.receipts);
    await receipts.insertMany([
      { _id: randomUUID(), subjectId: d0 },
      { _id: randomUUID(), subjectId: d0 },
      { _id: randomUUID(), subjectId: other },
    ]);
    const alerts = store.collection<{ _id: string; matched: { reportId: string }[] }>(COLLECTIONS.alerts);
    await alerts.insertMany([
      // d1 and d2 fall in one slice (soonest due first: d6 d5, d4 d3, d2 d1, d0): the alert naming both counts
      // for each.
      { _id: randomUUID(), matched: [{ reportId: d1 }, { reportId: d2 }] },
      { _id: randomUUID(), matched: [{ reportId: d0 }] },
      { _id: randomUUID(), matched: [{ reportId: other }] },
    ]);
    // Refused messages of d0 keep their envelope in quarantine: one filed under d0's key, re-driven and refused
    // again twice (each re-drive's entry under its re-drive's key, naming the entry it re-drove); and one of other's.
    const quarantine = store.collection<{ _id: string; key: string | null; redriveOf?: string }>(
      COLLECTIONS.quarantine,
    );
    await quarantine.insertMany([
      { _id: 'hub.node.KZ.out:0:1', key: d0 },
      { _id: 'hub.node.HUB.out:0:5', key: 'a-redrive-key', redriveOf: 'hub.node.KZ.out:0:1' },
      { _id: 'hub.node.HUB.out:0:9', key: 'another-redrive-key', redriveOf: 'hub.node.HUB.out:0:5' },
      { _id: 'hub.node.KZ.out:0:2', key: other },
    ]);

    const review = startRetention({
      store,
      producer: undefined as never,
      partitions: undefined as never,
      signer: createSigner({ privateKey: id.privateKey, certificate: id.certificatePem, origin: HUB_ORIGIN }),
      registry: loadSchemaRegistry(),
      names: topicNames(env.config.namespace),
      regions: [],
      policy: { periods: { seizure: 365 * DAY }, warnMs: 30 * DAY, checkMs: 3_600_000, reviewSlice: 2 },
      erased: new ErasedSet(),
      matchSecret: Buffer.alloc(32, 1),
      logger: env.logger,
      clock: () => now,
      send: false,
    });
    const erasures = store.collection<{ _id: string }>(COLLECTIONS.erasures);
    const dueIds = due.map((d) => d._id);
    // Another instance, caught up with the erasure log before the review.
    const another = new ErasedSet();
    await another.catchUp(store);
    for (const id of dueIds) expect(another.upTo(id), id).to.equal(undefined);
    // Another holder of the lock (as the intake's locked stage), asking for it again and again while the review
    // runs: what it finds erased each time it holds the lock.
    const seen: number[] = [];
    let reviewing = true;
    commands.length = 0;
    const running = review.runOnce().finally(() => (reviewing = false));
    try {
      while (reviewing)
        await withLock(store, 'read-models', async () => {
          seen.push(await erasures.countDocuments({ _id: { $in: dueIds } }));
        });
      await running;
    } finally {
      await review.stop();
    }

    expect(await erasures.countDocuments({ _id: { $in: dueIds } }), 'every record due erased').to.equal(7);
    expect(
      (
        await store
          .collection<{ _id: string; versionsUpTo: number }>(COLLECTIONS.erasures)
          .findOne({ _id: d0 })
      )?.versionsUpTo,
    ).to.equal(2);
    const left = await retention
      .find({ _id: { $in: [...toWarn, warned, later].map((d) => d._id) } })
      .toArray();
    expect(left.map((d) => d._id).sort()).to.deep.equal([...toWarn, warned, later].map((d) => d._id).sort());
    for (const d of toWarn)
      expect(left.find((x) => x._id === d._id)!.warnedAt?.getTime(), 'warned now').to.equal(now);
    expect(left.find((x) => x._id === warned._id)!.warnedAt?.getTime(), 'warned before').to.equal(now - DAY);
    expect(left.find((x) => x._id === later._id)!.warnedAt, 'not due yet').to.equal(null);
    expect(await retention.countDocuments({ _id: { $in: dueIds } })).to.equal(0);
    // Each collection is written once a slice for all its records, not once a record: envelopes of d2 and d1 (one
    // slice) and of d0 (the last), two deletes for three records.
    expect(
      commands.filter((c) => c.command === 'delete' && c.collection === COLLECTIONS.envelopes),
    ).to.have.length(2);
    // Each record's entry in the erasure log counts what was removed of it; another record's documents stay.
    const log = await erasures
      .find({ _id: { $in: [d0, d1, d2] } })
      .project<{ _id: string; removed: Record<string, number> }>({ removed: 1 })
      .toArray();
    const removedOf = (id: string) => log.find((e) => e._id === id)!.removed;
    expect(removedOf(d0)).to.include({
      [COLLECTIONS.reportVersions]: 2,
      [COLLECTIONS.envelopes]: 1,
      [COLLECTIONS.alerts]: 1,
      [COLLECTIONS.quarantine]: 3,
      [COLLECTIONS.receipts]: 2,
    });
    expect((await receipts.find({}).toArray()).map((r) => r.subjectId)).to.deep.equal([other]);
    expect((await quarantine.find({}).toArray()).map((q) => q._id)).to.deep.equal(['hub.node.KZ.out:0:2']);
    expect(removedOf(d1)).to.include({
      [COLLECTIONS.reportVersions]: 0,
      [COLLECTIONS.envelopes]: 1,
      [COLLECTIONS.alerts]: 1,
    });
    expect(removedOf(d2)).to.include({
      [COLLECTIONS.reportVersions]: 0,
      [COLLECTIONS.envelopes]: 1,
      [COLLECTIONS.alerts]: 1,
    });
    // It has not read hub.erasures (nothing is sent here): it learns them from the store before it stores anything
    // under the lock (the review stamped the erasures after logging them).
    await another.catchUp(store);
    for (const id of dueIds) expect(another.upTo(id), id).to.be.a('number');
    expect(another.upTo(d0)).to.equal(2);
    expect(
      await store
        .collection(COLLECTIONS.reportVersions)
        .countDocuments({ reportId: { $in: [d0, d1, d2, other] } }),
    ).to.equal(1);
    expect(
      await store
        .collection(COLLECTIONS.envelopes)
        .countDocuments({ subjectId: { $in: [d0, d1, d2, other] } }),
    ).to.equal(1);
    expect((await alerts.find({}).toArray()).map((a) => a.matched[0]!.reportId)).to.deep.equal([other]);
    // The other holder had the lock between slices: it saw the review part-way, not only before and after.
    expect(
      seen.filter((n) => n > 0 && n < 7).length,
      `erasures seen by the other holder: ${seen.join(', ')}`,
    ).to.be.greaterThan(0);
  });
});
