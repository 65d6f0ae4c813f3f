// Read models kept on ingest: totals by country, drug and month, and route legs, changed by the difference each batch
// makes to its reports' contributions: exact under versions, retractions and redelivery (see updateReadModels).
import { randomUUID } from 'node:crypto';
import type { AnyBulkWriteOperation, Collection } from 'mongodb';
import { aggregatesOf, groupOfSubstance, roundKg } from '@hub/domain';
import {
  bucketKey,
  bulkWriteInBatches,
  COLLECTIONS,
  deleteByIds,
  findEach,
  insertFindingTaken,
  insertNew,
  isTombstone,
  latestVersions,
  packJournal,
  type PackedJournal,
  removeLastJournal,
  rewriteById,
  type Store,
  type StoredReport,
  unpackJournal,
  versionId,
} from '@hub/store';
import { latestOf, stampWritten, type BucketCache } from './bucket-cache';
import { reportsFor, type BatchReports } from './persist';

export interface Contribution {
  _id: string;
  reportId: string;
  bucket: string;
  kind: 'stats' | 'leg';
  fields: Record<string, unknown>;
  kg: number;
  seizedAt: Date;
}

/** Bucket keys and amounts one report version contributes (none when it is not active). */
export function contributionsOf(report: StoredReport): Contribution[] {
  if (report.status !== 'active') return [];
  const out: Contribution[] = [];
  const h = report.handling;
  const audience = `${report.originCountry}|${h.tlp}|${h.releasableCountries.join(',')}`;
  const d = report.seizedAt;
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth() + 1;
  const drugs = (report.report.drugs as { substance: string; quantityKg: number | null }[]) ?? [];
  drugs.forEach((drug, i) => {
    const drugGroup = groupOfSubstance(drug.substance) ?? 'other';
    const fields = {
      source: 'seizures',
      country: report.country,
      substance: drug.substance,
      drugGroup,
      aggregates: aggregatesOf(drug.substance, drugGroup),
      year,
      month,
      originCountry: report.originCountry,
      tlp: h.tlp,
      releasableCountries: h.releasableCountries,
    };
    out.push({
      _id: `${report._id}:s${i}`,
      reportId: report._id,
      kind: 'stats',
      bucket: `s|${report.country}|${drug.substance}|${year}-${month}|${audience}`,
      fields,
      kg: drug.quantityKg ?? 0,
      seizedAt: d,
    });
  });
  const route = ((report.report.route as { country: string }[]) ?? []).map((p) => p.country);
  const substances = report.substances.length ? report.substances : ['unknown'];
  // A leg the route takes twice (AF>TJ>AF>TJ) carried the same drugs both times: its amount is counted once.
  const legs = new Set<string>();
  for (let i = 0; i + 1 < route.length; i++) {
    const from = route[i] as string;
    const to = route[i + 1] as string;
    if (from === to || legs.has(`${from}>${to}`)) continue;
    legs.add(`${from}>${to}`);
    for (const substance of substances) {
      const kg = drugs.filter((x) => x.substance === substance).reduce((s, x) => s + (x.quantityKg ?? 0), 0);
      out.push({
        _id: `${report._id}:l${i}:${substance}`,
        reportId: report._id,
        kind: 'leg',
        bucket: `l|${from}|${to}|${substance}|${audience}`,
        fields: {
          from,
          to,
          substance,
          originCountry: report.originCountry,
          tlp: h.tlp,
          releasableCountries: h.releasableCountries,
        },
        kg,
        seizedAt: d,
      });
    }
  }
  return out;
}

/**
 * One report's share of one bucket: its amount, how many times it counts there (1: see amountsOf; contributions stored
 * before may hold more), and when it was seized.
 */
export interface Amount {
  bucket: string;
  kg: number;
  n: number;
  at: Date;
}

/**
 * A report version's amounts, one per bucket it counts in: a bucket counts reports, so a report counts once there
 * (n 1) however many of its drug lines fall in it (heroin 5 kg and heroin 2 kg: n 1, 7 kg), their kg summed.
 *
 * Coordinators before this one counted each drug line (n 2 above), and a leg once per time the route took it (its kg
 * too), and kept that in the contributions and the buckets. An existing deployment keeps those counts until such a
 * report changes: its next version, retraction or erasure compares the stored amount with the new one
 * (changeReadModels), which corrects its buckets. To correct them all at once, `hub replay --replace`
 * (scripts/src/cli/commands/replay.ts; every coordinator stopped, the topics' records all kept) rebuilds the store and
 * its read models from the topics; until then, `hub replay` into another database finds the digests of the stats and
 * route-leg buckets differing from the live store's wherever such a report counts.
 */
