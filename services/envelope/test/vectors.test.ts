import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { createTrustStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { createHash } from 'node:crypto';
import { decodeBatchSignature, nodeHash, rootFromProof, rootSigningInput } from '../src/batch';
import { decodeEnvelope } from '../src/codec';
import { signingInput } from '../src/signing-input';
import { createVerifier } from '../src/verifier';

const vectorFile = (name: string) =>
  JSON.parse(readFileSync(join(repoRoot, 'schemas', 'test', 'fixtures', 'vectors', name), 'utf8'));
const vector = vectorFile('envelope-v1.json');
const batch = vectorFile('envelope-batch-v1.json');

describe('published envelope test vectors (schemas/test/fixtures/vectors)', () => {
  const h = vector.header;
  const header = {
    ...h,
    schemaFingerprint: Buffer.from(h.schemaFingerprint, 'hex'),
    signerCertFingerprint: Buffer.from(h.signerCertFingerprint, 'hex'),
  };

  it('rebuilds the signing input byte for byte from the header and payload', () => {
    expect(signingInput(header, Buffer.from(vector.payloadHex, 'hex')).toString('hex')).to.equal(
      vector.signingInputHex,
    );
  });

  it('decodes the envelope bytes to the header, payload and signature of the vector', () => {
    const d = decodeEnvelope(Buffer.from(vector.envelopeHex, 'hex'));
    expect(d.ok).to.equal(true);
    if (!d.ok) return;
    expect(d.envelope.messageId).to.equal(h.messageId);
    expect(d.envelope.schemaFingerprint.toString('hex')).to.equal(h.schemaFingerprint);
    expect(d.envelope.payload.toString('hex')).to.equal(vector.payloadHex);
    expect(d.envelope.signature.toString('hex')).to.equal(vector.signatureHex);
  });

  it('verifies the vector signature with the vector CA, and the payload decodes to the vector JSON', () => {
    const trust = createTrustStore(vector.caCertificatePem);
    trust.add(vector.nodeCertificatePem);
    const result = createVerifier({ trust, clock: () => h.signedAt }).verify(
      Buffer.from(vector.envelopeHex, 'hex'),
      { expectedCountry: 'KZ' },
    );
    expect(result.ok).to.equal(true);
    const registry = loadSchemaRegistry();
    const payload = Buffer.from(vector.payloadHex, 'hex');
    // Read with the schema it was written with, it is the vector's JSON exactly.
    const writer = registry.byFingerprint(header.schemaFingerprint);
    expect(`${writer?.name}.v${writer?.version}`).to.equal(vector.payloadSchema);
    expect(JSON.stringify(writer?.type.fromBuffer(payload))).to.equal(JSON.stringify(vector.payloadJson));
    // Read as today's readers do (resolved to the newest version), it is the same with the fields added since at
    // their defaults.
    const latest = JSON.parse(JSON.stringify(registry.decode(header.schemaFingerprint, payload))) as object;
    expect(latest).to.deep.include(vector.payloadJson);
  });
});

describe('published batch-signature test vectors (envelope-batch-v1.json)', () => {
  const hex = (h: string) => Buffer.from(h, 'hex');
  const envelopes = batch.envelopes as {
    header: Record<string, unknown> & {
      schemaFingerprint: string;
      signerCertFingerprint: string;
      signedAt: number;
    };
    payloadHex: string;
    signingInputHex: string;
    index: number;
    saltHex: string;
    leafHashHex: string;
    proofHex: string[];
    signatureHex: string;
    envelopeHex: string;
  }[];

  it('rebuilds every leaf, proof, the root and the root signing input byte for byte (docs/protocol.md)', () => {
    expect(envelopes).to.have.length(batch.treeSize);
    for (const e of envelopes) {
      const header = {
        ...e.header,
        schemaFingerprint: hex(e.header.schemaFingerprint),
        signerCertFingerprint: hex(e.header.signerCertFingerprint),
      } as Parameters<typeof signingInput>[0];
      const input = signingInput(header, hex(e.payloadHex));
      expect(input.toString('hex')).to.equal(e.signingInputHex);
      // leaf = SHA-256(0x00 ‖ salt ‖ signing input), written out here rather than through the library's leafHash.
      const leaf = createHash('sha256')
        .update(Buffer.from([0]))
        .update(hex(e.saltHex))
        .update(input)
        .digest();
      expect(leaf.toString('hex')).to.equal(e.leafHashHex);
      const root = rootFromProof(e.index, batch.treeSize, leaf, e.proofHex.map(hex));
      expect(root?.toString('hex')).to.equal(batch.rootHex);
      const parts = decodeBatchSignature(hex(e.signatureHex))!;
      expect({
        index: parts.index,
        treeSize: parts.treeSize,
        salt: parts.salt.toString('hex'),
      }).to.deep.equal({
        index: e.index,
        treeSize: batch.treeSize,
        salt: e.saltHex,
      });
      expect(parts.rootSignature.toString('hex')).to.equal(batch.rootSignatureHex);
    }
    // Three leaves: the root is H(0x01 ‖ H(0x01 ‖ l0 ‖ l1) ‖ l2).
    const [l0, l1, l2] = envelopes.map((e) => hex(e.leafHashHex));
    expect(nodeHash(nodeHash(l0!, l1!), l2!).toString('hex')).to.equal(batch.rootHex);
    expect(rootSigningInput(batch.treeSize, hex(batch.rootHex)).toString('hex')).to.equal(
      batch.rootSigningInputHex,
    );
  });

  it('verifies each envelope alone with the vector CA, and refuses it with another envelope’s proof', () => {
    const trust = createTrustStore(vector.caCertificatePem);
    trust.add(vector.nodeCertificatePem);
    const verifier = createVerifier({ trust, clock: () => vector.header.signedAt });
    for (const e of envelopes)
      expect(
        verifier.verify(hex(e.envelopeHex), { expectedCountry: 'KZ' }).ok,
        e.header.messageId as string,
      ).to.equal(true);
    const first = decodeEnvelope(hex(envelopes[0]!.envelopeHex));
    expect(first.ok).to.equal(true);
    if (!first.ok) return;
    const swapped = verifier.verify({ ...first.envelope, signature: hex(envelopes[1]!.signatureHex) });
    expect(swapped.ok ? 'ok' : swapped.reason).to.equal('bad-signature');
  });
});
