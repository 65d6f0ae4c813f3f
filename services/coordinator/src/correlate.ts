// Correlation: reports of different countries that share a conveyance identifier, a linked case, or a route and
// concealment method within a time window become a cross-border alert. Identifiers are compared as keyed hashes
// (HMAC-SHA256 with the hub's secret) of their normalised form, so an alert tells the owners "your reports match"
// without the identifier travelling to anyone. Matching looks up one document per key (by _id): it never scans
// history. Matching runs on every report whatever its handling, but an alert is a hit/no-hit notice: each country
// it goes to is told of the matched reports only those it may read (alertCopies), and how many others are withheld.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { normaliseIdentifier, normaliseLink } from '@hub/domain';
import { stableJson } from '@hub/schemas';
import type { Filter } from 'mongodb';
import {
  alertScore,
  bulkWriteInBatches,
  COLLECTIONS,
  deleteByIds,
  mayRead,
  withholdFromAlert,
  type AlertRule,
  findEach,
  finishRewrites,
  insertFindingTaken,
  insertNew,
  latestVersions,
  rewriteJournalled,
  versionId,
  type Handled,
  type Store,
  type StoredReport,
} from '@hub/store';
import { latestOf, stampWritten, type BucketCache } from './bucket-cache';
import { reportsFor, type BatchReports } from './persist';
import { derivedUuid } from './replies';

const DAY = 86400000;
/** Route and concealment match only within this window; identifiers and cases at any distance in time. */
export const ROUTE_WINDOW_MS = 30 * DAY;
/**
 * The most reports one alert names: the new one, then the most recent of the others (each country's latest first).
 * Unbounded, one identifier shared by tens of thousands of reports made an alert past the carrier's limit (lost at
 * the nodes) and then past the brokers' (a send that failed for ever, its partition never committed).
 */
export const ALERT_MATCHED_MAX = 50;
/**
 * The most reports one stored key keeps (each country's latest first, then the most recent), so that a key every
 * batch meets costs a bounded read and write, and stays far below a document's size limit. A report left out of a
 * key no longer matches through it; the countries that reported it keep their latest there.
 */
export const KEY_MEMBERS_MAX = 500;

export interface AlertRecord {
  alertId: string;
  rule: AlertRule;
  identifierKind: string | null;
  matchKeyPrefix: string | null;
  matched: { reportId: string; country: string; version: number; evaluation: string | null }[];
  countries: string[];
  score: number;
  reason: string;
  createdAt: number;
}

export interface Member {
  country: string;
  version: number;
  seizedAt: Date;
  evaluation: string | null;
}

type KeyDoc = {
  _id: string;
  rule: AlertRule;
  kind: string | null;
  members: Record<string, Member>;
  /** Route-pattern keys are versioned: the key (`k:<hash>|p<period>`) and the version (see writeRouteKeys). */
  bucket?: string;
  rev?: number;
};

/** Per stored key, the members a batch sets and unsets. */
type KeyChange = { rule?: AlertRule; kind?: string | null; set: Record<string, Member>; unset: string[] };

interface ReportKeys {
  _id: string;
  keys: string[];
  /**
   * The key families (keyFamily) an earlier version was matched on and the current one is not: the stored alerts on
   * them name the report as left (markAlertsLeft) until a version matched on one again takes it back. Absent: none.
   */
  left?: string[];
  /**
   * The current version is a withdrawal: the families in `left` are those it had, its alerts not marked (they judge
   * it by its status); the next version without them marks them.
   */
  withdrawn?: boolean;
}

/** An alert as stored: what correlation made, whether it was sent, and the reports that have left its key since. */
type StoredAlert = AlertRecord & {
  _id: string;
  published: boolean;
  /**
   * The reports it names whose current version is no longer matched on its key (its identifier, link, or route and
   * concealment corrected away): no longer a match, shown as if the alert had never named them (the query API's
   * alertView). Absent: none. Internal, like `published`: never sent, never shown.
   */
  left?: string[];
};

/** A report leaving the key family of its earlier version (`left`), or matched on one it had left again. */
export interface KeyMove {
  reportId: string;
  country: string;
  family: string;
  left: boolean;
}