export function amountsOf(contributions: Contribution[]): Amount[] {
  const perBucket = new Map<string, Amount>();
  for (const c of contributions) {
    const a = perBucket.get(c.bucket);
    if (a) a.kg = roundKg(a.kg + c.kg);
    else perBucket.set(c.bucket, { bucket: c.bucket, kg: c.kg, n: 1, at: c.seizedAt });
  }
  return [...perBucket.values()];
}

/** Per report, the buckets it counts in and its amount in each (`contributions`, _id = reportId). */
interface ReportContributions {
  _id: string;
  amounts: Amount[];
}

/** A bucket's change in one batch: the sums to add, and for legs what its last-seen date may have become. */
interface BucketDelta {
  bucket: string;
  kg: number;
  n: number;
  fields: Record<string, unknown> | null;
  /** The latest seizure date counting in the bucket after the batch, among the reports the batch touched. */
  latestAdded: Date | null;
  /** The latest seizure date that left the bucket (a report gone, moved or re-dated). */
  latestRemoved: Date | null;
}

/**
 * A batch's read-model change, written before it is applied: a crash half-way leaves the journal, and the next
 * batch finishes it first. `writes` holds each changed bucket as it must end up (or its removal), so that finishing
 * it again changes nothing (journals of earlier versions have only the deltas: each bucket written carried the
 * journal's id, and those that do are skipped).
 */
interface JournalDoc {
  _id: string;
  /** The change per bucket: kept only by journals of the earlier format (without `writes`). */
  deltas: BucketDelta[];
  /** The reports' contributions after the batch (empty amounts: the report no longer counts anywhere). */
  contributions: ReportContributions[];
  writes?: BucketWrites[];
  createdAt: Date;
}

/**
 * The buckets of one collection as a batch leaves them: the new versions to insert, and the versions they supersede
 * (see @hub/store buckets.ts). Journals of earlier versions rewrote buckets in place: `put` under the bucket's key,
 * `remove`, and `existing` (the ids stored before the batch, deleted before the insert); `versioned` is not set.
 */
interface BucketWrites {
  stats: boolean;
  put: BucketDoc[];
  versioned?: boolean;
  superseded?: string[];
  remove: string[];
  existing: string[];
}

type BucketDoc = Record<string, unknown> & {
  _id: string;
  bucket?: string;
  rev?: number;
  journal?: string;
  quantityKg: number;
  count: number;
  lastSeenAt?: Date;
  members?: unknown;
};

const later = (a: Date | null, b: Date | null) => (!a ? b : !b ? a : a > b ? a : b);
const isStats = (bucket: string) => bucket.startsWith('s|');

/**
 * Read models stay exact under versions, retractions and redelivery without transactions and without keeping every
 * report inside its buckets: each report's contributions (bucket, amount, date) are kept apart, the batch's change
 * to each bucket is the difference between the contributions after and before, and that change is journalled
 * before it is applied. A redelivered batch finds the contributions already at their new values: a difference of
 * nothing. Buckets are read by _id (or held in `cache`, see bucket-cache.ts) and rewritten whole (rewriteById), and
 * reports stored for the first time have no contributions to read, so the cost of a batch does not grow with the
 * reports stored (only, on FerretDB, with the buckets, whose number levels off).
 */
export async function updateReadModels(
  store: Store,
  reportIds: string[],
  batch?: BatchReports,
  cache?: BucketCache,
): Promise<void> {
  const update = async () => {
    if ((await finishJournals(store)) > 0) cache?.clear();
    await changeReadModels(store, reportIds, batch, cache);
    for (const stats of [true, false]) cache?.compact(store, bucketName(stats));
  };
  await (cache ? cache.writing(store, update) : update());
}

