// Writing a classified batch to the store. No transactions (FerretDB has none): every write is idempotent and
// ordered so that a crash between any two leaves a state the redelivered batch repairs:
// (whose each record is: read only) → version history → envelope archive → current report → read models.
// FerretDB 1.24 answers every lookup by reading the whole collection, and the history and current reports are the
// largest documents we keep (0.7 s per lookup at 1,000 reports, growing with the store). Inserting is the one
// write it does without a scan, and new records are the common case: history entries and first versions are
// inserted outright, and only what turns out to exist already (a redelivery, a later version, a conflict) is
// looked up.
import type { AnyBulkWriteOperation, Collection, Document } from 'mongodb';
import { BSON } from 'mongodb';
import type { FieldError } from '@hub/errors';
import type { Region } from '@hub/schemas';
import {
  bulkWriteInBatches,
  COLLECTIONS,
  findEach,
  insertFindingTaken,
  insertNew,
  type Store,
  type StoredEnvelope,
  type StoredReport,
  type StoredRequest,
  type CollectionName,
} from '@hub/store';
import {
  annualHistoryDocument,
  applyAnnualReturns,
  applyLatestVersions,
  currentVersions,
  routeDocument,
  type CurrentVersions,
} from './annual';
import { envelopeDocument, reportDocument, storedHandling } from './documents';
import { ownHandling, type PublishedHandling } from './feeds';
import type { Accepted, Outcome, Rejected } from './outcome';
import { foreignRefusal, foreignVersions, idsToCheck, storedOwners } from './owners';
import { isRequestMessage, persistRequests, type DroppedAnswer } from './requests';

export interface PersistResult {
  outcomes: Outcome[];
  /** Reports touched by this batch (for read models, correlation, feeds). */
  changedReports: string[];
  /**
   * The current documents of this batch's reports, as the store returns them: those it wrote in full, and those it
   * read and left as they were (a redelivery). Read models, correlation and feeds use them instead of reading the
   * reports again. Reports changed otherwise (a retraction) are not in it.
   */
  documents: Map<string, StoredReport>;
  /**
   * Reports this batch inserted for the first time: nothing was ever derived from them, so the read models and match
   * keys need not look for their earlier contributions (reports are only deleted by an erasure, never stored again).
   */
  fresh: Set<string>;
  /** Information requests this batch marked escalated (the first record of each: see applyEscalation). */
  escalated: Pick<StoredRequest, '_id' | 'urgency'>[];
  /**
   * The versions (reports, routes, annual returns) that may go on the feeds: each its subject's current version once
   * the batch is stored (not one a later version or a withdrawal has overtaken, as an old version re-driven from
   * quarantine or re-sent), the first message of its version in the batch, 'new' where this batch claimed the
   * version, 'again' where this very message had claimed it before (a node re-sending it, or the batch redelivered
   * after a crash before its answers: coordinator.ts tells the two apart).
   */
  feedable: Map<Accepted, 'new' | 'again'>;
}

