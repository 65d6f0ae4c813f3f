// Retention review. Every stored record gets a review date from its category (when it was first stored plus the
// category's period); its originating country is warned ahead of the date and may renew it; a record not renewed is
// erased from the store and the read models, and a signed ErasureNotice on hub.erasures (and to the originator, the
// feeds it went to and every country a cross-border alert naming it was sent to: erasure-reach.ts) makes every
// subscriber, replica and replay erase it too. An alert that named it with reports of two other countries or more is
// kept without it, and told again to those countries (alertWithout). The erasure log keeps what was erased and why,
// never its content.
import { randomUUID } from 'node:crypto';
import type { Signer } from '@hub/envelope';
import type { Kafka, Message, Producer, TopicNames } from '@hub/kafka';
import { appendTimeOf, sendAll, tailTopic, type PartitionCounts, type Tail } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import type { Region, SchemaRegistry } from '@hub/schemas';
import type { Document } from 'mongodb';
import {
  alertScore,
  COLLECTIONS,
  deleteByIds,
  findEach,
  insertFindingTaken,
  insertNew,
  withLock,
  type CollectionName,
  type Handled,
  type Store,
  type StoredReport,
} from '@hub/store';
import { alertRecipients, alertsNaming, erasureTopics, type AlertNaming } from './erasure-reach';
import { feedMessages } from './feeds';
import type { Accepted } from './outcome';
import { Outgoing } from './outgoing';
import { derivedUuid } from './replies';
import { updateReadModels } from './read-models';
import {
  alertCopies,
  alertIdOf,
  alertReason,
  correlate,
  dropSupersededRouteKeys,
  type AlertRecord,
} from './correlate';
import type { TopicReads } from './request-escalation';
import { lockedStagesNamingEach } from './resume';
import { versionHandlings } from './persist';

const DAY = 86400000;

export interface RetentionPolicy {
  /** Category → how long a record is kept before its review, in ms. */
  periods: Record<string, number>;
  /** How long before the review date the originator is warned. */
  warnMs: number;
  /** How often the review runs. */
  checkMs: number;
  /** How long a renewal keeps a record; default: its category's period again. */
  renewMs?: number;
  /** How many records one hold of the store's read-models lock reviews (default 100): the intake stores between. */
  reviewSlice?: number;
  /**
   * How long after start an early review runs (default: checkMs, at most 30 s): an erasure a stop cut short is
   * finished then, not an hour later. It finishes those alone: a record that has fallen due waits for the first
   * regular review, checkMs after start, so that the intake has read the renewals sent in time first (startRetention).
   * None when this is checkMs or more.
   */
  firstCheckMs?: number;
}

/** The longest wait for the early review after start (RetentionPolicy.firstCheckMs). */
const FIRST_CHECK_MAX_MS = 30000;

export const DEFAULT_RETENTION: RetentionPolicy = {
  periods: { seizure: 3 * 365 * DAY, annual: 10 * 365 * DAY },
  warnMs: 90 * DAY,
  checkMs: 3600000,
};

/** The retention category of each kind of record kept (a message of any other type is no record of its own). */
export const CATEGORY: Record<string, string> = {
  SeizureReport: 'seizure',
  AnnualSeizureReturn: 'annual',
  TraffickingRoute: 'seizure',
};

export interface RetentionDoc {
  _id: string;
  subjectType: string;
  category: string;
  originCountry: string;
  reviewAt: Date;
  warnedAt: Date | null;
  /**
   * Each renewal applied; messageId: the renewal's (absent on those applied before 2026-12-07); submittedBy: the
   * agency system that asked its node for it (RetentionRenewal v2; null for a v1 renewal or one sent without a name).
   */
  renewals: { at: Date; reason: string; messageId?: string; submittedBy?: string | null }[];
  /**
   * Set by eraseRecords before any of the record's erasure notices goes out, and gone with the entry: the erasure
   * is decided and may have been announced. A renewal of it is refused (renewal-checks.ts), and the review takes it
   * whatever its date until it is erased, finishing an erasure that a crash or a store error cut short.
   */
  erasing?: { reasonCode: ErasureLogEntry['reasonCode']; since: Date };
}

export interface ErasureLogEntry {
  _id: string;
  erasureId: string;
  subjectType: string;
  subjectId: string;
  originCountry: string;
  versionsUpTo: number;
  reasonCode: 'retention_expired' | 'originator_request' | 'legal_order' | 'other';
  reviewAt: Date | null;
  erasedAt: Date;
  /** What was removed, as counts only. */
  removed: Record<string, number>;
}

