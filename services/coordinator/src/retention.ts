// Retention review. Every stored record gets a review date from its category (when it was first stored plus the
// category's period); its originating country is warned ahead of the date and may renew it; a record not renewed is
// erased from the store and the read models, and a signed ErasureNotice on hub.erasures (and to the originator and
// the feeds it went to) makes every subscriber, replica and replay erase it too. The erasure log keeps what was
// erased and why, never its content.
import type { Signer } from '@hub/envelope';
import type { Kafka, Message, Producer, TopicNames } from '@hub/kafka';
import { sendAll, tailTopic, type PartitionCounts, type Tail } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import type { Region, SchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, findEach, insertNew, withLock, type Store, type StoredReport } from '@hub/store';
import { releasableRegions } from './feeds';
import type { Accepted } from './outcome';
import { derivedUuid } from './replies';
import { updateReadModels } from './read-models';
import { correlate, dropSupersededRouteKeys } from './correlate';
import { lockedStagesNaming } from './resume';

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
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  periods: { seizure: 3 * 365 * DAY, annual: 10 * 365 * DAY },
  warnMs: 90 * DAY,
  checkMs: 3600000,
};

const CATEGORY: Record<string, string> = {
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
  renewals: { at: Date; reason: string }[];
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
): Promise<void> {
  const docs = new Map<string, RetentionDoc>();
  for (const a of accepted) {
    const category = CATEGORY[a.envelope.messageType];
    if (!category || docs.has(a.subjectId)) continue;
    docs.set(a.subjectId, {
      _id: a.subjectId,
      subjectType: a.envelope.messageType,
      category,
      originCountry: a.envelope.origin,
      reviewAt: new Date(now + (policy.periods[category] ?? DEFAULT_RETENTION.periods.seizure!)),
      warnedAt: null,
      renewals: [],
    });
  }
  if (docs.size === 0) return;
  const retention = store.collection<RetentionDoc>(COLLECTIONS.retention);
  // A subject registered already keeps its entry (and its renewals): insertNew leaves it as it is.
  await insertNew(retention, [...docs.values()]);
}

/** Subjects erased, with the last version erased: their messages are never stored again (redelivery, replay). */
export class ErasedSet {
  private readonly upTo = new Map<string, number>();
  add(subjectId: string, versionsUpTo: number): void {
    this.upTo.set(subjectId, Math.max(versionsUpTo, this.upTo.get(subjectId) ?? 0));
  }
  has(subjectId: string, version: number | null): boolean {
    const v = this.upTo.get(subjectId);
    return v !== undefined && (version === null || version <= v);
  }
  get size(): number {
    return this.upTo.size;
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
  verify: (bytes: Buffer) => { ok: true; value: Record<string, unknown> } | { ok: false };
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
        const v = options.verify(message.value);
        if (v.ok) options.erased.add(String(v.value.subjectId), Number(v.value.versionsUpTo));
        else options.logger.warn('an erasure notice not signed by the coordinator was ignored');
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

/** Renewals from the originators: a new review date a full period from now. Others' renewals are refused. */
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
    if (!doc || doc.originCountry !== r.envelope.origin) {
      deps.logger.warn(
        { subjectId: r.value.subjectId, origin: r.envelope.origin },
        'renewal refused: not the originator',
      );
      continue;
    }
    const now = deps.clock();
    const period =
      deps.policy.renewMs ?? deps.policy.periods[doc.category] ?? DEFAULT_RETENTION.periods.seizure!;
    const reviewAt = new Date(now + period);
    const renewals = [...doc.renewals, { at: new Date(now), reason: String(r.value.reason).slice(0, 500) }];
    await retention.updateOne({ _id: doc._id }, { $set: { reviewAt, warnedAt: null, renewals } });
    const updated = { ...doc, reviewAt, warnedAt: null, renewals };
    docs.set(doc._id, updated);
    const topic = deps.names.nodeIn(doc.originCountry);
    out.set(topic, [...(out.get(topic) ?? []), notice(deps, updated, 'renewed')]);
  }
  return out;
}