export async function persistBatch(
  store: Store,
  outcomes: Outcome[],
  regions: Region[],
  clock: () => number,
  /** Told of each accepted answer that an answer of this batch dropped from its request (requests.ts). */
  onDropped?: (dropped: DroppedAnswer) => void,
): Promise<PersistResult> {
  const now = new Date(clock());
  const envelopes = store.collection<StoredEnvelope>(COLLECTIONS.envelopes);
  const versions = store.collection<StoredReport>(COLLECTIONS.reportVersions);
  const reports = store.collection<StoredReport>(COLLECTIONS.reports);

  const accepted = outcomes.filter((o): o is Accepted => o.kind === 'accepted');
  const keyOf = (a: Accepted) => `${a.subjectId}:${a.subjectVersion}`;

  // 0. Whose each record is (owners.ts), before anything is claimed: a version or withdrawal of another country's
  // record, of whatever kind, is refused here and claims no version number. An id named with a later version is looked
  // for first where its own kind is kept (a withdrawal's: the reports), as the batch reads it anyway (the routes and
  // annual returns also for their own first versions, to apply in step 3); only one found there under no record, and
  // whose first version is not in this batch either (its claim in step 1 stands for it), is looked for among the other
  // kinds: an owner's ordinary next version reads nothing more. The history is read only for an id two countries hold
  // records under. The reports read are kept for steps 1 and 3.
  const records = accepted.filter((a) => !isRequest(a));
  const checked = idsToCheck(records);
  const named = (...types: string[]) =>
    new Set(records.filter((a) => types.includes(a.envelope.messageType)).map((a) => a.subjectId));
  const asReport = named('SeizureReport', 'SeizureRetraction');
  const asRoute = named('TraffickingRoute');
  const asAnnual = named('AnnualSeizureReturn');
  // The current reports this batch reads, read whole and once: here, in step 1 or in step 3, and handed on.
  const stored = new Map<string, StoredReport>();
  const ownKind = checked.filter((id) => asReport.has(id));
  for (const d of await findEach(reports, '_id', ownKind)) stored.set(d._id, d);
  const routes = await currentVersions(store, COLLECTIONS.routes, [...asRoute]);
  const annualReturns = await currentVersions(store, COLLECTIONS.annualReturns, [...asAnnual]);
  const firstHere = new Set(records.filter((a) => a.subjectVersion === 1).map((a) => a.subjectId));
  // A report and its withdrawal in one batch, no report stored under the id: the id is looked for among the other
  // kinds too, since the report version may be one step 1 finds stale (the id a route's or an annual return's), and
  // the withdrawal then a withdrawal of that route or return (withdrawalsOfOtherKinds).
  const reportsHere = named('SeizureReport');
  const reportAndWithdrawal = new Set([...named('SeizureRetraction')].filter((id) => reportsHere.has(id)));
  const unresolved = checked.filter(
    (id) =>
      !stored.has(id) &&
      !routes.has(id) &&
      !annualReturns.has(id) &&
      (!firstHere.has(id) || reportAndWithdrawal.has(id)),
  );
  for (const d of await findEach(
    reports,
    '_id',
    unresolved.filter((id) => !asReport.has(id)),
  ))
    stored.set(d._id, d);
  const others = async (collection: CollectionName, own: Set<string>, into: CurrentVersions) => {
    for (const [id, d] of await currentVersions(
      store,
      collection,
      unresolved.filter((i) => !own.has(i)),
    ))
      into.set(id, d);
  };
  await others(COLLECTIONS.routes, asRoute, routes);
  await others(COLLECTIONS.annualReturns, asAnnual, annualReturns);
  const readReports = new Set([...ownKind, ...unresolved]);
  const ownerOf = await storedOwners(store, checked, [
    stored.values(),
    routes.values(),
    annualReturns.values(),
  ]);
  const refusedFirst = foreignVersions(records, new Set(checked), ownerOf);
  // A withdrawal withdraws a seizure report. One of its sender's own route or annual return would be kept in the
  // history only (as one of a report never stored is), answered accepted and withdraw nothing: refused here, before it
  // claims a version number.
  const notReports = withdrawalsOfOtherKinds(records, refusedFirst, {
    reports: stored,
    routes,
    annualReturns,
    staleReports: await staleReportVersions(
      versions,
      records.filter(
        (a) =>
          a.envelope.messageType === 'SeizureReport' &&
          reportAndWithdrawal.has(a.subjectId) &&
          !stored.has(a.subjectId) &&
          (routes.has(a.subjectId) || annualReturns.has(a.subjectId)),
      ),
      keyOf,
    ),
  });

  // 1. History, one document per version, never overwritten; a version number may be used once: another message
  // claiming it is stale. The first message of each version in the batch is inserted; when any version existed
  // already, the stored claims are read back (ours among them) and compared.
  // A report version's stored document is made once: for its history entry and, if it becomes current, the report.
  const reportDocs = new Map<Accepted, StoredReport>();
  const reportDocOf = (a: Accepted) => {
    let doc = reportDocs.get(a);
    if (!doc) reportDocs.set(a, (doc = reportDocument(a, regions, now)));
    return doc;
  };
  const firstOfVersion = new Map<string, Accepted>();
  for (const a of records)
    if (!refusedFirst.has(a) && !notReports.has(a) && !firstOfVersion.has(keyOf(a)))
      firstOfVersion.set(keyOf(a), a);
  // Each version's entry names the feeds it goes to (feeds.ts, ownHandling: under its own handling, by the regions as
  // they are now, as the chunk's feed decisions record them), so that its withdrawal and erasure reach those feeds
  // even after regions.json has changed. Written with the entry, which is inserted anyway: no write of its own. (A
  // version that turns out not to be current in step 3 goes on none of them; its withdrawal or erasure reaching them
  // tells their members nothing they may not read.)
  const historyDocs = [...firstOfVersion].map(([key, a]) => {
    const doc =
      a.envelope.messageType === 'SeizureReport'
        ? reportDocOf(a)
        : isAnnualOrRoute(a)
          ? annualHistoryDocument(a, now)
          : retractionDocument(a, now);
    const feeds = ownHandling(a, regions)?.feeds;
    return { ...doc, ...(feeds && { feeds }), _id: key, supersededAt: null } as unknown as StoredReport;
  });
  const claims = new Map([...firstOfVersion].map(([key, a]) => [key, a.envelope.messageId]));
  const takenVersions = await insertFindingTaken(versions, historyDocs);
  if (takenVersions.size > 0) {
    // A version taken already is ours where the current report is that version from this very message: a current
    // document is only ever written by the holder of its version's claim. In a chunk redelivered after a crash that
    // is every key, and the history, the largest collection, is not read (on FerretDB a decode of all of it).
    const subjectOf = (key: string) => {
      const a = firstOfVersion.get(key);
      return a && !isAnnualOrRoute(a) ? a.subjectId : undefined;
    };
    const subjects = [...new Set([...takenVersions].flatMap((k) => subjectOf(k) ?? []))].filter(
      (id) => !readReports.has(id),
    );
    for (const d of await findEach(reports, '_id', subjects)) stored.set(d._id, d);
    for (const id of subjects) readReports.add(id);
    const unsure = [...takenVersions].filter((key) => {
      const a = firstOfVersion.get(key);
      const cur = a && stored.get(a.subjectId);
      return !(a && cur && cur.version === a.subjectVersion && cur.messageId === a.envelope.messageId);
    });
    for (const d of await findEach(versions, '_id', unsure, { messageId: 1 })) claims.set(d._id, d.messageId);
  }
  const final: Outcome[] = outcomes.map((o) => {
    if (o.kind !== 'accepted' || isRequest(o)) return o;
    const owner = refusedFirst.get(o);
    if (owner) return foreignRefusal(o, owner);
    const notReport = notReports.get(o);
    if (notReport) return notReport;
    const claimed = claims.get(keyOf(o));
    if (claimed && claimed !== o.envelope.messageId) {
      return {
        kind: 'rejected',
        record: o.record,
        envelope: o.envelope,
        reason: 'stale-version',
        detail: `version ${o.subjectVersion} of ${o.subjectId} already exists (message ${claimed})`,
      };
    }
    return o;
  });
  const good = final.filter((o): o is Accepted => o.kind === 'accepted');

  // 2. The write-once archive (an envelope stored already is kept as it is).
  const toArchive = new Map<string, StoredEnvelope>();
  for (const a of good)
    if (!toArchive.has(a.envelope.messageId)) toArchive.set(a.envelope.messageId, envelopeDocument(a, now));
  await insertNew(envelopes, [...toArchive.values()]);

  const isRoute = (a: Accepted) => a.envelope.messageType === 'TraffickingRoute';
  // A record is its originator's: a version or retraction of it from another country (a node reusing an id it read
  // on a feed or in an alert) is refused, not applied. Those step 0 did not read the owner of (a first version under
  // an id whose version 1 no one had claimed) are found here, and refused below with those of step 0.
  const foreign = new Map([
    ...refusedFirst,
    ...(await applyAnnualReturns(
      store,
      good.filter((a) => isAnnualOrRoute(a) && !isRoute(a)),
      annualReturns,
      regions,
      now,
    )),
    ...(await applyLatestVersions(store, COLLECTIONS.routes, good.filter(isRoute), routes, now, (a) =>
      routeDocument(a, regions, now),
    )),
  ]);
  const escalated = await persistRequests(store, good, regions, now, onDropped);

  // 3. The current version of each report: versions apply in ascending order, whatever order they arrive in.
  const reportIds = [
    ...new Set(good.filter((a) => !isAnnualOrRoute(a) && !isRequest(a)).map((a) => a.subjectId)),
  ];
  const mineOf = new Map<string, Accepted[]>();
  for (const id of reportIds) mineOf.set(id, []);
  for (const a of good) mineOf.get(a.subjectId)?.push(a);
  for (const list of mineOf.values()) list.sort((x, y) => (x.subjectVersion ?? 0) - (y.subjectVersion ?? 0));
  const written = new Map<string, StoredReport>();
  const fresh = new Set<string>();
  const changed = new Set<string>();
  // A report whose first version here is a SeizureReport is inserted as that version; where it existed already
  // (the insert finds its _id taken), and where the batch starts with a retraction, its stored state is read.
  const firstDocs = new Map<string, StoredReport>();
  for (const [id, mine] of mineOf) {
    const first = mine[0] as Accepted;
    if (first.envelope.messageType === 'SeizureReport') firstDocs.set(id, reportDocOf(first));
  }
  // Those read in step 1 exist: they are not inserted again.
  const taken = new Set([
    ...(await insertFindingTaken(
      reports,
      [...firstDocs.values()].filter((d) => !stored.has(d._id)),
    )),
    ...stored.keys(),
  ]);
  // Read whole: those the batch leaves as they are (a redelivery) are handed on with the ones it writes, so that
  // the read models, correlation and feeds do not each read them again (a decode of the whole collection each, on
  // FerretDB: most of the time a chunk redelivered after a crash took).
  const toRead = reportIds.filter(
    (id) => !stored.has(id) && (taken.has(id) || (!firstDocs.has(id) && !readReports.has(id))),
  );
  for (const d of await findEach(reports, '_id', toRead)) stored.set(d._id, d);
  const current = new Map<string, { version: number }>(stored);
  for (const [id, doc] of firstDocs)
    if (!taken.has(id)) {
      current.set(id, { version: doc.version });
      written.set(id, doc);
      fresh.add(id);
      changed.add(id);
    }
  // Whose each report is: the stored one's originator, or the sender of the first version this batch inserts.
  const owners = new Map(
    [...mineOf.keys()].flatMap((id) => {
      const owner = (stored.get(id) ?? written.get(id))?.originCountry;
      return owner ? [[id, owner] as const] : [];
    }),
  );
  for (const [id, mine] of mineOf) {
    const owner = owners.get(id);
    for (const a of mine) if (owner && a.envelope.origin !== owner) foreign.set(a, owner);
  }
  // A report taken again from quarantine may come after its own withdrawal, accepted meanwhile and kept in the
  // history only (a retraction of a report the store did not have): the withdrawal applies once the report is in.
  const redriven = [...mineOf]
    .filter(([, mine]) => mine.some((a) => a.record.redrive && a.envelope.messageType === 'SeizureReport'))
    .map(([id]) => id);
  const withdrawn = new Map<string, RetractionEntry>();
  if (redriven.length)
    for (const h of await store
      .collection<RetractionEntry>(COLLECTIONS.reportVersions)
      .find({ reportId: { $in: redriven }, status: 'retracted' })
      .toArray())
      if (h.version > (withdrawn.get(h.reportId)?.version ?? 0)) withdrawn.set(h.reportId, h);
  const currentOps: AnyBulkWriteOperation<StoredReport>[] = [];
  const supersededOps: AnyBulkWriteOperation<StoredReport>[] = [];
  const retracted = new Set<string>();
  const retract = (id: string, version: number, messageId: string, retraction: unknown) => {
    retracted.add(id);
    currentOps.push({
      updateOne: {
        filter: { _id: id },
        update: { $set: { status: 'retracted', version, messageId, retraction } as never },
      },
    });
  };
  for (const [id, mine] of mineOf) {
    let state = current.get(id);
    const supersede = (version: number) =>
      supersededOps.push({
        updateOne: {
          filter: { _id: `${id}:${version}` },
          update: { $set: { supersededAt: now } as never },
        },
      });
    for (const a of mine) {
      if (foreign.has(a)) continue;
      const v = a.subjectVersion ?? 0;
      if (state && state.version >= v) continue;
      if (a.envelope.messageType === 'SeizureReport') {
        const doc = reportDocOf(a);
        currentOps.push(
          state
            ? { replaceOne: { filter: { _id: id }, replacement: doc, upsert: true } }
            : { insertOne: { document: doc } },
        );
        written.set(id, doc);
      } else if (state) {
        retract(id, v, a.envelope.messageId, a.value);
        written.delete(id);
      } else {
        continue; // a retraction of a report we never had: kept in history only
      }
      if (state) supersede(state.version);
      state = { version: v };
      changed.add(id);
    }
    const w = withdrawn.get(id);
    if (w && state && state.version < w.version && w.originCountry === owners.get(id)) {
      retract(id, w.version, w.messageId, w.retraction);
      written.delete(id);
      supersede(state.version);
      changed.add(id);
    }
  }
  await bulkWriteInBatches(reports, currentOps, { ordered: true });
  await bulkWriteInBatches(versions, supersededOps, { ordered: false });
  const refused = await refuseForeign(store, foreign, keyOf);
  const unchanged = [...stored.values()].filter((d) => mineOf.has(d._id) && !changed.has(d._id));
  const feedable = feedableVersions(final, refused, foreign, firstOfVersion, takenVersions, keyOf, {
    // A report's current version once the batch is stored: the one it wrote, else the stored one it left (none where
    // it withdrew it, or the report is withdrawn already).
    report: (id) => {
      const doc = written.get(id) ?? (retracted.has(id) ? undefined : stored.get(id));
      return doc && doc.status === 'active' ? { version: doc.version, messageId: doc.messageId } : undefined;
    },
    routes,
    annualReturns,
  });
  // Every report touched by the batch is recomputed, also on redelivery: a crash after step 3 and before the
  // read models were updated is repaired this way.
  for (const id of reportIds) changed.add(id);
  const known = asStored(written);
  for (const d of unchanged) known.set(d._id, d);
  return {
    outcomes: refused.size ? final.map((o) => (o.kind === 'accepted' && refused.get(o)) || o) : final,
    changedReports: [...changed],
    documents: known,
    fresh,
    escalated,
    feedable,
  };
}