/** Review dates for records stored for the first time (insert-only: a later version keeps its date). */
export async function registerRetention(
  store: Store,
  accepted: Accepted[],
  policy: RetentionPolicy,
  now: number,
  /** The time a record counts from when not now (hub replay: when the brokers appended it). */
  judgeAt?: (record: Accepted['record']) => number | undefined,
): Promise<void> {
  const docs = new Map<string, RetentionDoc>();
  for (const a of accepted) {
    const category = CATEGORY[a.envelope.messageType];
    if (!category || docs.has(a.subjectId)) continue;
    const from = judgeAt?.(a.record) ?? now;
    docs.set(a.subjectId, {
      _id: a.subjectId,
      subjectType: a.envelope.messageType,
      category,
      originCountry: a.envelope.origin,
      reviewAt: new Date(from + (policy.periods[category] ?? DEFAULT_RETENTION.periods.seizure!)),
      warnedAt: null,
      renewals: [],
    });
  }
  if (docs.size === 0) return;
  const retention = store.collection<RetentionDoc>(COLLECTIONS.retention);
  // A subject registered already keeps its entry (and its renewals): insertNew leaves it as it is.
  await insertNew(retention, [...docs.values()]);
}

/** Stamped (meta) by every review that erased something, after its erasure log entries are written. */
const ERASURES_EPOCH = 'erasures-epoch';

/** Subjects erased, with the last version erased: their messages are never stored again (redelivery, replay). */
export class ErasedSet {
  private readonly erasedUpTo = new Map<string, number>();
  /** The erasures stamp as of the last read of the erasure log (undefined: never read). */
  private epoch: string | null | undefined;

  /**
   * Learns the erasures of the store's erasure log, read again only when its stamp changed since the last read: an
   * instance erasing under the read-models lock writes its log and stamp before it lets the lock go, while this
   * instance's follower of hub.erasures may not have read its notices yet (then a message of the record, stored
   * under the lock next, would bring it back).
   */
  async catchUp(store: Store): Promise<void> {
    const doc = await store
      .collection<{ _id: string; stamp: string }>(COLLECTIONS.meta)
      .findOne({ _id: ERASURES_EPOCH });
    const stamp = doc?.stamp ?? null;
    if (stamp === this.epoch) return;
    const log = store.collection<ErasureLogEntry>(COLLECTIONS.erasures);
    for (const e of await log.find({}, { projection: { subjectId: 1, versionsUpTo: 1 } }).toArray())
      this.add(e.subjectId, e.versionsUpTo);
    this.epoch = stamp;
  }
  add(subjectId: string, versionsUpTo: number): void {
    this.erasedUpTo.set(subjectId, Math.max(versionsUpTo, this.erasedUpTo.get(subjectId) ?? 0));
  }
  /** The last version erased of a subject, if it was. */
  upTo(subjectId: string): number | undefined {
    return this.erasedUpTo.get(subjectId);
  }
  has(subjectId: string, version: number | null): boolean {
    const v = this.erasedUpTo.get(subjectId);
    return v !== undefined && (version === null || version <= v);
  }
  get size(): number {
    return this.erasedUpTo.size;
  }
}

/**
 * Follow hub.erasures: resolves once everything on it at start-up has been read (so intake and replay start
 * knowing every erasure), then keeps applying new notices (from other instances).
 */
