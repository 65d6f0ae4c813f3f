// Whose each record is. A subject id is one country's, whatever kind of record (a seizure report, a trafficking route,
// an annual return) or message (a version, a withdrawal) names it: ids travel on the feeds and in alerts (an annual
// return's can be worked out from its country and year), and the history numbers the versions of every kind under
// one `${id}:${version}`. Were each kind checked alone, another country's version or withdrawal naming the id as
// another kind would claim the next version number, and the originator's own would be refused as stale ever after.
import { COLLECTIONS, findEach, type Store } from '@hub/store';
import type { Accepted, Rejected } from './outcome';

/**
 * The ids whose owner is read before their versions are claimed: those a message names with a version other than the
 * first. A first version claims version 1 in the history, which another country's record holds already (a claim
 * refused as stale): new records, the common case, read nothing.
 */
export function idsToCheck(records: Accepted[]): string[] {
  return [...new Set(records.filter((a) => a.subjectVersion !== 1).map((a) => a.subjectId))];
}

/** A version's entry in the history, as far as its sender and arrival go. */
export interface HistoryOrigin {
  reportId: string;
  version: number;
  originCountry: string;
  receivedAt: Date;
}

/** For each id of `entries`, the country whose version of it the coordinator stored first (the lowest on a tie). */
export function firstSenders(entries: HistoryOrigin[]): Map<string, string> {
  const first = new Map<string, HistoryOrigin>();
  for (const e of entries) {
    const f = first.get(e.reportId);
    const earlier = f && (+e.receivedAt - +f.receivedAt || e.version - f.version);
    if (!f || (earlier !== undefined && earlier < 0)) first.set(e.reportId, e);
  }
  return new Map([...first].map(([id, e]) => [id, e.originCountry]));
}

/**
 * The owner of each id that the store holds a record under (`current`: the stored reports, routes and annual returns
 * read for them, of `ids` or more). Where records of two countries are stored under one id (another kind's first
 * version under an id whose version 1 was never stored, say a report refused then sent again as version 2; or what
 * was stored before owners were checked across kinds), the id is the country's whose version the coordinator stored
 * first: its history is read, for those ids alone.
 */
export async function storedOwners(
  store: Store,
  ids: string[],
  current: Iterable<{ _id: string; originCountry?: string }>[],
): Promise<Map<string, string>> {
  const wanted = new Set(ids);
  const countries = new Map<string, Set<string>>();
  for (const docs of current)
    for (const d of docs)
      if (wanted.has(d._id) && d.originCountry)
        countries.set(d._id, new Set([...(countries.get(d._id) ?? []), d.originCountry]));
  const disputed = [...countries].filter(([, of]) => of.size > 1).map(([id]) => id);
  const first = disputed.length
    ? firstSenders(
        await findEach(store.collection<HistoryOrigin>(COLLECTIONS.reportVersions), 'reportId', disputed, {
          reportId: 1,
          version: 1,
          originCountry: 1,
          receivedAt: 1,
        }),
      )
    : new Map<string, string>();
  return new Map([...countries].map(([id, of]) => [id, first.get(id) ?? [...of][0]!]));
}

/**
 * Those of `records` naming a `checked` id of another country, each with that country: the id's stored owner
 * (storedOwners), else, for an id the store holds nothing under, the sender of the batch's earliest version of it (the
 * first listed of them on a tie). Decided from the store and the batch alone, so that a batch stored again after a
 * crash comes out the same.
 */
export function foreignVersions(
  records: Accepted[],
  checked: ReadonlySet<string>,
  owners: ReadonlyMap<string, string>,
): Map<Accepted, string> {
  const earliest = new Map<string, Accepted>();
  for (const a of records) {
    if (!checked.has(a.subjectId)) continue;
    const first = earliest.get(a.subjectId);
    if (!first || (a.subjectVersion ?? 0) < (first.subjectVersion ?? 0)) earliest.set(a.subjectId, a);
  }
  const foreign = new Map<Accepted, string>();
  for (const a of records) {
    if (!checked.has(a.subjectId)) continue;
    const owner = owners.get(a.subjectId) ?? earliest.get(a.subjectId)!.envelope.origin;
    if (a.envelope.origin !== owner) foreign.set(a, owner);
  }
  return foreign;
}

/** The refusal of a version or withdrawal of `owner`'s record sent by another country. */
export function foreignRefusal(a: Accepted, owner: string): Rejected {
  return {
    kind: 'rejected',
    record: a.record,
    envelope: a.envelope,
    reason: 'country-mismatch',
    detail: `${a.subjectId} is a record of ${owner}: only ${owner} may send a new version of it or withdraw it`,
  };
}
