// The hash-chained audit log: every read of records and every administrative action, in order.
// hash = SHA-256(prevHash + canonical JSON of the entry without its hash); verification walks the chain.
import { createHash } from 'node:crypto';
import { COLLECTIONS, type Store } from '@hub/store';

export interface AuditEntry {
  _id?: string;
  seq: number;
  at: Date;
  actor: { sub: string; role: string; country: string };
  action: string;
  query: Record<string, unknown>;
  count: number;
  reportIds: string[];
  /** The originating country of each of reportIds (same order): lets an owner see who read its records. */
  reportOrigins?: string[];
  /** The distinct originating countries of the records read. */
  origins?: string[];
  prevHash: string;
  hash: string;
}

const GENESIS = '0'.repeat(64);

function canonical(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export function entryHash(entry: Omit<AuditEntry, 'hash' | '_id'>): string {
  const { seq, at, actor, action, query, count, reportIds, reportOrigins, origins, prevHash } = entry;
  return createHash('sha256')
    .update(prevHash)
    .update(canonical({ seq, at, actor, action, query, count, reportIds, reportOrigins, origins }))
    .digest('hex');
}

export interface AuditLog {
  append(
    e: Pick<AuditEntry, 'actor' | 'action' | 'query' | 'count' | 'reportIds' | 'reportOrigins'>,
  ): Promise<AuditEntry>;
  verify(): Promise<{ valid: boolean; checked: number; brokenAt?: number; reason?: string }>;
}

export function createAuditLog(store: Store, clock: () => number = Date.now): AuditLog {
  const col = store.collection<AuditEntry>(COLLECTIONS.audit);
  let chain: Promise<unknown> = Promise.resolve();
  const idOf = (seq: number) => `audit-${String(seq).padStart(12, '0')}`;
  // The tail of the chain, kept in memory: reading it back on every append sorts the whole log on FerretDB
  // (no sort pushdown), so the cost of a read would grow with the log. Read once. An append is an insert at the
  // next seq (its _id), which only the unique index answers; when another instance took that seq, its entries are
  // followed by _id and the append tried again after them. (Looking for such entries before every insert read the
  // whole log on FerretDB, where a find by _id scans: 162 ms an append at 20,000 entries, growing with the log.)
  let tail: Pick<AuditEntry, 'seq' | 'hash'> | null | undefined;
  const follow = async () => {
    for (;;) {
      const newer: AuditEntry | null = await col.findOne({ _id: idOf((tail?.seq ?? 0) + 1) });
      if (!newer) return;
      tail = newer;
    }
  };
  const appendOne = async (
    e: Pick<AuditEntry, 'actor' | 'action' | 'query' | 'count' | 'reportIds' | 'reportOrigins'>,
  ): Promise<AuditEntry> => {
    for (let attempt = 0; ; attempt++) {
      if (tail === undefined) {
        tail = await col.find({}, { sort: { seq: -1 }, limit: 1 }).next();
        await follow();
      }
      const last = tail;
      const body = {
        seq: (last?.seq ?? 0) + 1,
        at: new Date(clock()),
        ...e,
        reportIds: e.reportIds.slice(0, 1000),
        ...(e.reportOrigins
          ? {
              reportOrigins: e.reportOrigins.slice(0, 1000),
              origins: [...new Set(e.reportOrigins)].sort(),
            }
          : {}),
        prevHash: last?.hash ?? GENESIS,
      };
      const entry: AuditEntry = {
        ...body,
        _id: idOf(body.seq),
        hash: entryHash(body),
      };
      try {
        await col.insertOne(entry);
        tail = entry;
        return entry;
      } catch (err) {
        // Another API instance took this seq: read the new tail and chain after it.
        if ((err as { code?: number }).code !== 11000 || attempt > 20) throw err;
        await follow();
      }
    }
  };
  return {
    append(e) {
      const next = chain.then(() => appendOne(e));
      chain = next.catch(() => undefined);
      return next;
    },
    async verify() {
      let prev = GENESIS;
      let expected = 1;
      let n = 0;
      for await (const entry of col.find({}, { sort: { seq: 1 } })) {
        n++;
        if (entry.seq !== expected)
          return { valid: false, checked: n, brokenAt: expected, reason: `entry ${expected} is missing` };
        if (entry.prevHash !== prev)
          return {
            valid: false,
            checked: n,
            brokenAt: entry.seq,
            reason: 'prevHash does not match the previous entry',
          };
        const { _id, hash, ...body } = entry;
        void _id;
        if (entryHash(body) !== hash)
          return {
            valid: false,
            checked: n,
            brokenAt: entry.seq,
            reason: 'entry content does not match its hash',
          };
        prev = hash;
        expected++;
      }
      return { valid: true, checked: n };
    },
  };
}