export async function followErasures(options: {
  kafka: Kafka;
  topic: string;
  groupId: string;
  registry: SchemaRegistry;
  /** appendedAt: when the brokers appended the notice, where its topic records it (judged as of then). */
  verify: (
    bytes: Buffer,
    appendedAt: number | undefined,
  ) => { ok: true; value: Record<string, unknown> } | { ok: false; reason: string };
  erased: ErasedSet;
  logger: Logger;
}): Promise<Tail> {
  const admin = options.kafka.admin();
  await admin.connect();
  // A topic created a moment ago may not have its leader elected yet: ask again.
  let offsets: { partition: number; high: string }[] | undefined;
  for (let attempt = 0; !offsets; attempt++) {
    try {
      offsets = await admin.fetchTopicOffsets(options.topic);
    } catch (err) {
      if (attempt >= 30) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  const ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  await admin.disconnect();
  const remaining = new Map([...ends].filter(([, high]) => high > 0n));
  let caughtUp: () => void = () => undefined;
  const done = new Promise<void>((r) => (caughtUp = r));
  if (remaining.size === 0) caughtUp();
  const tail = await tailTopic({
    kafka: options.kafka,
    topic: options.topic,
    groupId: options.groupId,
    fromBeginning: true,
    onMessage: (message, partition) => {
      if (message.value) {
        const v = options.verify(message.value, appendTimeOf(message));
        if (v.ok) options.erased.add(String(v.value.subjectId), Number(v.value.versionsUpTo));
        else
          options.logger.warn(
            { partition, offset: message.offset, reason: v.reason },
            'a record on hub.erasures was ignored',
          );
      }
      const high = remaining.get(partition);
      if (high !== undefined && BigInt(message.offset) + 1n >= high) {
        remaining.delete(partition);
        if (remaining.size === 0) caughtUp();
      }
    },
  });
  await done;
  return tail;
}

export interface RetentionDeps {
  store: Store;
  producer: Producer;
  partitions: PartitionCounts;
  signer: Signer;
  registry: SchemaRegistry;
  names: TopicNames;
  regions: Region[];
  policy: RetentionPolicy;
  erased: ErasedSet;
  matchSecret: Buffer;
  logger: Logger;
  clock: () => number;
  /** false during a replay: nothing is sent. */
  send: boolean;
  /**
   * Whether the intake has not yet read and committed, on `origin`'s topic (hub.node.XX.out), every record appended by
   * `at` (request-escalation.ts, intakeBehindOn): a record due at `at` is not erased while a renewal its originator
   * sent in time may wait unread there (a backlog after a stop). Absent: the review does not ask (tests, tools).
   */
  intakeBehind?: (origin: string, at: number, reads?: TopicReads) => Promise<boolean>;
}

function signed(deps: RetentionDeps, type: string, value: unknown, messageId: string): Buffer {
  const { payload, fingerprint } = deps.registry.encode(type, value);
  return deps.signer.signEncoded({ messageType: type, schemaFingerprint: fingerprint, payload, messageId })
    .bytes;
}

function notice(deps: RetentionDeps, doc: RetentionDoc, kind: 'review_due' | 'renewed' | 'erased'): Message {
  const value = {
    noticeId: derivedUuid(`retention:${kind}:${doc._id}:${doc.reviewAt.getTime()}`),
    kind,
    subjectType: doc.subjectType,
    subjectId: doc._id,
    category: doc.category,
    reviewAt: doc.reviewAt.getTime(),
    issuedAt: deps.clock(),
  };
  return { key: doc._id, value: signed(deps, 'RetentionNotice', value, value.noticeId) };
}

/**
 * Renewals from the originators: a new review date a full period from now. Those the store refuses were refused
 * before the batch was stored (checkRenewals, renewal-checks.ts); any other is not applied either.
 */
export async function applyRenewals(
  deps: RetentionDeps,
  renewals: Accepted[],
): Promise<Map<string, Message[]>> {
  const out = new Map<string, Message[]>();
  if (renewals.length === 0) return out;
  const retention = deps.store.collection<RetentionDoc>(COLLECTIONS.retention);
  const docs = new Map(
    (
      await findEach(
        retention,
        '_id',
        renewals.map((r) => String(r.value.subjectId)),
      )
    ).map((d) => [d._id, d]),
  );
  for (const r of renewals) {
    const doc = docs.get(String(r.value.subjectId));
    if (!doc || doc.originCountry !== r.envelope.origin || doc.subjectType !== r.value.subjectType) {
      deps.logger.warn(
        {
          subjectId: r.value.subjectId,
          subjectType: r.value.subjectType,
          origin: r.envelope.origin,
          messageId: r.envelope.messageId,
        },
        'renewal not applied: no record of that id and kind kept for its sender',
      );
      continue;
    }
    // Its erasure was decided, maybe announced (checkRenewals refused the renewal before the batch was stored).
    if (doc.erasing) {
      deps.logger.warn(
        { subjectId: doc._id, origin: r.envelope.origin, messageId: r.envelope.messageId },
        'renewal not applied: the record is being erased',
      );
      continue;
    }
    // The same renewal read again (a redelivery, or a node's outbox sent again from an earlier point) is applied
    // once: its review date does not move again, nor is it announced twice.
    if (doc.renewals.some((x) => x.messageId === r.envelope.messageId)) continue;
    const now = deps.clock();
    const period =
      deps.policy.renewMs ?? deps.policy.periods[doc.category] ?? DEFAULT_RETENTION.periods.seizure!;
    const reviewAt = new Date(now + period);
    const renewals = [
      ...doc.renewals,
      {
        at: new Date(now),
        reason: String(r.value.reason).slice(0, 500),
        messageId: r.envelope.messageId,
        submittedBy: typeof r.value.submittedBy === 'string' ? r.value.submittedBy : null,
      },
    ];
    await retention.updateOne({ _id: doc._id }, { $set: { reviewAt, warnedAt: null, renewals } });
    const updated = { ...doc, reviewAt, warnedAt: null, renewals };
    docs.set(doc._id, updated);
    const topic = deps.names.nodeIn(doc.originCountry);
    out.set(topic, [...(out.get(topic) ?? []), notice(deps, updated, 'renewed')]);
  }
  return out;
}

/**
 * A re-drive refused again is quarantined with the whole envelope again, naming the entry it re-drove (redriveOf),
 * under the subject read from its payload (redrive.ts; those quarantined before, under the re-drive's key): the
 * entries that follow from `roots` (quarantine ids, each with the record it holds), deepest first, removed and
 * counted in `removed` for their record (once: one found by its key already is not counted again).
 */
async function eraseRedrives(
  store: Store,
  roots: Map<string, string>,
  removed: Map<string, Record<string, number>>,
): Promise<void> {
  const quarantine = store.collection<{ _id: string; redriveOf?: string }>(COLLECTIONS.quarantine);
  const levels: string[][] = [];
  const seen = new Set(roots.keys());
  let parents = roots;
  while (parents.size) {
    const next = new Map<string, string>();
    for (const d of await findEach(quarantine, 'redriveOf', [...parents.keys()], { redriveOf: 1 })) {
      const subject = parents.get(String(d.redriveOf));
      if (subject === undefined || seen.has(d._id)) continue;
      seen.add(d._id);
      next.set(d._id, subject);
      const counts = removed.get(subject);
      if (counts) counts[COLLECTIONS.quarantine] = (counts[COLLECTIONS.quarantine] ?? 0) + 1;
    }
    if (next.size) levels.push([...next.keys()]);
    parents = next;
  }
  for (const ids of levels.reverse()) await quarantine.deleteMany({ _id: { $in: ids } });
}

/** The collections a record's erasure removes from, and the field that names it in each. */
const ERASED_FROM: { name: CollectionName; field: string; named: (doc: Document) => unknown[] }[] = [
  { name: COLLECTIONS.reports, field: '_id', named: (d) => [d._id] },
  { name: COLLECTIONS.annualReturns, field: '_id', named: (d) => [d._id] },
  { name: COLLECTIONS.routes, field: '_id', named: (d) => [d._id] },
  { name: COLLECTIONS.reportVersions, field: 'reportId', named: (d) => [d.reportId] },
  { name: COLLECTIONS.envelopes, field: 'subjectId', named: (d) => [d.subjectId] },
  // A refused message of the record keeps its whole envelope in quarantine: found by the key it was filed under
  // (entries quarantined before 2026-12-07 have none: see the README's limits).
  { name: COLLECTIONS.quarantine, field: 'key', named: (d) => [d.key] },
  // The receipts of its messages: they quote its content (a place outside its country, an implausible quantity).
  { name: COLLECTIONS.receipts, field: 'subjectId', named: (d) => [d.subjectId] },
  // Last: a review stopped before this point finds them again, and tells the countries they went to again. Those
  // still naming reports of two countries are stored again without the records first (alertsKept).
  {
    name: COLLECTIONS.alerts,
    field: 'matched.reportId',
    named: (d) => ((d.matched as { reportId?: unknown }[] | undefined) ?? []).map((m) => m.reportId),
  },
];

/** An alert as correlate stores it (correlate.ts, matchReports): the record sent, by its id, and whether it was. */
type StoredAlert = Omit<AlertRecord, 'createdAt'> & { _id: string; createdAt: Date; published: boolean };

/**
 * `alert` without the reports of `erased`, nor those whose current version has left its key since (`left`, where
 * correlate.ts keeps it), as correlate would have raised it on the reports left: its countries, score and reason (the
 * number of reports it names; the rule's sentence and its note of older seizures not named stay) made again from
 * them, under the id correlate gives an alert on its key (`key`, where known) naming those reports: one it raised on
 * them already, or raises later, is the same alert. Without the key (the alert keeps only its prefix), an id of the
 * prefix and the reports. Undefined where fewer than two countries are left: no cross-border match remains. The
 * reports left still match one another: KZ's report erased from an alert naming KZ's, KG's and TJ's, KG and TJ are
 * told again that theirs do (under another id than before, since the nodes keep one message of each id and drop the
 * alert they hold on KZ's erasure notice).
 */
export function alertWithout(
  alert: StoredAlert,
  erased: ReadonlySet<string>,
  key?: string,
): StoredAlert | undefined {
  const { left, ...rest } = alert as StoredAlert & { left?: unknown };
  const gone = new Set([...erased, ...(Array.isArray(left) ? left : [])]);
  const matched = alert.matched.filter((m) => !gone.has(m.reportId));
  const countries = [...new Set(matched.map((m) => m.country))].sort();
  if (countries.length < 2) return undefined;
  // As correlate.ts (matchReports) derives an alert's id, matched sorted by report id as it stores them.
  const alertId = alertIdOf(
    alert.rule,
    key ?? alert.matchKeyPrefix ?? '',
    matched.map((m) => m.reportId),
  );
  return {
    ...rest,
    _id: alertId,
    alertId,
    matched,
    countries,
    score: alertScore(
      alert.rule,
      matched.map((m) => m.evaluation),
    ),
    // The rule's sentence for the reports named, and the note of older seizures not named that it had, if any.
    reason:
      alertReason(alert.rule, alert.identifierKind ?? null, matched.length) +
      (/; \d+ more, of older seizures, are not named$/.exec(alert.reason)?.[0] ?? ''),
  };
}

/**
 * The alerts of `naming` (read by alertsNaming, which reads only what the erasure's notices need) that name reports
 * of two countries or more besides those `erased` and those withdrawn since, as alertWithout leaves them, but for
 * those stored already. Only where there are such alerts are they read whole, with their reports' status and the keys
 * of a report each still names, once for them all.
 */
async function alertsKept(
  store: Store,
  naming: readonly AlertNaming[],
  erased: ReadonlySet<string>,
): Promise<StoredAlert[]> {
  const candidates = naming.filter((a) => {
    const countries = new Set(
      ((a.matched ?? []) as { reportId?: unknown; country?: unknown }[])
        .filter((m) => typeof m.reportId === 'string' && !erased.has(m.reportId))
        .map((m) => m.country),
    );
    return countries.size >= 2;
  });
  if (candidates.length === 0) return [];
  const read = await findEach(
    store.collection<StoredAlert>(COLLECTIONS.alerts),
    '_id',
    candidates.map((a) => a._id),
  );
  // A report withdrawn (or gone) since is no match either: as the views leave it out, the alert kept leaves it out,
  // and is kept only if two countries remain without it.
  const standing = new Set(
    (
      await findEach(
        store.collection<StoredReport>(COLLECTIONS.reports),
        '_id',
        [...new Set(read.flatMap((a) => a.matched.map((m) => m.reportId)))],
        { status: 1 },
      )
    )
      .filter((r) => r.status === 'active')
      .map((r) => r._id),
  );
  const whole = read.map((a) => ({ ...a, matched: a.matched.filter((m) => standing.has(m.reportId)) }));
  // The key each was raised on, from the keys a report it keeps is matched on (`r:<reportId>`, correlate.ts).
  const firstKept = (a: StoredAlert) => alertWithout(a, erased)?.matched[0]?.reportId;
  const keysOf = new Map(
    (
      await findEach(
        store.collection<{ _id: string; keys: string[] }>(COLLECTIONS.reportKeys),
        '_id',
        whole.flatMap((a) => firstKept(a) ?? []).map((id) => `r:${id}`),
      )
    ).map((d) => [d._id.slice(2), d.keys]),
  );
  const out = new Map<string, StoredAlert>();
  for (const a of whole) {
    const kept = alertWithout(a, erased, keyOf(keysOf.get(firstKept(a) ?? '') ?? [], a.matchKeyPrefix));
    // Two alerts on one key left with the same reports are one alert, as correlate would have raised it.
    if (kept && !out.has(kept._id)) out.set(kept._id, kept);
  }
  // One stored already was told already (correlate raised it on those reports; or a review stopped after storing
  // it, whose notices and alerts were all sent before): not told again.
  const stored = await findEach(
    store.collection<{ _id: string }>(COLLECTIONS.alerts),
    '_id',
    [...out.keys()],
    { _id: 1 },
  );
  for (const d of stored) out.delete(d._id);
  return [...out.values()];
}

/**
 * Of a report's stored key ids (`k:<key>`, or `k:<key>|p<period>` for a route pattern: correlate.ts, storedKeyId),
 * the key an alert's `prefix` (its first 12 hex digits) names.
 */
function keyOf(stored: string[], prefix: string | null): string | undefined {
  if (!prefix) return undefined;
  return stored.map((id) => id.slice(2).split('|')[0] as string).find((key) => key.startsWith(prefix));
}

/**
 * The messages telling the alerts kept (alertsKept) to their countries, each its own copy (alertCopies, as the
 * coordinator sends a new alert), and to the feeds where every report they name may be read (feedMessages): the
 * countries' nodes and the feeds drop the alerts they held on the erasure notice. Handled as stored now.
 */
async function keptAlertMessages(deps: RetentionDeps, alerts: StoredAlert[], out: Outgoing): Promise<void> {
  if (alerts.length === 0) return;
  const reports = await findEach(
    deps.store.collection<StoredReport>(COLLECTIONS.reports),
    '_id',
    [...new Set(alerts.flatMap((a) => a.matched.map((m) => m.reportId)))],
    { originCountry: 1, handling: 1 },
  );
  const handlings = new Map<string, Handled>(
    reports.map((r) => [r._id, { originCountry: r.originCountry, ...r.handling }]),
  );
  const handlingOf = (id: string) => handlings.get(id);
  const records: AlertRecord[] = alerts.map(({ _id: _stored, published: _sent, ...a }) => ({
    ...a,
    createdAt: new Date(a.createdAt).getTime(),
  }));
  for (const alert of records)
    for (const copy of alertCopies(alert, handlingOf))
      out.sign(
        copy.to.map((cc) => deps.names.nodeIn(cc)),
        alert.alertId,
        'CrossBorderAlert',
        copy.alert,
        derivedUuid(copy.messageSeed),
      );
  // A report not found (deleted since) makes the feeds unknown: such an alert goes to none.
  feedMessages(
    [],
    records.filter((a) => a.matched.every((m) => handlings.has(m.reportId))),
    out,
    {
      regions: deps.regions,
      names: deps.names,
      now: deps.clock(),
      handlingsOf: () => [],
      alertHandling: (a) => a.matched.flatMap((m) => handlingOf(m.reportId) ?? []),
    },
  );
}

/**
 * Erase records everywhere in this store, after their notices are out. Idempotent. Each collection is read and
 * written once for all of them (on FerretDB every one of those calls reads the whole collection: one record at a
 * time, 1.4 s a record with 20,000 stored, measured).
 */
export async function eraseRecords(
  deps: RetentionDeps,
  docs: readonly RetentionDoc[],
  reasonCode: ErasureLogEntry['reasonCode'],
): Promise<ErasureLogEntry[]> {
  if (docs.length === 0) return [];
  const { store } = deps;
  const ids = docs.map((d) => d._id);
  // Marked before anything is sent: once a notice may be out, the record is not renewed (checkRenewals), and the
  // review finishes its erasure whatever its date (a review stopped halfway left it with some of its content).
  const unmarked = docs.filter((d) => !d.erasing).map((d) => d._id);
  if (unmarked.length)
    await store
      .collection<RetentionDoc>(COLLECTIONS.retention)
      .updateMany(
        { _id: { $in: unmarked } },
        { $set: { erasing: { reasonCode, since: new Date(deps.clock()) } } },
      );
  const reportIds = docs.filter((d) => d.subjectType === 'SeizureReport').map((d) => d._id);
  const reports = new Map(
    (await findEach(store.collection<StoredReport>(COLLECTIONS.reports), '_id', reportIds)).map((r) => [
      r._id,
      r,
    ]),
  );
  // Annual returns and trafficking routes are kept by the same id in collections of their own.
  const currentIn = async (name: CollectionName, type: string) =>
    findEach(
      store.collection<{ _id: string; version: number; handling: StoredReport['handling'] }>(name),
      '_id',
      docs.filter((d) => d.subjectType === type).map((d) => d._id),
      { _id: 1, version: 1, handling: 1 },
    );
  const current = [
    ...reports.values(),
    ...(await currentIn(COLLECTIONS.annualReturns, 'AnnualSeizureReturn')),
    ...(await currentIn(COLLECTIONS.routes, 'TraffickingRoute')),
  ];
  const latest = new Map(current.map((d) => [d._id, d.version]));
  /** Where each was published (every version: an earlier one may have gone wider): its feeds are told of its erasure. */
  const handlingsOf = new Map<string, Omit<Handled, 'originCountry'>[]>(
    current.map((d) => [d._id, d.handling ? [d.handling] : []]),
  );
  // One not found was deleted by a review that stopped halfway (a crash, a store gone): its last version is taken
  // from the history, if still there, and from what was erased already (a notice read back from hub.erasures), so
  // that the notice sent again does not say 0 (which would let a redelivery store it again).
  const missing = new Set(ids.filter((id) => !latest.has(id)));
  for (const [id, versions] of await versionHandlings(store, ids, deps.regions)) {
    handlingsOf.set(id, [...(handlingsOf.get(id) ?? []), ...versions.flatMap((v) => v.handling ?? [])]);
    if (missing.has(id)) latest.set(id, Math.max(latest.get(id) ?? 0, ...versions.map((v) => v.version)));
  }
  const erasing = docs.map((doc) => {
    const versionsUpTo = Math.max(latest.get(doc._id) ?? 0, deps.erased.upTo(doc._id) ?? 0);
    return {
      doc,
      handlings: handlingsOf.get(doc._id) ?? [],
      versionsUpTo,
      erasureId: derivedUuid(`erasure:${doc._id}:${versionsUpTo}`),
    };
  });
  // The alerts naming them, read before anything is deleted: each country an alert went to hears of the erasure
  // (it holds the alert). They are deleted last of the collections below, after every notice is out, so a review
  // stopped before their deletion (a crash, a store gone) finds them again when it runs again, and tells their
  // countries again. One stopped after their deletion, before its retention entry went, tells only hub.erasures,
  // the originator and the feeds the history still shows: the alerts' countries are not known any more, but they
  // were told by that run, whose notices were all acknowledged before it deleted anything.
  const alerts = await alertsNaming(store, ids);
  const alertedCountries = alertRecipients(alerts, ids);
  // The alerts that still name reports of two countries or more are kept without the erased ones, and told again
  // with the notices (before anything is deleted: a review run again after a stop tells them again, the same).
  const kept = await alertsKept(store, alerts, new Set(ids));
  if (deps.send) {
    const byTopic = new Map<string, Message[]>();
    const add = (topic: string, message: Message) =>
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), message]);
    for (const { doc, handlings, versionsUpTo, erasureId } of erasing) {
      const value = {
        erasureId,
        subjectType: doc.subjectType,
        subjectId: doc._id,
        versionsUpTo,
        originCountry: doc.originCountry,
        reasonCode,
        orderedAt: deps.clock(),
      };
      const message = { key: doc._id, value: signed(deps, 'ErasureNotice', value, erasureId) };
      const topics = erasureTopics(deps.names, deps.regions, {
        originCountry: doc.originCountry,
        handlings,
        alertedCountries: alertedCountries.get(doc._id) ?? [],
      });
      for (const topic of topics) add(topic, message);
    }
    const out = new Outgoing(deps.registry);
    out.addSigned(byTopic);
    await keptAlertMessages(deps, kept, out);
    await sendAll(
      deps.producer,
      deps.partitions,
      [...(await out.byTopic(deps.signer))].map(([topic, messages]) => ({ topic, messages })),
    );
  }
  for (const e of erasing) deps.erased.add(e.doc._id, e.versionsUpTo);
  const removed = new Map(ids.map((id) => [id, {} as Record<string, number>]));
  for (const { name, field, named } of ERASED_FROM) {
    const coll = store.collection<Document>(name);
    for (const r of removed.values()) r[name] = 0;
    // Reports and alerts were read above: not again (each read is one of the whole collection on FerretDB).
    const found =
      name === COLLECTIONS.reports
        ? [...reports.values()]
        : name === COLLECTIONS.alerts
          ? alerts
          : await findEach(coll, field, ids, { [field]: 1 });
    // A document naming several of them is found once for each (a query per id, when they are few): counted once.
    const distinct = [...new Map(found.map((d) => [d._id as string, d])).values()];
    for (const d of distinct)
      for (const id of new Set(named(d)))
        if (typeof id === 'string' && removed.has(id)) removed.get(id)![name]! += 1;
    // Re-drives refused again first, then the entries they re-drove: a review stopped halfway finds them again.
    if (name === COLLECTIONS.quarantine)
      await eraseRedrives(
        store,
        new Map(distinct.map((d) => [d._id as string, String((d as { key?: unknown }).key)])),
        removed,
      );
    // The alerts kept stored before those naming the records go (a stop between: found and written again).
    if (name === COLLECTIONS.alerts)
      await insertNew(
        coll as never,
        kept.map((a) => ({ ...a, published: a.published || deps.send })),
      );
    // One delete by the field, as one find: on FerretDB each is a read of the whole collection.
    if (distinct.length) await coll.deleteMany({ [field]: { $in: ids } });
  }
  // What a chunk's locked stage recorded for a crash may name them (resume.ts); such a chunk, if it comes again, is
  // processed in full, and the records' messages are skipped there as erased.
  const stagesOf = await lockedStagesNamingEach(store, ids);
  const stages = [...new Set([...stagesOf.values()].flat())];
  for (const [id, named] of stagesOf) removed.get(id)![COLLECTIONS.intakeLockedStages] = named.length;
  if (stages.length)
    await deleteByIds(store.collection<{ _id: string }>(COLLECTIONS.intakeLockedStages), stages);
  if (reportIds.length) {
    // Their reports are gone: the read models and match keys drop their contributions.
    await updateReadModels(store, reportIds);
    await correlate(store, reportIds, deps.matchSecret, deps.clock());
    // Versions of route keys superseded but not yet compacted may still name them.
    await dropSupersededRouteKeys(store);
  }
  const erasedAt = new Date(deps.clock());
  const entries: ErasureLogEntry[] = erasing.map(({ doc, versionsUpTo, erasureId }) => ({
    _id: doc._id,
    erasureId,
    subjectType: doc.subjectType,
    subjectId: doc._id,
    originCountry: doc.originCountry,
    versionsUpTo,
    reasonCode,
    reviewAt: doc.reviewAt,
    erasedAt,
    removed: removed.get(doc._id)!,
  }));
  // Written once everything else is gone; an entry of an erasure begun before a crash is written again.
  const erasures = store.collection<ErasureLogEntry>(COLLECTIONS.erasures);
  const taken = await insertFindingTaken(erasures, entries);
  for (const e of entries)
    if (taken.has(e._id)) await erasures.replaceOne({ _id: e._id }, e, { upsert: true });
  // Other instances read the log again before they store anything more (ErasedSet.catchUp).
  await store
    .collection<{ _id: string; stamp: string }>(COLLECTIONS.meta)
    .replaceOne({ _id: ERASURES_EPOCH }, { stamp: randomUUID() }, { upsert: true });
  await deleteByIds(store.collection<RetentionDoc>(COLLECTIONS.retention), ids);
  return entries;
}

