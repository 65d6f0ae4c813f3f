import { expect } from 'chai';
import { createHash, randomUUID } from 'node:crypto';
import { createSigner, createVerifier, decodeEnvelope } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { createTrustStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import type { StoredQuarantine } from '@hub/store';
import { testPki } from '../../pki/test/fixtures';
import type { IntakeRecord, Outcome } from '../src/outcome';
import { Outgoing } from '../src/outgoing';
import { redriveKey, signRedrive, unwrapRedrives } from '../src/redrive';
import { buildReplies } from '../src/replies';

describe('coordinator: the receipt of a quarantined record taken again', function () {
  this.timeout(30000);
  const registry = loadSchemaRegistry();
  const names = topicNames('');
  const pki = testPki();
  const trust = createTrustStore(pki.ca.certPem);
  trust.add(pki.hub.cert.certificatePem);
  const verifier = createVerifier({ trust });
  const hub = createSigner({
    privateKey: pki.hub.key,
    certificate: pki.hub.cert.certificatePem,
    origin: 'HUB',
  });
  const kz = createSigner({ privateKey: pki.kz.key, certificate: pki.kz.cert.certificatePem, origin: 'KZ' });
  const clock = () => Date.UTC(2026, 11, 7, 9, 0);

  /** KZ's withdrawal of a report, as its node wrote it to its topic (keyed by the report's id), and refused. */
  const refused = () => {
    const reportId = randomUUID();
    const { payload, fingerprint } = registry.encode('SeizureRetraction', {
      reportId,
      version: 2,
      retractedAt: clock(),
      reason: 'entered twice',
      submittedBy: null,
    });
    const { bytes, envelope } = kz.signEncoded({
      messageType: 'SeizureRetraction',
      schemaFingerprint: fingerprint,
      payload,
    });
    const record: IntakeRecord = {
      topic: names.nodeOut('KZ'),
      partition: 0,
      offset: '41',
      key: reportId,
      bytes,
    };
    const first: Outcome = {
      kind: 'rejected',
      record,
      reason: 'unknown-signer',
      detail: `no certificate with fingerprint ${pki.kz.cert.fingerprint} is known`,
      envelope,
    };
    const entry = {
      _id: `${record.topic}:${record.partition}:${record.offset}`,
      originalBytes: bytes,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      reasonCode: 'unknown-signer',
      detail: first.detail,
      quarantinedAt: clock(),
      messageId: envelope.messageId,
      origin: 'KZ',
    } satisfies StoredQuarantine;
    return { reportId, envelope, first, entry };
  };

  /** The entry re-driven (signed by the coordination node, read from its topic at `offset`), as the intake takes it. */
  const redriven = async (entry: StoredQuarantine, offset: string, redriveId?: string) => {
    const signed = await signRedrive(entry, {
      registry,
      signer: hub,
      requestedBy: 'duty-officer',
      now: clock(),
      ...(redriveId && { redriveId }),
    });
    const [record] = unwrapRedrives(
      [{ topic: names.hubOut, partition: 0, offset, key: redriveKey(entry._id), bytes: signed.bytes }],
      { verifier, registry, names },
    );
    expect(record?.redrive?.redriveId, 'unwrapped').to.equal(signed.redriveId);
    return record!;
  };

  const receiptsOf = (outcomes: Outcome[]) =>
    buildReplies(outcomes, new Outgoing(registry), { names, clock }).receipts as {
      _id: string;
      subjectId: string | null;
      status: string;
      reasons: { code: string }[];
    }[];

  it('answers a re-drive refused again with a receipt of its own, naming the report, which the node takes', async () => {
    const { reportId, envelope, first, entry } = refused();
    const [firstReceipt] = receiptsOf([first]);
    expect(firstReceipt).to.include({ subjectId: reportId, status: 'rejected' });

    const record = await redriven(entry, '7');
    const again: Outcome = {
      kind: 'rejected',
      record,
      reason: 'invalid-content',
      detail: 'retractedAt: is in the future',
      envelope,
    };
    const out = new Outgoing(registry);
    const { receipts, quarantined } = buildReplies([again], out, { names, clock });
    const receipt = receipts[0] as { _id: string; subjectId: string; reasons: { code: string }[] };
    // A new message id: the node keeps the first refusal's and would drop one that reuses it.
    expect(receipt._id).not.to.equal(firstReceipt!._id);
    expect(receipt.subjectId, 'the report, not the key of the re-drive').to.equal(reportId);
    expect(receipt.reasons.map((r) => r.code)).to.deep.equal(['invalid-content']);
    // Sent to KZ's node, keyed by the report as its receipts are; the entry of the re-drive is filed under it too.
    const sent = (await out.byTopic(hub)).get(names.nodeIn('KZ'));
    expect(sent?.map((m) => m.key)).to.deep.equal([reportId]);
    const answer = verifier.verify(sent![0]!.value as Buffer);
    expect(answer.ok && answer.envelope.messageId).to.equal(receipt._id);
    expect(quarantined[0]).to.include({ key: reportId, redriveOf: entry._id });

    // The same re-drive read again (a redelivery, a replay) is answered the same; another re-drive anew.
    const redelivered = await redriven(entry, '7', record.redrive!.redriveId);
    expect(receiptsOf([{ ...again, record: redelivered }])[0]!._id).to.equal(receipt._id);
    const later = await redriven(entry, '8');
    const third = receiptsOf([{ ...again, record: later }])[0]!;
    expect([firstReceipt!._id, receipt._id]).not.to.include(third._id);
    expect(third.subjectId).to.equal(reportId);
  });

  it('answers a re-drive accepted with the acceptance of the report, unlike its refusal', async () => {
    const { reportId, envelope, first, entry } = refused();
    const [firstReceipt] = receiptsOf([first]);
    const record = await redriven(entry, '9');
    const accepted: Outcome = {
      kind: 'accepted',
      record,
      envelope,
      signer: {
        fingerprint: pki.kz.cert.fingerprint,
        country: 'KZ',
        agency: 'KZ customs',
        certificatePem: '',
      },
      sha256: createHash('sha256').update(entry.originalBytes).digest('hex'),
      value: { reportId },
      subjectId: reportId,
      subjectVersion: 2,
    };
    const [receipt] = receiptsOf([accepted]);
    expect(receipt).to.include({ subjectId: reportId, status: 'accepted' });
    expect(receipt!._id).not.to.equal(firstReceipt!._id);
  });

  it('takes a re-driven record that is no envelope under no subject (its re-drive key names none)', async () => {
    const bytes = Buffer.from('not an envelope');
    const entry = {
      ...refused().entry,
      originalBytes: bytes,
      reasonCode: 'malformed',
      messageId: null,
    } satisfies StoredQuarantine;
    expect(decodeEnvelope(bytes).ok).to.equal(false);
    const record = await redriven(entry, '11');
    expect(record.key).to.equal(null);
    expect(record.bytes.equals(bytes)).to.equal(true);
  });
});
