// A coordinator that stored and answered a chunk but died before committing its offsets: the next instance of the
// group finds the chunk recorded as done (intake_progress) and skips it, instead of processing it again (which on
// FerretDB costs whole-collection reads per chunk). Nothing is stored twice and nothing is lost.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { decodeLockedStage, startCoordinator, type RunningCoordinator } from '@hub/coordinator';
import { seizureReportFromJson } from '@hub/domain';
import { createSigner } from '@hub/envelope';
import { createKafka, topicNames } from '@hub/kafka';
import { startNationalNode, type RunningNationalNode } from '@hub/national-node';
import { revocationNotice } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, connectStore, findBuckets, type Store } from '@hub/store';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { metricValue, minimalReport, postJson, testPki, useRawIntake } from '../support/hub';

/** A sample of the coordinator's /metrics (see metricValue). */
const metric = (c: RunningCoordinator, name: string, labels: Record<string, string> = {}) =>
  metricValue(c.opsUrl, name, labels);

/** How many chunks went through a stage (hub_coordinator_chunk_stage_seconds). */
const stageCount = (c: RunningCoordinator, stage: string) =>
  metric(c, 'hub_coordinator_chunk_stage_seconds_count', { stage });

/** Where the chunk a locked-stage record speaks for began (partition, first offset) and its size: to rewind to it. */
const chunkStart = (id: string, done: Record<string, string>) => {
  const offsets = Object.keys(done).map(Number);
  return {
    partition: Number(id.split('|').pop()),
    offset: String(Math.min(...offsets)),
    size: offsets.length,
  };
};

/** `n` GREEN seizures of `substance` by KZ customs in `year`, of 1, 2, … n kg. */
const seizures = (n: number, year: number, substance: string) =>
  Array.from({ length: n }, (_, i) => ({
    reportId: randomUUID(),
    seizedAt: new Date(Date.UTC(year, i % 12, 10)).toISOString(),
    country: 'KZ',
    agency: 'customs',
    drugs: [{ substance, quantity: 1 + i, unit: 'kg' }],
    handling: { tlp: 'GREEN' },
  }));

