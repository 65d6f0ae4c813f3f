// Quarantined records taken again once the cause is mended (`hub quarantine redrive`), on the real stack: a report
// signed with a certificate that reached hub.pki only after its grace ran out is refused, re-driven while still
// unknown (refused again, a new entry naming the first), then re-driven once announced and stored as if it had been
// accepted the first time: its node gets the receipt, the archive names the topic and offset its node wrote it at,
// the entry says so, and a replay rebuilds the same store. A report whose content the hub refuses stays refused;
// an entry accepted is not taken twice; a re-drive that is not the coordination node's is refused and changes nothing.
import { expect } from 'chai';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { redriveQuarantined, signRedrive } from '@hub/coordinator';
import type { StoredQuarantine } from '@hub/store';
import { seizureReportFromJson } from '@hub/domain';
import { createSigner, MAX_ENVELOPE_BYTES, type Signer } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { certificateAnnouncement, issueCertificate, type PkiStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, type StoredEnvelope } from '@hub/store';
import { authDir, loadKeyRing, mintToken, startQueryApi } from '@hub/query-api';
import { hubAsync } from '../support/cli';
import { cliEnv, waitUntil } from '../support/env';
import { getJson, minimalReport, sendToPki, useRawIntake } from '../support/hub';
import { kafkaLayout } from '../../scripts/src/stack/kafka';
import { run } from '../../scripts/src/stack/proc';
import { stackVersions } from '../../scripts/src/stack/versions';

