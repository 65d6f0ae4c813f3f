// Writes the published test vectors of batch signatures (schemas/test/fixtures/vectors/envelope-batch-v1.json):
// three SeizureReport envelopes signed together as RSA-PSS-SHA256-BATCH with the throw-away KZ key of
// envelope-v1.json, with every intermediate value (signing inputs, salts, leaves, proofs, root, root signing input).
// TEST VECTORS ONLY: these keys protect nothing.
// Run: node --import tsx services/envelope/scripts/make-batch-vectors.ts
import { createPrivateKey } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { loadSchemaRegistry } from '@hub/schemas';
import { decodeBatchSignature, leafHash, merkleTree, rootSigningInput } from '../src/batch';
import { encodeEnvelope } from '../src/codec';
import { createSigner } from '../src/signer';
import { signingInput } from '../src/signing-input';

const dir = join(repoRoot, 'schemas', 'test', 'fixtures', 'vectors');
const single = JSON.parse(readFileSync(join(dir, 'envelope-v1.json'), 'utf8'));
const SIGNED_AT: number = single.header.signedAt;
const registry = loadSchemaRegistry();
const reports = [
  ['1d7e3c52-8f4a-4b2e-a1c9-5e6f7a8b9c01', 'a1b2c3d4-0000-4000-8000-000000000001', 12.5],
  ['2e8f4d63-9a5b-4c3f-b2da-6f7a8b9cad12', 'a1b2c3d4-0000-4000-8000-000000000002', 3],
  ['3f9a5e74-ab6c-4d4a-83eb-7a8b9cadbe23', 'a1b2c3d4-0000-4000-8000-000000000003', 0.75],
] as const;
const requests = reports.map(([reportId, messageId, kg]) => {
  const value = {
    ...single.payloadJson,
    reportId,
    drugs: [{ ...single.payloadJson.drugs[0], quantity: kg, quantityKg: kg }],
  };
  const { payload, fingerprint } = registry.encode('SeizureReport', value);
  return {
    value,
    request: { messageType: 'SeizureReport', schemaFingerprint: fingerprint, payload, messageId },
  };
});
const signer = createSigner({
  privateKey: createPrivateKey(single.nodePrivateKeyPem),
  certificate: single.nodeCertificatePem,
  origin: 'KZ',
  clock: () => SIGNED_AT,
  batch: true,
});
const signed = await signer.signEncodedAll(requests.map((r) => r.request));
const parts = signed.map((s) => decodeBatchSignature(s.envelope.signature)!);
const inputs = signed.map((s) => signingInput(s.envelope, s.envelope.payload));
const leaves = inputs.map((input, i) => leafHash(parts[i]!.salt, input));
const { root } = merkleTree(leaves);
const out = {
  warning: 'TEST VECTORS ONLY. The keys are those of envelope-v1.json and protect nothing.',
  algorithm: 'RSA-PSS-SHA256-BATCH',
  treeSize: signed.length,
  rootHex: root.toString('hex'),
  rootSigningInputHex: rootSigningInput(signed.length, root).toString('hex'),
  rootSignatureHex: parts[0]!.rootSignature.toString('hex'),
  envelopes: signed.map((s, i) => ({
    payloadJson: requests[i]!.value,
    payloadHex: s.envelope.payload.toString('hex'),
    header: {
      envelopeVersion: s.envelope.envelopeVersion,
      messageId: s.envelope.messageId,
      messageType: s.envelope.messageType,
      schemaFingerprint: s.envelope.schemaFingerprint.toString('hex'),
      origin: s.envelope.origin,
      signerCertFingerprint: s.envelope.signerCertFingerprint.toString('hex'),
      signatureAlgorithm: s.envelope.signatureAlgorithm,
      signedAt: s.envelope.signedAt,
    },
    signingInputHex: inputs[i]!.toString('hex'),
    index: parts[i]!.index,
    saltHex: parts[i]!.salt.toString('hex'),
    leafHashHex: leaves[i]!.toString('hex'),
    proofHex: parts[i]!.proof.map((h) => h.toString('hex')),
    signatureHex: s.envelope.signature.toString('hex'),
    envelopeHex: encodeEnvelope(s.envelope).toString('hex'),
  })),
};
writeFileSync(join(dir, 'envelope-batch-v1.json'), `${JSON.stringify(out, null, 2)}\n`);
process.stdout.write(`wrote ${join(dir, 'envelope-batch-v1.json')}\n`);
