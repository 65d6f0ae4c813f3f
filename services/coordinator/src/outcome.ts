// What intake decided about one Kafka record: accepted (with what to store) or rejected (with a typed reason).
import type { Envelope, RejectReason, SignerInfo } from '@hub/envelope';

export type { RejectReason };

export interface IntakeRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  bytes: Buffer;
  /**
   * A quarantined record taken again (redrive.ts): where its bytes were first read. Its sender's country, its
   * receipt and its archive entry go by that position; `topic`, `partition` and `offset` stay where the re-drive
   * was read (what the intake commits and resumes by).
   */
  readFrom?: { topic: string; partition: number; offset: string };
  /**
   * When the brokers appended it, on a topic whose records carry that time (STAMPED in @hub/kafka; not those made
   * before 2026-12-07, whose records carry their producer's time): what `hub replay` judges it as of. A re-driven
   * record carries its re-drive's.
   */
  appendedAt?: number;
  /** The re-drive that brought it (with readFrom). */
  redrive?: { redriveId: string; quarantineId: string; requestedBy: string; requestedAt: number };
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

/** Where a record's bytes were first read: a re-driven one's original position, else its own. */
export function firstRead(record: IntakeRecord): { topic: string; partition: number; offset: string } {
  const { topic, partition, offset } = record.readFrom ?? record;
  return { topic, partition, offset };
}
