// GET /v1/feeds/:region/stream: the regional feed as server-sent events. One Kafka consumer per region, started
// on the first subscriber; every record's countersignature is verified, and each subscriber receives only what its
// own handling rule lets it read (the feed holds what every member may see, but clearances differ). A record whose
// signer (the coordinator's renewed certificate, a new node's) is not known yet waits for its certificate on hub.pki,
// in order, for a grace period, as the coordinator waits for a new node's.
// What is given again (to a client reconnecting with Last-Event-ID: the events held, or those read back from the
// broker) is judged by the store as it is now, not only by the handling a record was published under: a record
// erased, withdrawn or corrected since to a handling the caller may not read is not given again (stillGiven). An
// alert is always shown as its matched reports stand now, each caller its own view (routes-alerts.ts, alertView).
import { randomBytes } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { HubConfig } from '@hub/config';
import {
  CARRIER_MAX_BYTES,
  createVerifier,
  HUB_ORIGIN,
  verifyCarried,
  type Verifier,
  type VerifyResult,
} from '@hub/envelope';
import { HubError } from '@hub/errors';
import { appendTimeOf, createKafka, readRange, tailTopic, topicNames, type Tail } from '@hub/kafka';
import { Counter, Gauge, type Logger, type Registry } from '@hub/observability';
import { followPki, type TrustStore } from '@hub/pki';
import type { Region, SchemaRegistry } from '@hub/schemas';
import {
  COLLECTIONS,
  mayRead,
  type AlertShape,
  type CollectionName,
  type Handled,
  type Store,
} from '@hub/store';
import { roundKg, tlpLabel } from '@hub/domain';
import type { AuditLog } from './audit';
import { tokenLapse, type Caller } from './auth';
import type { KeyRing } from './issuer';
import { alertView, currentDocs, type CurrentDoc } from './routes-alerts';
import { actorOf } from './routes-seizures';

/** A signer whose certificate this process has not seen yet. */
export const UNKNOWN = Symbol('unknown signer');
/** setTimeout's longest delay (about 24.8 days); a token valid for longer is caught by a keep-alive's check. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** One client following a feed. */
export interface Subscriber {
  caller: Caller;
  res: Response;
  region: string;
  /** The records given to it since its reads were last written to the audit log (their ids and origins). */
  given: { ids: string[]; origins: string[] };
  /** Per partition, the last offset this subscriber was given (read back for it): live events up to it are not. */
  after?: Map<number, bigint>;
  /** Live events held while what it missed is read back. */
  buffer?: FeedEvent[];
}

/**
 * Where a feed's reader stands: per partition, the offset of the last record it has processed. An event's id is
 * this position just after its record (`0:12,1:5,2:7`), so that a client reconnecting with it can be given what came
 * after on every partition, by any instance of the query API: offsets are the broker's.
 */
type Position = Map<number, bigint>;

/** The id of the event of the record at `offset` on `partition`: `position` with that record taken. */
const positionId = (position: Position, partition: number, offset: bigint): string =>
  [...new Set([...position.keys(), partition])]
    .sort((a, b) => a - b)
    .map((p) => `${p}:${p === partition ? offset : position.get(p)}`)
    .join(',');

/** The position an event id names; undefined when it is not one. */
function parsePosition(id: string): Position | undefined {
  if (!/^[0-9]{1,4}:-?[0-9]{1,19}(,[0-9]{1,4}:-?[0-9]{1,19}){0,255}$/.test(id)) return undefined;
  const position: Position = new Map();
  for (const part of id.split(',')) {
    const [p, o] = part.split(':');
    position.set(Number(p), BigInt(o!));
  }
  return position;
}

/** The parts of the feed a reconnecting client missed, per partition: after its position, up to the reader's. */
type Ranges = Map<number, { after: bigint; upTo: bigint }>;

/**
 * What a client reconnecting with `lastEventId` is given first: the events held after it (`held`: the index in
 * `heldIds`, the ids of the events held, after which to start), what it missed read back from the broker, or a gap
 * when the id is not one of this feed or it missed more than `replayRecords` (`now`: where the feed's reader
 * stands). A gap does not say how many records it missed: they are all the feed's, also those the client may not
 * read, which it is not told of.
 */
export function resumeOf(
  lastEventId: string,
  heldIds: string[],
  now: Position,
  replayRecords: number,
): { held: number } | { readBack: Ranges } | { gap: string } {
  const at = heldIds.indexOf(lastEventId);
  if (at >= 0) return { held: at + 1 };
  const from = parsePosition(lastEventId);
  if (!from || from.size !== now.size || [...from.keys()].some((p) => !now.has(p)))
    return { gap: 'not an event id of this feed; search for what was published (GET /v1/seizures)' };
  const ranges: Ranges = new Map([...now].map(([p, o]) => [p, { after: from.get(p) ?? 0n, upTo: o }]));
  const missed = [...ranges.values()].reduce((n, r) => n + (r.upTo > r.after ? r.upTo - r.after : 0n), 0n);
  if (missed > BigInt(replayRecords))
    return {
      gap: `more records were published on this feed since than the ${replayRecords} a stream gives again: search for them (GET /v1/seizures)`,
    };
  return { readBack: ranges };
}

/** A feed record as read, by the feed's reader or read back for a reconnecting client. */
export interface FeedRecordRead {
  region: string;
  bytes: Buffer;
  partition: number;
  offset: string;
  /** The id of its event: the reader's position just after it. */
  id: string;
  /** Refusals of it were counted already (this instance's reader had read it). */
  counted: boolean;
  /** When the brokers appended it, where its topic records it (appendTimeOf). */
  appendedAt: number | undefined;
}