async function changeReadModels(
  store: Store,
  reportIds: string[],
  batch: BatchReports | undefined,
  cache: BucketCache | undefined,
): Promise<void> {
  if (reportIds.length === 0) return;
  const contributions = store.collection<ReportContributions>(COLLECTIONS.contributions);
  const reports = await reportsFor(store, reportIds, batch?.documents);
  const earlier = reportIds.filter((id) => !batch?.fresh.has(id));
  const stored = await findEach(contributions, '_id', earlier);
  const before = new Map(stored.map((c) => [c._id, c.amounts]));
  const outdated = stored.filter((c) => !Array.isArray(c.amounts)).map((c) => c._id);
  if (outdated.length)
    throw new Error(
      `contributions of an earlier format for ${outdated.slice(0, 3).join(', ')}: restart the coordinator (it converts them)`,
    );
  const after = new Map<string, Amount[]>(reportIds.map((id) => [id, []]));
  const fieldsOf = new Map<string, Record<string, unknown>>();
  for (const r of reports) {
    const shares = contributionsOf(r);
    for (const c of shares) fieldsOf.set(c.bucket, c.fields);
    after.set(r._id, amountsOf(shares));
  }
  const deltas = new Map<string, BucketDelta>();
  const deltaOf = (bucket: string) => {
    let d = deltas.get(bucket);
    if (!d)
      deltas.set(bucket, (d = { bucket, kg: 0, n: 0, fields: null, latestAdded: null, latestRemoved: null }));
    return d;
  };
  const changedContributions: ReportContributions[] = [];
  for (const id of reportIds) {
    const old = new Map((before.get(id) ?? []).map((a) => [a.bucket, a]));
    const now = new Map((after.get(id) ?? []).map((a) => [a.bucket, a]));
    let changed = !before.has(id) && now.size > 0;
    for (const [bucket, a] of now) {
      const o = old.get(bucket);
      // n compared too: a contribution stored when drug lines counted each (see amountsOf) is corrected here.
      if (o && o.kg === a.kg && o.n === a.n && o.at.getTime() === a.at.getTime()) continue;
      changed = true;
      const d = deltaOf(bucket);
      d.kg = roundKg(d.kg + a.kg - (o?.kg ?? 0));
      d.n += a.n - (o?.n ?? 0);
      d.fields = fieldsOf.get(bucket) ?? null;
      d.latestAdded = later(d.latestAdded, a.at);
      if (o && o.at.getTime() !== a.at.getTime()) d.latestRemoved = later(d.latestRemoved, o.at);
    }
    for (const [bucket, o] of old)
      if (!now.has(bucket)) {
        changed = true;
        const d = deltaOf(bucket);
        d.kg = roundKg(d.kg - o.kg);
        d.n -= o.n;
        d.latestRemoved = later(d.latestRemoved, o.at);
      }
    if (changed) changedContributions.push({ _id: id, amounts: [...now.values()] });
  }
  if (changedContributions.length === 0) return;
  const journal: JournalDoc = {
    _id: randomUUID(),
    deltas: [...deltas.values()],
    contributions: changedContributions,
    createdAt: new Date(),
  };
  journal.writes = await planBucketWrites(store, journal, cache);
  // The writes say everything the deltas did (only journals of the earlier format need them): not stored twice.
  journal.deltas = [];
  await store.collection<PackedJournal>(COLLECTIONS.readModelJournal).insertOne(packJournal(journal));
  await applyJournal(store, journal, { stored: new Set(before.keys()), first: true, cache });
}

/** Journals a crashed batch left behind, applied in the order they were written; how many. */
async function finishJournals(store: Store): Promise<number> {
  const left = await store.collection(COLLECTIONS.readModelJournal).find({}).sort({ createdAt: 1 }).toArray();
  for (const stored of left) await applyJournal(store, unpackJournal<JournalDoc>(stored), {});
  return left.length;
}

/**
 * Contributions first (set to their values after the batch: idempotent), then the buckets as the journal says they
 * end up; then the buckets are stamped as written (by `cache`, or by a writer without one), and the journal goes.
 * `stored`: the reports known to have contributions (the rest are inserted, the one write FerretDB does without a
 * scan); `first`: this is the batch that wrote the journal (when finishing one a crash left, what the crash left
 * half-written is unknown, so every bucket it names is deleted before the insert).
 */