/** The hub's matching secret: HUB_MATCH_SECRET (hex), else generated once into $HUB_HOME/secrets/match-key. */
export function loadMatchSecret(hubHome: string, fromEnv?: string): Buffer {
  if (fromEnv) return Buffer.from(fromEnv, 'hex');
  const file = join(hubHome, 'secrets', 'match-key');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
}

/** The keyed hashes a report can be matched on. */
export function matchKeysOf(
  report: StoredReport,
  secret: Buffer,
): { key: string; rule: AlertRule; kind: string | null }[] {
  if (report.status !== 'active') return [];
  const hmac = (text: string) => createHmac('sha256', secret).update(text).digest('hex');
  const r = report.report as {
    conveyance: { identifiers: { kind: string; value: string }[] } | null;
    links: { kind: string; ref: string }[];
    concealment: string | null;
    route: { country: string }[];
  };
  const out: { key: string; rule: AlertRule; kind: string | null }[] = [];
  // An identifier or a link with no letter or digit ("-" for an unknown plate) is never a key: it would match every
  // other such placeholder. Nodes refuse them; reports signed before that still come here, and are checked here.
  for (const id of r.conveyance?.identifiers ?? []) {
    const text = normaliseIdentifier(id.kind, id.value);
    if (text !== null) out.push({ key: hmac(`id|${text}`), rule: 'shared_identifier', kind: id.kind });
  }
  for (const link of r.links ?? []) {
    const text = normaliseLink(link.kind, link.ref);
    if (text !== null) out.push({ key: hmac(`case|${text}`), rule: 'linked_case', kind: link.kind });
  }
  const route = (r.route ?? []).map((p) => p.country);
  if (r.concealment && new Set(route).size >= 2)
    out.push({
      key: hmac(`route|${route.join('>')}|${r.concealment}`),
      rule: 'route_and_concealment',
      kind: null,
    });
  return [...new Map(out.map((k) => [k.key, k])).values()];
}

/** Where a key is kept: route-pattern keys one per 30 days (`k:<hash>|p<period>`), the others once (`k:<hash>`). */
function storedKeyId(key: string, rule: AlertRule, seizedAt: Date): string {
  return rule === 'route_and_concealment'
    ? `k:${key}|p${Math.floor(seizedAt.getTime() / ROUTE_WINDOW_MS)}`
    : `k:${key}`;
}

const isRouteKey = (id: string) => id.includes('|p');
const baseKey = (id: string) => id.slice(2).split('|p')[0] as string;
/**
 * A stored key without its period (`k:<hash>`, or `k:<hash>|p` for a route pattern): the key an alert is on (its rule
 * and matchKeyPrefix). A report whose seizure moves to another period keeps matching on the same route pattern.
 */
const keyFamily = (id: string) => (isRouteKey(id) ? `k:${baseKey(id)}|p` : id);

/** The neighbouring periods' keys of a route-pattern key (a match within the window may lie in either). */
function neighbours(id: string): string[] {
  if (!isRouteKey(id)) return [];
  const period = Number(id.split('|p')[1]);
  return [period - 1, period + 1].map((p) => `k:${baseKey(id)}|p${p}`);
}

const seizedMs = (m: Member) => new Date(m.seizedAt).getTime();

/**
 * At most `limit` of `members`: the latest of those named in `first` (a batch's reports) of each country, then the
 * latest of each other country, then the rest of `first`, then the most recent seizures. So a bounded list still
 * names every country it can (one country's many reports, in a batch or before it, never push another's out) and
 * the batch's own reports before older ones.
 */
export function mostRecentMembers(
  members: [string, Member][],
  limit: number,
  first: readonly string[] = [],
): [string, Member][] {
  const byRecency = [...members].sort(
    ([a, m], [b, n]) => seizedMs(n) - seizedMs(m) || (a < b ? -1 : a > b ? 1 : 0),
  );
  const given = new Set(first);
  const chosen = new Map<string, Member>();
  const take = ([reportId, m]: [string, Member]) => {
    if (chosen.size < limit && !chosen.has(reportId)) chosen.set(reportId, m);
  };
  const named = new Set<string>();
  const latestOfEach = (entries: [string, Member][]) => {
    for (const e of entries)
      if (!named.has(e[1].country)) {
        named.add(e[1].country);
        take(e);
      }
  };
  latestOfEach(byRecency.filter(([id]) => given.has(id)));
  latestOfEach(byRecency);
  for (const e of byRecency) if (given.has(e[0])) take(e);
  for (const e of byRecency) take(e);
  return [...chosen];
}

