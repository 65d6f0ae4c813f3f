// Writing a classified batch to the store. No transactions (FerretDB has none): every write is idempotent and
// ordered so that a crash between any two leaves a state the redelivered batch repairs:
// envelope archive → version history → current report → read models.
import type { AnyBulkWriteOperation } from 'mongodb';
import type { Region } from '@hub/schemas';
import { COLLECTIONS, findEach, type Store, type StoredEnvelope, type StoredReport } from '@hub/store';
import { annualHistoryDocument, applyAnnualReturns, applyLatestVersions, routeDocument } from './annual';
import { envelopeDocument, reportDocument } from './documents';
import type { Accepted, Outcome } from './outcome';
import { isRequestMessage, persistRequests } from './requests';

export interface PersistResult {
  outcomes: Outcome[];
  /** Reports touched by this batch (for read models, correlation, feeds). */
  changedReports: string[];
}

export async function persistBatch(
  store: Store,
  outcomes: Outcome[],
  regions: Region[],
  clock: () => number,
): Promise<PersistResult> {
  const now = new Date(clock());
  const envelopes = store.collection<StoredEnvelope>(COLLECTIONS.envelopes);
  const versions = store.collection<StoredReport>(COLLECTIONS.reportVersions);
  const reports = store.collection<StoredReport>(COLLECTIONS.reports);

  const accepted = outcomes.filter((o): o is Accepted => o.kind === 'accepted');
  const reportIds = [
    ...new Set(accepted.filter((a) => !isAnnual(a) && !isRequest(a)).map((a) => a.subjectId)),
  ];
  const current = new Map(
    (await findEach(reports, '_id', reportIds, { version: 1, messageId: 1 })).map((d) => [d._id, d]),
  );
  const versionKeys = accepted.map((a) => `${a.subjectId}:${a.subjectVersion}`);
  const history = new Map(
    (await findEach(versions, '_id', versionKeys, { messageId: 1 })).map((d) => [d._id, d.messageId]),
  );

  // A version number may be used once: another message claiming it is stale.
  const final: Outcome[] = outcomes.map((o) => {
    if (o.kind !== 'accepted') return o;
    const claimed = history.get(`${o.subjectId}:${o.subjectVersion}`);
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

  // 1. The write-once archive.
  const archived = new Set(
    (
      await findEach(
        envelopes,
        '_id',
        good.map((a) => a.envelope.messageId),
        { _id: 1 },
      )
    ).map((d) => d._id),
  );
  const toArchive = new Map<string, StoredEnvelope>();
  for (const a of good)
    if (!archived.has(a.envelope.messageId)) toArchive.set(a.envelope.messageId, envelopeDocument(a, now));
  if (toArchive.size) await envelopes.insertMany([...toArchive.values()], { ordered: false });

  // 2. History, one document per version, never overwritten.
  const changed = new Set<string>();
  const historyOps: AnyBulkWriteOperation<StoredReport>[] = [];
  for (const a of good) {
    const key = `${a.subjectId}:${a.subjectVersion}`;
    if (history.has(key) || isRequest(a)) continue;
    const doc =
      a.envelope.messageType === 'SeizureReport'
        ? reportDocument(a, regions, now)
        : isAnnual(a)
          ? annualHistoryDocument(a, now)
          : retractionDocument(a, now);
    // Known absent (looked up above): a plain insert, which FerretDB does far faster than an upsert.
    historyOps.push({ insertOne: { document: { ...doc, _id: key, supersededAt: null } as never } });
    history.set(key, a.envelope.messageId);
  }
  if (historyOps.length) await versions.bulkWrite(historyOps, { ordered: true });
  const isRoute = (a: Accepted) => a.envelope.messageType === 'TraffickingRoute';
  await applyAnnualReturns(
    store,
    good.filter((a) => isAnnual(a) && !isRoute(a)),
    regions,
    now,
  );
  await applyLatestVersions(store, COLLECTIONS.routes, good.filter(isRoute), now, (a) =>
    routeDocument(a, regions, now),
  );
  await persistRequests(store, good, regions, now);

  // 3. The current version of each report: versions apply in ascending order, whatever order they arrive in.
  const currentOps: AnyBulkWriteOperation<StoredReport>[] = [];
  const supersededOps: AnyBulkWriteOperation<StoredReport>[] = [];
  for (const id of reportIds) {
    const mine = good
      .filter((a) => a.subjectId === id)
      .sort((x, y) => (x.subjectVersion ?? 0) - (y.subjectVersion ?? 0));
    let state = current.get(id) as { version: number } | undefined;
    for (const a of mine) {
      const v = a.subjectVersion ?? 0;
      if (state && state.version >= v) continue;
      if (a.envelope.messageType === 'SeizureReport') {
        const doc = reportDocument(a, regions, now);
        currentOps.push(
          state || current.has(id)
            ? { replaceOne: { filter: { _id: id }, replacement: doc, upsert: true } }
            : { insertOne: { document: doc } },
        );
      } else if (state) {
        currentOps.push({
          updateOne: {
            filter: { _id: id },
            update: {
              $set: {
                status: 'retracted',
                version: v,
                messageId: a.envelope.messageId,
                retraction: a.value,
              } as never,
            },
          },
        });
      } else {
        continue; // a retraction of a report we never had: kept in history only
      }
      if (state)
        supersededOps.push({
          updateOne: {
            filter: { _id: `${id}:${state.version}` },
            update: { $set: { supersededAt: now } as never },
          },
        });
      state = { version: v };
      changed.add(id);
    }
  }
  if (currentOps.length) await reports.bulkWrite(currentOps, { ordered: true });
  if (supersededOps.length) await versions.bulkWrite(supersededOps, { ordered: false });
  // Every report touched by the batch is recomputed, also on redelivery: a crash after step 3 and before the
  // read models were updated is repaired this way.
  for (const a of good) if (!isAnnual(a) && !isRequest(a)) changed.add(a.subjectId);
  return { outcomes: final, changedReports: [...changed] };
}

/** Records kept as one current document per subject beside the history: annual returns and trafficking routes. */
function isAnnual(a: Accepted): boolean {
  return a.envelope.messageType === 'AnnualSeizureReturn' || a.envelope.messageType === 'TraffickingRoute';
}

/** Information requests and responses live in `requests` (requests.ts), not in the report history. */
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