async function applyJournal(
  store: Store,
  journal: JournalDoc,
  { stored, first = false, cache }: { stored?: Set<string>; first?: boolean; cache?: BucketCache },
): Promise<void> {
  const contributions = store.collection<ReportContributions>(COLLECTIONS.contributions);
  const fresh = journal.contributions.filter((c) => stored && !stored.has(c._id) && c.amounts.length);
  await insertNew(contributions, fresh);
  const ops: AnyBulkWriteOperation<ReportContributions>[] = journal.contributions
    .filter((c) => !fresh.includes(c))
    .map((c) =>
      c.amounts.length
        ? { replaceOne: { filter: { _id: c._id }, replacement: c, upsert: true } }
        : { deleteOne: { filter: { _id: c._id } } },
    );
  await bulkWriteInBatches(contributions, ops, { ordered: false });
  const writes = journal.writes ?? (await planBucketWrites(store, journal));
  let stale = false;
  for (const w of writes) {
    const target = bucketsOf(store, w.stats);
    if (w.versioned) {
      // New versions beside the old (a version inserted before a crash is found taken: the same document); the old
      // go later, many at once (compact), or now where no cache keeps count of them.
      if (await takenByAnother(target, w.put, journal._id)) {
        stale = true;
        continue;
      }
      if (cache) cache.noteWritten(bucketName(w.stats), w.put, [], w.superseded);
      else await deleteByIds(target, w.superseded ?? []);
      continue;
    }
    // A journal of an earlier version: buckets rewritten in place (readers miss them between delete and insert).
    await rewriteById(target, store.engine, {
      put: w.put,
      remove: w.remove,
      ...(first ? { existing: new Set(w.existing) } : {}),
    });
    cache?.noteWritten(bucketName(w.stats), w.put, w.remove);
  }
  if (stale) {
    // Planned from a view of the buckets that missed another writer's: what this cache holds is not the store.
    cache?.clear();
    for (const w of writes) await rebuildBuckets(store, w.stats, journal._id, w.put);
  }
  // Stamped before the journal goes: a writer stopped after its buckets and before its stamp leaves its journal,
  // which the next batch of any instance finishes first, dropping what its cache holds (updateReadModels). Stamped
  // after, a stop in between left buckets that another instance's cache, its stamp still the store's, did not know
  // of: it wrote its next versions under _ids taken already, and a batch was lost from the statistics.
  await stampWritten(store, cache);
  // The batch's own journal is the only one left (finishJournals removed those a crash left, one by one).
  if (first) await removeLastJournal(store, COLLECTIONS.readModelJournal, journal._id);
  else await store.collection<JournalDoc>(COLLECTIONS.readModelJournal).deleteOne({ _id: journal._id });
}

/**
 * Inserts a journal's new versions of buckets; whether one was found taken by another journal's version. Taken by
 * this journal's own, it was inserted before a crash (the same document). Taken by another's, the journal was planned
 * from a view of the buckets (a cache) that missed a write: its versions add its change to buckets as they were
 * before that write, and the store's latest counts the other write without this one. Ignored, as a plain insert of
 * versions would, that batch's change was lost for good (its contributions recorded as applied).
 */
async function takenByAnother(
  target: Collection<BucketDoc>,
  put: BucketDoc[],
  journalId: string,
): Promise<boolean> {
  const taken = await insertFindingTaken(target, put);
  if (taken.size === 0) return false;
  // Read only when some were taken: after a crash, or a view gone stale.
  const found = await findEach(target, '_id', [...taken], { journal: 1 });
  return found.some((d) => d.journal !== journalId);
}

/**
 * Every bucket of a collection made again from the contributions, where a journal was planned from a stale view of
 * them (takenByAnother): the contributions hold each report's amount in each bucket, set already to their values
 * after the batch, and a bucket is the sum of those it holds (its count, its kilograms, and for a leg the latest
 * seizure). A bucket that differs gets a version of those sums over its latest, carrying the journal's id, and the
 * versions before it are deleted; one that agrees is left as it is. So redone after a crash, it writes nothing more.
 * Whole collections read (on FerretDB as any read is): never on the way of a batch that planned from a true view.
 * `planned`: the journal's versions, which give the fields of a bucket that has no version stored (none expected).
 */