/**
 * The accepted versions that may go on the feeds (PersistResult.feedable): not refused, the first message of their
 * version in the batch, and their subject's current version once the batch is stored. A route's or an annual
 * return's current version is the highest of the stored one and those applied here (applyLatestVersions); an
 * accepted version equal to the stored one is the same message (another would be stale).
 */
function feedableVersions(
  outcomes: Outcome[],
  refused: Map<Accepted, Rejected>,
  foreign: Map<Accepted, string>,
  firstOfVersion: Map<string, Accepted>,
  takenVersions: Set<string>,
  keyOf: (a: Accepted) => string,
  current: {
    report: (id: string) => { version: number; messageId: string } | undefined;
    routes: CurrentVersions;
    annualReturns: CurrentVersions;
  },
): Map<Accepted, 'new' | 'again'> {
  const versions = outcomes.filter(
    (o): o is Accepted =>
      o.kind === 'accepted' &&
      !refused.has(o) &&
      !foreign.has(o) &&
      FEEDABLE.has(o.envelope.messageType) &&
      firstOfVersion.get(keyOf(o)) === o,
  );
  const newest = new Map<string, number>();
  for (const a of versions)
    if (isAnnualOrRoute(a)) {
      const stored =
        (a.envelope.messageType === 'TraffickingRoute' ? current.routes : current.annualReturns).get(
          a.subjectId,
        )?.version ?? 0;
      newest.set(a.subjectId, Math.max(newest.get(a.subjectId) ?? stored, stored, a.subjectVersion ?? 0));
    }
  const isCurrent = (a: Accepted) => {
    if (isAnnualOrRoute(a)) return newest.get(a.subjectId) === a.subjectVersion;
    const doc = current.report(a.subjectId);
    return doc?.version === a.subjectVersion && doc.messageId === a.envelope.messageId;
  };
  return new Map(
    versions.filter(isCurrent).map((a) => [a, takenVersions.has(keyOf(a)) ? 'again' : 'new'] as const),
  );
}

