// What intake decided about one Kafka record: accepted (with what to store) or rejected (with a typed reason).
import type { Envelope, RejectReason, SignerInfo } from '@hub/envelope';

export type { RejectReason };

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
  /** Accepted, but worth a second look (e.g. coordinates outside the stated country): told in the receipt. */
  flags?: Flag[];
}

export interface Flag {
  code: string;
  field: string;
  message: string;
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