async function rebuildBuckets(
  store: Store,
  stats: boolean,
  journalId: string,
  planned: BucketDoc[],
): Promise<void> {
  const sums = new Map<string, Amount>();
  for await (const c of store.collection<ReportContributions>(COLLECTIONS.contributions).find({})) {
    if (!Array.isArray(c.amounts))
      throw new Error(
        `contributions of an earlier format for ${c._id}: restart the coordinator (it converts them)`,
      );
    for (const a of c.amounts) {
      if (isStats(a.bucket) !== stats) continue;
      const sum = sums.get(a.bucket);
      if (!sum) sums.set(a.bucket, { ...a });
      else {
        sum.kg = roundKg(sum.kg + a.kg);
        sum.n += a.n;
        sum.at = later(sum.at, a.at) as Date;
      }
    }
  }
  const target = bucketsOf(store, stats);
  const { latest, superseded } = latestVersions(await target.find({}).toArray());
  const plannedFor = new Map(planned.map((d) => [bucketKey(d), d]));
  const put: BucketDoc[] = [];
  for (const key of new Set([...latest.keys(), ...sums.keys()])) {
    const doc = latest.get(key);
    const sum = sums.get(key);
    const rev = (doc?.rev ?? 0) + 1;
    if (!sum || sum.n <= 0) {
      if (doc && !isTombstone(doc)) {
        put.push({
          ...doc,
          _id: versionId(key, rev),
          bucket: key,
          rev,
          journal: journalId,
          quantityKg: 0,
          count: 0,
        });
        superseded.push(doc._id);
      }
      continue;
    }
    const lastSeenAt = stats ? undefined : sum.at;
    if (
      doc?.count === sum.n &&
      doc.quantityKg === sum.kg &&
      (stats || doc.lastSeenAt?.getTime() === sum.at.getTime())
    )
      continue;
    const base = doc ?? plannedFor.get(key);
    if (!base)
      throw new Error(`bucket ${key} has contributions but no version stored: run hub replay --replace`);
    if (doc) superseded.push(doc._id);
    put.push({
      ...base,
      _id: versionId(key, rev),
      bucket: key,
      rev,
      journal: journalId,
      quantityKg: sum.kg,
      count: sum.n,
      ...(lastSeenAt ? { lastSeenAt } : {}),
    });
  }
  // Under the read-models lock, from a read of every version: nobody else writes these meanwhile.
  const taken = await insertFindingTaken(target, put);
  if (taken.size > 0)
    throw new Error(
      `bucket versions ${[...taken].slice(0, 3).join(', ')} were written while ${bucketName(stats)} was rebuilt; the batch is processed again`,
    );
  await deleteByIds(target, superseded);
}

const bucketName = (stats: boolean) => (stats ? COLLECTIONS.statsMonthly : COLLECTIONS.routeLegs);
const bucketsOf = (store: Store, stats: boolean) => store.collection<BucketDoc>(bucketName(stats));

/**
 * Each changed bucket as the journal leaves it: read (by _id, or from the cache), the change added, kept or removed.
 * Written buckets carry the journal's id. Callers hold the 'read-models' lock (see lock.ts), so no other instance
 * writes a bucket meanwhile. A bucket already carrying the journal's id has it (a journal of an earlier version,
 * finished after a crash).
 */
async function planBucketWrites(
  store: Store,
  journal: JournalDoc,
  cache?: BucketCache,
): Promise<BucketWrites[]> {
  const out: BucketWrites[] = [];
  for (const stats of [true, false]) {
    const deltas = journal.deltas.filter((d) => isStats(d.bucket) === stats);
    if (deltas.length === 0) continue;
    const keys = deltas.map((d) => d.bucket);
    // Without a cache, every version of these buckets is read: the latest counts, the others are deleted with it.
    const { latest: current, superseded } = await latestOf<BucketDoc>(store, bucketName(stats), keys, cache);
    const w: BucketWrites = { stats, put: [], versioned: true, superseded, remove: [], existing: [] };
    for (const d of deltas) {
      const doc = current.get(d.bucket);
      if (doc?.journal === journal._id) continue; // applied before a crash
      const count = (doc?.count ?? 0) + d.n;
      const rev = (doc?.rev ?? 0) + 1;
      if (count <= 0) {
        // Gone: a version that counts nothing (readers leave it out), the versions before it deleted.
        if (doc && !isTombstone(doc)) {
          w.put.push({
            ...doc,
            _id: versionId(d.bucket, rev),
            bucket: d.bucket,
            rev,
            journal: journal._id,
            quantityKg: 0,
            count: 0,
          });
          superseded.push(doc._id);
        }
        continue;
      }
      if (doc) superseded.push(doc._id);
      let lastSeenAt: Date | undefined;
      if (!stats) {
        const kept = doc && !isTombstone(doc) ? (doc.lastSeenAt ?? null) : null;
        lastSeenAt =
          kept && d.latestRemoved && d.latestRemoved >= kept
            ? ((await latestIn(store, d.bucket, journal.contributions)) ?? (d.latestAdded as Date))
            : (later(kept, d.latestAdded) as Date);
      }
      w.put.push({
        ...(doc ?? d.fields ?? {}),
        _id: versionId(d.bucket, rev),
        bucket: d.bucket,
        rev,
        journal: journal._id,
        quantityKg: roundKg((doc?.quantityKg ?? 0) + d.kg),
        count,
        ...(lastSeenAt ? { lastSeenAt } : {}),
      });
    }
    out.push(w);
  }
  return out;
}

