// What the coordinator refused (`quarantine`, _id = <topic>:<partition>:<offset> where it was read), with the bytes
// unchanged, and what came of taking it again (`hub quarantine redrive`). Written by the coordinator, read by the
// query API and the CLI.
import type { Collection, Document } from 'mongodb';

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
  /**
   * Set on a record larger than any envelope the hub takes (refused for that alone): originalBytes holds only its
   * first bytes; this is its whole length, and its SHA-256 (hex). The whole record stays where it was read.
   */
  originalLength?: number;
  originalSha256?: string;
}

/** Why taking `entry` again could never succeed, whatever is mended; undefined when it could. */
export function neverRedrivable(entry: Pick<StoredQuarantine, 'originalLength'>): string | undefined {
  return entry.originalLength === undefined
    ? undefined
    : `is a record of ${entry.originalLength} bytes, larger than any envelope the hub takes, and only its first bytes are kept: taking it again cannot succeed`;
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

/**
 * `entries` with the entries they re-drove (a re-drive refused again names one in `redriveOf`), read where not among
 * them, by id: what is taken again is always the entry first refused.
 */
export async function withRedriven(
  quarantine: Collection<StoredQuarantine>,
  entries: StoredQuarantine[],
  projection: Document = {},
): Promise<Map<string, StoredQuarantine>> {
  const byId = new Map(entries.map((e) => [e._id, e]));
  const missing = [...new Set(entries.flatMap((e) => e.redriveOf ?? []))].filter((id) => !byId.has(id));
  if (missing.length)
    for (const e of await quarantine.find({ _id: { $in: missing } }, { projection }).toArray())
      byId.set(e._id, e);
  return byId;
}

/** The entry to take again for `entry`: the one it re-drove, or itself (undefined: that one is gone). */
export function redriveTarget(
  byId: Map<string, StoredQuarantine>,
  entry: StoredQuarantine,
): StoredQuarantine | undefined {
  return entry.redriveOf ? byId.get(entry.redriveOf) : entry;
}
