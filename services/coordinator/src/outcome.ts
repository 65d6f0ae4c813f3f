// What intake decided about one Kafka record: accepted (with what to store) or rejected (with a typed reason).
import type { Envelope, SignerInfo } from '@hub/envelope';

export type RejectReason =
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
  | 'unknown-schema'
  | 'invalid-content'
  | 'stale-version';

export interface IntakeRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  bytes: Buffer;
}

export interface Accepted {
  kind: 'accepted';
  record: IntakeRecord;
  envelope: Envelope;
  signer: SignerInfo;
  sha256: string;
  value: Record<string, unknown>;
  subjectId: string;
  subjectVersion: number | null;
}

export interface Rejected {
  kind: 'rejected';
  record: IntakeRecord;
  reason: RejectReason;
  detail: string;
  envelope?: Envelope;
  /** Field-level problems, for the receipt. */
  fields?: { field: string; message: string }[];
}

export type Outcome = Accepted | Rejected;