/** The message types that are versions of a record published on the feeds (a withdrawal goes its own way). */
const FEEDABLE = new Set(['SeizureReport', 'TraffickingRoute', 'AnnualSeizureReturn']);

/** What a record of each kind other than a seizure report can be changed by, for the refusal of its withdrawal. */
const INSTEAD_OF_WITHDRAWAL: Record<string, string> = {
  TraffickingRoute: 'send a corrected version of the route instead (POST /v1/routes with its routeId)',
  AnnualSeizureReturn:
    'send a corrected return for its year instead (POST /v1/annual-returns), which replaces this one',
};

/**
 * The withdrawals (SeizureRetraction) of `records` naming a trafficking route or an annual return, each with its
 * refusal (`invalid-content`, naming the kind and the rule). The kind is the store's under the id (`stored`, as step 0
 * read it: a report there is withdrawn as usual), else the kind the batch's own versions of it are (a route and its
 * withdrawal in one batch). A report version in the batch makes it a report's withdrawal, but for one that claims no
 * version (`staleReports`: step 1 finds it stale), which leaves the withdrawal to the kind stored under the id. A withdrawal of an id the hub holds nothing under is left to be kept in the history: a
 * report refused into quarantine and re-driven later is stored withdrawn by it. Those `refused` as another country's
 * are left to that refusal.
 */