describe('coordinator: quarantined records taken again once the cause is mended', function () {
  this.timeout(300000);
  const registry = loadSchemaRegistry();
  // An unknown signer waits 1 s for its certificate on hub.pki (15 s by default), then is refused.
  const fx = useRawIntake('redrive', ['KZ'], { unknownSignerGraceMs: 1000, opsPort: 0 });
  const names = () => topicNames(fx.env.config.namespace);

  const report = (overrides: Record<string, unknown> = {}) =>
    seizureReportFromJson(
      { ...minimalReport(), reportId: randomUUID(), ...overrides },
      { nodeCountry: 'KZ', now: Date.now(), versionOf: () => 1, regions: new Set() },
    ).value;
  const envelopeOf = (signer: Signer, value: unknown) => {
    const { payload, fingerprint } = registry.encode('SeizureReport', value);
    return signer.signEncoded({ messageType: 'SeizureReport', schemaFingerprint: fingerprint, payload });
  };
  const quarantine = () => fx.store.collection<StoredQuarantine>(COLLECTIONS.quarantine);
  const entryOf = async (messageId: string) =>
    waitUntil(`${messageId} quarantined`, () =>
      quarantine().findOne({ messageId, redriveOf: { $exists: false } }),
    );
  const receiptsOf = (messageId: string) =>
    fx.store
      .collection<{
        _id: string;
        inReplyTo: string;
        status: string;
        origin: string;
        subjectId: string | null;
        reasons: { code: string }[];
      }>(COLLECTIONS.receipts)
      .find({ inReplyTo: messageId })
      .toArray();
  const redrive = (more: Parameters<typeof redriveQuarantined>[0] extends infer O ? Partial<O> : never) =>
    redriveQuarantined({
      config: fx.env.config,
      logger: fx.env.logger,
      requestedBy: 'duty-officer@regional-centre',
      waitMs: 60000,
      ...more,
    });

  /** A renewed certificate of KZ's node, not announced on hub.pki yet, and a signer with it. */
  const renewedKz = () => {
    const renewed = issueCertificate(fx.pki.ca(), { country: 'KZ', agency: 'KZ customs' });
    const signer = createSigner({
      privateKey: createPrivateKey(renewed.privateKeyPem),
      certificate: renewed.certificatePem,
      origin: 'KZ',
    });
    return { renewed, signer };
  };

  it('stores a report refused for a signer announced late once re-driven, answers its node, and replays the same', async () => {
    // KZ's node renewed its certificate; the announcement did not reach hub.pki in time.
    const { renewed, signer: kz } = renewedKz();
    const value = report();
    const late = envelopeOf(kz, value);
    const invalidValue = { ...report(), seizedAt: Date.now() + 30 * 86_400_000 };
    const invalid = envelopeOf(createSigner({ ...pkiSigner(fx.pki, 'KZ') }), invalidValue);
    await fx.producer.send({
      topic: names().nodeOut('KZ'),
      acks: -1,
      messages: [
        { key: String(value.reportId), value: late.bytes },
        { key: String(invalidValue.reportId), value: invalid.bytes },
      ],
    });
    const first = await entryOf(late.envelope.messageId);
    expect(first.reasonCode).to.equal('unknown-signer');
    const refusedFirst = await entryOf(invalid.envelope.messageId);
    expect(refusedFirst.reasonCode).to.equal('invalid-content');
    await waitUntil(
      'the refusal answered to KZ',
      async () => (await receiptsOf(late.envelope.messageId)).length === 1,
    );

    // Re-driven while its certificate is still unknown: refused again, an entry of its own naming the first, read
    // from KZ's topic; the first says so.
    const still = await redrive({ ids: [first._id] });
    expect(still.map((r) => r.outcome?.outcome)).to.deep.equal(['rejected']);
    expect(still[0]!.outcome).to.include({
      reason: 'unknown-signer',
      requestedBy: 'duty-officer@regional-centre',
    });
    const again = await quarantine().findOne({ redriveOf: first._id });
    expect(again).to.include({
      reasonCode: 'unknown-signer',
      topic: names().nodeOut('KZ'),
      offset: first.offset,
      // Filed under the report, as the first (an erasure of it finds both).
      key: String(value.reportId),
    });
    expect(again!._id.startsWith(`${names().hubOut}:`)).to.equal(true);
    expect(
      await fx.store.collection<{ _id: string }>(COLLECTIONS.reports).countDocuments({ _id: value.reportId }),
    ).to.equal(0);
    // Its node is answered again, under a message id of its own (it has the first refusal's, and would drop another
    // answer under it), against the report: not the re-drive's key, which names no record of the node's.
    const refusedTwice = await waitUntil('the refusal of the re-drive answered to KZ', async () => {
      const r = await receiptsOf(late.envelope.messageId);
      return r.length === 2 ? r : undefined;
    });
    expect(new Set(refusedTwice.map((r) => r._id)).size).to.equal(2);
    for (const r of refusedTwice)
      expect(r).to.include({ status: 'rejected', origin: 'KZ', subjectId: String(value.reportId) });

    // The certificate announced: re-driven by reason (the refused re-drive leads to the entry it re-drove), it is
    // stored as if accepted the first time.
    const ann = certificateAnnouncement(registry, kz, renewed.certificatePem);
    await sendToPki(fx, { key: ann.key, value: ann.bytes });
    const dry = await redrive({ reason: 'unknown-signer', dryRun: true });
    expect(dry.map((r) => [r.entry._id, r.redriveId])).to.deep.equal([[first._id, undefined]]);
    const done = await redrive({ reason: 'unknown-signer' });
    expect(done.map((r) => [r.entry._id, r.outcome?.outcome])).to.deep.equal([[first._id, 'accepted']]);
    const stored = await fx.store
      .collection<{ _id: string }>(COLLECTIONS.reports)
      .findOne({ _id: value.reportId });
    expect(stored).to.include({ version: 1, messageId: late.envelope.messageId, originCountry: 'KZ' });
    const archived = await fx.store
      .collection<StoredEnvelope>(COLLECTIONS.envelopes)
      .findOne({ _id: late.envelope.messageId });
    expect(archived).to.include({ topic: names().nodeOut('KZ'), offset: first.offset });
    expect(Buffer.from(archived!.bytes).equals(late.bytes)).to.equal(true);
    const receipts = await waitUntil('the acceptance answered to KZ', async () => {
      const r = await receiptsOf(late.envelope.messageId);
      return r.length === 3 ? r : undefined;
    });
    expect(receipts.map((r) => [r.status, r.origin, r.subjectId]).sort()).to.deep.equal([
      ['accepted', 'KZ', String(value.reportId)],
      ['rejected', 'KZ', String(value.reportId)],
      ['rejected', 'KZ', String(value.reportId)],
    ]);
    expect((await quarantine().findOne({ _id: first._id }))!.redrive).to.include({
      outcome: 'accepted',
      requestedBy: 'duty-officer@regional-centre',
    });

    // Accepted once: not taken again unless asked, and then as a redelivery (one report, one archived envelope).
    expect(await redrive({ reason: 'unknown-signer' })).to.deep.equal([]);
    const twice = await redrive({ ids: [first._id], again: true });
    expect(twice.map((r) => r.outcome?.outcome)).to.deep.equal(['accepted']);
    expect(
      await fx.store.collection(COLLECTIONS.reportVersions).countDocuments({ reportId: value.reportId }),
    ).to.equal(1);
    expect(
      await fx.store
        .collection<{ _id: string }>(COLLECTIONS.envelopes)
        .countDocuments({ _id: late.envelope.messageId }),
    ).to.equal(1);
    // Its acceptance is answered once: the re-drive taken again is a redelivery, answered as before.
    expect(await receiptsOf(late.envelope.messageId)).to.have.length(3);

    // What the hub's rules refuse stays refused, with its reason, through the CLI (exit 1).
    const cli = await hubAsync(
      ['quarantine', 'redrive', refusedFirst._id, '--wait', '60', '--by', 'analyst-2'],
      cliEnv(fx.env),
    );
    expect(cli.status, cli.stderr).to.equal(1);
    const line = JSON.parse(cli.stdout.trim()) as {
      id: string;
      redrive: { outcome: string; reason: string };
    };
    expect(line).to.deep.include({ id: refusedFirst._id });
    expect(line.redrive).to.include({ outcome: 'rejected', reason: 'invalid-content' });
    expect(cli.stderr).to.include('1 re-driven: 0 accepted, 1 refused again');
    // Answered to KZ again, against the report, with the reason of this refusal.
    const invalidReceipts = await waitUntil('the second refusal answered to KZ', async () => {
      const r = await receiptsOf(invalid.envelope.messageId);
      return r.length === 2 ? r : undefined;
    });
    for (const r of invalidReceipts) {
      expect(r).to.include({ status: 'rejected', origin: 'KZ', subjectId: String(invalidValue.reportId) });
      expect(r.reasons.map((x) => x.code)).to.include('invalid-content');
    }
    const listed = await hubAsync(['quarantine', 'list', '--country', 'KZ'], cliEnv(fx.env));
    expect(listed.status, listed.stderr).to.equal(0);
    const lines = listed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { id: string; redriveOf?: string; redrive?: { outcome: string } });
    expect(lines.find((l) => l.id === first._id)?.redrive?.outcome).to.equal('accepted');
    expect(lines.filter((l) => l.redriveOf).length).to.equal(2);
    // The coordinator counts them by outcome: twice accepted (once a redelivery), twice refused again; the refusals
    // counted as refusals are the two first ones only (re-drives refused again raise no alert of a new attack).
    const metrics = (await (await fetch(`${fx.coordinator.opsUrl}/metrics`)).text())
      .split('\n')
      .filter((l) => /^hub_coordinator_(redriven|rejected)_total/.test(l))
      .join('\n');
    expect(metrics).to.match(
      /^hub_coordinator_redriven_total\{outcome="accepted",service="coordinator"\} 2$/m,
    );
    expect(metrics).to.match(
      /^hub_coordinator_redriven_total\{outcome="rejected",service="coordinator"\} 2$/m,
    );
    expect(metrics).to.match(
      /^hub_coordinator_rejected_total\{reason="unknown-signer",service="coordinator"\} 1$/m,
    );
    expect(metrics).to.match(
      /^hub_coordinator_rejected_total\{reason="invalid-content",service="coordinator"\} 1$/m,
    );
    const usage = await hubAsync(['quarantine', 'redrive'], cliEnv(fx.env));
    expect(usage.status).to.equal(2);
    expect(usage.stderr).to.include('name the entries');

    // The query API shows what came of each: the entry re-driven and accepted, and the re-drives refused again.
    const api = await startQueryApi({ config: fx.env.config, logger: fx.env.logger, port: 0 });
    try {
      const tokenOf = (role: 'coordinator' | 'analyst') =>
        mintToken(loadKeyRing(authDir(fx.env.config.hubHome)), {
          sub: `${role}-TJ`,
          role,
          country: 'TJ',
          clearance: 'RED',
          ttlSeconds: 600,
        });
      const token = tokenOf('coordinator');
      type Shown = {
        id: string;
        redriveOf?: string;
        redrive?: { outcome: string; requestedBy: string; reason?: string; redriveId?: string };
        redrivePending?: { redriveId: string; requestedBy: string };
      };
      const list = async () => (await getJson(`${api.url}/v1/quarantine`, token)).body.quarantined as Shown[];
      const shown = await list();
      expect(shown.find((q) => q.id === first._id)?.redrive).to.include({
        outcome: 'accepted',
        requestedBy: 'duty-officer@regional-centre',
      });
      expect(shown.find((q) => q.id === refusedFirst._id)?.redrive).to.include({
        outcome: 'rejected',
        reason: 'invalid-content',
        requestedBy: 'analyst-2',
      });
      expect(
        shown
          .filter((q) => q.redriveOf)
          .map((q) => q.redriveOf)
          .sort(),
      ).to.deep.equal([first._id, refusedFirst._id].sort());

      // A coordinator has one taken again from the API (the key stays with the coordinator, which signs it):
      // the re-drive refused again names the entry it re-drove, which is the one taken again.
      const post = async (body: unknown, as = token, type = 'application/json') => {
        const r = await fetch(`${api.url}/v1/quarantine/redrive`, {
          method: 'POST',
          headers: { authorization: `Bearer ${as}`, 'content-type': type },
          body: typeof body === 'string' ? body : JSON.stringify(body),
        });
        return { status: r.status, body: (await r.json()) as Record<string, unknown> };
      };
      const refusedAgain = shown.find((q) => q.redriveOf === refusedFirst._id)!;
      const queued = await post({ ids: [refusedAgain.id] });
      expect(queued.status, JSON.stringify(queued.body)).to.equal(202);
      const [redrive] = queued.body.redrives as { id: string; redriveId: string }[];
      expect(redrive!.id).to.equal(refusedFirst._id);
      // Pending until the coordinator has taken it, then what came of it, with who asked.
      const before = (await list()).find((q) => q.id === refusedFirst._id)!;
      expect([before.redrivePending?.redriveId, before.redrive?.redriveId]).to.include(redrive!.redriveId);
      const after = await waitUntil('the re-drive asked in the API taken', async () => {
        const q = (await list()).find((x) => x.id === refusedFirst._id)!;
        return q.redrive?.redriveId === redrive!.redriveId ? q : undefined;
      });
      expect(after.redrive).to.include({
        outcome: 'rejected',
        reason: 'invalid-content',
        requestedBy: 'coordinator-TJ',
      });
      expect(after.redrivePending).to.equal(undefined);

      // What cannot be taken again is named, and nothing is queued.
      const fields = async (body: unknown, type?: string) => {
        const r = await post(body, token, type);
        expect(r.status, JSON.stringify(r.body)).to.equal(400);
        return (r.body.errors as { field: string; message: string }[]).map((e) => `${e.field}: ${e.message}`);
      };
      expect(await fields({ ids: [] })).to.deep.equal([
        'ids: give the ids of 1 to 100 quarantine entries, as GET /v1/quarantine lists them',
      ]);
      const unknown = `${names().nodeOut('KZ')}:0:424242`;
      const errors = await fields({ ids: [first._id, 'nonsense', unknown] });
      expect(errors).to.have.length(1);
      expect(errors[0]).to.equal('ids[1]: is no quarantine entry id (<topic>:<partition>:<offset>)');
      expect(await fields({ ids: [first._id, unknown] })).to.deep.equal([
        `ids[0]: ${(await fields({ ids: [first._id] }))[0]!.slice('ids[0]: '.length)}`,
        'ids[1]: no quarantine entry has this id',
      ]);
      expect((await fields({ ids: [first._id] }))[0]).to.match(
        /^ids\[0\]: was taken again and accepted already/,
      );
      expect((await fields(JSON.stringify({ ids: [first._id] }), 'text/plain'))[0]).to.match(
        /^\(body\): send the request as JSON, with content-type: application\/json/,
      );
      expect((await post({ ids: [refusedFirst._id] }, tokenOf('analyst'))).status).to.equal(403);
    } finally {
      await api.close();
    }

    // A replay rebuilds the same store: the first record is taken where it was written, its re-drives are
    // redeliveries.
    const replay = await hubAsync(['replay'], cliEnv(fx.env), 240000);
    expect(replay.status, replay.stderr).to.equal(0);
    expect(replay.stderr).to.match(/the rebuilt store equals the live one/);
  });

  it('stores withdrawn a report re-driven after its own withdrawal was accepted', async () => {
    // The report's version 1 is signed with a renewed certificate not announced yet (refused), its withdrawal with
    // the node's known one (accepted, kept in the history only: the store had no report to withdraw).
    const { renewed, signer: late } = renewedKz();
    const value = report();
    const reportId = String(value.reportId);
    const first = envelopeOf(late, value);
    await fx.producer.send({
      topic: names().nodeOut('KZ'),
      acks: -1,
      messages: [{ key: reportId, value: first.bytes }],
    });
    const entry = await entryOf(first.envelope.messageId);
    expect(entry.reasonCode).to.equal('unknown-signer');
    const { payload, fingerprint } = registry.encode('SeizureRetraction', {
      reportId,
      version: 2,
      retractedAt: Date.now(),
      reason: 'entered twice',
      submittedBy: null,
    });
    const withdrawal = createSigner(pkiSigner(fx.pki, 'KZ')).signEncoded({
      messageType: 'SeizureRetraction',
      schemaFingerprint: fingerprint,
      payload,
    });
    await fx.producer.send({
      topic: names().nodeOut('KZ'),
      acks: -1,
      messages: [{ key: reportId, value: withdrawal.bytes }],
    });
    await waitUntil(
      'the withdrawal accepted',
      async () =>
        (await receiptsOf(withdrawal.envelope.messageId)).some((r) => r.status === 'accepted') || undefined,
    );

    // The certificate announced and the report re-driven: it is in the store, withdrawn, not active.
    const ann = certificateAnnouncement(registry, late, renewed.certificatePem);
    await sendToPki(fx, { key: ann.key, value: ann.bytes });
    const done = await redrive({ ids: [entry._id] });
    expect(done.map((r) => r.outcome?.outcome)).to.deep.equal(['accepted']);
    const stored = await fx.store.collection<{ _id: string }>(COLLECTIONS.reports).findOne({ _id: reportId });
    expect(stored).to.include({
      status: 'retracted',
      version: 2,
      messageId: withdrawal.envelope.messageId,
      originCountry: 'KZ',
    });
    expect(stored).to.have.nested.property('retraction.reason', 'entered twice');
    const history = await fx.store
      .collection<{ _id: string; supersededAt: Date | null }>(COLLECTIONS.reportVersions)
      .find({ reportId } as never)
      .toArray();
    expect(history.map((h) => [h._id, h.supersededAt === null]).sort()).to.deep.equal([
      [`${reportId}:1`, false],
      [`${reportId}:2`, true],
    ]);
  });

  it('takes again a refused record as large as an envelope may be (its re-drive is larger)', async () => {
    // 1 MiB, the most an envelope may be (MAX_ENVELOPE_BYTES), but no envelope: refused as malformed, and so again.
    const big = Buffer.alloc(MAX_ENVELOPE_BYTES, 0xff);
    await fx.producer.send({
      topic: names().nodeOut('KZ'),
      acks: -1,
      messages: [{ key: 'big', value: big }],
    });
    const entry = await waitUntil('the large record quarantined', () =>
      quarantine().findOne({ originalBytes: big }),
    );
    expect(entry.reasonCode).to.equal('malformed');
    expect(entry.originalLength, 'kept whole').to.equal(undefined);
    const [result] = await redrive({ ids: [entry._id] });
    // Its re-drive, about 1 KiB more than the record, is taken as the coordination node's and unwrapped: the record
    // is refused again for what it is, not its wrapper for its size.
    expect(result?.outcome).to.include({ outcome: 'rejected', reason: 'malformed' });
    expect(result?.outcome?.detail).to.equal(entry.detail);
    const again = await quarantine().findOne({ redriveOf: entry._id });
    expect(again?.topic, 'refused again where it was first read').to.equal(names().nodeOut('KZ'));
    expect(await quarantine().countDocuments({ topic: names().hubOut, reasonCode: 'malformed' })).to.equal(0);
  });

  it('says on the entry when the brokers refuse a re-drive from the dashboard, and takes it once they would', async () => {
    await fx.producer.send({
      topic: names().nodeOut('KZ'),
      acks: -1,
      messages: [{ key: 'small', value: Buffer.from('no envelope, refused twice') }],
    });
    const entry = await waitUntil('the record quarantined', () =>
      quarantine().findOne({ originalBytes: Buffer.from('no envelope, refused twice') }),
    );
    // A cluster that takes less than the hub writes (here the coordination node's topic, as an un-upgraded
    // production cluster's message.max.bytes would): the coordinator cannot send the re-drive, ever.
    // (kafkajs' AlterConfigs is a version Kafka 4 no longer takes: Kafka's own ConfigCommand, from the cached jars.)
    const limit = async (change: string[]) => {
      const libs = kafkaLayout(fx.env.config.cacheDir, fx.env.config.hubHome, stackVersions().kafka).libs;
      const r = await run('java', [
        '-Xmx128m',
        '-cp',
        `${libs}/*`,
        'kafka.admin.ConfigCommand',
        '--bootstrap-server',
        fx.env.config.kafka.brokers.join(','),
        '--alter',
        '--entity-type',
        'topics',
        '--entity-name',
        names().hubOut,
        ...change,
      ]);
      expect(r.code, r.stdout + r.stderr).to.equal(0);
    };
    const api = await startQueryApi({ config: fx.env.config, logger: fx.env.logger, port: 0 });
    try {
      await limit(['--add-config', 'max.message.bytes=512']);
      const token = mintToken(loadKeyRing(authDir(fx.env.config.hubHome)), {
        sub: 'coordinator-TJ',
        role: 'coordinator',
        country: 'TJ',
        clearance: 'RED',
        ttlSeconds: 600,
      });
      const post = async () => {
        const r = await fetch(`${api.url}/v1/quarantine/redrive`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ids: [entry._id] }),
        });
        expect(r.status).to.equal(202);
        return ((await r.json()) as { redrives: { redriveId: string }[] }).redrives[0]!.redriveId;
      };
      type Row = {
        id: string;
        redrive?: { redriveId: string; outcome: string };
        redrivePending?: unknown;
        redriveNotSent?: { redriveId: string; code: string; message: string; requestedBy: string };
      };
      const row = async () =>
        ((await getJson(`${api.url}/v1/quarantine`, token)).body.quarantined as Row[]).find(
          (q) => q.id === entry._id,
        );
      const refused = await post();
      const notSent = await waitUntil(
        'the re-drive refused by the brokers',
        async () => (await row())?.redriveNotSent,
      );
      expect(notSent).to.deep.include({
        redriveId: refused,
        code: 'TOO_LARGE',
        requestedBy: 'coordinator-TJ',
      });
      expect(notSent.message).to.match(
        /^the brokers refuse a record of \d+ bytes: set their message.max.bytes to 2097152 \(infra\/production\/README.md\)$/,
      );
      expect((await row())?.redrivePending, 'no longer waiting').to.equal(undefined);

      // The cluster mended: asked again, sent, taken, and refused again for what the bytes are.
      await limit(['--delete-config', 'max.message.bytes']);
      const again = await post();
      const taken = await waitUntil('the second re-drive taken', async () => {
        const r = await row();
        return r?.redrive?.redriveId === again ? r : undefined;
      });
      expect(taken.redrive).to.include({ outcome: 'rejected' });
      expect(taken.redriveNotSent, 'the refusal superseded').to.equal(undefined);
      // Taken again from the CLI afterwards: the dashboard's re-drive, sent and taken before, is not shown waiting.
      const [cli] = await redrive({ ids: [entry._id] });
      expect(cli?.outcome).to.include({ outcome: 'rejected' });
      const after = await row();
      expect(after?.redrive?.redriveId).to.equal(cli?.redriveId);
      expect(after?.redrivePending, 'nothing waits').to.equal(undefined);
    } finally {
      await limit(['--delete-config', 'max.message.bytes']).catch(() => undefined);
      await api.close();
    }
  });

  it('refuses a re-drive that is not the coordination node’s, and takes nothing from it', async () => {
    const kzSigner = createSigner(pkiSigner(fx.pki, 'KZ'));
    const value = report();
    const bytes = envelopeOf(kzSigner, value).bytes;
    const entry = {
      _id: `${names().nodeOut('KZ')}:0:999`,
      originalBytes: bytes,
      topic: names().nodeOut('KZ'),
      partition: 0,
      offset: '999',
      reasonCode: 'unknown-signer',
      detail: '',
      quarantinedAt: Date.now(),
      messageId: null,
      origin: 'KZ',
    };
    // Signed by KZ's node and written to the coordination node's topic (a plaintext broker lets it).
    const forged = await signRedrive(entry, {
      registry,
      signer: kzSigner,
      requestedBy: 'KZ',
      now: Date.now(),
    });
    await fx.producer.send({
      topic: names().hubOut,
      acks: -1,
      messages: [{ key: 'forged', value: forged.bytes }],
    });
    const refused = await waitUntil('the forged re-drive refused', () =>
      quarantine().findOne({ topic: names().hubOut, reasonCode: 'country-mismatch' }),
    );
    expect(refused.redriveOf).to.equal(undefined);
    expect(
      await fx.store.collection<{ _id: string }>(COLLECTIONS.reports).countDocuments({ _id: value.reportId }),
    ).to.equal(0);
  });
});

function pkiSigner(pki: PkiStore, cc: string) {
  const id = pki.identity(cc);
  return { privateKey: id.privateKey, certificate: id.certificatePem, origin: cc };
}