/**
 * The coordinator's countersignature on a feed record, its certificate judged valid as of when the brokers appended
 * the record (when its topic records it; else now), as the coordinator's intake judges what it reads: a record read
 * late (a reader behind, or read back for a client reconnecting) is not refused, and silently missing from the feed,
 * for a certificate that expired since it was written. Revocations count whenever they were made.
 */
export function verifyCountersignature(
  verifier: Verifier,
  bytes: Buffer,
  appendedAt: number | undefined,
): VerifyResult {
  // A feed record carries an envelope whole, which may be as large as any: it may be larger by its own fields.
  return verifier.verify(bytes, {
    maxBytes: CARRIER_MAX_BYTES,
    ...(appendedAt !== undefined && { validAt: appendedAt }),
  });
}

/** The original envelope inside a feed record, as of when the record was appended (verifyCarried). */
export function verifyOriginal(
  verifier: Verifier,
  originalEnvelope: Buffer,
  appendedAt: number | undefined,
  clock: () => number = Date.now,
): VerifyResult {
  return verifyCarried(verifier, originalEnvelope, {
    ...(appendedAt !== undefined && { carriedAt: appendedAt }),
    clock,
  });
}

/** What a caller is given of an event: its data, and the records it reads by it (for the owners' view of reads). */
export interface Shown {
  data: Record<string, unknown>;
  reads: { reportId: string; origin: string }[];
}

/** The current documents of events' subjects, by `<collection>/<id>` (one absent: erased, or never stored). */
export type Current = Map<string, CurrentDoc>;
export const docKey = (collection: string, id: string) => `${collection}/${id}`;

/** Where the current document of a feed record's subject is kept, by its message type. */
const SUBJECT_COLLECTION: Record<string, CollectionName> = {
  SeizureReport: COLLECTIONS.reports,
  SeizureRetraction: COLLECTIONS.reports,
  TraffickingRoute: COLLECTIONS.routes,
  AnnualSeizureReturn: COLLECTIONS.annualReturns,
};

/** Events given again are checked against the store this many at a time (one read of each collection for them). */
const CHECK_BATCH = 500;

/**
 * Whether a record published under a handling `caller` may read may still be given to it again, by its subject's
 * current document (`now`). Never once erased (or of a kind whose current document is not kept). A withdrawal is
 * given while its report is kept: it carries nothing of the report but its id, and tells a reader to drop what it
 * holds. Any other record not once its subject is withdrawn, nor when the caller may not read the subject under its
 * current handling. Our choice for a record of an earlier version than the subject's current one: it is given when
 * the caller may read the current version too (what it carries was released to the caller under its own handling,
 * and the subject is still open to it); when the current version is closed to the caller, no earlier one is given.
 */
export function stillGiven(
  caller: Pick<Caller, 'country' | 'clearance'>,
  now: Current,
  collection: CollectionName | undefined,
  subjectId: string,
  withdrawal: boolean,
): boolean {
  const doc = collection && now.get(docKey(collection, subjectId));
  if (!doc || doc.status === 'erased') return false;
  if (withdrawal) return true;
  if (doc.status === 'retracted' || !doc.handling) return false;
  return mayRead(caller, { ...doc.handling, originCountry: doc.originCountry });
}

export interface FeedEvent {
  id: string;
  partition: number;
  offset: bigint;
  type: string;
  /** The stored records that say, now, what of it may be given: its subject, or the reports an alert names. */
  subjects: { collection: CollectionName; id: string }[];
  /**
   * What `caller` is given of it, or nothing. `now`: the current documents of `subjects`, read just before; without
   * them (a record passed on live), a record is judged by the handling it was published under, and an alert is
   * given to nobody.
   */
  shownTo(caller: Caller, now: Current | undefined): Shown | undefined;
  /**
   * Whether it may be shown to `caller` at all, whatever the store holds now: to whom it is told of when it could not
   * be checked (an alert, to those it names and to coordinators; a record, to those its handling lets read it).
   */
  mayConcern(caller: Caller): boolean;
}

/** Where an event stands on its feed: its id (see Position), partition and offset. */
type EventAt = Pick<FeedEvent, 'id' | 'partition' | 'offset'>;

/** What an event is made of, of a FeedRecord (verified and decoded), beside its original's payload. */
export interface FeedRecordValue {
  messageType: string;
  subjectId: string;
  version: number | null;
  originCountry: string;
  acceptedAt: number;
  subjectHandling?: { tlp: string; releasableTo: string[] } | null;
}

/**
 * The event of a feed record on `region`'s feed, `payload` being its original's (`regions`: to read the region ids
 * of its handling). Given live as the handling it was published under allows; given again, also as its subject
 * stands now (stillGiven).
 */