/** Erase one record everywhere in this store, after its notices are out. Idempotent. */
export async function eraseRecord(
  deps: RetentionDeps,
  doc: RetentionDoc,
  reasonCode: ErasureLogEntry['reasonCode'],
): Promise<ErasureLogEntry> {
  const { store } = deps;
  const reports = store.collection<StoredReport>(COLLECTIONS.reports);
  const isReport = doc.subjectType === 'SeizureReport';
  const current = isReport
    ? await reports.findOne({ _id: doc._id })
    : await store
        .collection<{ _id: string; version: number }>(COLLECTIONS.annualReturns)
        .findOne({ _id: doc._id });
  const versionsUpTo = current?.version ?? 0;
  const erasureId = derivedUuid(`erasure:${doc._id}:${versionsUpTo}`);
  const value = {
    erasureId,
    subjectType: doc.subjectType,
    subjectId: doc._id,
    versionsUpTo,
    originCountry: doc.originCountry,
    reasonCode,
    orderedAt: deps.clock(),
  };
  if (deps.send) {
    const bytes = signed(deps, 'ErasureNotice', value, erasureId);
    const topics = [deps.names.erasures, deps.names.nodeIn(doc.originCountry)];
    if (isReport && current)
      for (const region of releasableRegions(
        { originCountry: doc.originCountry, ...(current as StoredReport).handling },
        deps.regions,
      ))
        topics.push(deps.names.feed(region));
    await sendAll(
      deps.producer,
      deps.partitions,
      topics.map((topic) => ({ topic, messages: [{ key: doc._id, value: bytes }] })),
    );
  }
  deps.erased.add(doc._id, versionsUpTo);
  const removed: Record<string, number> = {};
  const del = async (name: string, filter: Record<string, unknown>) => {
    removed[name] = (await store.collection(name as never).deleteMany(filter as never)).deletedCount;
  };
  await del(COLLECTIONS.reports, { _id: doc._id });
  await del(COLLECTIONS.annualReturns, { _id: doc._id });
  await del(COLLECTIONS.routes, { _id: doc._id });
  await del(COLLECTIONS.reportVersions, { reportId: doc._id });
  await del(COLLECTIONS.envelopes, { subjectId: doc._id });
  await del(COLLECTIONS.alerts, { 'matched.reportId': doc._id });
  // What a chunk's locked stage recorded for a crash may name it (resume.ts); such a chunk, if it comes again, is
  // processed in full, and the record's messages are skipped there as erased.
  await del(COLLECTIONS.intakeLockedStages, { _id: { $in: await lockedStagesNaming(store, doc._id) } });
  if (isReport) {
    // Its report is gone: the read models and match keys drop its contributions.
    await updateReadModels(store, [doc._id]);
    await correlate(store, [doc._id], deps.matchSecret, deps.clock());
    // Versions of route keys superseded but not yet compacted may still name it.
    await dropSupersededRouteKeys(store);
  }
  const entry: ErasureLogEntry = {
    _id: doc._id,
    erasureId,
    subjectType: doc.subjectType,
    subjectId: doc._id,
    originCountry: doc.originCountry,
    versionsUpTo,
    reasonCode,
    reviewAt: doc.reviewAt,
    erasedAt: new Date(deps.clock()),
    removed,
  };
  await store
    .collection<ErasureLogEntry>(COLLECTIONS.erasures)
    .replaceOne({ _id: doc._id }, entry, { upsert: true });
  await store.collection<RetentionDoc>(COLLECTIONS.retention).deleteOne({ _id: doc._id });
  return entry;
}

/** The periodic review: warn what is due soon, erase what is due; under the read-models lock, a slice at a time. */
export function startRetention(deps: RetentionDeps): { stop(): Promise<void>; runOnce(): Promise<void> } {
  let running: Promise<void> | undefined;
  const retention = deps.store.collection<RetentionDoc>(COLLECTIONS.retention);
  const slice = deps.policy.reviewSlice ?? 100;
  /**
   * One slice: the records due soonest that are to be erased or warned (those warned already wait for their date),
   * reviewed under the read-models lock. The ids it reviewed (fewer than a slice: none are left).
   */
  const reviewSlice = async (): Promise<string[]> => {
    const now = deps.clock();
    const due = await retention
      .find({
        reviewAt: { $lte: new Date(now + deps.policy.warnMs) },
        $or: [{ reviewAt: { $lte: new Date(now) } }, { warnedAt: null }],
      })
      .sort({ reviewAt: 1 })
      .limit(slice)
      .toArray();
    if (due.length === 0) return [];
    const warnings: Message[] = [];
    await withLock(deps.store, 'read-models', async () => {
      for (const doc of due) {
        if (doc.reviewAt.getTime() <= now) {
          const entry = await eraseRecord(deps, doc, 'retention_expired');
          deps.logger.info(
            { subjectId: doc._id, origin: doc.originCountry, removed: entry.removed },
            'record erased (retention)',
          );
          if (deps.send)
            await deps.producer.send({
              topic: deps.names.nodeIn(doc.originCountry),
              acks: -1,
              messages: [notice(deps, doc, 'erased')],
            });
        } else if (!doc.warnedAt) {
          warnings.push(notice(deps, doc, 'review_due'));
          if (deps.send)
            await deps.producer.send({
              topic: deps.names.nodeIn(doc.originCountry),
              acks: -1,
              messages: [warnings.at(-1)!],
            });
          await retention.updateOne({ _id: doc._id }, { $set: { warnedAt: new Date(now) } });
        }
      }
    });
    return due.map((d) => d._id);
  };
  // Slice after slice, the lock given up between them: a day when many records fall due (a country's backlog
  // imported at once, its period over) must not hold the intake, which stores under the same lock, until every one
  // is erased. Every record of a slice leaves the review (erased, or warned and waiting for its date); should one
  // not, the same slice coming again ends the run rather than looping on it.
  const runOnce = async () => {
    let last = '';
    for (;;) {
      const ids = await reviewSlice();
      if (ids.length < slice || ids.join() === last) return;
      last = ids.join();
    }
  };
  const timer = setInterval(() => {
    if (running) return;
    running = runOnce()
      .catch((err: unknown) => deps.logger.error({ err: (err as Error).message }, 'retention review failed'))
      .finally(() => (running = undefined));
  }, deps.policy.checkMs);
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