function withdrawalsOfOtherKinds(
  records: Accepted[],
  refused: ReadonlyMap<Accepted, string>,
  stored: {
    reports: ReadonlyMap<string, unknown>;
    routes: CurrentVersions;
    annualReturns: CurrentVersions;
    staleReports: ReadonlySet<string>;
  },
): Map<Accepted, Rejected> {
  const out = new Map<Accepted, Rejected>();
  const withdrawals = records.filter(
    (a) => a.envelope.messageType === 'SeizureRetraction' && !refused.has(a),
  );
  if (withdrawals.length === 0) return out;
  const kindsHere = new Map<string, Set<string>>();
  for (const a of records)
    if (!refused.has(a) && FEEDABLE.has(a.envelope.messageType))
      kindsHere.set(a.subjectId, (kindsHere.get(a.subjectId) ?? new Set()).add(a.envelope.messageType));
  for (const a of withdrawals) {
    const id = a.subjectId;
    const here = kindsHere.get(id);
    if (stored.reports.has(id) || (here?.has('SeizureReport') && !stored.staleReports.has(id))) continue;
    const kind = stored.routes.has(id)
      ? 'TraffickingRoute'
      : stored.annualReturns.has(id)
        ? 'AnnualSeizureReturn'
        : [...(here ?? [])].find((k) => k !== 'SeizureReport');
    if (!kind) continue;
    const message = `${id} is a${kind === 'AnnualSeizureReturn' ? 'n' : ''} ${kind}, not a seizure report: only seizure reports are withdrawn; ${INSTEAD_OF_WITHDRAWAL[kind]}`;
    const field: FieldError = { field: 'reportId', message, value: id };
    out.set(a, {
      kind: 'rejected',
      record: a.record,
      envelope: a.envelope,
      reason: 'invalid-content',
      detail: `${field.field}: ${message}`,
      fields: [field],
    });
  }
  return out;
}