export function recordEvent(
  at: EventAt,
  region: string,
  record: FeedRecordValue,
  payload: Record<string, unknown>,
  regions: Region[],
): FeedEvent {
  // The handling the coordinator applied (FeedRecord v3), else the record's own; a retraction of a v1 or v2
  // record has neither, and goes to its originator only.
  const h = record.subjectHandling ??
    (payload.handling as { tlp: string; releasableTo: string[] } | undefined) ?? {
      tlp: 'RED',
      releasableTo: [],
    };
  const handled: Handled = {
    originCountry: record.originCountry,
    tlp: tlpLabel(h.tlp) as Handled['tlp'],
    releasableTo: h.releasableTo,
    releasableCountries: h.releasableTo.flatMap((r) => regions.find((g) => g.id === r)?.members ?? [r]),
  };
  const drugs = (payload.drugs as { substance: string; quantityKg: number | null }[] | undefined) ?? [];
  const collection = SUBJECT_COLLECTION[record.messageType];
  const withdrawal = record.messageType === 'SeizureRetraction';
  const shown: Shown = {
    data: {
      messageType: record.messageType,
      subjectId: record.subjectId,
      version: record.version,
      originCountry: record.originCountry,
      region,
      acceptedAt: new Date(Number(record.acceptedAt)).toISOString(),
      ...(record.messageType === 'SeizureReport'
        ? {
            country: payload.country,
            seizedAt: new Date(Number(payload.seizedAt)).toISOString(),
            substances: [...new Set(drugs.map((d) => d.substance))],
            // Rounded as the coordinator's documents are (0.1 + 0.2 kg is 0.3 kg, not 0.30000000000000004).
            totalKg: roundKg(drugs.reduce((s, d) => s + (d.quantityKg ?? 0), 0)),
          }
        : {}),
      ...(record.messageType === 'AnnualSeizureReturn'
        ? { country: payload.country, year: payload.year }
        : {}),
    },
    reads: [{ reportId: record.subjectId, origin: record.originCountry }],
  };
  return {
    ...at,
    type: record.messageType,
    subjects: collection ? [{ collection, id: record.subjectId }] : [],
    mayConcern: (caller) => mayRead(caller, handled),
    shownTo: (caller, now) =>
      mayRead(caller, handled) &&
      (now === undefined || stillGiven(caller, now, collection, record.subjectId, withdrawal))
        ? shown
        : undefined,
  };
}

/**
 * The event of a cross-border alert on a feed: shown as GET /v1/alerts shows it, each caller its own view, by what
 * the store holds now of the reports it names (read also when it is passed on live); without that, to nobody.
 */
export function alertEvent(at: EventAt, alert: AlertShape & Record<string, unknown>): FeedEvent {
  const alertKey = docKey(COLLECTIONS.alerts, String(alert.alertId));
  // Its reports' documents in `now`, and the reports that have left its key since (`left`, on the stored alert: the
  // message does not carry it), picked out once for every subscriber shown it with the same `now` (a live event's, or
  // a batch's given again). Weakly held: an event kept for reconnecting clients does not keep a batch's.
  const picked = new WeakMap<Current, { reports: Map<string, CurrentDoc>; left?: string[] }>();
  const standing = (now: Current) => {
    let got = picked.get(now);
    if (!got) {
      const reports = new Map<string, CurrentDoc>();
      for (const m of alert.matched) {
        const doc = now.get(docKey(COLLECTIONS.reports, m.reportId));
        if (doc) reports.set(m.reportId, doc);
      }
      got = { reports, left: now.get(alertKey)?.left };
      picked.set(now, got);
    }
    return got;
  };
  return {
    ...at,
    type: 'alert',
    subjects: [
      ...alert.matched.map((m) => ({ collection: COLLECTIONS.reports, id: m.reportId })),
      { collection: COLLECTIONS.alerts, id: String(alert.alertId) },
    ],
    // As alertView shows it: to anyone it names, and to a coordinator that may read one of its reports.
    mayConcern: (caller) => alert.countries.includes(caller.country) || caller.role === 'coordinator',
    shownTo: (caller, now) => {
      if (!now) return undefined;
      const { reports, left } = standing(now);
      const view = alertView(caller, left ? { ...alert, left } : alert, reports);
      return view && { data: view.alert, reads: view.reads };
    },
  };
}

/** What an ErasureNotice says (schemas/avro/ErasureNotice.v1.avsc): which record, up to which version, and why. */
export interface ErasureNoticeValue {
  erasureId: string;
  subjectType: string;
  subjectId: string;
  versionsUpTo: number;
  originCountry: string;
  reasonCode: string;
  orderedAt: number;
}

/**
 * The event of an erasure notice on a feed (the coordinator's retention review, or an originator's or a legal order,
 * sent to every feed a version of the record went to): tells every subscriber to drop what it holds of the record, up
 * to `versionsUpTo`. Given to every subscriber of the feed, live and again (the notice carries no handling to judge
 * by, and a client that reconnects must still drop what it holds), so it says only what dropping needs: which record,
 * of which kind, up to which version, by which order and when. Not whose it was nor why: to one never shown the record,
 * a random id names nothing. Nothing of the erased content; no read of it for the owners' view.
 */
export function erasureEvent(at: EventAt, region: string, notice: ErasureNoticeValue): FeedEvent {
  const shown: Shown = {
    data: {
      erasureId: notice.erasureId,
      subjectType: notice.subjectType,
      subjectId: notice.subjectId,
      versionsUpTo: notice.versionsUpTo,
      region,
      orderedAt: new Date(Number(notice.orderedAt)).toISOString(),
    },
    reads: [],
  };
  return { ...at, type: 'erasure', subjects: [], mayConcern: () => true, shownTo: () => shown };
}

/** What making the event of a record read on a feed takes. */
export interface EventMaking {
  verifier: Verifier;
  registry: SchemaRegistry;
  regions: Region[];
  /** A record not passed on, counted by `reason` (hub_query_feed_records_refused_total) and logged; undefined. */
  refuse: (read: FeedRecordRead, reason: string, detail: Record<string, unknown>) => undefined;
}