/** A key's members kept in the store: at most KEY_MEMBERS_MAX (see mostRecentMembers). */
const keptMembers = (members: Record<string, Member>): Record<string, Member> =>
  Object.keys(members).length <= KEY_MEMBERS_MAX
    ? members
    : Object.fromEntries(mostRecentMembers(Object.entries(members), KEY_MEMBERS_MAX));

/** A key's members after a batch's change, or undefined when the key holds them already (a redelivery). */
function membersAfter(members: Record<string, Member>, c: KeyChange): Record<string, Member> | undefined {
  const same = (a?: Member, b?: Member) => JSON.stringify(a) === JSON.stringify(b);
  const unchanged =
    Object.entries(c.set).every(([reportId, m]) => same(members[reportId], m)) &&
    c.unset.every((reportId) => c.set[reportId] || !(reportId in members));
  if (unchanged) return undefined;
  const merged = { ...members, ...c.set };
  for (const reportId of c.unset) if (!c.set[reportId]) delete merged[reportId];
  const after = keptMembers(merged);
  // A report redelivered after the key left it out (too old to be kept) changes nothing.
  const sameAsBefore =
    Object.keys(after).length === Object.keys(members).length &&
    Object.entries(after).every(([reportId, m]) => same(members[reportId], m));
  return sameAsBefore ? undefined : after;
}

/**
 * Route-pattern keys are versioned like the read-model buckets (`@hub/store` buckets.ts): a changed key is inserted
 * as `<key>#<rev>` beside the version before, which goes later with others in one delete (the cache's compaction),
 * or at once where no cache keeps count of them (an erasure). On FerretDB the delete decodes the whole collection,
 * which grows with the periods kept: once every several batches instead of every batch. No journal: a version holds
 * the key's whole member list, so a batch a crash caught half-way is redone from the versions it left (the cache is
 * read again after a restart or a failure). Returns the latest version of each key in `wanted`, by key.
 */
async function writeRouteKeys(
  store: Store,
  changes: [string, KeyChange][],
  wanted: string[],
  cache: BucketCache | undefined,
): Promise<Map<string, KeyDoc>> {
  const coll = keyCollection(store, true);
  const { latest: current, superseded } = await latestOf<KeyDoc>(store, COLLECTIONS.routeKeys, wanted, cache);
  const put: KeyDoc[] = [];
  for (const [id, c] of changes) {
    const doc = current.get(id);
    if (!doc && !(Object.keys(c.set).length && c.rule)) continue; // a key only left, never stored
    const members = membersAfter(doc?.members ?? {}, c);
    if (!members) continue;
    const rev = (doc?.rev ?? 0) + 1;
    const next: KeyDoc = {
      _id: versionId(id, rev),
      bucket: id,
      rev,
      rule: doc?.rule ?? (c.rule as AlertRule),
      kind: doc ? doc.kind : (c.kind ?? null),
      members,
    };
    if (doc) superseded.push(doc._id);
    put.push(next);
    current.set(id, next);
  }
  // Under the lock, from the cache or a read of every version: a version found stored is a view gone stale.
  const taken = await insertFindingTaken(coll, put);
  if (taken.size > 0)
    throw new Error(
      `route-pattern key versions ${[...taken].slice(0, 3).join(', ')} were stored already; the batch is processed again`,
    );
  if (cache) cache.noteWritten(COLLECTIONS.routeKeys, put, [], superseded);
  else await deleteByIds(coll, superseded);
  // Every writer of route keys stamps the epoch, so that another instance's cache reads them again.
  if (put.length) await stampWritten(store, cache);
  cache?.compact(store, COLLECTIONS.routeKeys);
  return current;
}

/**
 * Delete every superseded route-key version now, whoever superseded it: after an erasure, since a version a cache
 * has not yet compacted may still name the erased report among a key's members. One read of the collection.
 */
export async function dropSupersededRouteKeys(store: Store): Promise<number> {
  const coll = keyCollection(store, true);
  const all = await coll.find({}, { projection: { _id: 1, bucket: 1, rev: 1 } }).toArray();
  const { superseded } = latestVersions(all);
  await deleteByIds(coll, superseded);
  return superseded.length;
}

