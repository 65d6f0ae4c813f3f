// Writes the published test vectors of the envelope (schemas/test/fixtures/vectors/envelope-v1.json):
// a throw-away CA and KZ node key and certificate, a SeizureReport payload, the header, the signing input,
// one valid RSA-PSS signature and the envelope bytes. TEST VECTORS ONLY: these keys protect nothing.
// Run: node --import tsx services/envelope/scripts/make-vectors.ts
import { createPrivateKey } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { createCa, issueCertificate } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { createSigner } from '../src/signer';
import { signingInput } from '../src/signing-input';
import { encodeEnvelope } from '../src/codec';

const SIGNED_AT = Date.UTC(2026, 2, 14, 5, 0, 0);
const ca = createCa({ bits: 2048, now: new Date(Date.UTC(2026, 0, 1)), validityYears: 30 });
const node = issueCertificate(ca, {
  country: 'KZ',
  agency: 'Test vector customs',
  notBefore: new Date(Date.UTC(2026, 0, 1)),
  validityDays: 3650,
});
const registry = loadSchemaRegistry();
const report = {
  reportId: '6f1c2a9e-4b7d-4c1e-9a3f-0d2b8e7c5a41',
  version: 1,
  supersedesVersion: null,
  reportedAt: SIGNED_AT,
  seizedAt: Date.UTC(2026, 2, 14, 4, 30),
  seizedAtOffsetMinutes: 300,
  country: 'KZ',
  place: {
    name: 'Khorgos border crossing',
    lat: 44.21,
    lon: 80.41,
    locationType: 'border-crossing',
    city: null,
    adminRegion: null,
    borderCrossingPoint: null,
    direction: 'import',
  },
  agency: 'customs',
  agencyName: null,
  caseReference: null,
  drugs: [
    {
      substance: 'heroin',
      substanceReported: null,
      form: 'powder',
      quantity: 12.5,
      unit: 'kg',
      quantityKg: 12.5,
      purityPct: 62,
      packageCount: null,
    },
  ],
  conveyance: { mode: 'road', vehicle: 'truck', identifiers: [{ kind: 'plate', value: '777ABC02' }] },
  concealment: 'false floor',
  detection: 'x-ray',
  route: [
    { country: 'AF', role: 'origin', place: null },
    { country: 'KZ', role: 'seizure', place: null },
  ],
  arrested: [{ nationality: 'TJ', count: 2 }],
  links: [],
  handling: { tlp: 'AMBER', releasableTo: ['central-asia'], evaluation: 'B2' },
  notes: null,
  source: null,
  reportingChannel: 'api',
};
const { payload, fingerprint } = registry.encode('SeizureReport', report);
const signer = createSigner({
  privateKey: createPrivateKey(node.privateKeyPem),
  certificate: node.certificatePem,
  origin: 'KZ',
  clock: () => SIGNED_AT,
});
const envelope = signer.sign({
  messageType: 'SeizureReport',
  schemaFingerprint: fingerprint,
  payload,
  messageId: '0b9d4f5e-2c1a-4e8b-9f3d-7a6c5b4e3d21',
});
const header = {
  envelopeVersion: envelope.envelopeVersion,
  messageId: envelope.messageId,
  messageType: envelope.messageType,
  schemaFingerprint: envelope.schemaFingerprint.toString('hex'),
  origin: envelope.origin,
  signerCertFingerprint: envelope.signerCertFingerprint.toString('hex'),
  signatureAlgorithm: envelope.signatureAlgorithm,
  signedAt: envelope.signedAt,
};
const out = {
  warning: 'TEST VECTORS ONLY. These keys were generated for this file and protect nothing.',
  caCertificatePem: ca.certPem,
  nodeCertificatePem: node.certificatePem,
  nodePrivateKeyPem: node.privateKeyPem,
  payloadSchema: 'SeizureReport.v2',
  payloadJson: report,
  payloadHex: payload.toString('hex'),
  header,
  signingInputHex: signingInput(envelope, payload).toString('hex'),
  signatureHex: envelope.signature.toString('hex'),
  envelopeHex: encodeEnvelope(envelope).toString('hex'),
};
const dir = join(repoRoot, 'schemas', 'test', 'fixtures', 'vectors');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, 'envelope-v1.json'), `${JSON.stringify(out, null, 2)}\n`);
process.stdout.write(`wrote ${join(dir, 'envelope-v1.json')}\n`);
