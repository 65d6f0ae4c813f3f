// The wire envelope (schemas/avro/Envelope.v1.avsc) and the reasons a verifier gives.

export interface Envelope {
  envelopeVersion: number;
  messageId: string;
  messageType: string;
  /** CRC-64-AVRO of the payload's writer schema, 8 bytes little-endian. */
  schemaFingerprint: Buffer;
  /** ISO alpha-2 of a national node, or "HUB" for the coordinator. */
  origin: string;
  /** SHA-256 of the signer certificate's DER, 32 bytes. */
  signerCertFingerprint: Buffer;
  signatureAlgorithm: string;
  signedAt: number;
  payload: Buffer;
  signature: Buffer;
}

export type EnvelopeHeader = Omit<Envelope, 'payload' | 'signature'>;

/** Why an envelope was refused. Stable codes: they flow into receipts and quarantine records. */
export type VerifyReason =
  | 'malformed'
  | 'unsupported-algorithm'
  | 'unknown-signer'
  | 'chain-invalid'
  | 'expired'
  | 'not-yet-valid'
  | 'revoked'
  | 'country-mismatch'
  | 'bad-signature'
  | 'replay'
  | 'unknown-schema';

export const VERIFY_REASONS: readonly VerifyReason[] = [
  'malformed',
  'unsupported-algorithm',
  'unknown-signer',
  'chain-invalid',
  'expired',
  'not-yet-valid',
  'revoked',
  'country-mismatch',
  'bad-signature',
  'replay',
  'unknown-schema',
];

/** Why the coordinator refuses a record: the verifier's reasons, and what it decides after decoding the payload. */
export const REJECT_REASONS = [...VERIFY_REASONS, 'invalid-content', 'stale-version'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface SignerInfo {
  fingerprint: string;
  country: string;
  agency: string;
  certificatePem: string;
}

export type VerifyResult =
  | { ok: true; envelope: Envelope; signer: SignerInfo }
  | { ok: false; reason: VerifyReason; detail: string; envelope?: Envelope };

export const ENVELOPE_VERSION = 1;
export const HUB_ORIGIN = 'HUB';