/** What a review takes: every record due or to be warned, or only those whose erasure was begun (marked). */
type ReviewScope = 'all' | 'marked';

/** The periodic review: warn what is due soon, erase what is due; under the read-models lock, a slice at a time. */
export function startRetention(deps: RetentionDeps): { stop(): Promise<void>; runOnce(): Promise<void> } {
  let running: Promise<void> | undefined;
  const retention = deps.store.collection<RetentionDoc>(COLLECTIONS.retention);
  const slice = deps.policy.reviewSlice ?? 100;
  /**
   * One slice: the records due soonest that are to be erased or warned (those warned already wait for their date),
   * and those whose erasure was begun (erasing: its date may be ahead of this instance's clock), reviewed under the
   * read-models lock; `marked`: those whose erasure was begun alone. The ids it reviewed (fewer than a slice: none are
   * left).
   */
  const reviewSlice = async (scope: ReviewScope): Promise<string[]> => {
    const now = deps.clock();
    const due = await retention
      .find(
        scope === 'marked'
          ? { erasing: { $exists: true } }
          : {
              $or: [
                { erasing: { $exists: true } },
                { reviewAt: { $lte: new Date(now) } },
                { reviewAt: { $lte: new Date(now + deps.policy.warnMs) }, warnedAt: null },
              ],
            },
      )
      .sort({ reviewAt: 1 })
      .limit(slice)
      .toArray();
    if (due.length === 0) return [];
    const waiting = await renewalsMayWait(due.filter((d) => !d.erasing && d.reviewAt.getTime() <= now));
    await withLock(deps.store, 'read-models', async () => {
      // Read again under the lock: a renewal the intake stored while this waited for it (the intake applies them
      // under the same lock) has moved the record's date, and the record is neither erased nor warned now.
      const current = await findEach(
        retention,
        '_id',
        due.map((d) => d._id),
      );
      const expired = current.filter(
        (d) => d.erasing || (scope === 'all' && d.reviewAt.getTime() <= now && !waiting.has(d._id)),
      );
      // Each erasure begun finishes with the reason it was begun for.
      const byReason = new Map<ErasureLogEntry['reasonCode'], RetentionDoc[]>();
      for (const d of expired) {
        const reason = d.erasing?.reasonCode ?? 'retention_expired';
        byReason.set(reason, [...(byReason.get(reason) ?? []), d]);
      }
      for (const [reason, docs] of byReason)
        for (const entry of await eraseRecords(deps, docs, reason))
          deps.logger.info(
            { subjectId: entry.subjectId, origin: entry.originCountry, removed: entry.removed },
            'record erased (retention)',
          );
      const toWarn = current.filter(
        (d) =>
          scope === 'all' &&
          !d.erasing &&
          d.reviewAt.getTime() > now &&
          d.reviewAt.getTime() <= now + deps.policy.warnMs &&
          !d.warnedAt,
      );
      if (deps.send)
        await sendAll(
          deps.producer,
          deps.partitions,
          [
            ...expired.map((doc) => ({ doc, kind: 'erased' as const })),
            ...toWarn.map((doc) => ({ doc, kind: 'review_due' as const })),
          ].map(({ doc, kind }) => ({
            topic: deps.names.nodeIn(doc.originCountry),
            messages: [notice(deps, doc, kind)],
          })),
        );
      if (toWarn.length)
        await retention.updateMany(
          { _id: { $in: toWarn.map((d) => d._id) } },
          { $set: { warnedAt: new Date(now) } },
        );
    });
    return due.map((d) => d._id);
  };
  /**
   * Of the records fallen due (not marked), those the intake may not have read every renewal of yet: their
   * originator's topic not committed past their review date (RetentionDeps.intakeBehind). Where the brokers cannot
   * say, the record waits too. Asked latest date first for each originator: once read past one date, past the earlier.
   */
  const renewalsMayWait = async (fallenDue: RetentionDoc[]): Promise<Set<string>> => {
    const waiting = new Set<string>();
    const behind = deps.intakeBehind;
    if (!behind) return waiting;
    const reads: TopicReads = new Map();
    const byOrigin = new Map<string, RetentionDoc[]>();
    for (const d of fallenDue) byOrigin.set(d.originCountry, [...(byOrigin.get(d.originCountry) ?? []), d]);
    for (const [origin, docs] of byOrigin)
      try {
        for (const d of docs.sort((a, b) => b.reviewAt.getTime() - a.reviewAt.getTime())) {
          if (!(await behind(origin, d.reviewAt.getTime(), reads))) break;
          waiting.add(d._id);
        }
      } catch (err) {
        for (const d of docs) waiting.add(d._id);
        deps.logger.warn(
          { origin, records: docs.length, err: (err as Error).message },
          "records fallen due not erased yet: where the intake stands in their originator's topic is not known",
        );
      }
    if (waiting.size)
      deps.logger.info(
        { records: waiting.size },
        "records fallen due wait until the intake has read their originators' renewals sent in time",
      );
    return waiting;
  };
  // Slice after slice, the lock given up between them: a day when many records fall due (a country's backlog
  // imported at once, its period over) must not hold the intake, which stores under the same lock, until every one
  // is erased. Every record of a slice leaves the review (erased, or warned and waiting for its date); should one
  // not (one waiting for the intake), the same slice coming again ends the run rather than looping on it.
  const slices = async (scope: ReviewScope) => {
    let last = '';
    for (;;) {
      const ids = await reviewSlice(scope);
      if (ids.length < slice || ids.join() === last) return;
      last = ids.join();
    }
  };
  /** A review, after the one running (the timer's, or another caller's) has ended: never two at once. */
  const review = async (scope: ReviewScope): Promise<void> => {
    while (running) await running.catch(() => undefined);
    const run = slices(scope);
    running = run;
    try {
      await run;
    } finally {
      if (running === run) running = undefined;
    }
  };
  const tick = (scope: ReviewScope) => () => {
    if (running) return;
    void review(scope).catch((err: unknown) =>
      deps.logger.error({ err: (err as Error).message }, 'retention review failed'),
    );
  };
  // An early review soon after start finishes the erasures that a stop cut short (their notices out, some of their
  // content still stored), not a whole checkMs later. Only those: a record that fell due while the coordinator was
  // stopped may have a renewal sent in time waiting unread in its originator's topic, which the intake reads first;
  // the regular review, every checkMs from start, erases what has fallen due.
  const early = deps.policy.firstCheckMs ?? Math.min(deps.policy.checkMs, FIRST_CHECK_MAX_MS);
  const first = early < deps.policy.checkMs ? setTimeout(tick('marked'), early) : undefined;
  const timer = setInterval(tick('all'), deps.policy.checkMs);
  return {
    runOnce: () => review('all'),
    async stop() {
      clearTimeout(first);
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