/**
 * The event a record read on a feed gives: a cross-border alert, an erasure notice or a feed record, each signed by
 * the coordinator; none when it is refused (told to `making.refuse`), or UNKNOWN when a signer's certificate is not
 * known yet. Throws when a signed payload cannot be decoded by its schema.
 */
export function feedEvent(read: FeedRecordRead, making: EventMaking): FeedEvent | undefined | typeof UNKNOWN {
  const { verifier, registry, refuse } = making;
  const { region, partition, offset, id } = read;
  const outer = verifyCountersignature(verifier, read.bytes, read.appendedAt);
  if (!outer.ok && outer.reason === 'unknown-signer') return UNKNOWN;
  if (!outer.ok) return refuse(read, outer.reason, { detail: outer.detail });
  if (outer.envelope.origin !== HUB_ORIGIN)
    return refuse(read, 'not-countersigned', {
      detail: `signed by ${outer.envelope.origin}, not by the coordinator`,
    });
  const value = registry.decode(
    outer.envelope.schemaFingerprint,
    outer.envelope.payload,
    undefined,
    CARRIER_MAX_BYTES,
  );
  const at = { id, partition, offset: BigInt(offset) };
  const type = outer.envelope.messageType;
  if (type === 'CrossBorderAlert') return alertEvent(at, value as AlertShape & Record<string, unknown>);
  // Sent bare, as the coordinator signs it for every topic it goes to: the feed it is on is one a version went to.
  if (type === 'ErasureNotice') return erasureEvent(at, region, value as unknown as ErasureNoticeValue);
  if (type !== 'FeedRecord')
    return refuse(read, 'unexpected-type', {
      detail: `a ${type} signed by the coordinator is no feed record`,
    });
  const record = value as unknown as FeedRecordValue & {
    originalEnvelope: Buffer;
    region: string;
    regions?: string[];
  };
  // The countersignature covers the feeds a record is for: one found on another feed is not for its members.
  const meantFor = record.regions?.length ? record.regions : [record.region];
  if (!meantFor.includes(region))
    return refuse(read, 'other-feed', {
      detail: `published for ${meantFor.join(', ')}, not for ${region}`,
      subjectId: record.subjectId,
    });
  const inner = verifyOriginal(verifier, record.originalEnvelope, read.appendedAt);
  if (!inner.ok && inner.reason === 'unknown-signer') return UNKNOWN;
  if (!inner.ok)
    return refuse(read, inner.reason, {
      detail: `the original envelope: ${inner.detail}`,
      subjectId: record.subjectId,
    });
  const payload = registry.decode(inner.envelope.schemaFingerprint, inner.envelope.payload);
  return recordEvent(at, region, record, payload, making.regions);
}

/**
 * The current documents of the subjects of `events`: one read of each collection for them all (currentDocs, as GET
 * /v1/alerts reads its page's reports).
 */
export async function currentOf(store: Store, events: FeedEvent[]): Promise<Current> {
  const ids = new Map<CollectionName, Set<string>>();
  for (const e of events)
    for (const { collection, id } of e.subjects)
      ids.set(collection, (ids.get(collection) ?? new Set()).add(id));
  const now: Current = new Map();
  for (const [collection, wanted] of ids)
    for (const d of await currentDocs(store, collection, [...wanted])) now.set(docKey(collection, d._id), d);
  return now;
}

/** An event to a client still there (a response ended or gone is not written to: that would be an error). */
const send = (res: Response, text: string) => {
  if (!res.writableEnded && !res.destroyed) res.write(text);
};

/** A gap event: after the event `lastEventId`, what was not given and where to look for it. */
const gapEvent = (lastEventId: string, detail: string) =>
  `event: gap\ndata: ${JSON.stringify({ lastEventId, detail })}\n\n`;

/** Why events after a client's id were not given: the store could not be asked whether they may still be. */
export const NOT_CHECKED_GIVEN_AGAIN =
  'the events after it could not be checked against the store, so they were not given (a record is never given again ' +
  'unchecked); the stream goes on with later ones, so reconnecting will not give them: search for what was published ' +
  'since (GET /v1/seizures, GET /v1/alerts)';

/** Why a live event was not given: the store could not say what of it the caller may be shown now. */
export const NOT_CHECKED_LIVE =
  'the event after it could not be checked against the store, so it was not given; the stream goes on with later ' +
  'ones, so reconnecting will not give it: search for what was published since (GET /v1/alerts, GET /v1/seizures)';

/** A live event that must be checked against the store before it is given, when the store could not say. */
export const NOT_CHECKED = Symbol('not checked against the store');

/** An event to a subscriber, and the records it reads by it noted (for the owners' view). */
function give(s: Subscriber, event: FeedEvent, shown: Shown) {
  // A client gone meanwhile (events given again are checked first) read nothing.
  if (s.res.writableEnded || s.res.destroyed) return;
  send(s.res, `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(shown.data)}\n\n`);
  for (const r of shown.reads) {
    s.given.ids.push(r.reportId);
    s.given.origins.push(r.origin);
  }
}

/**
 * What the store holds now of a live event's subjects, when the event cannot be given without (an alert, with a
 * subscriber to give it to): read once for every subscriber, before the event is held and passed on in one turn (a
 * client resuming meanwhile gets it once). NOT_CHECKED when the store cannot say (the read failed or timed out).
 */
