import { expect } from 'chai';
import { createHash, randomUUID } from 'node:crypto';
import { routeReportFromJson, seizureReportFromJson } from '@hub/domain';
import {
  createSigner,
  decodeBatchSignature,
  encodeBatchSignature,
  encodeEnvelope,
  type Signer,
} from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { certificateAnnouncement, createCa, issueCertificate, revocationNotice } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { selectQuarantined, startCoordinator } from '@hub/coordinator';
import { COLLECTIONS, type StoredQuarantine } from '@hub/store';
import { createPrivateKey } from 'node:crypto';
import { waitUntil } from '../support/env';
import { minimalReport, sendToPki, useRawIntake } from '../support/hub';

const minimal = minimalReport();

describe('coordinator intake refuses whatever is not a valid, signed message of the topic country', function () {
  this.timeout(120000);
  const registry = loadSchemaRegistry();
  // An unknown signer waits 2 s for its certificate on hub.pki (15 s by default), then is refused.
  const fx = useRawIntake('rejections', ['KZ', 'UZ'], { unknownSignerGraceMs: 2000 });
  let kz: Signer;
  let uz: Signer;
  const names = () => topicNames(fx.env.config.namespace);

  const report = (overrides: Record<string, unknown> = {}) =>
    seizureReportFromJson(
      { ...minimal, ...overrides },
      { nodeCountry: 'KZ', now: Date.now(), versionOf: () => 1, regions: new Set() },
    ).value;
  const envelopeOf = (signer: Signer, value: unknown, messageId?: string) => {
    const { payload, fingerprint } = registry.encode('SeizureReport', value);
    return signer.signEncoded({
      messageType: 'SeizureReport',
      schemaFingerprint: fingerprint,
      payload,
      messageId,
    });
  };
  const send = (topic: string, value: Buffer, key: string = randomUUID()) =>
    fx.producer.send({ topic, acks: -1, messages: [{ key, value }] });
  const quarantineReasons = async () =>
    (await fx.store.collection(COLLECTIONS.quarantine).find({}).toArray()).map((q) => String(q.reasonCode));

  before(() => {
    const signerOf = (cc: string) =>
      createSigner({
        privateKey: fx.pki.identity(cc).privateKey,
        certificate: fx.pki.identity(cc).certificatePem,
        origin: cc,
      });
    kz = signerOf('KZ');
    uz = signerOf('UZ');
  });

  it('quarantines each kind of bad envelope with its reason, answers the sender, and stores none of them', async () => {
    const goodValue = report();
    const good = envelopeOf(kz, goodValue);
    await send(names().nodeOut('KZ'), good.bytes);
    await waitUntil(
      'the control report stored',
      async () => (await fx.store.collection(COLLECTIONS.reports).countDocuments()) === 1 || undefined,
    );

    // not an envelope at all
    await send(names().nodeOut('KZ'), Buffer.from('not an envelope'));
    // payload altered after signing
    const tampered = envelopeOf(kz, report());
    await send(
      names().nodeOut('KZ'),
      Buffer.concat([
        tampered.bytes.subarray(0, tampered.bytes.length - 300),
        Buffer.from(tampered.bytes.subarray(tampered.bytes.length - 300)).fill(7, 0, 1),
      ]),
    );
    // a UZ envelope written into KZ's topic
    const mismatched = envelopeOf(uz, report({ country: 'KZ' }));
    await send(names().nodeOut('KZ'), mismatched.bytes);
    // the same message id again with different content
    await send(
      names().nodeOut('KZ'),
      envelopeOf(kz, report({ notes: 'changed' }), good.envelope.messageId).bytes,
    );
    // another message (a new id) claiming the version already stored
    await send(
      names().nodeOut('KZ'),
      envelopeOf(kz, { ...goodValue, notes: 'claims version 1 again' }).bytes,
      String(goodValue.reportId),
    );
    // a schema nobody knows
    await send(
      names().nodeOut('KZ'),
      kz.signEncoded({
        messageType: 'SeizureReport',
        schemaFingerprint: Buffer.alloc(8, 1),
        payload: Buffer.from([1, 2, 3]),
      }).bytes,
    );
    // signed, but the content is impossible
    const future = { ...report(), seizedAt: Date.now() + 30 * 86400000 };
    const invalid = envelopeOf(kz, future);
    await send(names().nodeOut('KZ'), invalid.bytes, future.reportId);
    // a certificate from another CA, announced on hub.pki: not kept (only what the hub CA issued is, or any node
    // could fill every verifier's memory with certificates of its own making), so its signer is unknown
    const otherCa = createCa({ bits: 2048 });
    const foreign = issueCertificate(otherCa, { country: 'KZ', agency: 'impostor' });
    const foreignSigner = createSigner({
      privateKey: createPrivateKey(foreign.privateKeyPem),
      certificate: foreign.certificatePem,
      origin: 'KZ',
    });
    const ann = certificateAnnouncement(registry, foreignSigner, foreign.certificatePem);
    await sendToPki(fx, { key: ann.key, value: ann.bytes });
    const foreignEnvelope = envelopeOf(foreignSigner, report());
    await send(names().nodeOut('KZ'), foreignEnvelope.bytes);
    // a certificate of the hub CA that was never announced (a node's new one that did not reach hub.pki)
    const unannounced = issueCertificate(fx.pki.ca(), { country: 'KZ', agency: 'KZ police' });
    const unknownEnvelope = envelopeOf(
      createSigner({
        privateKey: createPrivateKey(unannounced.privateKeyPem),
        certificate: unannounced.certificatePem,
        origin: 'KZ',
      }),
      report(),
    );
    await send(names().nodeOut('KZ'), unknownEnvelope.bytes);

    const expected = [
      'malformed',
      'bad-signature',
      'country-mismatch',
      'replay',
      'stale-version',
      'unknown-schema',
      'invalid-content',
      'unknown-signer',
      'unknown-signer',
    ];
    const reasons = await waitUntil(
      'every bad envelope quarantined',
      async () => {
        const r = await quarantineReasons();
        const count = (list: string[], reason: string) => list.filter((x) => x === reason).length;
        return expected.every((e) => count(r, e) >= count(expected, e)) ? r : undefined;
      },
      40000,
    );
    expect(reasons).to.have.length(expected.length);
    expect(await fx.store.collection(COLLECTIONS.reports).countDocuments()).to.equal(1);
    const stored = await fx.store.collection(COLLECTIONS.reports).findOne({});
    expect((stored?.report as { notes: string }).notes).to.equal('free text');

    const receipt = await waitUntil('a negative receipt for the invalid content', () =>
      fx.store.collection(COLLECTIONS.receipts).findOne({ inReplyTo: invalid.envelope.messageId }),
    );
    expect(receipt?.status).to.equal('rejected');
    expect((receipt?.reasons as { field: string }[]).map((r) => r.field)).to.include('seizedAt');

    // Refusals of trust are answered too, to the node whose topic they were read from (only it may write there):
    // its operator learns why. Bytes that are no envelope are answered to nobody: one receipt per message but those.
    const receipts = fx.store.collection<{
      inReplyTo: string;
      origin: string;
      status: string;
      reasons: { code: string }[];
    }>(COLLECTIONS.receipts);
    // The control report's acceptance, and every refusal but the malformed one.
    const answered = 1 + expected.length - 1;
    const all = await waitUntil('a receipt for every envelope', async () => {
      const found = await receipts.find({}).toArray();
      return found.length >= answered ? found : undefined;
    });
    expect(all).to.have.length(answered);
    for (const [envelope, code] of [
      [tampered.envelope, 'bad-signature'],
      [mismatched.envelope, 'country-mismatch'],
      [foreignEnvelope.envelope, 'unknown-signer'],
      [unknownEnvelope.envelope, 'unknown-signer'],
    ] as const) {
      const r = all.find((x) => x.inReplyTo === envelope.messageId);
      expect(r, code).to.include({ origin: 'KZ', status: 'rejected' });
      expect(r!.reasons.map((x) => x.code)).to.deep.equal([code]);
    }
  });

  it('refuses an envelope of a batch whose proof was altered or taken from another, and stores the rest of it', async () => {
    const batchKz = createSigner({
      privateKey: fx.pki.identity('KZ').privateKey,
      certificate: fx.pki.identity('KZ').certificatePem,
      origin: 'KZ',
      batch: true,
    });
    const values = [report(), report(), report()];
    const [a, b, c] = await batchKz.signEncodedAll(
      values.map((v) => {
        const { payload, fingerprint } = registry.encode('SeizureReport', v);
        return { messageType: 'SeizureReport', schemaFingerprint: fingerprint, payload };
      }),
    );
    expect(a!.envelope.signatureAlgorithm).to.equal('RSA-PSS-SHA256-BATCH');
    const sigB = decodeBatchSignature(b!.envelope.signature)!;
    const proof = sigB.proof.map((h) => Buffer.from(h));
    proof[0]![0] = proof[0]![0]! ^ 1;
    const alteredB = encodeEnvelope({ ...b!.envelope, signature: encodeBatchSignature({ ...sigB, proof }) });
    const borrowedC = encodeEnvelope({ ...c!.envelope, signature: a!.envelope.signature });
    await send(names().nodeOut('KZ'), alteredB, String(values[1]!.reportId));
    await send(names().nodeOut('KZ'), borrowedC, String(values[2]!.reportId));
    await send(names().nodeOut('KZ'), a!.bytes, String(values[0]!.reportId));
    const reports = fx.store.collection(COLLECTIONS.reports);
    await waitUntil('the intact envelope of the batch stored', () =>
      reports.findOne({ _id: values[0]!.reportId as never }),
    );
    const refused = await waitUntil('both altered envelopes quarantined', async () => {
      const q = await fx.store
        .collection(COLLECTIONS.quarantine)
        .find({ messageId: { $in: [b!.envelope.messageId, c!.envelope.messageId] } })
        .toArray();
      return q.length === 2 ? q : undefined;
    });
    expect(refused.map((q) => q.reasonCode)).to.deep.equal(['bad-signature', 'bad-signature']);
    expect(
      await reports.countDocuments({ _id: { $in: [values[1]!.reportId, values[2]!.reportId] } as never }),
    ).to.equal(0);
  });

  it('quarantines a record as large as the brokers take by its first bytes, and reads on', async () => {
    const reports = fx.store.collection(COLLECTIONS.reports);
    const before = await reports.countDocuments();
    // As large as the brokers take (message.max.bytes, 2 MiB) less the record batch's own bytes: a node may write it,
    // and a quarantine record carrying it whole would be more than they take (nothing after it would be read).
    const huge = Buffer.alloc(2 * 1024 * 1024 - 200, 7);
    huge.write('not an envelope');
    await send(names().nodeOut('KZ'), Buffer.from('small junk'), 'huge');
    await send(names().nodeOut('KZ'), huge, 'huge');
    await send(names().nodeOut('KZ'), envelopeOf(kz, report()).bytes, 'huge');
    await waitUntil(
      'the report after it stored',
      async () => (await reports.countDocuments()) === before + 1 || undefined,
      60000,
    );
    const entry = await fx.store
      .collection<StoredQuarantine>(COLLECTIONS.quarantine)
      .findOne({ originalLength: huge.length });
    expect(entry, 'quarantined').to.not.equal(null);
    expect(entry!.reasonCode).to.equal('malformed');
    expect(
      await fx.store
        .collection<StoredQuarantine>(COLLECTIONS.quarantine)
        .countDocuments({ _id: entry!._id, originalBytes: huge.subarray(0, 65536) }),
      'its first 64 KiB kept',
    ).to.equal(1);
    const sha256 = createHash('sha256').update(huge).digest('hex');
    expect(entry!.originalSha256).to.equal(sha256);
    expect(entry!.detail).to.equal(
      `envelope of ${huge.length} bytes exceeds 1048576; only its first 65536 bytes are kept here (all ${huge.length}: SHA-256 ${sha256}, where it was read)`,
    );
    // Taking it again could never succeed: refused by id, left out by filters.
    let refusal: Error | undefined;
    await selectQuarantined(fx.store, names(), { ids: [entry!._id] }).catch((err: Error) => (refusal = err));
    expect(refusal?.message).to.equal(
      `${entry!._id} is a record of ${huge.length} bytes, larger than any envelope the hub takes, and only its first bytes are kept: taking it again cannot succeed`,
    );
    const byReason = await selectQuarantined(fx.store, names(), { reason: 'malformed' });
    const small = await fx.store
      .collection(COLLECTIONS.quarantine)
      .findOne({ originalBytes: Buffer.from('small junk') });
    expect(byReason.map((e) => e._id))
      .to.include(small?._id)
      .and.not.include(entry!._id);
  });

  it("quarantines a partition's many large records, which no one batch of the brokers could carry", async () => {
    const reports = fx.store.collection(COLLECTIONS.reports);
    const before = await reports.countDocuments();
    // Read in one chunk of 500 by a coordinator started after they were written: their quarantine records all go to
    // one partition (the same bytes), 2.4 MB in all, more than one record batch the brokers take.
    await fx.coordinator.close();
    const junk = Buffer.alloc(4000, 9);
    for (let k = 0; k < 5; k++)
      await fx.producer.send({
        topic: names().nodeOut('KZ'),
        acks: -1,
        messages: Array.from({ length: 100 }, () => ({ key: 'many', value: junk })),
      });
    await send(names().nodeOut('KZ'), envelopeOf(kz, report()).bytes, 'many');
    fx.coordinator = await startCoordinator({
      config: fx.env.config,
      logger: fx.env.logger,
      topicRefreshMs: 500,
      unknownSignerGraceMs: 2000,
    });
    await waitUntil(
      'the report after them stored',
      async () => (await reports.countDocuments()) === before + 1 || undefined,
      60000,
    );
    expect(
      await fx.store
        .collection(COLLECTIONS.quarantine)
        .countDocuments({ topic: names().nodeOut('KZ'), originalBytes: junk }),
      'every one quarantined',
    ).to.equal(500);
  });

  it('refuses a subject id that is no UUID, and answers a record whatever its key, reading on', async () => {
    const reports = fx.store.collection(COLLECTIONS.reports);
    const before = await reports.countDocuments();
    // A report id of 900 kB: it would be the Kafka key of the report's receipt and feed records, and its _id.
    const longId = envelopeOf(kz, { ...report(), reportId: 'x'.repeat(900_000) });
    await send(names().nodeOut('KZ'), longId.bytes, 'ids');
    // A Kafka key of 1.5 MB on a report refused for its content: a receipt keyed by it, naming it as its subject,
    // would be larger than the brokers take, and kafkajs' partitioner alone hashes such a key for minutes (its
    // murmur2 does 64-bit arithmetic in JavaScript for each byte). Written to a partition named, so that this test's
    // own producer does not hash it.
    const future = envelopeOf(kz, { ...report(), seizedAt: Date.now() + 86_400_000 });
    await fx.producer.send({
      topic: names().nodeOut('KZ'),
      acks: -1,
      messages: [{ key: 'k'.repeat(1_500_000), value: future.bytes, partition: 0 }],
    });
    await send(names().nodeOut('KZ'), envelopeOf(kz, report()).bytes, 'ids');
    await waitUntil(
      'the report after them stored',
      async () => (await reports.countDocuments()) === before + 1 || undefined,
      60000,
    );
    const quarantine = fx.store.collection<StoredQuarantine>(COLLECTIONS.quarantine);
    expect(await quarantine.findOne({ messageId: longId.envelope.messageId })).to.include({
      reasonCode: 'invalid-content',
      detail: 'reportId: must be a UUID',
    });
    const receipts = fx.store.collection<{ inReplyTo: string; subjectId: string | null; status: string }>(
      COLLECTIONS.receipts,
    );
    expect(
      await waitUntil('its receipt', () => receipts.findOne({ inReplyTo: future.envelope.messageId })),
    ).to.include({
      status: 'rejected',
      subjectId: null,
    });
  });

  it('refuses a report with more drugs than a national node takes, naming the list', async () => {
    // 5,000 drugs (a national node takes 50): each would be a contribution document and a read-model entry.
    const drugs = Array.from({ length: 5000 }, () => report().drugs[0]);
    const many = envelopeOf(kz, { ...report(), drugs });
    await send(names().nodeOut('KZ'), many.bytes);
    const entry = await waitUntil('the report quarantined', () =>
      fx.store
        .collection<StoredQuarantine>(COLLECTIONS.quarantine)
        .findOne({ messageId: many.envelope.messageId }),
    );
    expect(entry).to.include({
      reasonCode: 'invalid-content',
      detail: 'drugs: must list at most 50 (as a national node takes them)',
    });
  });

  it('refuses a report with text longer than a national node takes, naming each field, and stores one at the limits', async () => {
    const quarantined = (messageId: string) =>
      waitUntil('the report quarantined', () =>
        fx.store.collection<StoredQuarantine>(COLLECTIONS.quarantine).findOne({ messageId }),
      );
    const links = [
      { kind: 'case', ref: 'KZ-2026-118' },
      { kind: 'case', ref: 'r'.repeat(201) },
    ];
    const long = envelopeOf(kz, {
      ...report(),
      notes: 'n'.repeat(4001),
      links,
      reportingChannel: 'c'.repeat(501),
    });
    await send(names().nodeOut('KZ'), long.bytes);
    expect(await quarantined(long.envelope.messageId)).to.include({
      reasonCode: 'invalid-content',
      detail:
        'links[1].ref: must be at most 200 characters (got 201); notes: must be at most 4000 characters (got 4001); ' +
        'reportingChannel: must be at most 500 characters (got 501)',
    });
    // Every field at its limit, as a node's API takes it: stored.
    const full = report({
      notes: 'n'.repeat(4000),
      agencyName: 'a'.repeat(200),
      place: { name: 'p'.repeat(200) },
    });
    const atLimits = envelopeOf(kz, full);
    await send(names().nodeOut('KZ'), atLimits.bytes);
    const stored = await waitUntil('the report at the limits stored', () =>
      fx.store.collection(COLLECTIONS.reports).findOne({ _id: full.reportId as never }),
    );
    expect(stored).to.have.nested.property('report.notes').with.length(4000);
  });

  it("refuses another country's version or withdrawal of a record, and takes its originator's next version", async () => {
    const quarantined = (messageId: string) =>
      waitUntil('the envelope quarantined', () =>
        fx.store.collection<StoredQuarantine>(COLLECTIONS.quarantine).findOne({ messageId }),
      );
    const signed = (signer: Signer, type: string, value: unknown) => {
      const { payload, fingerprint } = registry.encode(type, value);
      return signer.signEncoded({ messageType: type, schemaFingerprint: fingerprint, payload });
    };
    const asNode = (cc: string, version: number, overrides: Record<string, unknown>) =>
      seizureReportFromJson(
        { ...minimal, country: cc, ...overrides },
        { nodeCountry: cc, now: Date.now(), versionOf: () => version, regions: new Set() },
      ).value;
    // KZ's report, as any node reads its id on a feed or in an alert.
    const first = report({ notes: 'KZ, as sent' });
    const reportId = String(first.reportId);
    await send(names().nodeOut('KZ'), envelopeOf(kz, first).bytes, reportId);
    await waitUntil('the report stored', () =>
      fx.store.collection(COLLECTIONS.reports).findOne({ _id: reportId as never }),
    );
    // UZ, with its own key on its own topic: a "version 2" of it, then a withdrawal of it.
    const overwrite = envelopeOf(uz, asNode('UZ', 2, { reportId, notes: 'UZ rewrote it' }));
    await send(names().nodeOut('UZ'), overwrite.bytes, reportId);
    const withdrawal = signed(uz, 'SeizureRetraction', {
      reportId,
      version: 3,
      retractedAt: Date.now(),
      reason: 'withdrawn by another country',
      submittedBy: null,
    });
    await send(names().nodeOut('UZ'), withdrawal.bytes, reportId);
    for (const e of [overwrite, withdrawal])
      expect(await quarantined(e.envelope.messageId)).to.include({
        reasonCode: 'country-mismatch',
        detail: `${reportId} is a record of KZ: only KZ may send a new version of it or withdraw it`,
      });
    // KZ's own next version is taken (the refused one did not keep version 2), and nothing of UZ's stays.
    await send(
      names().nodeOut('KZ'),
      envelopeOf(kz, { ...asNode('KZ', 2, { reportId, notes: 'KZ, corrected' }) }).bytes,
      reportId,
    );
    const current = await waitUntil('the version 2 of KZ', async () => {
      const doc = await fx.store.collection(COLLECTIONS.reports).findOne({ _id: reportId as never });
      return doc?.version === 2 ? doc : undefined;
    });
    expect(current).to.include({ status: 'active', originCountry: 'KZ' });
    expect((current.report as { notes: string }).notes).to.equal('KZ, corrected');
    const history = await fx.store.collection(COLLECTIONS.reportVersions).find({ reportId }).toArray();
    expect(history.map((h) => [h.version, h.originCountry]).sort()).to.deep.equal([
      [1, 'KZ'],
      [2, 'KZ'],
    ]);
    expect(
      await fx.store.collection(COLLECTIONS.envelopes).countDocuments({
        _id: { $in: [overwrite.envelope.messageId, withdrawal.envelope.messageId] } as never,
      }),
    ).to.equal(0);

    // The same for a trafficking route: UZ's version of KZ's route is refused, KZ's stays current.
    const route = (cc: string, signer: Signer, routeId: string | undefined, version: number, name: string) =>
      signed(
        signer,
        'TraffickingRoute',
        routeReportFromJson(
          { ...(routeId && { routeId }), name, legs: [{ from: 'TJ', to: cc }], handling: { tlp: 'GREEN' } },
          { nodeCountry: cc, now: Date.now(), versionOf: () => version, regions: new Set() },
        ).value,
      );
    const kzRoute = route('KZ', kz, undefined, 1, 'Northern route');
    const routeId = String(
      registry.decode(kzRoute.envelope.schemaFingerprint, kzRoute.envelope.payload).routeId,
    );
    await send(names().nodeOut('KZ'), kzRoute.bytes, routeId);
    await waitUntil('the route stored', () =>
      fx.store.collection(COLLECTIONS.routes).findOne({ _id: routeId as never }),
    );
    const uzRoute = route('UZ', uz, routeId, 2, 'Rewritten by UZ');
    await send(names().nodeOut('UZ'), uzRoute.bytes, routeId);
    expect(await quarantined(uzRoute.envelope.messageId)).to.include({
      reasonCode: 'country-mismatch',
      detail: `${routeId} is a record of KZ: only KZ may send a new version of it or withdraw it`,
    });
    expect(await fx.store.collection(COLLECTIONS.routes).findOne({ _id: routeId as never })).to.include({
      version: 1,
      originCountry: 'KZ',
    });
  });

  it('applies a revocation from hub.pki without a restart', async () => {
    const notice = revocationNotice(registry, fx.pki.ca(), {
      fingerprint: fx.pki.identity('KZ').fingerprint,
      origin: 'KZ',
      reason: 'key lost',
      revokedAt: Date.now(),
    });
    await sendToPki(fx, { key: notice.key, value: notice.bytes });
    const storedBefore = await fx.store.collection(COLLECTIONS.reports).countDocuments();
    await send(names().nodeOut('KZ'), envelopeOf(kz, report()).bytes);
    await waitUntil(
      'the revoked signer quarantined',
      async () => (await quarantineReasons()).includes('revoked') || undefined,
      30000,
    );
    expect(await fx.store.collection(COLLECTIONS.reports).countDocuments()).to.equal(storedBefore);
  });
});
