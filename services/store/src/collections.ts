// The consolidated store's collections and their indexes, declared in code and created at start-up.
import type { IndexDescription } from 'mongodb';

/** Collection names. One place, so that every service and the replay tool agree. */
export const COLLECTIONS = {
  /** Current version of each report: _id = reportId. */
  reports: 'reports',
  /** Every version of every report: _id = `${reportId}:${version}`. History is never overwritten. */
  reportVersions: 'report_versions',
  /** Write-once archive of original envelope bytes: _id = messageId. */
  envelopes: 'envelopes',
  /**
   * The sha256 of every verified message by its id (_id = messageId), claimed by an insert at intake: the replay
   * check reads back only the ids already claimed, never the archive.
   */
  messageDigests: 'message_digests',
  routes: 'routes',
  annualReturns: 'annual_returns',
  alerts: 'alerts',
  receipts: 'receipts',
  quarantine: 'quarantine',
  certificates: 'certificates',
  revocations: 'revocations',
  audit: 'audit',
  /** Read model: totals by source, country, substance, month. */
  statsMonthly: 'stats_monthly',
  /** Read model: route legs between countries. */
  routeLegs: 'route_legs',
  /** Keyed hashes of conveyance identifiers and other match keys, for correlation. */
  matchKeys: 'match_keys',
  /** Route-and-concealment match keys, one per 30-day period (_id = `k:<hash>|p<period>`); few, read every batch. */
  routeKeys: 'route_keys',
  /** Per report, the match keys it counts in (_id = `r:<reportId>`); kept apart so that match_keys stays small. */
  reportKeys: 'report_keys',
  /** Review dates of stored records (_id = subject id). */
  retention: 'retention',
  /** What was erased and why, never its content (_id = subject id). */
  erasures: 'erasures',
  /** Locks between service instances (see lock.ts). */
  locks: 'locks',
  /** Per report, the read-model buckets it counts in and its amount in each (_id = reportId). */
  contributions: 'contributions',
  /** Read-model changes written before they are applied, so that a crash half-way is finished, not doubled. */
  readModelJournal: 'read_model_journal',
  /** Rewrites of documents by _id (see rewrite.ts), written before they are done, so that a crash half-way is finished. */
  rewriteJournal: 'rewrite_journal',
  /** Information requests between countries, each with its response: _id = requestId. */
  requests: 'requests',
  /**
   * Information requests coordinators asked in the query API (_id = requestId), which holds no signing key: queued
   * there, signed and sent by the coordinator (asks.ts), then stored in `requests` by its intake. An outbox, not
   * state: not rebuilt by a replay.
   */
  asks: 'asks',
  /**
   * Per consumer group and intake partition (_id = group|topic|partition), the messages of the last chunk stored and
   * answered (offset → sha256), written before the offsets are committed: redelivered ones are skipped.
   */
  intakeProgress: 'intake_progress',
  /**
   * Per consumer group and intake partition (_id as intake_progress), what the last chunk's stage under the store lock
   * decided (outcomes, alerts, handlings; one binary body), so that a chunk redelivered after its storing but before
   * its answers is only answered again.
   */
  intakeLockedStages: 'intake_locked_stages',
  meta: 'meta',
} as const;

export type CollectionName = (typeof COLLECTIONS)[keyof typeof COLLECTIONS];

/**
 * Indexes that earlier versions created on paths no query uses (the nested report rather than the denormalised
 * fields); `ensureIndexes` drops them, since every write pays for them.
 */
export const RETIRED_INDEXES: Partial<Record<CollectionName, string[]>> = {
  [COLLECTIONS.reports]: ['substance_seizedAt', 'routeCountry_seizedAt', 'mode_seizedAt'],
  // Match keys are looked up by _id only; no document has `key` or `seizedAt`.
  [COLLECTIONS.matchKeys]: ['key_seizedAt'],
};

/** Indexes by collection. Services add theirs here so that `ensureIndexes` creates them all. */
export const INDEXES: Partial<Record<CollectionName, IndexDescription[]>> = {
  [COLLECTIONS.reports]: [
    { key: { country: 1, seizedAt: -1 }, name: 'country_seizedAt' },
    // The denormalised fields the query API filters on (StoredReport), not the nested report.
    { key: { substances: 1, seizedAt: -1 }, name: 'substances_seizedAt' },
    { key: { drugGroups: 1, seizedAt: -1 }, name: 'drugGroups_seizedAt' },
    { key: { routeCountries: 1, seizedAt: -1 }, name: 'routeCountries_seizedAt' },
    { key: { conveyanceMode: 1, seizedAt: -1 }, name: 'conveyanceMode_seizedAt' },
    { key: { seizedAt: -1, _id: -1 }, name: 'seizedAt_id' },
  ],
  [COLLECTIONS.reportVersions]: [{ key: { reportId: 1, version: 1 }, name: 'report_version', unique: true }],
  [COLLECTIONS.envelopes]: [{ key: { subjectId: 1 }, name: 'subject' }],
  [COLLECTIONS.receipts]: [{ key: { subjectId: 1, issuedAt: -1 }, name: 'subject_issuedAt' }],
  [COLLECTIONS.alerts]: [{ key: { countries: 1, createdAt: -1 }, name: 'countries_createdAt' }],
  // GET /v1/quarantine: newest first, all of them or a node's own.
  [COLLECTIONS.quarantine]: [
    { key: { quarantinedAt: -1, _id: -1 }, name: 'quarantinedAt_id' },
    { key: { origin: 1, quarantinedAt: -1 }, name: 'origin_quarantinedAt' },
  ],
  [COLLECTIONS.audit]: [{ key: { seq: 1 }, name: 'seq', unique: true }],
  [COLLECTIONS.annualReturns]: [{ key: { country: 1, year: 1 }, name: 'country_year' }],
  [COLLECTIONS.asks]: [{ key: { state: 1, askedAt: 1 }, name: 'state_askedAt' }],
  [COLLECTIONS.requests]: [
    { key: { requester: 1, sentAt: -1 }, name: 'requester_sentAt' },
    { key: { addressee: 1, sentAt: -1 }, name: 'addressee_sentAt' },
    { key: { status: 1, dueAt: 1 }, name: 'status_dueAt' },
  ],
  [COLLECTIONS.statsMonthly]: [
    { key: { source: 1, country: 1, month: 1 }, name: 'source_country_month' },
    // A bucket's versions (see buckets.ts), read by key when the coordinator does not hold them.
    { key: { bucket: 1 }, name: 'bucket' },
  ],
  [COLLECTIONS.routeLegs]: [{ key: { bucket: 1 }, name: 'bucket' }],
  // Route-pattern match keys are versioned the same way (see the coordinator's correlate.ts).
  [COLLECTIONS.routeKeys]: [{ key: { bucket: 1 }, name: 'bucket' }],
  // The reports counting in a bucket, when a leg's last-seen date must be found again (its latest report left).
  [COLLECTIONS.contributions]: [{ key: { 'amounts.bucket': 1 }, name: 'amounts_bucket' }],
};
