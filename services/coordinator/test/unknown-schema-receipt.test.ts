// Unit tier: a node one release ahead of the coordinator writes a version the hub does not read yet (rule 10 of
// docs/schema-evolution.md). Its receipt tells the node's operator which versions the hub reads, why, and what to do.
import { expect } from 'chai';
import avro from 'avsc';
import { randomUUID } from 'node:crypto';
import { createSigner, createVerifier } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { createTrustStore } from '@hub/pki';
import { canonicalForm, loadSchemaRegistry, rabinFingerprint } from '@hub/schemas';
import { testPki } from '../../pki/test/fixtures';
import { classifyBatch } from '../src/intake';
import { Outgoing } from '../src/outgoing';
import { buildReplies } from '../src/replies';

const registry = loadSchemaRegistry();
const names = topicNames('');

describe('coordinator intake: the receipt of a message written with a schema the hub does not read', function () {
  this.timeout(60000);
  const pki = testPki();

  /** The reasons of the receipt KZ's node gets for `payload`, signed by it as `messageType` with `fingerprint`. */
  const reasonsFor = async (messageType: string, fingerprint: Buffer, payload: Buffer, key: string) => {
    const trust = createTrustStore(pki.ca.certPem);
    trust.add(pki.kz.cert.certificatePem);
    const { bytes } = createSigner({
      privateKey: pki.kz.key,
      certificate: pki.kz.cert.certificatePem,
      origin: 'KZ',
    }).signEncoded({ messageType, schemaFingerprint: fingerprint, payload });
    const outcomes = await classifyBatch(
      [{ topic: names.nodeOut('KZ'), partition: 0, offset: '0', key, bytes }],
      {
        verifier: createVerifier({ trust }),
        registry,
        countryOf: names.countryOf,
        claimDigests: async () => new Map(),
        clock: Date.now,
      },
    );
    const { receipts } = buildReplies(outcomes, new Outgoing(registry), { names, clock: Date.now });
    expect(receipts, 'one receipt, to KZ').to.have.length(1);
    expect(receipts[0]).to.include({ status: 'rejected', subjectId: key, origin: 'KZ' });
    return receipts[0]!.reasons;
  };

  it('names the versions the hub reads, the likely cause and what to do, for a version newer than it reads', async () => {
    // SeizureReport v<newest + 1>: the newest the hub reads with one optional field more, as a newer node writes it.
    const newest = registry.latest('SeizureReport');
    const schema = newest.type.schema() as { fields: object[] };
    const next = avro.Type.forSchema(
      {
        ...schema,
        fields: [...schema.fields, { name: 'vesselImo', type: ['null', 'string'], default: null }],
      } as unknown as avro.Schema,
      { registry: {} },
    );
    const fingerprint = rabinFingerprint(canonicalForm(next));
    expect(registry.byFingerprint(fingerprint), 'a fingerprint the hub lacks').to.equal(undefined);
    const value = { ...(next.random() as unknown as Record<string, unknown>), reportId: randomUUID() };
    const reasons = await reasonsFor(
      'SeizureReport',
      fingerprint,
      next.toBuffer(value),
      String(value.reportId),
    );
    expect(reasons).to.deep.equal([
      {
        code: 'unknown-schema',
        field: null,
        message:
          `no SeizureReport schema the hub reads has fingerprint ${fingerprint.toString('hex')} ` +
          `(the hub reads SeizureReport v1–v${newest.version}): the node probably runs a newer release than the ` +
          'coordinator; send the record again once the coordinator is upgraded',
      },
    ]);
  });

  it("says whose schema a fingerprint is when it is another message type's", async () => {
    const route = registry.latest('TraffickingRoute');
    const value = { ...(route.type.random() as unknown as Record<string, unknown>), routeId: randomUUID() };
    const reasons = await reasonsFor(
      'SeizureReport',
      route.fingerprint,
      route.type.toBuffer(value),
      String(value.routeId),
    );
    expect(reasons).to.deep.equal([
      {
        code: 'unknown-schema',
        field: null,
        message:
          `schemaFingerprint ${route.fingerprint.toString('hex')} is that of TraffickingRoute v${route.version}, ` +
          `not of a SeizureReport (the hub reads SeizureReport v1–v${registry.latest('SeizureReport').version}): ` +
          "the envelope's messageType and its payload's schema disagree",
      },
    ]);
  });
});