function keyCollection(store: Store, route: boolean) {
  return store.collection<KeyDoc>(route ? COLLECTIONS.routeKeys : COLLECTIONS.matchKeys);
}

/** An alert's id: derived from its rule, the key it was raised on, and the ids of the reports it names, sorted. */
export const alertIdOf = (rule: AlertRule, key: string, reportIds: readonly string[]) =>
  derivedUuid(`alert:${rule}:${key}:${reportIds.join(',')}`);

/** The sentence an alert's reason begins with, for `n` reports named (the note of those not named may follow). */
export const alertReason = (rule: AlertRule, kind: string | null, n: number) => REASON[rule](kind, n);

const REASON: Record<AlertRule, (kind: string | null, n: number) => string> = {
  shared_identifier: (kind, n) => `${n} reports name the same ${kind ?? 'conveyance'} identifier`,
  linked_case: (kind, n) => `${n} reports are linked to the same ${kind ?? 'case'}`,
  route_and_concealment: (_k, n) =>
    `${n} reports within ${ROUTE_WINDOW_MS / DAY} days share the route and the concealment method`,
};

/**
 * What `country`'s node is told of `alert`: its own reports, and those of other countries it may read under their
 * handling (`handlingOf`, as stored; none: withheld). A node reads for its whole country, so at any clearance, as a
 * region's feed is judged (feeds.ts). A report withheld is left out of `matched`, its country out of `countries`
 * (unless a report shown names it), its evaluation out of the score (counted as unevaluated) and the reason says how
 * many are withheld (withholdFromAlert, as the query API's views are). The alert id stays the whole alert's, so that a
 * redelivery or a later copy is the same alert.
 */
export function alertFor(
  alert: AlertRecord,
  country: string,
  handlingOf: (reportId: string) => Handled | undefined,
): AlertRecord {
  const reader = { country, clearance: 'RED' as const };
  return withholdFromAlert(
    alert,
    (m) => {
      const handling = handlingOf(m.reportId);
      return m.country === country || (handling !== undefined && mayRead(reader, handling));
    },
    country,
  );
}

/**
 * The copies of `alert` to send, one per distinct content with the countries it goes to (each country concerned
 * gets its own view, alertFor; countries told the same share one signature), and the seed of its message id: the
 * whole alert's as before (`alert:<id>`) when nothing is withheld, else the alert id and a hash of the copy's own
 * content (`alert:<id>:<sha256>`), so that each copy is a message of its own at the nodes (which keep one of each
 * message id) and the same again when a chunk is redone.
 *
 * Not the countries it goes to: a node could then try each set of the countries named and find which ones got
 * another view than its own (could read a report withheld from it). A hash of what its recipients hold anyway tells
 * them nothing more. A handling changed between a send and the redelivery of an alert not marked published changes a
 * copy's content (a report shown or withheld), and with it the message id: the node keeps both, the later one being
 * what the country may read now. That is right: under one id the node would keep the first and drop the other as a
 * duplicate, though it says something else. The same content under the same id, whoever else gets it, is a duplicate.
 */
export function alertCopies(
  alert: AlertRecord,
  handlingOf: (reportId: string) => Handled | undefined,
): { alert: AlertRecord; to: string[]; messageSeed: string }[] {
  const copies = new Map<string, { alert: AlertRecord; to: string[] }>();
  for (const country of [...alert.countries].sort()) {
    const copy = alertFor(alert, country, handlingOf);
    const key = JSON.stringify(copy);
    const same = copies.get(key);
    if (same) same.to.push(country);
    else copies.set(key, { alert: copy, to: [country] });
  }
  return [...copies.values()].map((c) => ({
    ...c,
    messageSeed: copySeed(alert, c.alert),
  }));
}

/** The seed of the message id of `copy` of `alert` (alertCopies). */
function copySeed(alert: AlertRecord, copy: AlertRecord): string {
  if (copy === alert) return `alert:${alert.alertId}`;
  // Without the time the coordinator made it (made again with the chunk redelivered: not what it says), as canonical
  // JSON (keys sorted): the same copy reads the same however it was built. Its bytes must not change: a chunk redone
  // after an upgrade would send the copies its nodes hold under new message ids.
  const { createdAt: _made, ...content } = copy;
  const digest = createHash('sha256').update(stableJson(content)).digest('hex');
  return `alert:${alert.alertId}:${digest}`;
}