/**
 * The ids of `reports` (report versions of ids a route or an annual return is stored under, each with its withdrawal
 * in the batch) none of whose versions here claims its number: each taken in the history by another message (the
 * route's, the return's), so step 1 finds them stale. Rare: the history, the largest collection, is read only then.
 */
async function staleReportVersions(
  versions: Collection<StoredReport>,
  reports: Accepted[],
  keyOf: (a: Accepted) => string,
): Promise<Set<string>> {
  if (reports.length === 0) return new Set();
  const claimedBy = new Map(
    (await findEach(versions, '_id', reports.map(keyOf), { messageId: 1 })).map((d) => [d._id, d.messageId]),
  );
  const claiming = new Set(
    reports
      .filter((a) => {
        const by = claimedBy.get(keyOf(a));
        return by === undefined || by === a.envelope.messageId;
      })
      .map((a) => a.subjectId),
  );
  return new Set(reports.map((a) => a.subjectId).filter((id) => !claiming.has(id)));
}

/**
 * Refuses the versions and retractions of another country's record (`foreign`: each with the country whose record it
 * is). Their history entries (where theirs: a version's claim may be another message's) and archived envelopes are
 * removed, so that the originator's own next version is not taken for stale and nothing stored vouches for them,
 * also where an earlier run of the batch, cut short by a crash, stored them; the sender gets a negative receipt and
 * the envelope goes to quarantine, as for any refusal. Rare (a faulty or hostile node): the deletes' scans are no cost.
 */
async function refuseForeign(
  store: Store,
  foreign: Map<Accepted, string>,
  keyOf: (a: Accepted) => string,
): Promise<Map<Accepted, Rejected>> {
  const refused = new Map<Accepted, Rejected>();
  if (foreign.size === 0) return refused;
  const mine = [...foreign.keys()];
  const messageIds = mine.map((a) => a.envelope.messageId);
  await store
    .collection<{ _id: string; messageId: string }>(COLLECTIONS.reportVersions)
    .deleteMany({ _id: { $in: mine.map(keyOf) }, messageId: { $in: messageIds } });
  await store.collection<{ _id: string }>(COLLECTIONS.envelopes).deleteMany({ _id: { $in: messageIds } });
  for (const [a, owner] of foreign) refused.set(a, foreignRefusal(a, owner));
  return refused;
}