describe('coordinator: a chunk stored and answered but not committed', function () {
  this.timeout(300000);
  let env: TestEnv;
  let node: RunningNationalNode;
  let store: Store;
  const running: RunningCoordinator[] = [];

  before(async () => {
    env = createTestEnv('redelivery');
    testPki(env, ['KZ']);
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
  });
  after(async () => {
    await node?.close();
    for (const c of running) await c.close().catch(() => undefined);
    await store?.close();
    env?.cleanup();
  });

  /** Move the coordinator group's committed offsets back, as a crash before committing leaves them. */
  const rewind = async (topic: string, to: { partition: number; offset: string }[]) => {
    const admin = createKafka({
      brokers: env.config.kafka.brokers,
      clientId: 'redelivery',
      logger: env.logger,
    }).admin();
    await admin.connect();
    try {
      await admin.setOffsets({
        groupId: topicNames(env.config.namespace).group('coordinator'),
        topic,
        partitions: to.map(({ partition, offset }) => ({ partition, offset })),
      });
    } finally {
      await admin.disconnect();
    }
  };

  const start = async () => {
    const c = await startCoordinator({
      config: env.config,
      logger: env.logger,
      topicRefreshMs: 500,
      opsPort: 0,
    });
    running.push(c);
    return c;
  };

  /** The locked-stage records of this topic's partitions, decoded. */
  const lockedRecords = async (topic: string) =>
    (await store.collection<{ _id: string; body: Buffer }>(COLLECTIONS.intakeLockedStages).find({}).toArray())
      .filter((l) => l._id.includes(`|${topic}|`))
      .map((l) => ({ id: l._id, stage: decodeLockedStage(l.body) }));

  /**
   * As if the last coordinator had died after its locked stages, before answering (no chunk recorded as done, no
   * receipts, the committed offsets back at each recorded chunk's first message), then a new one started: it must
   * answer those `ids` from the records alone. Returns the new coordinator.
   */
  const resumeFromRecords = async (
    topic: string,
    rewound: ReturnType<typeof chunkStart>[],
    ids: string[],
  ) => {
    const receipts = store.collection<{ _id: string; subjectId: string }>(COLLECTIONS.receipts);
    await store.collection(COLLECTIONS.intakeProgress).deleteMany({});
    await receipts.deleteMany({ subjectId: { $in: ids } });
    await rewind(topic, rewound);
    const next = await start();
    const n = ids.length;
    await waitUntil(`the ${n} answered again`, async () => next.processed() >= n || undefined, 120000, 200);
    expect(await metric(next, 'hub_coordinator_messages_resumed_total')).to.equal(n);
    expect(await metric(next, 'hub_coordinator_accepted_total'), 'nothing accepted again').to.equal(0);
    // Every receipt stored (and sent) again.
    const again = await receipts.find({ subjectId: { $in: ids } }).toArray();
    expect(again.map((r) => r.subjectId).sort()).to.deep.equal([...ids].sort());
    return next;
  };

  it('is skipped by the next instance: its messages are not processed again, everything stays stored once', async () => {
    const first = await start();
    node = await startNationalNode({
      config: env.config,
      country: 'KZ',
      logger: env.logger,
      port: 0,
      inbox: false,
    });
    const reports = seizures(90, 2013, 'heroin');
    const r = await postJson(`${node.url}/v1/seizures/batch`, reports);
    expect(r.status).to.equal(202);
    await waitUntil('90 reports processed', async () => first.processed() >= 90 || undefined, 120000, 200);
    const kg = async () =>
      (
        await findBuckets(
          store.collection<{ _id: string; quantityKg: number; count: number }>(COLLECTIONS.statsMonthly),
        )
      ).reduce((s, b) => ({ kg: s.kg + b.quantityKg, n: s.n + b.count }), { kg: 0, n: 0 });
    const totals = await kg();
    expect(totals).to.deep.equal({ kg: (90 * 91) / 2, n: 90 });
    await first.close();

    // As if it had died between recording the chunks and committing them: each partition's committed offset goes
    // back to the first message of its last recorded chunk.
    const names = topicNames(env.config.namespace);
    const progress = await store
      .collection<{ _id: string; done: Record<string, string> }>(COLLECTIONS.intakeProgress)
      .find({})
      .toArray();
    const topic = names.nodeOut('KZ');
    const rewound = progress.map((p) => ({
      partition: Number(p._id.split('|').pop()),
      offset: String(Math.min(...Object.keys(p.done).map(Number))),
      size: Object.keys(p.done).length,
    }));
    expect(rewound.length, 'a recorded chunk per partition that received reports').to.be.greaterThan(0);
    await rewind(topic, rewound);
    const redelivered = rewound.reduce((s, p) => s + p.size, 0);

    const second = await start();
    await waitUntil(
      'the rewound messages redelivered',
      async () => second.processed() >= redelivered || undefined,
      120000,
      200,
    );
    expect(await metric(second, 'hub_coordinator_messages_done_before_total')).to.equal(redelivered);
    expect(await metric(second, 'hub_coordinator_accepted_total'), 'nothing processed again').to.equal(0);
    expect(await kg()).to.deep.equal(totals);
    expect(await store.collection(COLLECTIONS.reports).countDocuments()).to.equal(90);

    // The next report is processed as usual.
    const one = {
      ...reports[0],
      reportId: randomUUID(),
      drugs: [{ substance: 'heroin', quantity: 1000, unit: 'kg' }],
    };
    expect((await postJson(`${node.url}/v1/seizures`, one)).status).to.equal(202);
    await waitUntil(
      'the next report stored',
      async () => (await metric(second, 'hub_coordinator_accepted_total')) === 1 || undefined,
      120000,
      200,
    );
    expect(await kg()).to.deep.equal({ kg: totals.kg + 1000, n: 91 });
    // Where a chunk's time went, per stage, for operators (Prometheus): the stored chunk passed every stage.
    for (const stage of ['classify', 'persist', 'read_models', 'correlate', 'feeds', 'send'])
      expect(await stageCount(second, stage), stage).to.be.at.least(1);
    // And where the store's time went, per command and collection: the report was inserted.
    const inserts = { command: 'insert', collection: COLLECTIONS.reports, outcome: 'ok' };
    expect(await metric(second, 'hub_store_command_seconds_count', inserts)).to.be.at.least(1);
    expect(await metric(second, 'hub_store_command_seconds_sum', inserts)).to.be.greaterThan(0);
    await second.close();
  });

  it('stored but not answered: the next instance answers it from its locked stage without storing it again', async () => {
    const third = await start();
    const reports = seizures(60, 2014, 'opium');
    const ids = reports.map((r) => r.reportId);
    expect((await postJson(`${node.url}/v1/seizures/batch`, reports)).status).to.equal(202);
    const receipts = store.collection<{ _id: string; subjectId: string }>(COLLECTIONS.receipts);
    await waitUntil(
      'a receipt for each of the 60',
      async () => (await receipts.countDocuments({ subjectId: { $in: ids } })) === 60 || undefined,
      120000,
      200,
    );
    const storedBefore = await store.collection(COLLECTIONS.reports).countDocuments();
    const historyBefore = await store.collection(COLLECTIONS.reportVersions).countDocuments();
    await third.close();

    // As if it had died after its stage under the store lock, before answering: nothing recorded as done, no
    // receipts, and the committed offsets back at the first message that stage recorded.
    const names = topicNames(env.config.namespace);
    const topic = names.nodeOut('KZ');
    const rewound = (await lockedRecords(topic)).map((l) => chunkStart(l.id, l.stage.done));
    const redelivered = rewound.reduce((n, p) => n + p.size, 0);
    expect(redelivered, 'the 60 reports went in one chunk per partition').to.equal(60);
    const fourth = await resumeFromRecords(topic, rewound, ids);
    expect(await metric(fourth, 'hub_coordinator_messages_done_before_total')).to.equal(0);
    for (const stage of ['persist', 'read_models', 'correlate'])
      expect(await stageCount(fourth, stage), `${stage}: not run again`).to.equal(0);
    expect(await stageCount(fourth, 'send')).to.be.at.least(1);
    // Nothing stored twice.
    expect(await store.collection(COLLECTIONS.reports).countDocuments()).to.equal(storedBefore);
    expect(await store.collection(COLLECTIONS.reportVersions).countDocuments()).to.equal(historyBefore);
  });

  it('a locked-stage record an older coordinator wrote (no feed decisions): the chunk is processed in full', async () => {
    // The instance the test before left running is the group's only member no more.
    for (const c of running.splice(0)) await c.close().catch(() => undefined);
    const sixth = await start();
    const reports = seizures(30, 2016, 'hashish');
    const ids = reports.map((r) => r.reportId);
    expect((await postJson(`${node.url}/v1/seizures/batch`, reports)).status).to.equal(202);
    const receipts = store.collection<{ _id: string; subjectId: string }>(COLLECTIONS.receipts);
    await waitUntil(
      'a receipt for each of the 30',
      async () => (await receipts.countDocuments({ subjectId: { $in: ids } })) === 30 || undefined,
      120000,
      200,
    );
    const storedBefore = await store.collection(COLLECTIONS.reports).countDocuments();
    await sixth.close();

    // As a coordinator before the records held feed decisions wrote them: no format, no `feed:` keys. It died after
    // its locked stages, before answering.
    const topic = topicNames(env.config.namespace).nodeOut('KZ');
    const records = await lockedRecords(topic);
    const lockedStages = store.collection<{ _id: string; body: Buffer }>(COLLECTIONS.intakeLockedStages);
    for (const { id, stage } of records) {
      const { feeds: _, handlingOf, ...rest } = stage;
      const old = {
        ...rest,
        handlingOf: Object.fromEntries(Object.entries(handlingOf).filter(([k]) => !k.startsWith('feed:'))),
      };
      await lockedStages.updateOne({ _id: id }, { $set: { body: Buffer.from(JSON.stringify(old), 'utf8') } });
    }
    const rewound = records.map((l) => chunkStart(l.id, l.stage.done));
    expect(rewound.reduce((n, p) => n + p.size, 0)).to.equal(30);
    await store.collection(COLLECTIONS.intakeProgress).deleteMany({});
    await receipts.deleteMany({ subjectId: { $in: ids } });
    await rewind(topic, rewound);
    const seventh = await start();
    await waitUntil(
      'the 30 processed again',
      async () => seventh.processed() >= 30 || undefined,
      120000,
      200,
    );
    // Not answered from the record (which decided nothing of the feeds): stored again, as a redelivery, so that the
    // versions it claimed go on the feeds.
    expect(await metric(seventh, 'hub_coordinator_messages_resumed_total')).to.equal(0);
    expect(await stageCount(seventh, 'persist')).to.be.at.least(1);
    expect(await metric(seventh, 'hub_coordinator_accepted_total')).to.equal(30);
    expect(await receipts.countDocuments({ subjectId: { $in: ids } })).to.equal(30);
    expect(await store.collection(COLLECTIONS.reports).countDocuments()).to.equal(storedBefore);
    // Its chunks' records are of the current format again, the versions' feed decisions in them.
    for (const { stage } of await lockedRecords(topic)) {
      expect(stage.feeds).to.equal(1);
      expect(Object.keys(stage.handlingOf).filter((k) => k.startsWith('feed:'))).to.have.length(
        Object.keys(stage.done).length,
      );
    }
    await seventh.close();
  });

  it('chunks of several partitions that waited for the store lock are stored in one stage, answered and resumed each', async () => {
    // Another instance holds the store lock. The reports are published while no coordinator runs, so that the next
    // one's first fetch holds all three partitions' messages: each partition's chunk is classified and waits.
    for (const c of running.splice(0)) await c.close().catch(() => undefined);
    const names = topicNames(env.config.namespace);
    const topic = names.nodeOut('KZ');
    const locks = store.collection<{ _id: string; owner: string; expiresAt: Date }>(COLLECTIONS.locks);
    await locks.insertOne({
      _id: 'read-models',
      owner: 'another instance',
      expiresAt: new Date(Date.now() + 300000),
    });
    const reports = seizures(60, 2015, 'cocaine');
    const ids = reports.map((r) => r.reportId);
    const storedBefore = await store.collection(COLLECTIONS.reports).countDocuments();
    expect((await postJson(`${node.url}/v1/seizures/batch`, reports)).status).to.equal(202);
    await waitUntil('the 60 published', async () => node.outboxDepth() === 0 || undefined, 60000, 100);
    const fifth = await start();
    await waitUntil(
      "a chunk of each of the topic's three partitions waiting",
      async () => (await metric(fifth, 'hub_coordinator_chunks_waiting')) === 3 || undefined,
      120000,
      200,
    );
    expect(fifth.processed(), 'nothing stored while the lock is held elsewhere').to.equal(0);
    await locks.deleteOne({ _id: 'read-models', owner: 'another instance' });
    await waitUntil('the 60 processed', async () => fifth.processed() >= 60 || undefined, 120000, 200);
    const receipts = store.collection<{ _id: string; subjectId: string }>(COLLECTIONS.receipts);
    expect(await receipts.countDocuments({ subjectId: { $in: ids } })).to.equal(60);
    // One locked stage stored the three chunks.
    const stages = await metric(fifth, 'hub_coordinator_locked_stage_chunks_count');
    const upToTwo = await metric(fifth, 'hub_coordinator_locked_stage_chunks_bucket', { le: '2' });
    expect(stages - upToTwo, 'a stage of three chunks').to.equal(1);
    expect(await metric(fifth, 'hub_coordinator_chunks_waiting')).to.equal(0);
    expect(await metric(fifth, 'hub_coordinator_accepted_total')).to.equal(60);
    expect(await store.collection(COLLECTIONS.reports).countDocuments()).to.equal(storedBefore + 60);
    await fifth.close();

    // Each chunk's record of that stage is its own: its partition's offsets, its own outcomes. Answered again from
    // them after a crash before the answers, as in the test before, every report has its receipt again.
    const records = await lockedRecords(topic);
    expect(records).to.have.length(3);
    const rewound = records.map(({ id, stage }) => {
      // (Each report's handling, and the same again for its version going on the feeds: `feed:<id>:<message id>`.)
      const handled = Object.keys(stage.handlingOf);
      expect(
        handled.filter((k) => !k.startsWith('feed:')),
        `${id}: the handling of its own reports, not of the others stored with it`,
      ).to.have.length(Object.keys(stage.done).length);
      expect(
        handled.filter((k) => k.startsWith('feed:')),
        `${id}: its own versions fed`,
      ).to.have.length(Object.keys(stage.done).length);
      return chunkStart(id, stage.done);
    });
    expect(rewound.reduce((n, p) => n + p.size, 0)).to.equal(60);
    await resumeFromRecords(topic, rewound, ids);
    expect(await store.collection(COLLECTIONS.reports).countDocuments()).to.equal(storedBefore + 60);
  });
});

