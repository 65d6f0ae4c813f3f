// What a rebuilt store lost of the live one, record by record: `hub replay --replace` compares them before it swaps
// the rebuilt store in, so that records a replay refuses or gives another country (README, "Known limitations") are
// never dropped from the live store in silence.
import {
  COLLECTIONS,
  type CollectionName,
  type Store,
  type StoredAnnualReturn,
  type StoredReport,
  type StoredReportVersion,
  type StoredRequest,
} from '@hub/store';

/**
 * The collections whose records are compared, each with the field of its stored document that names the record's
 * owner: the originator of a report, a version (of a report, a route or an annual return), a route and an annual
 * return (`originCountry`, StoredReport and the coordinator's documents); the asking country of an information request
 * (`requester`, StoredRequest: `from` is only its responses' field).
 */
export const OWNED_RECORDS: readonly { collection: CollectionName; owner: string }[] = [
  { collection: COLLECTIONS.reports, owner: 'originCountry' satisfies keyof StoredReport },
  { collection: COLLECTIONS.reportVersions, owner: 'originCountry' satisfies keyof StoredReportVersion },
  // No stored type of its own: the coordinator's routeDocument names the originator as the others do.
  { collection: COLLECTIONS.routes, owner: 'originCountry' },
  { collection: COLLECTIONS.annualReturns, owner: 'originCountry' satisfies keyof StoredAnnualReturn },
  { collection: COLLECTIONS.requests, owner: 'requester' satisfies keyof StoredRequest },
];

/** One record as compared: its id and its owner (null when the document names none). */
export interface OwnedRecord {
  id: string;
  owner: string | null;
}

/** A record of the live store that the rebuilt one lacks (`missing`) or gives another owner (`now`). */
export interface RecordLoss {
  collection: string;
  id: string;
  was: string | null;
  missing: boolean;
  now: string | null;
}

/**
 * Walks two record streams sorted by id side by side (memory stays flat however large the store) and returns what
 * the first has that the second lacks or gives another owner. Records only the rebuilt store has are gains, not
 * losses. `erased(id)` excuses a record the erasure log says must not come back.
 */
export async function lostRecords(
  collection: string,
  live: AsyncIterable<OwnedRecord>,
  rebuilt: AsyncIterable<OwnedRecord>,
  erased: (id: string) => boolean,
): Promise<RecordLoss[]> {
  const losses: RecordLoss[] = [];
  const other = rebuilt[Symbol.asyncIterator]();
  let next = await other.next();
  for await (const was of live) {
    while (!next.done && next.value.id < was.id) next = await other.next();
    const now = !next.done && next.value.id === was.id ? next.value : undefined;
    if (now === undefined ? !erased(was.id) : now.owner !== was.owner)
      losses.push({
        collection,
        id: was.id,
        was: was.owner,
        missing: now === undefined,
        now: now?.owner ?? null,
      });
  }
  return losses;
}

/** A collection's records sorted by id, with their owners. */
async function* ownedRecords(store: Store, collection: CollectionName, owner: string) {
  const cursor = store
    .collection<{ _id: string } & Record<string, unknown>>(collection)
    .find({}, { projection: { _id: 1, [owner]: 1 } })
    .sort({ _id: 1 });
  for await (const d of cursor) {
    const o = d[owner];
    yield { id: String(d._id), owner: typeof o === 'string' ? o : null };
  }
}

/**
 * The subjects of the rebuilt store's erasure log: a record erased is meant to be missing. A version
 * (`<reportId>:<version>`) is excused with its report.
 */
async function erasedSubjects(store: Store): Promise<(id: string) => boolean> {
  const subjects = new Set<string>();
  for await (const e of store
    .collection<{ subjectId?: string }>(COLLECTIONS.erasures)
    .find({}, { projection: { subjectId: 1 } }))
    if (typeof e.subjectId === 'string') subjects.add(e.subjectId);
  return (id) => subjects.has(id) || subjects.has(id.replace(/:\d+$/, ''));
}

/** Every record of `live` that `rebuilt` lacks (and has not erased) or gives another owner. */
export async function storeLosses(live: Store, rebuilt: Store): Promise<RecordLoss[]> {
  const erased = await erasedSubjects(rebuilt);
  const losses: RecordLoss[] = [];
  for (const { collection, owner } of OWNED_RECORDS)
    losses.push(
      ...(await lostRecords(
        collection,
        ownedRecords(live, collection, owner),
        ownedRecords(rebuilt, collection, owner),
        erased,
      )),
    );
  return losses;
}

/** One line per loss, for a person: `reports 3f2a… (UZ): missing from the rebuilt store`. */
export function describeLoss(l: RecordLoss): string {
  return l.missing
    ? `${l.collection} ${l.id} (${l.was ?? 'no owner'}): missing from the rebuilt store`
    : `${l.collection} ${l.id}: owned by ${l.was ?? 'no one'} live, by ${l.now ?? 'no one'} in the rebuilt store`;
}