/** A retraction's entry in the history (retractionDocument). */
interface RetractionEntry {
  _id: string;
  reportId: string;
  version: number;
  status: 'retracted';
  originCountry: string;
  messageId: string;
  retraction: unknown;
}

/** Documents as a read from the store returns them (BSON round trip: no undefined, the same number types). */
function asStored(docs: Map<string, StoredReport>): Map<string, StoredReport> {
  return new Map(
    [...docs].map(([id, d]) => [id, BSON.deserialize(BSON.serialize(d as Document)) as StoredReport]),
  );
}

/** Records kept as one current document per subject beside the history: annual returns and trafficking routes. */
export function isAnnualOrRoute(a: Accepted): boolean {
  return a.envelope.messageType === 'AnnualSeizureReturn' || a.envelope.messageType === 'TraffickingRoute';
}

/** Messages that are not versions of a record (requests, responses, retention renewals): no report history. */
function isRequest(a: Accepted): boolean {
  return isRequestMessage(a.envelope.messageType) || a.envelope.messageType === 'RetentionRenewal';
}

function retractionDocument(a: Accepted, now: Date): Record<string, unknown> {
  return {
    reportId: a.subjectId,
    version: a.subjectVersion,
    status: 'retracted',
    originCountry: a.envelope.origin,
    messageId: a.envelope.messageId,
    signerFingerprint: a.signer.fingerprint,
    receivedAt: now,
    retraction: a.value,
  };
}

/** What a stored batch hands on to the read models and correlation (see PersistResult). */
export type BatchReports = Pick<PersistResult, 'documents' | 'fresh'>;

/** The current documents of these reports: those in `known` (the batch's documents) as they are, the rest read. */
export async function reportsFor(
  store: Store,
  ids: string[],
  known: Map<string, StoredReport> = new Map(),
  projection?: Document,
): Promise<StoredReport[]> {
  const missing = ids.filter((id) => !known.has(id));
  const read = missing.length
    ? await findEach(store.collection<StoredReport>(COLLECTIONS.reports), '_id', missing, projection)
    : [];
  return [...ids.flatMap((id) => known.get(id) ?? []), ...read];
}

/**
 * Every version in the history of each of `ids` (reports, trafficking routes, annual returns), oldest first, with its
 * handling and origin where the entry keeps one: where each version went (a withdrawal or an erasure must reach every feed one went to).
 * A report's history keeps its handling as stored; a route's or a return's, inside the message it keeps. One read of
 * the history (on FerretDB, of the whole collection): for withdrawals and erasures only.
 */
export async function versionHandlings(
  store: Store,
  ids: string[],
  regions: Region[],
): Promise<Map<string, { version: number; handling?: PublishedHandling }[]>> {
  const out = new Map<string, { version: number; handling?: PublishedHandling }[]>();
  if (ids.length === 0) return out;
  type HistoryEntry = {
    _id: string;
    reportId: string;
    version: number;
    originCountry: string;
    handling?: StoredReport['handling'];
    report?: { handling?: Record<string, unknown> };
    feeds?: unknown;
  };
  const entries = await findEach(
    store.collection<HistoryEntry>(COLLECTIONS.reportVersions),
    'reportId',
    [...new Set(ids)],
    { reportId: 1, version: 1, originCountry: 1, handling: 1, 'report.handling': 1, feeds: 1 },
  );
  for (const e of entries.sort((a, b) => a.version - b.version)) {
    const handling =
      e.handling ?? (e.report?.handling ? storedHandling(e.report.handling, regions) : undefined);
    // The feeds the version went to, where its entry recorded them (entries written before 2026-12-07 did not:
    // theirs are worked out from the handling, by the regions as they are now).
    const feeds = Array.isArray(e.feeds)
      ? e.feeds.filter((f): f is string => typeof f === 'string')
      : undefined;
    out.set(e.reportId, [
      ...(out.get(e.reportId) ?? []),
      {
        version: e.version,
        ...(handling && {
          handling: { originCountry: e.originCountry, ...handling, ...(feeds && { feeds }) },
        }),
      },
    ]);
  }
  return out;
}
