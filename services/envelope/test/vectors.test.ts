import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { createTrustStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { decodeEnvelope } from '../src/codec';
import { signingInput } from '../src/signing-input';
import { createVerifier } from '../src/verifier';

const vector = JSON.parse(
  readFileSync(join(repoRoot, 'schemas', 'test', 'fixtures', 'vectors', 'envelope-v1.json'), 'utf8'),
);

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
    const decoded = registry.decode(header.schemaFingerprint, Buffer.from(vector.payloadHex, 'hex'));
    expect(JSON.stringify(decoded)).to.equal(JSON.stringify(vector.payloadJson));
  });
});
