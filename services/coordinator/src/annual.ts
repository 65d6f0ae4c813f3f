// Annual returns: the current version of each country-year return, with its cells keyed and classified for the
// statistics (source=annual). The document is its own read model: a return is small and replaced whole.
import type { AnyBulkWriteOperation } from 'mongodb';
import { aggregatesOf, annualDrugKey, loadDrugGroups, roundKg } from '@hub/domain';
import type { Region } from '@hub/schemas';
import {
  bulkWriteInBatches,
  COLLECTIONS,
  findEach,
  type AnnualCell,
  type CollectionName,
  type StoredAnnualReturn,
  type Store,
} from '@hub/store';
import { storedHandling } from './documents';
import type { Accepted } from './outcome';

export function annualCells(rows: Record<string, unknown>[]): AnnualCell[] {
  const groups = loadDrugGroups();
  const cells = new Map<string, AnnualCell>();
  for (const row of rows) {
    const drugName = String(row.drugName);
    const group = groups.resolve(String(row.drugGroup)) ?? null;
    const { key, substance } = annualDrugKey(drugName, group);
    const isTotal = row.isTotal === true;
    // Rows repeating a drug name in one return (the annex lists some under two sub-groups) add up in one cell.
    const cell = cells.get(key) ?? {
      drug: key,
      drugName,
      drugGroup: group ?? 'other',
      substance,
      aggregates: isTotal ? [] : aggregatesOf(substance, group),
      totalOf: isTotal ? (group ? (groups.get(group)?.aggregate ?? null) : null) : null,
      kg: 0,
      rows: 0,
    };
    cell.kg = roundKg(cell.kg + Number(row.kilograms));
    cell.rows += 1;
    cells.set(key, cell);
  }
  return [...cells.values()];
}

export function annualDocument(a: Accepted, regions: Region[], now: Date): StoredAnnualReturn {
  const v = a.value;
  const handling = storedHandling(v.handling as Record<string, unknown>, regions);
  return {
    _id: a.subjectId,
    returnId: a.subjectId,
    version: v.version as number,
    country: v.country as string,
    year: v.year as number,
    originCountry: a.envelope.origin,
    messageId: a.envelope.messageId,
    signerFingerprint: a.signer.fingerprint,
    reportedAt: new Date(v.reportedAt as number),
    receivedAt: now,
    source: (v.source as string | null) ?? null,
    submittedBy: (v.submittedBy as string | null | undefined) ?? null,
    handling,
    tlp: handling.tlp,
    releasableCountries: handling.releasableCountries,
    cells: annualCells(v.rows as Record<string, unknown>[]),
  };
}

/** Apply accepted annual returns: the highest version of each wins, whatever order they arrive in. */
export async function applyAnnualReturns(
  store: Store,
  accepted: Accepted[],
  current: CurrentVersions,
  regions: Region[],
  now: Date,
): Promise<Map<Accepted, string>> {
  return applyLatestVersions(store, COLLECTIONS.annualReturns, accepted, current, now, (a) =>
    annualDocument(a, regions, now),
  );
}

/** The stored version and originator of subjects kept one current document each (annual returns, routes), by id. */
export type CurrentVersions = Map<string, { _id: string; version: number; originCountry?: string }>;

/** The current documents of `ids` in `collection` (version and originator only), in one read. */
export async function currentVersions(
  store: Store,
  collection: CollectionName,
  ids: string[],
): Promise<CurrentVersions> {
  if (ids.length === 0) return new Map();
  const target = store.collection<{ _id: string; version: number; originCountry?: string }>(collection);
  return new Map(
    (await findEach(target, '_id', ids, { version: 1, originCountry: 1 })).map((d) => [d._id, d]),
  );
}

/**
 * Keep the current version of each subject in `collection` (_id = subject id): the highest version wins, whatever
 * order versions arrive in, and the version it replaces is marked superseded in the history. `current`: the stored
 * documents of the subjects of `accepted` (currentVersions), read by the caller before their versions were claimed.
 * A subject is its first sender's: versions from another country are not applied, and returned with the country
 * whose subject it is.
 */
export async function applyLatestVersions(
  store: Store,
  collection: CollectionName,
  accepted: Accepted[],
  current: CurrentVersions,
  now: Date,
  toDocument: (a: Accepted) => { _id: string; version: number },
): Promise<Map<Accepted, string>> {
  const foreign = new Map<Accepted, string>();
  if (accepted.length === 0) return foreign;
  const target = store.collection<{ _id: string; version: number; originCountry?: string }>(collection);
  const ids = [...new Set(accepted.map((a) => a.subjectId))];
  const ops: AnyBulkWriteOperation<{ _id: string; version: number }>[] = [];
  const superseded: AnyBulkWriteOperation<Record<string, unknown>>[] = [];
  for (const id of ids) {
    const mine = accepted.filter((a) => a.subjectId === id);
    const owner =
      current.get(id)?.originCountry ??
      mine.reduce((low, a) => ((a.subjectVersion ?? 0) < (low.subjectVersion ?? 0) ? a : low)).envelope
        .origin;
    for (const a of mine) if (a.envelope.origin !== owner) foreign.set(a, owner);
    const own = mine.filter((a) => !foreign.has(a));
    if (own.length === 0) continue;
    const newest = own.reduce((best, a) => ((a.subjectVersion ?? 0) > (best.subjectVersion ?? 0) ? a : best));
    const have = current.get(id)?.version;
    if (have !== undefined && have >= (newest.subjectVersion ?? 0)) continue;
    const doc = toDocument(newest);
    ops.push(
      have === undefined
        ? { insertOne: { document: doc } }
        : { replaceOne: { filter: { _id: id }, replacement: doc } },
    );
    if (have !== undefined)
      superseded.push({
        updateOne: { filter: { _id: `${id}:${have}` as never }, update: { $set: { supersededAt: now } } },
      });
  }
  await bulkWriteInBatches(target, ops, { ordered: false });
  await bulkWriteInBatches(
    store.collection<Record<string, unknown>>(COLLECTIONS.reportVersions),
    superseded,
    { ordered: false },
  );
  return foreign;
}

/** One version of an annual return or a trafficking route in the history (report_versions). */
export function annualHistoryDocument(a: Accepted, now: Date): Record<string, unknown> {
  return {
    kind: a.envelope.messageType === 'TraffickingRoute' ? 'route' : 'annual',
    reportId: a.subjectId,
    version: a.subjectVersion,
    country: a.value.country,
    ...(a.value.year !== undefined ? { year: a.value.year } : {}),
    originCountry: a.envelope.origin,
    messageId: a.envelope.messageId,
    signerFingerprint: a.signer.fingerprint,
    receivedAt: now,
    report: a.value,
  };
}

/** The current version of a trafficking route (`routes`, _id = routeId), with its handling for the query API. */
export function routeDocument(
  a: Accepted,
  regions: Region[],
  now: Date,
): { _id: string; version: number } & Record<string, unknown> {
  const v = a.value;
  const handling = storedHandling(v.handling as Record<string, unknown>, regions);
  return {
    _id: a.subjectId,
    routeId: a.subjectId,
    version: v.version as number,
    country: v.country,
    originCountry: a.envelope.origin,
    messageId: a.envelope.messageId,
    signerFingerprint: a.signer.fingerprint,
    receivedAt: now,
    handling,
    route: v,
  };
}