export async function checkLive(
  event: FeedEvent,
  subscribers: number,
  lookUp: (events: FeedEvent[]) => Promise<Current>,
  warn: (err: unknown) => void,
): Promise<Current | typeof NOT_CHECKED | undefined> {
  if (event.type !== 'alert' || subscribers === 0) return undefined;
  try {
    return await lookUp([event]);
  } catch (err) {
    warn(err);
    return NOT_CHECKED;
  }
}

/**
 * Where a feed stood before a live record on `partition` (`position`: not yet past it), which a gap about its event is
 * after: wanted only for an event the store could not check (`now`: NOT_CHECKED), the one told of as a gap, and ''
 * for any other (deliver reads it only then), so that the id is not made for every record passed on.
 */
export const liveGapAfter = (
  position: Position,
  partition: number,
  now: Current | typeof NOT_CHECKED | undefined,
): string => (now === NOT_CHECKED ? positionId(position, partition, position.get(partition) ?? -1n) : '');

/**
 * A live event to a subscriber (`now`: what the store holds of its subjects, read for an alert; `before`: the id of
 * the event before it on the feed, read only when `now` is NOT_CHECKED, see liveGapAfter): held while what it missed
 * is given (and checked then), and not again what was read back. One that could not be checked is given to no one:
 * those it may concern are told of a gap after `before`, since the stream goes on past it and a reconnection would
 * not give it.
 */
export function deliver(
  s: Subscriber,
  event: FeedEvent,
  now: Current | typeof NOT_CHECKED | undefined,
  before: string,
) {
  if (s.after && event.offset <= (s.after.get(event.partition) ?? -1n)) return;
  if (s.buffer) s.buffer.push(event);
  else if (now === NOT_CHECKED) {
    if (event.mayConcern(s.caller)) send(s.res, gapEvent(before, NOT_CHECKED_LIVE));
  } else {
    const shown = event.shownTo(s.caller, now);
    if (shown) give(s, event, shown);
  }
}

/** An event to check and give, or a gap to tell of, in the order they came. */
export type Pending = { event: FeedEvent } | { gap: string };

/** A gap event after a client's own Last-Event-ID, echoed no longer than an id of a few partitions. */
const gap = (res: Response, lastEventId: string, detail: string) =>
  send(res, gapEvent(lastEventId.slice(0, 60), detail));

/** How events given again are checked against the store, and who is told when the store cannot say. */
export interface StoreCheck {
  lookUp: (events: FeedEvent[]) => Promise<Current>;
  warn: (err: unknown, sub: Subscriber, records: number) => void;
}

/**
 * Gives a subscriber, in order, what it may be given now of `items` (events given again after its `lastEventId`: held,
 * read back, or live ones held meanwhile), judged by their subjects' current documents, read once for them all. When
 * the store cannot say, none of the events with subjects is given and a gap says so: a record is never given again
 * unchecked, and the stream goes on past them. Events without subjects (erasures) need no check and are given always.
 */
export async function giveChecked(sub: Subscriber, items: Pending[], lastEventId: string, check: StoreCheck) {
  // Only events with subjects are judged by the store; one without (an erasure) is given whatever the store says.
  const events = items.flatMap((i) => ('event' in i && i.event.subjects.length ? [i.event] : []));
  let now: Current | undefined;
  if (events.length && !sub.res.destroyed)
    try {
      now = await check.lookUp(events);
    } catch (err) {
      check.warn(err, sub, events.length);
      // Not how many: they are all the feed's, also those the caller may not read.
      gap(sub.res, lastEventId, NOT_CHECKED_GIVEN_AGAIN);
    }
  for (const item of items) {
    if ('gap' in item) gap(sub.res, lastEventId, item.gap);
    else if (now || item.event.subjects.length === 0) {
      const shown = item.event.shownTo(sub.caller, now ?? new Map());
      if (shown) give(sub, item.event, shown);
    }
  }
}

/**
 * The refusal of a stream whose feed cannot be followed now (`err`: why, from the Kafka client). Said in fixed words:
 * the client's error names the brokers' hosts and ports and the topic, which are the operator's to see (logged), not
 * the analyst's.
 */
export function feedUnavailable(region: string, err: unknown): HubError {
  return new HubError(
    'FEED_UNAVAILABLE',
    `the feed of ${region} cannot be followed now: the hub cannot reach its brokers, or the feed is not made yet; retry later`,
    { retriable: true, cause: err },
  );
}

export interface FeedStreams {
  router: Router;
  close(): Promise<void>;
}