/**
 * The reports `alert` names as left after `moves` (see StoredAlert.left), or undefined when they do not change them: a
 * report it names leaving the family of its key is added, one matched on that family again is taken back. The alert's
 * key is known by its rule and matchKeyPrefix (the first 12 hex digits of the key's hash).
 */
export function leftAfter(
  alert: Pick<StoredAlert, 'rule' | 'matchKeyPrefix' | 'matched' | 'left'>,
  moves: readonly KeyMove[],
): string[] | undefined {
  const onKey = (family: string) =>
    alert.matchKeyPrefix !== null &&
    family.endsWith('|p') === (alert.rule === 'route_and_concealment') &&
    family.slice(2, 14) === alert.matchKeyPrefix;
  const before = alert.left ?? [];
  const left = new Set(before);
  for (const m of moves)
    if (onKey(m.family) && alert.matched.some((r) => r.reportId === m.reportId))
      if (m.left) left.add(m.reportId);
      else left.delete(m.reportId);
  const after = [...left].sort();
  return after.length === before.length && after.every((id) => before.includes(id)) ? undefined : after;
}

/**
 * Mark the stored alerts naming the reports of `moves` as left by them, or take them back (leftAfter). One read of the
 * alerts naming them (on FerretDB a decode of the whole collection, as an erasure's; on MongoDB by the countries
 * index), and only in a batch where a report left a key family or came back to one: a correction that drops an
 * identifier, a link or a route is rare beside the reports that keep theirs. Each alert changed is updated by _id.
 */
async function markAlertsLeft(store: Store, moves: readonly KeyMove[]): Promise<void> {
  if (moves.length === 0) return;
  const alerts = store.collection<StoredAlert>(COLLECTIONS.alerts);
  const naming = await alerts
    .find(
      {
        countries: { $in: [...new Set(moves.map((m) => m.country))] },
        'matched.reportId': { $in: [...new Set(moves.map((m) => m.reportId))] },
      } as Filter<StoredAlert>,
      { projection: { rule: 1, matchKeyPrefix: 1, matched: 1, left: 1 } },
    )
    .toArray();
  const ops = naming.flatMap((a) => {
    const left = leftAfter(a, moves);
    return left ? [{ updateOne: { filter: { _id: a._id }, update: { $set: { left } } } }] : [];
  });
  await bulkWriteInBatches(alerts, ops as never, { ordered: false });
}

/**
 * Update the match keys of the changed reports and return the alerts that are new. Idempotent: a redelivered
 * batch finds its alerts stored already (alert ids derive from the rule, key and matched reports). `cache` holds
 * the route-pattern keys between batches (see bucket-cache.ts): most of a batch's reports share a route and
 * concealment with earlier ones, and reading those keys by _id decoded the whole collection on FerretDB every batch.
 */
export async function correlate(
  store: Store,
  reportIds: string[],
  secret: Buffer,
  now: number,
  batch?: BatchReports,
  cache?: BucketCache,
): Promise<AlertRecord[]> {
  if (reportIds.length === 0) return [];
  const match = () => matchReports(store, reportIds, secret, now, batch, cache);
  return cache ? cache.writing(store, match) : match();
}

