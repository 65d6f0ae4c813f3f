// The hash-chained audit log: every read of records and every administrative action, in order.
// hash = SHA-256(prevHash + canonical JSON of the entry without its hash); verification walks the chain.
import { createHash } from 'node:crypto';
import type { Filter } from 'mongodb';
import { COLLECTIONS, findSorted, topOf, type Store } from '@hub/store';
import { dateRange } from './params';

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
  /** The distinct originating countries of the records read: all of them, also those of ids left out. */
  origins?: string[];
  /**
   * The distinct originating countries of the records whose ids were left out (reportIds and reportOrigins keep the
   * first REPORT_IDS_KEPT); absent when none were.
   */
  cutOrigins?: string[];
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
  const { seq, at, actor, action, query, count, reportIds, reportOrigins, origins, cutOrigins, prevHash } =
    entry;
  // A field left undefined is left out of the canonical form: entries written before cutOrigins hash as they did.
  return createHash('sha256')
    .update(prevHash)
    .update(
      canonical({ seq, at, actor, action, query, count, reportIds, reportOrigins, origins, cutOrigins }),
    )
    .digest('hex');
}

/**
 * The most record ids an entry keeps (a search's page, a report read, an export's first rows): the entry stays a
 * small document however much was read. The countries of those beyond are kept (origins, cutOrigins), so that an
 * owner still finds the read (GET /v1/reads).
 */
export const REPORT_IDS_KEPT = 1000;