export function feedStreams(deps: {
  config: HubConfig;
  logger: Logger;
  registry: SchemaRegistry;
  regions: Region[];
  trust: TrustStore;
  audit: AuditLog;
  metrics: Registry;
  /** How long a record whose signer is not known yet waits for its certificate on hub.pki (default 15 s). */
  signerGraceMs?: number;
  /** How many of each feed's latest events are held for clients that reconnect (default 1,000). */
  recentEvents?: number;
  /**
   * How many records a reconnecting client may have read back from the broker when it missed more than those held
   * (default 10,000): beyond, it is told of the gap and searches instead.
   */
  replayRecords?: number;
  /** How long reading those back may take before the client is told of a gap (default 30 s). */
  replayTimeoutMs?: number;
  /** The token keys, to end a stream whose token's key is withdrawn while it is open. */
  keys: KeyRing;
  /** The store, to judge what is given again by each record's current document. */
  store: Store;
}): FeedStreams {
  const names = topicNames(deps.config.namespace);
  const kafka = createKafka({
    brokers: deps.config.kafka.brokers,
    clientId: `${deps.config.kafka.clientId}-query-api-feeds`,
    logger: deps.logger,
    security: deps.config.kafka.security,
  });
  const verifier = createVerifier({ trust: deps.trust });
  const graceMs = deps.signerGraceMs ?? 15000;
  const refusedCounter = new Counter({
    name: 'hub_query_feed_records_refused_total',
    help: 'Feed records not passed to subscribers: their signatures do not verify, or they are not for the feed',
    labelNames: ['reason'],
    registers: [deps.metrics],
  });
  const replayedCounter = new Counter({
    name: 'hub_query_feed_replays_total',
    help: 'Reconnecting feed clients given what they missed from the broker, by outcome (complete, timeout, aborted)',
    labelNames: ['outcome'],
    registers: [deps.metrics],
  });
  const refuse = (record: FeedRecordRead, reason: string, detail: Record<string, unknown>) => {
    // Read back for a client, a record this instance's reader already refused is not counted twice.
    if (!record.counted) refusedCounter.inc({ reason });
    deps.logger.warn(
      { reason, partition: record.partition, offset: record.offset, ...detail },
      record.counted ? 'feed record refused again (read back for a client)' : 'feed record refused',
    );
    return undefined;
  };
  let closing = false;
  /** The latest events of each feed, in the order they came: what a client reconnecting with Last-Event-ID missed. */
  const recent = new Map<string, FeedEvent[]>();
  const held = deps.recentEvents ?? 1000;
  const replayRecords = deps.replayRecords ?? 10000;
  /** Reading back for reconnecting clients: stopped and awaited on close. */
  const replays = new Set<Promise<void>>();
  const replayAborts = new Set<AbortController>();
  /** Per feed, the offset on each partition from which its reader passes records on (the end when it started). */
  const readerStart = new Map<string, Map<number, bigint>>();
  /** Per feed, where its reader stands (see Position). */
  const positions = new Map<string, Position>();
  const subscribers = new Map<string, Set<Subscriber>>();
  new Gauge({
    name: 'hub_query_feed_streams',
    help: 'Feed streams (GET /v1/feeds/:region/stream) open now',
    registers: [deps.metrics],
    collect() {
      this.set([...subscribers.values()].reduce((n, set) => n + set.size, 0));
    },
  });
  const lookUp = (events: FeedEvent[]) => currentOf(deps.store, events);
  /** Audit entries being written for subscribers' reads: close() waits for them. */
  const auditing = new Set<Promise<void>>();
  /**
   * What a subscriber was given since the last time, written to the audit log as one read of its (each record's owner
   * sees it in GET /v1/reads): every minute while it streams, and when it ends.
   */
  const noteReads = (s: Subscriber) => {
    if (!s.given.ids.length) return;
    const { ids, origins } = s.given;
    s.given = { ids: [], origins: [] };
    const writing = deps.audit
      .append({
        actor: actorOf(s.caller),
        action: 'feed-stream',
        query: { region: s.region },
        count: ids.length,
        reportIds: ids,
        reportOrigins: origins,
      })
      .then(
        () => undefined,
        (err: unknown) =>
          deps.logger.warn({ err, region: s.region, records: ids.length }, 'feed reads could not be audited'),
      )
      .finally(() => auditing.delete(writing));
    auditing.add(writing);
  };
  const storeCheck: StoreCheck = {
    lookUp,
    warn: (err, sub, records) =>
      deps.logger.warn(
        { err, region: sub.region, records },
        'feed events to give again could not be checked against the store',
      ),
  };
  /** The live events held while what a subscriber missed was given: given in turn (checked), until none is left. */
  const drain = async (sub: Subscriber, lastEventId: string) => {
    for (;;) {
      const waiting = sub.buffer ?? [];
      if (waiting.length === 0) {
        sub.buffer = undefined;
        return;
      }
      sub.buffer = [];
      await giveChecked(
        sub,
        waiting.map((event) => ({ event })),
        lastEventId,
        storeCheck,
      );
    }
  };
  const tails = new Map<string, Promise<Tail>>();
  let pki: Promise<Tail> | undefined;

  const making: EventMaking = { verifier, registry: deps.registry, regions: deps.regions, refuse };
  const toEvent = (read: FeedRecordRead) => feedEvent(read, making);

  /**
   * A record's event, once the certificates of its signers are known. The tail of hub.pki applies a certificate
   * moments after it is announced (and catches up from the beginning when a feed is first followed), while a record
   * signed with it may come first: it waits, holding the records behind it on its partition so that they keep their
   * order, for `graceMs` from when it was read, and is refused after that.
   */
  const eventOnceKnown = async (
    read: FeedRecordRead,
    heartbeat: () => Promise<void>,
  ): Promise<FeedEvent | undefined> => {
    const until = Date.now() + graceMs;
    for (;;) {
      let event: ReturnType<typeof toEvent>;
      try {
        event = toEvent(read);
      } catch (err) {
        // Signed, but with a payload its schema cannot read: passed over, not retried for ever.
        return refuse(read, 'unreadable', { detail: (err as Error).message });
      }
      if (event !== UNKNOWN) return event;
      if (closing) return undefined;
      if (Date.now() >= until)
        return refuse(read, 'unknown-signer', {
          detail: `no certificate of its signer arrived on hub.pki within ${graceMs / 1000} s`,
        });
      await new Promise((r) => setTimeout(r, 200));
      await heartbeat();
    }
  };

  const startTail = (region: string) => {
    let tail = tails.get(region);
    if (!tail) {
      if (!pki) {
        const following = followPki({
          kafka,
          topic: names.pki,
          registry: deps.registry,
          trust: deps.trust,
          logger: deps.logger,
          groupPrefix: names.group('query-api-pki'),
        });
        // A start that failed (the broker away) is tried again by the next subscriber, not kept for every one.
        following.catch(() => {
          if (pki === following) pki = undefined;
        });
        pki = following;
      }
      tail = pki.then(async () => {
        // "From now on", without a race: the end of each partition is read first, and the consumer starts there (a
        // fresh group whose offsets are set to it before it joins), passing on only what lies beyond it. (A new
        // group starting "from the latest" would miss a record written between joining the group and fetching its
        // first offsets.)
        const admin = kafka.admin();
        let from: Map<number, bigint>;
        try {
          await admin.connect();
          from = new Map(
            (await admin.fetchTopicOffsets(names.feed(region))).map((o) => [o.partition, BigInt(o.high)]),
          );
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
        readerStart.set(region, from);
        const position: Position = new Map([...from].map(([p, high]) => [p, high - 1n]));
        positions.set(region, position);
        return tailTopic({
          kafka,
          topic: names.feed(region),
          groupId: names.group(`query-api-feed-${region}-${randomBytes(4).toString('hex')}`),
          fromBeginning: true,
          startAt: from,
          onMessage: async (message, partition, heartbeat) => {
            const offset = BigInt(message.offset);
            // Before the start, or passed on already (a consumer revived after a crash resumes from the offsets
            // its group last committed, which may lie behind what it had delivered).
            if (offset <= (position.get(partition) ?? -1n)) return;
            const id = positionId(position, partition, offset);
            const event =
              message.value &&
              (await eventOnceKnown(
                {
                  region,
                  bytes: message.value,
                  partition,
                  offset: message.offset,
                  id,
                  counted: false,
                  appendedAt: appendTimeOf(message),
                },
                heartbeat,
              ));
            // An alert is shown as the reports it names stand now (checkLive).
            const now = event
              ? await checkLive(event, subscribers.get(region)?.size ?? 0, lookUp, (err) =>
                  deps.logger.warn(
                    { err, region, offset: message.offset },
                    'alert not checked against the store: told to its subscribers as a gap',
                  ),
                )
              : undefined;
            // Where the feed stood before it: what a gap about it is after, when it is told of as one.
            const before = liveGapAfter(position, partition, now);
            // Processed, passed on or refused: a client reconnecting after this point is not given it again.
            position.set(partition, offset);
            if (!event) return;
            const latest = recent.get(region) ?? [];
            recent.set(region, latest);
            if (latest.push(event) > held) latest.shift();
            for (const s of subscribers.get(region) ?? []) deliver(s, event, now, before);
          },
        });
      });
      const started = tail;
      started.catch(() => {
        if (tails.get(region) === started) tails.delete(region);
      });
      tails.set(region, tail);
    }
    return tail;
  };

  /**
   * Gives a reconnecting subscriber the records of `ranges`, read back from the broker, each verified as live ones
   * are and judged as it stands now (giveChecked), with ids that say how far it has got; then the live events held
   * meanwhile.
   */
  const replay = async (
    region: string,
    sub: Subscriber,
    lastEventId: string,
    ranges: Ranges,
    req: Request,
  ) => {
    const aborted = new AbortController();
    req.on('close', () => aborted.abort());
    replayAborts.add(aborted);
    const position: Position = new Map([...ranges].map(([p, r]) => [p, r.after]));
    const replayed = new Set<number>();
    // Read back in order, and given CHECK_BATCH at a time once checked against the store (one after another).
    let pending: Pending[] = [];
    let giving = Promise.resolve();
    const flush = () => {
      const items = pending;
      pending = [];
      giving = giving.then(() => giveChecked(sub, items, lastEventId, storeCheck));
      return giving;
    };
    let outcome: Awaited<ReturnType<typeof readRange>>;
    try {
      outcome = await readRange({
        kafka,
        topic: names.feed(region),
        groupPrefix: names.group(`query-api-feed-${region}-replay`),
        ranges,
        timeoutMs: deps.replayTimeoutMs,
        signal: aborted.signal,
        onMessage: async (message, partition, heartbeat) => {
          const offset = BigInt(message.offset);
          const after = position.get(partition) ?? -1n;
          if (!replayed.has(partition) && offset > after + 1n)
            pending.push({
              gap: `records ${after + 1n}-${offset - 1n} of partition ${partition} are no longer kept by the broker; search for what was published then (GET /v1/seizures)`,
            });
          replayed.add(partition);
          const id = positionId(position, partition, offset);
          const event =
            message.value &&
            (await eventOnceKnown(
              {
                region,
                bytes: message.value,
                partition,
                offset: message.offset,
                id,
                counted: offset >= (readerStart.get(region)?.get(partition) ?? 0n),
                appendedAt: appendTimeOf(message),
              },
              heartbeat,
            ));
          position.set(partition, offset);
          if (event) pending.push({ event });
          if (pending.length >= CHECK_BATCH) {
            await flush();
            await heartbeat();
          }
        },
      });
    } catch (err) {
      deps.logger.warn({ err, region }, 'feed events could not be read back for a reconnecting client');
      outcome = 'timeout';
    }
    replayAborts.delete(aborted);
    replayedCounter.inc({ outcome });
    await flush();
    if (outcome === 'timeout')
      gap(
        sub.res,
        lastEventId,
        'not every event after it could be read back from the broker in time; search for what was published meanwhile (GET /v1/seizures)',
      );
    await drain(sub, lastEventId);
  };

  const router = Router();
  router.get('/v1/feeds/:region/stream', async (req, res) => {
    const caller = req.caller!;
    const regionId = String(req.params.region);
    const region = deps.regions.find((r) => r.id === regionId);
    if (!region)
      throw new HubError(
        'NOT_FOUND',
        `no region ${JSON.stringify(regionId.slice(0, 40))}; see schemas/vocab/regions.json`,
      );
    if (!['coordinator', 'admin'].includes(caller.role) && !region.members.includes(caller.country))
      throw new HubError(
        'FORBIDDEN',
        `${caller.country} is not a member of ${region.id}; its feed is for its members`,
      );
    let tail: Tail;
    try {
      tail = await startTail(region.id);
    } catch (err) {
      deps.logger.warn({ region: region.id, err: (err as Error).message }, 'feed stream could not start');
      throw feedUnavailable(region.id, err);
    }
    await tail.ready;
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'feed-stream',
      query: { region: region.id },
      count: 0,
      reportIds: [],
    });
    res.status(200).set({
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    res.write(`event: ready\ndata: ${JSON.stringify({ region: region.id })}\n\n`);
    // A client reconnecting says the last event it received (EventSource does so by itself): what it may read of
    // those that came after is sent first. Held here, they are taken from memory; otherwise (this instance
    // restarted, or holds fewer) they are read back from the broker, up to replayRecords; either way checked against
    // the store (giveChecked) while live events wait. Beyond, or when the id is not one of this feed, a gap event says
    // so. Decided and subscribed in one turn of the event loop, so that nothing comes between the two and nothing is
    // sent twice.
    const sub: Subscriber = { caller, res, region: region.id, given: { ids: [], origins: [] } };
    const lastEventId = req.get('last-event-id');
    let readBack: Ranges | undefined;
    let heldBack: FeedEvent[] | undefined;
    if (lastEventId !== undefined) {
      const latest = recent.get(region.id) ?? [];
      const now = positions.get(region.id) ?? new Map<number, bigint>();
      const resume = resumeOf(
        lastEventId,
        latest.map((e) => e.id),
        now,
        replayRecords,
      );
      if ('held' in resume) {
        // Checked against the store before they are given; live events wait meanwhile.
        heldBack = latest.slice(resume.held);
        sub.buffer = [];
      } else if ('gap' in resume) gap(res, lastEventId, resume.gap);
      else {
        readBack = resume.readBack;
        sub.buffer = [];
        sub.after = new Map([...readBack].map(([p, r]) => [p, r.upTo > r.after ? r.upTo : r.after]));
      }
    }
    const set = subscribers.get(region.id) ?? new Set<Subscriber>();
    subscribers.set(region.id, set.add(sub));
    const giving = readBack
      ? replay(region.id, sub, lastEventId!, readBack, req)
      : heldBack &&
        giveChecked(
          sub,
          heldBack.map((event) => ({ event })),
          lastEventId!,
          storeCheck,
        ).then(() => drain(sub, lastEventId!));
    if (giving) {
      const tracked: Promise<void> = giving
        .catch((err: unknown) => deps.logger.warn({ err, region: region.id }, 'feed events not given again'))
        .finally(() => replays.delete(tracked));
      replays.add(tracked);
    }
    // A stream outlives the request that opened it, not its token: once the token would be refused (past its exp,
    // or its key withdrawn from the ring), the stream ends with an event saying why, and the client reconnects with
    // a new token. Its expiry is checked on time; a withdrawn key at the next keep-alive.
    const lapsed = () => {
      const why = tokenLapse(deps.keys, caller);
      if (!why) return false;
      send(res, `event: token-lapsed\ndata: ${JSON.stringify({ code: why.code, message: why.message })}\n\n`);
      res.end();
      return true;
    };
    const keepAlive = setInterval(() => lapsed() || send(res, ': keep-alive\n\n'), 15000);
    const reads = setInterval(() => noteReads(sub), 60000);
    const expiry =
      caller.expiresAt === undefined
        ? undefined
        : setTimeout(lapsed, Math.min(MAX_TIMER_MS, Math.max(0, caller.expiresAt - Date.now())));
    const stop = () => {
      clearInterval(keepAlive);
      clearInterval(reads);
      clearTimeout(expiry);
      set.delete(sub);
      noteReads(sub);
    };
    req.on('close', stop);
    res.on('close', stop);
    // A client gone while the stream was being set up (its read-back, its held-back records) closed before the
    // listeners above: its timers and its place among the subscribers would otherwise stay for good.
    if (res.destroyed || res.writableEnded || req.socket.destroyed) stop();
  });

  return {
    router,
    async close() {
      closing = true;
      for (const set of subscribers.values())
        for (const s of set) {
          noteReads(s);
          s.res.end();
        }
      for (const a of replayAborts) a.abort();
      await Promise.all(replays);
      for (const t of tails.values()) await t.then((tail) => tail.stop()).catch(() => undefined);
      if (pki) await pki.then((following) => following.stop()).catch(() => undefined);
      await Promise.all(auditing);
    },
  };
}
