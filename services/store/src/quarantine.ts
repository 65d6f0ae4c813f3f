// What the coordinator refused (`quarantine`, _id = <topic>:<partition>:<offset> where it was read), with the bytes
// unchanged, and what came of taking it again (`hub quarantine redrive`). Written by the coordinator, read by the
// query API and the CLI.

export interface StoredQuarantine {
  _id: string;
  originalBytes: Buffer;
  /** Where the bytes were first read (a re-drive refused again: the record's first position, not the re-drive's). */
  topic: string;
  partition: number;
  offset: string;
  reasonCode: string;
  detail: string;
  quarantinedAt: number;
  messageId: string | null;
  origin: string | null;
  /** Set on an entry that is itself a re-driven record refused again: the entry re-driven. */
  redriveOf?: string;
  /** What came of the latest re-drive of this entry. */
  redrive?: RedriveMark;
}

export interface RedriveMark {
  redriveId: string;
  requestedBy: string;
  requestedAt: number;
  outcome: 'accepted' | 'rejected';
  /** Refused again: why. */
  reason?: string;
  detail?: string;
  at: number;
}
