// Which versions of a report go on the regional feeds, on the real stack: only a report's current version, claimed
// by the batch that stores it. An older version taken in late (re-sent by its node after a later one, or re-driven
// from quarantine after the report's withdrawal) is stored as before and answered, but never published again.
import { expect } from 'chai';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { redriveQuarantined } from '@hub/coordinator';
import { seizureReportFromJson } from '@hub/domain';
import { createSigner, createVerifier, type Signer } from '@hub/envelope';
import { createKafka, topicNames, type Consumer } from '@hub/kafka';
import { certificateAnnouncement, issueCertificate, type PkiStore } from '@hub/pki';
import { loadRegions, loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, type StoredQuarantine } from '@hub/store';
import { waitUntil } from '../support/env';
import { minimalReport, sendToPki, useRawIntake } from '../support/hub';

/** What a feed record says of the record it carries. */
interface Published {
  messageType: string;
  subjectId: string;
  version: number | null;
}

describe('coordinator: feeds carry only current versions', function () {
  this.timeout(300000);
  const registry = loadSchemaRegistry();
  // Chunks of two: a resend of the current version is fed again only while it may be the redelivery of a chunk stored
  // and never answered before a start (within one chunk's length of the first offset read since): past the first two
  // offsets here, where with chunks of 500 that would take 500 messages.
  const fx = useRawIntake('feeds-versions', ['KZ'], { unknownSignerGraceMs: 1000, chunkSize: 2 });
  const names = () => topicNames(fx.env.config.namespace);
  const kz = () => createSigner(pkiSigner(fx.pki, 'KZ'));
  // Every record on central-asia's feed, in order.
  const central: Published[] = [];
  let consumer: Consumer | undefined;

  before(async () => {
    const verifier = createVerifier({ trust: fx.pki.trustStore() });
    const kafka = createKafka({
      brokers: fx.env.config.kafka.brokers,
      clientId: 'feeds-versions',
      logger: fx.env.logger,
    });
    consumer = kafka.consumer({ groupId: `${names().group('feeds-versions')}-${randomUUID()}` });
    await consumer.connect();
    const topic = names().feed('central-asia');
    await waitUntil(
      'the central-asia feed made',
      async () => (await fetchTopics(kafka)).includes(topic) || undefined,
    );
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const outer = verifier.verify(message.value!);
        if (!outer.ok || outer.envelope.messageType !== 'FeedRecord') return;
        const r = registry.decode(
          outer.envelope.schemaFingerprint,
          outer.envelope.payload,
        ) as unknown as Published;
        central.push({ messageType: r.messageType, subjectId: r.subjectId, version: r.version });
      },
    });
  });
  after(async () => {
    await consumer?.disconnect();
  });

  const report = (reportId: string, version: number, handling: Record<string, unknown> = { tlp: 'GREEN' }) =>
    seizureReportFromJson(
      { ...minimalReport(), reportId, handling },
      {
        nodeCountry: 'KZ',
        now: Date.now(),
        versionOf: () => version,
        regions: new Set(loadRegions().map((r) => r.id)),
      },
    ).value;
  const sign = (signer: Signer, messageType: string, value: unknown) => {
    const { payload, fingerprint } = registry.encode(messageType, value);
    return signer.signEncoded({ messageType, schemaFingerprint: fingerprint, payload });
  };
  const send = (key: string, ...bytes: Buffer[]) =>
    fx.producer.send({
      topic: names().nodeOut('KZ'),
      acks: -1,
      messages: bytes.map((value) => ({ key, value })),
    });
  const receiptsOf = (messageId: string) =>
    fx.store
      .collection<{ _id: string; inReplyTo: string; status: string }>(COLLECTIONS.receipts)
      .find({ inReplyTo: messageId })
      .toArray();
  const accepted = (messageId: string) =>
    waitUntil(
      `${messageId} accepted`,
      async () => (await receiptsOf(messageId)).some((r) => r.status === 'accepted') || undefined,
    );
  /**
   * A GREEN report sent under `key` (so on the same partition, after what was sent before), waited for on the feed:
   * what came before it has been handled by then.
   */
  const marker = async (key: string) => {
    const id = randomUUID();
    await send(key, sign(kz(), 'SeizureReport', report(id, 1)).bytes);
    await waitUntil(
      'the marker on the feed',
      async () => central.some((r) => r.subjectId === id) || undefined,
    );
  };
  const of = (id: string) => central.filter((r) => r.subjectId === id).map((r) => [r.messageType, r.version]);

  it('does not publish an older version re-sent after a later one, nor the current one again', async () => {
    const id = randomUUID();
    const v1 = sign(kz(), 'SeizureReport', report(id, 1));
    const v2 = sign(kz(), 'SeizureReport', report(id, 2, { tlp: 'AMBER_STRICT', releasableTo: ['KG'] }));
    const v3 = sign(kz(), 'SeizureReport', report(id, 3));
    await send(id, v1.bytes);
    await accepted(v1.envelope.messageId);
    await send(id, v2.bytes);
    await accepted(v2.envelope.messageId);
    await marker(id);
    // v2 is for KG alone: on no feed.
    expect(of(id)).to.deep.equal([['SeizureReport', 1]]);
    // The node's outbox lost its cursor and sends its log again: v1 is accepted again (the same message, the same
    // receipt), but its report is at v2 now.
    const before = (await receiptsOf(v1.envelope.messageId)).map((r) => r._id);
    await send(id, v1.bytes);
    await marker(id);
    expect(of(id)).to.deep.equal([['SeizureReport', 1]]);
    expect((await receiptsOf(v1.envelope.messageId)).map((r) => r._id)).to.deep.equal(before);
    // A new current version goes out once; sent again, it is not published twice.
    await send(id, v3.bytes);
    await accepted(v3.envelope.messageId);
    await send(id, v3.bytes);
    await marker(id);
    expect(of(id)).to.deep.equal([
      ['SeizureReport', 1],
      ['SeizureReport', 3],
    ]);
  });

  it('publishes nothing of a report re-driven after its own withdrawal was accepted', async () => {
    // Version 1 signed with a renewed certificate not announced yet (quarantined), the withdrawal with the known one.
    const renewed = issueCertificate(fx.pki.ca(), { country: 'KZ', agency: 'KZ customs' });
    const late = createSigner({
      privateKey: createPrivateKey(renewed.privateKeyPem),
      certificate: renewed.certificatePem,
      origin: 'KZ',
    });
    const id = randomUUID();
    const v1 = sign(late, 'SeizureReport', report(id, 1));
    await send(id, v1.bytes);
    const entry = await waitUntil(`${v1.envelope.messageId} quarantined`, () =>
      fx.store
        .collection<StoredQuarantine>(COLLECTIONS.quarantine)
        .findOne({ messageId: v1.envelope.messageId, redriveOf: { $exists: false } }),
    );
    const withdrawal = sign(kz(), 'SeizureRetraction', {
      reportId: id,
      version: 2,
      retractedAt: Date.now(),
      reason: 'entered twice',
      submittedBy: null,
    });
    await send(id, withdrawal.bytes);
    await accepted(withdrawal.envelope.messageId);
    const ann = certificateAnnouncement(registry, late, renewed.certificatePem);
    await sendToPki(fx, { key: ann.key, value: ann.bytes });
    const done = await redriveQuarantined({
      config: fx.env.config,
      logger: fx.env.logger,
      requestedBy: 'duty-officer@regional-centre',
      waitMs: 60000,
      ids: [entry._id],
    });
    expect(done.map((r) => r.outcome?.outcome)).to.deep.equal(['accepted']);
    await marker(id);
    // Stored withdrawn, and never on the feed: the withdrawn content does not go out.
    expect(await fx.store.collection<{ _id: string }>(COLLECTIONS.reports).findOne({ _id: id })).to.include({
      status: 'retracted',
      version: 2,
    });
    expect(of(id)).to.deep.equal([]);
  });
});

async function fetchTopics(kafka: ReturnType<typeof createKafka>): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

function pkiSigner(pki: PkiStore, cc: string) {
  const id = pki.identity(cc);
  return { privateKey: id.privateKey, certificate: id.certificatePem, origin: cc };
}