async function matchReports(
  store: Store,
  reportIds: string[],
  secret: Buffer,
  now: number,
  batch: BatchReports | undefined,
  cache: BucketCache | undefined,
): Promise<AlertRecord[]> {
  const perReport = store.collection<ReportKeys>(COLLECTIONS.reportKeys);
  const reports = await reportsFor(store, reportIds, batch?.documents);
  const before = new Map(
    (
      await findEach(
        perReport,
        '_id',
        reportIds.filter((id) => !batch?.fresh.has(id)).map((id) => `r:${id}`),
      )
    ).map((d) => [d._id.slice(2), d]),
  );
  // Per stored key, the members to set and to unset.
  const changes = new Map<string, KeyChange>();
  const change = (id: string) => {
    let c = changes.get(id);
    if (!c) changes.set(id, (c = { set: {}, unset: [] }));
    return c;
  };
  const touched = new Map<string, { reportId: string; member: Member }[]>();
  const reportKeysNew: ReportKeys[] = [];
  const reportKeysChanged: ReportKeys[] = [];
  const reportKeysGone: string[] = [];
  const moves: KeyMove[] = [];
  const found = new Set(reports.map((r) => r._id));
  for (const report of reports) {
    const member: Member = {
      country: report.originCountry,
      version: report.version,
      seizedAt: report.seizedAt,
      evaluation: report.handling.evaluation ?? null,
    };
    const now = new Set<string>();
    for (const k of matchKeysOf(report, secret)) {
      const id = storedKeyId(k.key, k.rule, report.seizedAt);
      now.add(id);
      const c = change(id);
      c.rule = k.rule;
      c.kind = k.kind;
      c.set[report._id] = member;
      const triggers = touched.get(id) ?? [];
      triggers.push({ reportId: report._id, member });
      touched.set(id, triggers);
    }
    const prior = before.get(report._id);
    const old = prior?.keys;
    for (const key of old ?? []) if (!now.has(key)) change(key).unset.push(report._id);
    // A version no longer matched on a key family an earlier one was (its identifier, link or route corrected away)
    // is no match of the alerts on it any more; one matched on such a family again is. A withdrawn report has no
    // keys: its alerts judge it by its status, as they do an erased one, and the families it had are kept as left
    // (unmarked), so that a later version without them leaves their alerts (one with them comes back).
    const families = new Set([...now].map(keyFamily));
    const wasLeft = prior?.left ?? [];
    const wasWithdrawn = prior?.withdrawn === true;
    const had = [...new Set([...(old ?? []).map(keyFamily), ...wasLeft])];
    const active = report.status === 'active';
    const move = (family: string, left: boolean) =>
      moves.push({ reportId: report._id, country: report.originCountry, family, left });
    const left = (active ? had.filter((f) => !families.has(f)) : had).sort();
    if (active) {
      for (const family of left) if (wasWithdrawn || !wasLeft.includes(family)) move(family, true);
      for (const family of wasLeft) if (families.has(family)) move(family, false);
    }
    const doc: ReportKeys = {
      _id: `r:${report._id}`,
      keys: [...now],
      ...(left.length > 0 && { left }),
      ...(!active && { withdrawn: true }),
    };
    if (!old) reportKeysNew.push(doc);
    // A redelivered report (after a crash, every report of the chunk that was being stored) has the same keys:
    // nothing to write. Replacing each one would scan the collection once per report on FerretDB.
    else if (
      old.length !== now.size ||
      old.some((key) => !now.has(key)) ||
      left.length !== wasLeft.length ||
      left.some((f) => !wasLeft.includes(f)) ||
      active === wasWithdrawn
    )
      reportKeysChanged.push(doc);
  }
  // Reports that are gone (erased) leave every key they were matched on (the alerts naming them went with them).
  for (const id of reportIds)
    if (!found.has(id) && before.has(id)) {
      for (const key of before.get(id)?.keys ?? []) change(key).unset.push(id);
      reportKeysGone.push(`r:${id}`);
    }
  // FerretDB scans a collection for every read and update by key, but inserts without a scan: most identifier and
  // case keys are new (a plate seen once), so each is inserted with this batch's members, and only the keys found
  // taken (a match, or a redelivery) are read, in one read, and rewritten whole (journalled: see
  // rewriteJournalled), not updated one by one (a scan each). Route-pattern keys, which most reports share with
  // earlier ones, are versioned instead (writeRouteKeys).
  // Rewrites a crash left may be of route keys (before they were versioned): whatever was held of them is read again.
  if ((await finishRewrites(store)) > 0) {
    cache?.clear();
    await stampWritten(store, cache);
  }
  const docs = new Map<string, KeyDoc>();
  const mine = (route: boolean) => [...changes].filter(([id]) => isRouteKey(id) === route);
  const coll = keyCollection(store, false);
  const inserts = mine(false).flatMap(([id, c]) =>
    Object.keys(c.set).length && c.rule
      ? [{ _id: id, rule: c.rule, kind: c.kind ?? null, members: keptMembers(c.set) }]
      : [],
  );
  const keysTaken = await insertFindingTaken(coll, inserts);
  for (const d of inserts) if (!keysTaken.has(d._id)) docs.set(d._id, d);
  const toChange = mine(false).filter(([id]) => !docs.has(id));
  const toRead = toChange.map(([id]) => id);
  const stored = new Map((await findEach(coll, '_id', toRead)).map((d) => [d._id, d]));
  const put: KeyDoc[] = [];
  for (const [id, c] of toChange) {
    const doc = stored.get(id);
    if (!doc) continue; // a key only left, never stored (or erased already)
    const members = membersAfter(doc.members, c);
    if (members) put.push({ ...doc, members });
  }
  await rewriteJournalled(store, COLLECTIONS.matchKeys, {
    put,
    remove: [],
    existing: new Set(put.map((d) => d._id)),
  });
  for (const [id, d] of stored) docs.set(id, d);
  for (const d of put) docs.set(d._id, d);
  // The route keys changed, and the neighbouring periods' keys of those matched on (an alert may span either).
  const wanted = new Set(mine(true).map(([id]) => id));
  for (const [id] of mine(true)) if (touched.has(id)) for (const n of neighbours(id)) wanted.add(n);
  const routeKeys = await writeRouteKeys(store, mine(true), [...wanted], cache);
  for (const [id, d] of routeKeys) docs.set(id, d);
  // Before the reports' keys are written: a batch a crash stopped in between finds the same moves when it comes again.
  await markAlertsLeft(store, moves);
  await insertNew(perReport, reportKeysNew);
  await rewriteJournalled(store, COLLECTIONS.reportKeys, {
    put: reportKeysChanged,
    remove: reportKeysGone,
    existing: new Set([...reportKeysChanged.map((d) => d._id), ...reportKeysGone]),
  });
  if (touched.size === 0) return [];

  const candidates: AlertRecord[] = [];
  for (const [id, triggers] of touched) {
    const doc = docs.get(id);
    if (!doc) continue;
    const key = baseKey(id);
    const all = new Map<string, Member>(
      [id, ...neighbours(id)].flatMap((k) => Object.entries(docs.get(k)?.members ?? {})),
    );
    // The batch's reports are named even where their key keeps them no longer (seizures older than those kept).
    for (const trigger of triggers) all.set(trigger.reportId, trigger.member);
    for (const trigger of triggers) {
      const members = [...all].filter(
        ([, m]) =>
          doc.rule !== 'route_and_concealment' ||
          Math.abs(seizedMs(m) - seizedMs(trigger.member)) <= ROUTE_WINDOW_MS,
      );
      if (new Set(members.map(([, m]) => m.country)).size < 2) continue;
      // Every report of the batch on this key first: one alert for them all, not one per report (each its own 50).
      const named = mostRecentMembers(
        members,
        ALERT_MATCHED_MAX,
        triggers.map((t) => t.reportId),
      );
      const matched = named
        .map(([reportId, m]) => ({
          reportId,
          country: m.country,
          version: m.version,
          evaluation: m.evaluation,
        }))
        .sort((a, b) => a.reportId.localeCompare(b.reportId));
      const left = members.length - matched.length;
      candidates.push({
        alertId: alertIdOf(
          doc.rule,
          key,
          matched.map((m) => m.reportId),
        ),
        rule: doc.rule,
        identifierKind: doc.kind,
        matchKeyPrefix: key.slice(0, 12),
        matched,
        countries: [...new Set(matched.map((m) => m.country))].sort(),
        score: alertScore(
          doc.rule,
          matched.map((m) => m.evaluation),
        ),
        // CrossBorderAlert v1 has no field for the reports left out: the reason says how many.
        reason:
          alertReason(doc.rule, doc.kind, matched.length) +
          (left > 0 ? `; ${left} more, of older seizures, are not named` : ''),
        createdAt: now,
      });
    }
  }
  const unique = [...new Map(candidates.map((a) => [a.alertId, a])).values()];
  if (unique.length === 0) return [];
  const alerts = store.collection<StoredAlert>(COLLECTIONS.alerts);
  // Alerts are inserted (ids derive from what they match); one stored before (a redelivered batch) is sent again
  // only if it was never published.
  const taken = await insertFindingTaken(
    alerts,
    unique.map((a) => ({
      _id: a.alertId,
      ...a,
      createdAt: new Date(a.createdAt) as never,
      published: false,
    })),
  );
  const known = new Map(
    (await findEach(alerts, '_id', [...taken], { published: 1 })).map((d) => [d._id, d.published === true]),
  );
  // An alert stored but not yet sent (a crash in between) is sent again with the redelivered batch.
  return unique.filter((a) => known.get(a.alertId) !== true);
}