/** What the audited actions are called (the `action` of an entry). */
export const AUDIT_ACTIONS = [
  'alerts',
  'ask',
  'asked',
  'audit',
  'export',
  'feed-stream',
  'owner-reads',
  'quality',
  'quarantine',
  'read',
  'redrive',
  'requests',
  'routes',
  'search',
  'stats',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The outcome of walking the chain from its first entry. */
export interface Verification {
  valid: boolean;
  /** The entries that hold, from the first up to the one that does not (all of them when the chain holds). */
  checked: number;
  /** The first entry that does not chain. */
  brokenAt?: number;
  reason?: string;
}

/** Which entries a page shows: each condition given must hold. */
export interface AuditQuery {
  /** Entries before this sequence number (a page's `next`). */
  before?: number;
  /** The actor's subject, country and role. */
  sub?: string;
  country?: string;
  role?: string;
  action?: string;
  from?: Date;
  to?: Date;
}

export interface AuditPage {
  /** Newest first. */
  entries: AuditEntry[];
  /** The `before` of the next page (older entries), or null when this is the last. */
  next: number | null;
  /** Without the chain walked: whether the entries read hold together (pageCheck). */
  intact?: boolean;
  brokenAt?: number;
  reason?: string;
}

export interface AuditLog {
  append(
    e: Pick<AuditEntry, 'actor' | 'query' | 'count' | 'reportIds' | 'reportOrigins'> & {
      action: AuditAction;
    },
  ): Promise<AuditEntry>;
  verify(): Promise<Verification>;
  /**
   * A page of at most `limit` entries matching `query`; with `verify`, the whole chain is walked in the same read
   * and its verification answered with the page (one read of the log, not two).
   */
  page(
    query: AuditQuery,
    limit: number,
    options: { verify: boolean },
  ): Promise<AuditPage & Partial<Verification>>;
}

/** The conditions of `query` as a store filter and as the same test of one entry. */
function conditionsOf(q: AuditQuery): { filter: Filter<AuditEntry>; test: (e: AuditEntry) => boolean } {
  const and: Filter<AuditEntry>[] = [];
  const tests: ((e: AuditEntry) => boolean)[] = [];
  if (q.before !== undefined) {
    const before = q.before;
    and.push({ seq: { $lt: before } });
    tests.push((e) => e.seq < before);
  }
  for (const [field, value] of [
    ['actor.sub', q.sub],
    ['actor.country', q.country],
    ['actor.role', q.role],
  ] as const)
    if (value !== undefined) {
      const key = field.slice('actor.'.length) as keyof AuditEntry['actor'];
      and.push({ [field]: value } as Filter<AuditEntry>);
      tests.push((e) => e.actor?.[key] === value);
    }
  if (q.action !== undefined) {
    const action = q.action;
    and.push({ action });
    tests.push((e) => e.action === action);
  }
  if (q.from || q.to) {
    const { from, to } = q;
    and.push(...dateRange<AuditEntry>('at', q));
    tests.push((e) => (!from || e.at >= from) && (!to || e.at <= to));
  }
  return {
    filter: and.length ? { $and: and } : {},
    test: (e) => tests.every((t) => t(e)),
  };
}

/** Why `entry` does not hold after an entry whose hash is `prevHash` (undefined: not known), or undefined. */
function brokenBy(entry: AuditEntry, prevHash: string | undefined): string | undefined {
  if (prevHash !== undefined && entry.prevHash !== prevHash)
    return 'prevHash does not match the previous entry';
  const { _id, hash, ...body } = entry;
  void _id;
  return entryHash(body) !== hash ? 'entry content does not match its hash' : undefined;
}

/**
 * What can be told of a page alone (newest first), without walking the chain: each entry shown against its hash,
 * and against the entry before it when that was read too (the page's, or the one read beyond it).
 */
function pageCheck(
  shown: AuditEntry[],
  read: AuditEntry[],
): Pick<AuditPage, 'intact' | 'brokenAt' | 'reason'> {
  // Oldest first, as the chain's walk: the first entry that does not hold is the one told.
  for (let i = shown.length - 1; i >= 0; i--) {
    const entry = shown[i]!;
    const older = read[i + 1];
    const reason = brokenBy(entry, older?.seq === entry.seq - 1 ? older.hash : undefined);
    if (reason) return { intact: false, brokenAt: entry.seq, reason };
  }
  return { intact: true };
}

/** Entries beyond the next expected one held while walking in the store's order, before reading in seq order. */
const OUT_OF_ORDER_HELD = 10_000;

export function createAuditLog(
  store: Store,
  clock: () => number = Date.now,
  options: { heldAhead?: number } = {},
): AuditLog {
  const heldAhead = options.heldAhead ?? OUT_OF_ORDER_HELD;
  const col = store.collection<AuditEntry>(COLLECTIONS.audit);
  let chain: Promise<unknown> = Promise.resolve();
  const idOf = (seq: number) => `audit-${String(seq).padStart(12, '0')}`;
  // The tail of the chain, kept in memory: reading it back on every append would read the whole log each time on
  // FerretDB (no sort pushdown), so the cost of a read would grow with the log. Read once. An append is an insert at
  // the next seq (its _id), which only the unique index answers; when another instance took that seq, its entries
  // are followed by _id and the append tried again after them. (Looking for such entries before every insert read
  // the whole log on FerretDB, where a find by _id scans: 162 ms an append at 20,000 entries, growing with the log.)
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
        const [last] = await findSorted(
          store.engine,
          col,
          {},
          { sort: { seq: -1 }, limit: 1, projection: { seq: 1, hash: 1 } },
        );
        tail = last ?? null;
        await follow();
      }
      const last = tail;
      const body = {
        seq: (last?.seq ?? 0) + 1,
        at: new Date(clock()),
        ...e,
        reportIds: e.reportIds.slice(0, REPORT_IDS_KEPT),
        ...(e.reportOrigins
          ? {
              reportOrigins: e.reportOrigins.slice(0, REPORT_IDS_KEPT),
              origins: [...new Set(e.reportOrigins)].sort(),
              ...(e.reportOrigins.length > REPORT_IDS_KEPT && {
                cutOrigins: [...new Set(e.reportOrigins.slice(REPORT_IDS_KEPT))].sort(),
              }),
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

  /**
   * Every entry in seq order, once each, checking the chain on the way into `verdict` (the walk goes on after a
   * break: a page still shows the entries). On FerretDB the log is read in the store's order, which is the order of
   * the appends (an entry is inserted only once the one before it is stored): a sorted read would hold the whole log
   * in FerretDB's memory (sorted.ts). Entries found ahead of the next expected are held, up to `heldAhead`;
   * beyond that the rest is read sorted from the next expected entry on.
   */
  async function* walk(verdict: Verification): AsyncGenerator<AuditEntry> {
    let prev = GENESIS;
    let expected = 1;
    const check = (entry: AuditEntry): AuditEntry => {
      if (verdict.valid) {
        const broken = entry.seq !== expected ? `entry ${expected} is missing` : brokenBy(entry, prev);
        if (broken)
          Object.assign(verdict, { valid: false, brokenAt: Math.min(entry.seq, expected), reason: broken });
        else verdict.checked++;
        prev = entry.hash;
      }
      expected = entry.seq + 1;
      return entry;
    };
    const ahead = new Map<number, AuditEntry>();
    let sorted = store.engine !== 'ferretdb';
    if (!sorted) {
      for await (const entry of col.find({})) {
        if (entry.seq < expected) continue;
        if (entry.seq === expected) {
          yield check(entry);
          for (let next = ahead.get(expected); next; next = ahead.get(expected)) {
            ahead.delete(next.seq);
            yield check(next);
          }
        } else if (ahead.size < heldAhead) ahead.set(entry.seq, entry);
        else {
          sorted = true;
          break;
        }
      }
    }
    if (sorted) {
      ahead.clear();
      for await (const entry of col.find({ seq: { $gte: expected } }, { sort: { seq: 1 } }))
        yield check(entry);
    } else {
      // What is left ahead follows a missing entry.
      for (const entry of [...ahead.values()].sort((a, b) => a.seq - b.seq)) yield check(entry);
    }
  }

  const newVerdict = (): Verification => ({ valid: true, checked: 0 });

  return {
    append(e) {
      const next = chain.then(() => appendOne(e));
      chain = next.catch(() => undefined);
      return next;
    },
    async verify() {
      const verdict = newVerdict();
      for await (const entry of walk(verdict)) void entry;
      return verdict;
    },
    async page(query, limit, options) {
      const { filter, test } = conditionsOf(query);
      const newestFirst = { seq: -1 } as const;
      let entries: AuditEntry[];
      let verdict: Verification | undefined;
      if (options.verify) {
        verdict = newVerdict();
        const all = walk(verdict);
        entries = await topOf(
          (async function* () {
            for await (const e of all) if (test(e)) yield e;
          })(),
          newestFirst,
          limit + 1,
        );
      } else entries = await findSorted(store.engine, col, filter, { sort: newestFirst, limit: limit + 1 });
      const more = entries.length > limit;
      const shown = entries.slice(0, limit);
      const next = more && shown.length ? shown[shown.length - 1]!.seq : null;
      return verdict
        ? { ...verdict, entries: shown, next }
        : { ...pageCheck(shown, entries), entries: shown, next };
    },
  };
}