/**
 * The latest seizure date still counting in a leg (its latest report left): read from the contributions, those of
 * the batch's reports as the batch leaves them (`changed`; not written yet when the bucket is planned).
 */
async function latestIn(store: Store, bucket: string, changed: ReportContributions[]): Promise<Date | null> {
  const mine = new Set(changed.map((c) => c._id));
  const holders = (
    await store
      .collection<ReportContributions>(COLLECTIONS.contributions)
      .find({ 'amounts.bucket': bucket }, { projection: { amounts: 1 } })
      .toArray()
  ).filter((h) => !mine.has(h._id));
  let latest: Date | null = null;
  for (const h of [...holders, ...changed])
    for (const a of h.amounts) if (a.bucket === bucket) latest = later(latest, a.at);
  return latest;
}

/** The buckets that had every report inside before contributions kept their amounts. */
const MEMBER_BUCKETS = [COLLECTIONS.statsMonthly, COLLECTIONS.routeLegs] as const;

/** Whether any bucket is of the earlier format that convertReadModels converts (looked for without the lock). */
export async function hasUnconvertedBuckets(store: Store): Promise<boolean> {
  for (const name of MEMBER_BUCKETS)
    if (
      await store
        .collection<BucketDoc>(name)
        .findOne({ members: { $exists: true } }, { projection: { _id: 1 } })
    )
      return true;
  return false;
}

/**
 * Stores written before contributions kept their amounts hold every report inside its buckets (`members`): the
 * amounts are taken from there into the contributions, then the members leave the buckets. Run at start-up under
 * the read-models lock; a crash half-way is finished by the next start (the members go last).
 */
export async function convertReadModels(store: Store): Promise<number> {
  const contributions = store.collection<ReportContributions>(COLLECTIONS.contributions);
  const amounts = new Map<string, Amount[]>();
  const converted: { target: Collection<BucketDoc>; ids: string[] }[] = [];
  for (const name of MEMBER_BUCKETS) {
    const target = store.collection<BucketDoc>(name);
    const ids: string[] = [];
    for await (const doc of target.find({ members: { $exists: true } })) {
      ids.push(doc._id);
      const members = doc.members as Record<string, { kg: number; n: number; at: Date }>;
      for (const [reportId, m] of Object.entries(members))
        amounts.set(reportId, [
          ...(amounts.get(reportId) ?? []),
          { bucket: doc._id, kg: m.kg, n: m.n, at: m.at },
        ]);
    }
    converted.push({ target, ids });
  }
  if (converted.every((c) => c.ids.length === 0)) return 0;
  // Stamped before anything is written (under the lock, no cache looks meanwhile): a conversion stopped half-way must
  // not leave another instance's cache, its stamp still the store's, holding buckets with their members.
  await stampWritten(store);
  const ops: AnyBulkWriteOperation<ReportContributions>[] = [...amounts].map(([id, list]) => ({
    replaceOne: { filter: { _id: id }, replacement: { _id: id, amounts: list }, upsert: true },
  }));
  await bulkWriteInBatches(contributions, ops, { ordered: false });
  await contributions.deleteMany({ amounts: { $exists: false } });
  for (const { target, ids } of converted)
    for (let i = 0; i < ids.length; i += 1000)
      await target.updateMany({ _id: { $in: ids.slice(i, i + 1000) } }, { $unset: { members: '' } });
  return converted.reduce((s, c) => s + c.ids.length, 0);
}