describe('coordinator: a report stored before its signer was revoked, read again after', function () {
  this.timeout(300000);
  const registry = loadSchemaRegistry();
  const fx = useRawIntake('redelivery-revoked', ['KZ']);
  const names = () => topicNames(fx.env.config.namespace);
  const receipts = () =>
    fx.store.collection<{ _id: string; inReplyTo: string; status: string }>(COLLECTIONS.receipts);
  const quarantined = (messageId: string) =>
    fx.store.collection(COLLECTIONS.quarantine).countDocuments({ messageId });
  /** KZ's node's signing key, revoked in the first test. */
  const kz = () =>
    createSigner({
      privateKey: fx.pki.identity('KZ').privateKey,
      certificate: fx.pki.identity('KZ').certificatePem,
      origin: 'KZ',
    });
  /** A new report of KZ's, signed as its node signs: the envelope and its bytes. */
  const report = () => {
    const value = seizureReportFromJson(minimalReport(), {
      nodeCountry: 'KZ',
      now: Date.now(),
      versionOf: () => 1,
      regions: new Set(),
    }).value;
    const { payload, fingerprint } = registry.encode('SeizureReport', value);
    return {
      reportId: String(value.reportId),
      ...kz().signEncoded({ messageType: 'SeizureReport', schemaFingerprint: fingerprint, payload }),
    };
  };
  const publish = (r: { reportId: string; bytes: Buffer }) =>
    fx.producer.send({
      topic: names().nodeOut('KZ'),
      acks: -1,
      messages: [{ key: r.reportId, value: r.bytes }],
    });
  /** The receipts stored for a message, once it has any. */
  const answersTo = (messageId: string) =>
    waitUntil(
      `a receipt for ${messageId}`,
      async () => {
        const found = await receipts().find({ inReplyTo: messageId }).toArray();
        return found.length ? found : undefined;
      },
      120000,
      200,
    );
  let stored: ReturnType<typeof report>;
  let acceptance: { _id: string; status: string }[];

  it('stored but not answered when its signer is revoked: answered as accepted, from its locked stage', async () => {
    stored = report();
    await publish(stored);
    acceptance = (await answersTo(stored.envelope.messageId)).map(({ _id, status }) => ({ _id, status }));
    expect(acceptance.map((r) => r.status)).to.deep.equal(['accepted']);
    await fx.coordinator.close();
    // KZ's certificate revoked; then a coordinator that died after storing the report, before answering it, starts
    // again: nothing recorded as done, no receipt, the committed offset back at the stored chunk.
    const notice = revocationNotice(registry, fx.pki.ca(), {
      fingerprint: fx.pki.identity('KZ').fingerprint,
      origin: 'KZ',
      reason: 'key lost',
      revokedAt: Date.now(),
    });
    await fx.producer.send({
      topic: names().pki,
      acks: -1,
      messages: [{ key: notice.key, value: notice.bytes }],
    });
    const locked = (
      await fx.store
        .collection<{ _id: string; body: Buffer }>(COLLECTIONS.intakeLockedStages)
        .find({})
        .toArray()
    ).filter((l) => l._id.includes(`|${names().nodeOut('KZ')}|`));
    expect(locked).to.have.length(1);
    const offsets = Object.keys(decodeLockedStage(locked[0]!.body).done).map(Number);
    await fx.store.collection(COLLECTIONS.intakeProgress).deleteMany({});
    await receipts().deleteMany({ inReplyTo: stored.envelope.messageId });
    const admin = createKafka({
      brokers: fx.env.config.kafka.brokers,
      clientId: 'redelivery-revoked',
      logger: fx.env.logger,
    }).admin();
    await admin.connect();
    try {
      await admin.setOffsets({
        groupId: names().group('coordinator'),
        topic: names().nodeOut('KZ'),
        partitions: [{ partition: 0, offset: String(Math.min(...offsets)) }],
      });
    } finally {
      await admin.disconnect();
    }
    fx.coordinator = await startCoordinator({
      config: fx.env.config,
      logger: fx.env.logger,
      topicRefreshMs: 500,
      opsPort: 0,
    });
    const again = await answersTo(stored.envelope.messageId);
    expect(
      again.map(({ _id, status }) => ({ _id, status })),
      'the receipt it had',
    ).to.deep.equal(acceptance);
    expect(await metricValue(fx.coordinator.opsUrl, 'hub_coordinator_messages_resumed_total')).to.equal(1);
    expect(await quarantined(stored.envelope.messageId), 'not quarantined').to.equal(0);
  });

  it("the same bytes published again after the revocation: the node's receipt stays the acceptance, no quarantine entry", async () => {
    await publish(stored);
    // A new report signed with the revoked key comes after it on the partition: refused, and once it is, the one
    // before it has been judged.
    const fresh = report();
    await publish(fresh);
    await waitUntil(
      'the new report refused',
      async () => (await quarantined(fresh.envelope.messageId)) || undefined,
      120000,
      200,
    );
    expect(
      (await receipts().find({ inReplyTo: fresh.envelope.messageId }).toArray()).map((r) => r.status),
    ).to.deep.equal(['rejected']);
    const answers = await receipts().find({ inReplyTo: stored.envelope.messageId }).toArray();
    expect(
      answers.map(({ _id, status }) => ({ _id, status })),
      'no receipt but the acceptance',
    ).to.deep.equal(acceptance);
    expect(await quarantined(stored.envelope.messageId), 'not quarantined').to.equal(0);
    expect(
      await fx.store.collection(COLLECTIONS.reports).countDocuments({ _id: stored.reportId as never }),
    ).to.equal(1);
  });
});
