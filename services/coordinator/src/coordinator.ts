// Wiring of the coordination node: trust, intake consumer over every node's out topic, store, replies.
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { HubConfig } from '@hub/config';
import { createSigner, createVerifier, HUB_ORIGIN, renewableSigner } from '@hub/envelope';
import { HubError } from '@hub/errors';
import {
  createKafka,
  ensureTopics,
  expiringTopics,
  appendTimeOf,
  keepEveryPkiRecord,
  nodeTopicConfigs,
  stampOnArrival,
  hubTopicConfigs,
  onFatalCrash,
  disconnectForGood,
  FETCH_WAIT_MS,
  PartitionCounts,
  sendAll,
  topicNames,
  type Consumer,
  type EachBatchPayload,
  type Message,
} from '@hub/kafka';
import {
  Counter,
  createMetricsRegistry,
  Gauge,
  Histogram,
  serviceLogger,
  storeCommandMetrics,
  startOpsServer,
  type Logger,
} from '@hub/observability';
import { PkiStore, joinPki, watchCertificates, watchForRenewal } from '@hub/pki';
import { loadRegions, loadSchemaRegistry } from '@hub/schemas';
import {
  bulkWriteInBatches,
  COLLECTIONS,
  connectStore,
  insertNew,
  withLock,
  type StoredReport,
} from '@hub/store';
import { backfillMessageDigests, classifyBatch, digestClaimsIn, digestsHeldIn, subjectOf } from './intake';
import { BucketCache } from './bucket-cache';
import { alertCopies, correlate, loadMatchSecret, type AlertRecord } from './correlate';
import {
  applyRenewals,
  DEFAULT_RETENTION,
  ErasedSet,
  followErasures,
  registerRetention,
  startRetention,
  type RetentionDeps,
  type RetentionPolicy,
} from './retention';
import { feedDecisions, feedKey, feedMessages } from './feeds';
import type { Accepted, IntakeRecord, Outcome } from './outcome';
import { markRedriven, unwrapRedrives } from './redrive';
import { checkRenewals } from './renewal-checks';
import { isAnnualOrRoute, persistBatch, reportsFor, versionHandlings } from './persist';
import {
  decodeLockedStage,
  encodeLockedStage,
  recordedHandlings,
  resumedOutcomes,
  RedeliveryWindow,
  type LockedStage,
  type LockedStageDoc,
  type SubjectHandling,
} from './resume';
import { Outgoing } from './outgoing';
import { buildReplies, derivedUuid } from './replies';
import { convertReadModels, hasUnconvertedBuckets, updateReadModels } from './read-models';
import {
  addRequestDeliveries,
  answerDropReporter,
  checkRequestMessages,
  isRequestMessage,
  nodeDirectory,
} from './requests';
import { intakeBehindOn, startEscalation } from './request-escalation';
import { IntakeHealth, stoppedByRebalance } from './intake-health';
import { startAsks } from './asks';

export interface CoordinatorOptions {
  config: HubConfig;
  logger: Logger;
  /** Port of /healthz and /metrics; 0 for an ephemeral one, undefined for none. */
  opsPort?: number;
  /** How often to look for new countries' topics. */
  topicRefreshMs?: number;
  /** Messages stored per chunk of a fetch (default 500), each chunk committed once stored and answered. */
  chunkSize?: number;
  /** Partitions processed at once (default 3); their chunks that wait for the store lock are stored together. */
  partitionsConcurrently?: number;
  /** The intake group's session timeout (default 20 s): how long the broker waits for a silent member. */
  sessionTimeoutMs?: number;
  clock?: () => number;
  /** Consumer group of the intake (default: the coordinators' group). `hub replay` uses a fresh one. */
  groupId?: string;
  /**
   * false: rebuild only (hub replay): store and read models are written, but no receipt, alert or feed record is
   * sent again.
   */
  sideEffects?: boolean;
  /**
   * true (hub replay): each record is judged as of the time the brokers appended it, as the live coordinator judged
   * it when it came (its certificate's expiry and revocations dated after it do not undo it), and a new record's
   * retention review date counts from then. Records of topics made before 2026-12-07 carry their producer's time,
   * not the brokers': they are judged as of now, as before. Default false: as of now.
   */
  judgeAtArrival?: boolean;
  /**
   * true (hub replay --replace, which keeps the review dates): retention renewals read are not applied again.
   */
  retentionKept?: boolean;
  /**
   * Which messages this instance stores, by message type (hub replay's passes: responses after every request);
   * the others are skipped as the messages of erased records are, with nothing stored or answered. Default: all.
   */
  storesType?: (messageType: string | undefined) => boolean;
  /** Retention review: periods by category, warning lead time, how often it runs (tests shorten them). */
  retention?: Partial<RetentionPolicy>;
  /** How long an envelope from an unknown signer waits for its certificate on hub.pki before quarantine. */
  unknownSignerGraceMs?: number;
  /** How often overdue information requests are looked for and escalated (default 60 s). */
  requestCheckMs?: number;
  /** How long past its due time an information request waits to be escalated (default ESCALATION_GRACE_MS, 30 s). */
  requestGraceMs?: number;
  /** How often the information requests coordinators asked in the query API are looked for, signed and sent (ms). */
  askCheckMs?: number;
  /** How often its certificate folder is looked at for a renewed certificate (default 60 s). */
  certificateCheckMs?: number;
}

class RetryLater extends Error {}

export interface RunningCoordinator {
  opsUrl?: string;
  processed(): number;
  /** The offset after the last hub.pki record this instance has read and applied (or ignored). */
  pkiRead(): bigint;
  close(): Promise<void>;
}

export async function startCoordinator(options: CoordinatorOptions): Promise<RunningCoordinator> {
  const { config } = options;
  const logger = serviceLogger(options.logger, 'coordinator');
  const clock = options.clock ?? Date.now;
  const names = topicNames(config.namespace);
  const registry = loadSchemaRegistry();
  const regions = loadRegions();
  const pki = new PkiStore(join(config.hubHome, 'pki'));
  if (!pki.hasIdentity(HUB_ORIGIN)) {
    logger.info('no coordinator certificate yet; issuing one with the hub CA');
    pki.issue({ country: HUB_ORIGIN, agency: 'Regional coordination centre' });
  }
  const identity = pki.identity(HUB_ORIGIN);
  const trust = pki.trustStore();
  // Replaced without a restart when a renewed certificate appears in its folder (@hub/pki renewal.ts).
  const signer = renewableSigner(
    createSigner({
      privateKey: identity.privateKey,
      certificate: identity.certificatePem,
      origin: HUB_ORIGIN,
      batch: config.signatureBatch,
    }),
  );
  const ownCertificate = { fingerprint: identity.fingerprint, origin: HUB_ORIGIN };
  const verifier = createVerifier({ trust, clock });
  const judgeAt = options.judgeAtArrival ? (r: IntakeRecord) => r.appendedAt : undefined;

  const metrics = createMetricsRegistry('coordinator');
  // Its own certificate, the CA's, and each country's latest: an operator is told ahead of any of them expiring.
  const certificates = watchCertificates({
    trust,
    own: ownCertificate,
    nodes: true,
    metrics,
    logger,
  });
  const store = await connectStore({
    url: config.mongo.url,
    dbName: config.mongo.dbName,
    appName: 'coordinator',
    onCommand: storeCommandMetrics(metrics),
  });
  // A `hub replay --replace` whose swap stopped half-way left the live store half old, half rebuilt: storing in it
  // now would mix a third state in, and the next copy would lose it.
  const swap = await store
    .collection<{ _id: string; from?: string; startedAt?: Date }>(COLLECTIONS.meta)
    .findOne({ _id: 'replay-swap' });
  if (swap) {
    await store.close();
    throw new HubError(
      'REPLAY_INCOMPLETE',
      `database ${config.mongo.dbName} is half replaced: a hub replay --replace began copying ${String(swap.from)} ` +
        `into it at ${swap.startedAt?.toISOString() ?? '?'} and did not finish; run hub replay --resume-swap, ` +
        'then start the coordinator',
    );
  }
  await store.ensureIndexes();
  await backfillMessageDigests(store, logger);
  // Read-model buckets of the format before 2026-11-27 (every report inside) are converted once, under the lock. They
  // are looked for without it first, so that a start does not wait for another instance's locked stage.
  const convertedBuckets = (await hasUnconvertedBuckets(store))
    ? await withLock(store, 'read-models', () => convertReadModels(store))
    : 0;
  if (convertedBuckets)
    logger.info({ buckets: convertedBuckets }, 'read-model buckets converted: report amounts kept apart');
  const claimDigests = digestClaimsIn(store);
  const heldDigests = digestsHeldIn(store);

  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-coordinator`,
    logger,
    security: config.kafka.security,
  });
  const admin = kafka.admin();
  await admin.connect();
  const hubTopics = hubTopicConfigs(
    names,
    regions.map((r) => r.id),
    { partitions: 3, replicationFactor: config.kafka.replicationFactor },
  );
  await ensureTopics(admin, hubTopics);
  await warnOfExpiringTopics(admin, names, logger);
  try {
    if (await keepEveryPkiRecord(admin, names))
      logger.info(
        `${names.pki} was compacted; it keeps every record now (cleanup.policy=delete, retention.ms=-1)`,
      );
  } catch (err) {
    // On a secured cluster the coordinator may not alter topics (hub-admin does: hub security apply), and one
    // provisioned before 2026-12-07 may not read their configuration either: the message says which.
    logger.warn(
      { err: (err as Error).message },
      `${names.pki} not checked or not mended for compaction: as hub-admin, \`hub security apply\` does both`,
    );
  }
  try {
    // Topics made before 2026-12-07 kept their producers' times; a replay judges records by the brokers' (STAMPED).
    // Each topic gets the settings it is made with over what a read shows, so a configuration read before hub.pki's
    // mend above has reached the broker that answers cannot undo it.
    const countries = new Set((await admin.listTopics()).map((t) => names.countryOf(t)));
    const nodeTopics = [...countries]
      .filter((cc): cc is string => cc !== undefined && cc !== HUB_ORIGIN)
      .flatMap((cc) =>
        nodeTopicConfigs(names, cc, { partitions: 3, replicationFactor: config.kafka.replicationFactor }),
      );
    // hub.erasures apart: on a secured cluster the coordinator may not read its configuration (`hub security apply`
    // stamps it), and that refusal must not fail the check of the others.
    const stamped = [
      ...(await stampOnArrival(admin, [
        ...hubTopics.filter((t) => t.topic !== names.erasures),
        ...nodeTopics,
      ])),
      ...(await stampOnArrival(
        admin,
        hubTopics.filter((t) => t.topic === names.erasures),
      ).catch((err: unknown) => {
        logger.debug({ err: (err as Error).message }, `${names.erasures} not checked for the append time`);
        return [];
      })),
    ];
    if (stamped.length)
      logger.info({ topics: stamped }, 'topics set to carry the time the brokers append each record');
  } catch (err) {
    logger.warn(
      { err: (err as Error).message },
      "topics not checked or not set to carry the brokers' append time: as hub-admin, `hub security apply` does it",
    );
  }
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  const partitionCounts = PartitionCounts.fromCluster(kafka);
  // How far this instance has read hub.pki (one partition): certificates and revocations up to there apply.
  let pkiRead = 0n;
  const pkiReadGauge = new Gauge({
    name: 'hub_coordinator_pki_read_offset',
    help: 'The offset after the last hub.pki record this instance has read (certificates and revocations apply up to it)',
    registers: [metrics],
  });
  const pkiTail = await joinPki({
    kafka,
    producer,
    topic: names.pki,
    registry,
    trust,
    logger,
    signer,
    certificatePem: identity.certificatePem,
    groupPrefix: names.group('coordinator-pki'),
    onRecord: (offset) => {
      if (offset + 1n > pkiRead) pkiRead = offset + 1n;
      pkiReadGauge.set(Number(pkiRead));
    },
  });
  // A replay signs and sends nothing: it has no certificate to take up.
  const renewal =
    options.sideEffects === false
      ? undefined
      : watchForRenewal({
          pki,
          trust,
          signer,
          own: ownCertificate,
          hubPki: { producer, topic: names.pki, registry },
          batch: config.signatureBatch,
          logger,
          everyMs: options.certificateCheckMs,
        });

  const acceptedCounter = new Counter({
    name: 'hub_coordinator_accepted_total',
    help: 'Envelopes accepted',
    registers: [metrics],
  });
  const rejectedCounter = new Counter({
    name: 'hub_coordinator_rejected_total',
    help: 'Envelopes quarantined',
    labelNames: ['reason'],
    registers: [metrics],
  });
  const redrivenCounter = new Counter({
    name: 'hub_coordinator_redriven_total',
    help: 'Quarantined records taken again (hub quarantine redrive), by what came of it: accepted or rejected',
    labelNames: ['outcome'],
    registers: [metrics],
  });
  const alreadyDoneCounter = new Counter({
    name: 'hub_coordinator_messages_done_before_total',
    help: 'Messages redelivered after a restart or rebalance that were found stored and answered already, and skipped',
    registers: [metrics],
  });
  const resumedCounter = new Counter({
    name: 'hub_coordinator_messages_resumed_total',
    help:
      'Messages redelivered after a restart or rebalance whose storing had finished (intake_locked_stages) but not ' +
      'their answers: answered again without being stored again',
    registers: [metrics],
  });
  const joinCounter = new Counter({
    name: 'hub_coordinator_group_joins_total',
    help: 'Times the intake joined its consumer group (more than once per subscription: a member dropped and rejoined)',
    registers: [metrics],
  });
  const stageHistogram = new Histogram({
    name: 'hub_coordinator_chunk_stage_seconds',
    help:
      'Time a chunk of intake spent in each stage: classify (verify, replay check), lock_wait, persist, read_models ' +
      'and correlate (under the store lock, shared with the chunks stored with it), feeds (countersigning), ' +
      'receipts, send',
    labelNames: ['stage'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [metrics],
  });
  const answerDropped = answerDropReporter(logger, metrics);
  const escalatedCounter = new Counter({
    name: 'hub_coordinator_requests_escalated_total',
    help:
      'Information requests escalated because their due time passed without a response (counted where the intake ' +
      'applies the escalation record, once per request)',
    labelNames: ['urgency'],
    registers: [metrics],
  });
  const groupHistogram = new Histogram({
    name: 'hub_coordinator_locked_stage_chunks',
    help: 'Chunks stored together in one locked stage (those of other partitions that waited for the store lock)',
    buckets: [1, 2, 3, 4, 6, 8],
    registers: [metrics],
  });
  let processed = 0;
  // Read-model buckets and route-pattern keys this instance writes, held between batches (see bucket-cache.ts); a key
  // weighs a quarter of a bucket a member.
  const bucketCache = new BucketCache(
    50_000,
    (collection, doc) =>
      collection === COLLECTIONS.routeKeys ? 1 + Object.keys(doc.members ?? {}).length / 4 : 1,
    (err, collection, versions) =>
      logger.warn(
        { err, collection, versions },
        'superseded read-model versions not deleted; the next compaction tries again',
      ),
  );
  /** Each partition whose last batch failed, and why the consumer is down (a crash, a subscription that failed). */
  const intakeHealth = new IntakeHealth();

  const matchSecret = loadMatchSecret(config.hubHome, config.matchSecretHex);
  const alertCounter = new Counter({
    name: 'hub_coordinator_alerts_total',
    help: 'Cross-border alerts raised',
    registers: [metrics],
  });

  /** The subjects whose handling a chunk's answers need: those of its outcomes, and each report its alerts name. */
  const handledSubjects = (outcomes: Outcome[], alerts: AlertRecord[]): string[] => [
    ...outcomes
      .filter(
        (o): o is Accepted =>
          o.kind === 'accepted' &&
          !isAnnualOrRoute(o) &&
          // Neither goes on a feed: no report to read for them.
          !isRequestMessage(o.envelope.messageType) &&
          o.envelope.messageType !== 'RetentionRenewal',
      )
      .map((a) => a.subjectId),
    ...alerts.flatMap((al) => al.matched.map((m) => m.reportId)),
  ];
  /** The handling, as stored, of each of `ids` (from `documents`, read where needed). */
  const subjectHandlings = async (
    ids: Iterable<string>,
    documents: Map<string, StoredReport>,
  ): Promise<Map<string, SubjectHandling>> =>
    new Map(
      (await reportsFor(store, [...new Set(ids)], documents, { handling: 1, originCountry: 1 })).map((d) => [
        d._id,
        { originCountry: d.originCountry, ...d.handling } as SubjectHandling,
      ]),
    );

  /** The retractions among `outcomes`, by the report they withdraw. */
  const retractedIn = (outcomes: Outcome[]): string[] =>
    outcomes
      .filter((o): o is Accepted => o.kind === 'accepted' && o.envelope.messageType === 'SeizureRetraction')
      .map((a) => a.subjectId);
  /**
   * Countersigned records for the regional feeds, and each new alert to the feeds (whole, where every member may read
   * every report it names) and to the countries concerned (each its own copy, without the reports it may not read).
   */
  const addFeedsAndAlerts = (
    out: Outgoing,
    outcomes: Outcome[],
    alerts: AlertRecord[],
    docs: Map<string, SubjectHandling>,
  ) => {
    const accepted = outcomes.filter((o): o is Accepted => o.kind === 'accepted');
    feedMessages(accepted, alerts, out, {
      regions,
      names,
      now: clock(),
      handlingsOf: (a) => {
        // A version goes out under its own handling, whatever its report's is now (a later version's), if the
        // locked stage decided it goes out at all (feedDecisions).
        if (a.envelope.messageType !== 'SeizureRetraction') {
          const own = docs.get(feedKey(a));
          return own ? [own] : [];
        }
        // A withdrawal: wherever its report's current version and any earlier one went (the feeds each version's
        // history entry recorded, where it did).
        const prefix = `${a.subjectId}#`;
        return [...docs]
          .filter(([id]) => id === a.subjectId || id.startsWith(prefix))
          .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)) // the same feed records when a chunk is taken again
          .map(([, h]) => h);
      },
      alertHandling: (al) =>
        al.matched.flatMap((m) => {
          const h = docs.get(m.reportId);
          return h ? [h] : [];
        }),
    });
    // Each country concerned is told of an alert only the reports it may read (alertCopies: a hit/no-hit notice,
    // the others withheld and counted); each distinct copy signed once for all the countries it goes to, as feed
    // records are for their feeds (ADR 005).
    for (const alert of alerts)
      for (const copy of alertCopies(alert, (id) => docs.get(id)))
        out.sign(
          copy.to.map((cc) => names.nodeIn(cc)),
          alert.alertId,
          'CrossBorderAlert',
          copy.alert,
          derivedUuid(copy.messageSeed),
        );
  };

  const partitionOf = (records: IntakeRecord[]) => `${records[0]!.topic}|${records[0]!.partition}`;

  const hasNode = nodeDirectory(admin, names);
  const DAY = 86400000;
  const retentionPolicy: RetentionPolicy = {
    ...DEFAULT_RETENTION,
    periods: { seizure: config.retention.seizureDays * DAY, annual: config.retention.annualDays * DAY },
    warnMs: config.retention.warnDays * DAY,
    checkMs: config.retention.checkMinutes * 60000,
    ...options.retention,
  };
  const erased = new ErasedSet();
  const retentionDeps: RetentionDeps = {
    store,
    producer,
    partitions: partitionCounts,
    signer,
    registry,
    names,
    regions,
    policy: retentionPolicy,
    erased,
    matchSecret,
    logger,
    clock,
    send: options.sideEffects !== false,
  };
  // Every erasure already ordered is known before the first message is read.
  const erasuresTail = await followErasures({
    kafka,
    topic: names.erasures,
    groupId: names.group(`coordinator-erasures-${randomBytes(6).toString('hex')}`),
    registry,
    // As of when each notice came (where hub.erasures records it): an erasure ordered under a coordinator certificate
    // that has expired or been renewed since still stands, for a replay too, whose store has no erasure log.
    verify: (bytes, appendedAt) => {
      const v = verifier.verify(bytes, appendedAt === undefined ? {} : { at: appendedAt });
      if (!v.ok) return { ok: false, reason: `not verified: ${v.reason}` };
      if (v.envelope.origin !== HUB_ORIGIN || v.envelope.messageType !== 'ErasureNotice')
        return {
          ok: false,
          reason: `not an erasure notice of the coordinator (${v.envelope.origin}, ${v.envelope.messageType})`,
        };
      // A notice this version cannot read (a newer schema, written by an upgraded instance) is passed over with a
      // warning: thrown, it would stop the follower on it for good (and a starting coordinator waits for it).
      try {
        return { ok: true, value: registry.decode(v.envelope.schemaFingerprint, v.envelope.payload) };
      } catch (err) {
        return { ok: false, reason: `unreadable by this version, upgrade it: ${(err as Error).message}` };
      }
    },
    erased,
    logger,
  });
  await erased.catchUp(store);

  const unknownSince = new Map<string, number>();
  const graceMs = options.unknownSignerGraceMs ?? 15000;
  const withinGrace = (r: IntakeRecord) => {
    const key = `${r.topic}:${r.partition}:${r.offset}`;
    const since = unknownSince.get(key) ?? Date.now();
    unknownSince.set(key, since);
    if (unknownSince.size > 10000) unknownSince.clear();
    return Date.now() - since < graceMs;
  };

  /**
   * The locked stage (storing, read models, match keys), shared by the chunks waiting for it. FerretDB's updates are
   * read-then-write, and an erasure (which runs under the same lock) must never interleave with a batch of the record
   * it erases: one instance at a time stores, under the 'read-models' lock. Chunks of other partitions that arrive
   * while it is held wait here, and the next holder stores them all as one batch: each locked stage has costs that do
   * not grow with its size (the lock, the read-model journal, each touched bucket and match key rewritten once, the
   * resume records), so a backlog shares them among more reports. A partition's chunks go one after another, so the
   * chunks of one stage never hold the same subject; they are taken in the order they came, as if stored one after
   * another. Each chunk then answers, sends and commits on its own, as before.
   */
  interface WaitingChunk {
    records: IntakeRecord[];
    classified: Outcome[];
    /** Perhaps a chunk stored before and never answered (see redeliveries). */
    redelivered: boolean;
    since: number;
    resolve: (stored: LockedResult) => void;
    reject: (err: unknown) => void;
  }
  interface LockedResult {
    outcomes: Outcome[];
    alerts: AlertRecord[];
    renewalNotices: Map<string, Message[]>;
    handlings: Map<string, SubjectHandling>;
    ms: { lockWait: number; persist: number; readModels: number; correlate: number; chunks: number };
  }
  const waitingChunks: WaitingChunk[] = [];
  new Gauge({
    name: 'hub_coordinator_chunks_waiting',
    help: 'Chunks of intake classified and waiting for the store lock (the next locked stage stores them together)',
    registers: [metrics],
    collect() {
      this.set(waitingChunks.length);
    },
  });
  /**
   * Not a message of a record erased since (those are never stored or answered again), and of a type this instance
   * stores (`storesType`).
   */
  const kept = (o: Outcome) =>
    !(
      o.kind === 'accepted' &&
      erased.has(o.subjectId, o.subjectVersion) &&
      // Live, a renewal of an erased record (a renewal has no version) goes on to be refused in its receipt
      // (checkRenewals: the hub keeps no such record), not passed over unanswered.
      !(o.envelope.messageType === 'RetentionRenewal' && !options.judgeAtArrival)
    ) &&
    // A replay does not quarantine again a refused message of an erased record, filed under its id or re-driven
    // (under the re-drive's key: the record read from the payload): its content was erased with the record (live,
    // an erasure removes such entries; one refused after it is answered as usual).
    !(
      options.judgeAtArrival &&
      o.kind === 'rejected' &&
      [o.record.key, o.record.redrive ? subjectOf(o.envelope, registry) : undefined].some(
        (id) => typeof id === 'string' && erased.has(id, null),
      )
    ) &&
    (options.storesType?.(o.envelope?.messageType) ?? true);
  // At most this many messages in one locked stage (two full fetches of a partition).
  const GROUP_MAX = 2000;
  let storing = false;
  const lockedStage = (records: IntakeRecord[], classified: Outcome[], redelivered: boolean) =>
    new Promise<LockedResult>((resolve, reject) => {
      waitingChunks.push({ records, classified, redelivered, since: Date.now(), resolve, reject });
      void storeWaiting();
    });
  const storeWaiting = async () => {
    if (storing) return;
    storing = true;
    try {
      while (waitingChunks.length) {
        const group: WaitingChunk[] = [];
        try {
          await withLock(store, 'read-models', async () => {
            // Taken once the lock is ours: whatever came while it was awaited is stored with it.
            let size = 0;
            while (
              waitingChunks.length &&
              (group.length === 0 || size + waitingChunks[0]!.records.length <= GROUP_MAX)
            ) {
              const next = waitingChunks.shift()!;
              size += next.records.length;
              group.push(next);
            }
            const stored = await storeChunks(group);
            group.forEach((g, i) => g.resolve(stored[i]!));
          });
        } catch (err) {
          // Nothing of it is answered: each chunk's batch comes again (a failure to take the lock fails all waiting).
          for (const g of group.length ? group : waitingChunks.splice(0)) g.reject(err);
        }
      }
    } finally {
      storing = false;
    }
  };
  const storeChunks = async (group: WaitingChunk[]): Promise<LockedResult[]> => {
    const t0 = Date.now();
    // An erasure made by another instance (under this lock, just before) may not have reached this one's follower
    // of hub.erasures yet: its erasure log has (one small read a stage; the log is read again only when it changed).
    await erased.catchUp(store);
    // Messages of erased records are never stored again (a redelivery, a node re-sending, a replay), nor those a
    // replay pass leaves to another.
    const lives = group.map((g) => g.classified.filter(kept));
    const skipped = group.reduce((n, g, i) => n + g.classified.length - lives[i]!.length, 0);
    if (skipped)
      logger.info({ skipped }, 'messages skipped (of erased records, or left to another replay pass)');
    // Store-dependent refusals (a request's, a renewal's) are decided before anything of the batch is stored.
    const checked = await checkRenewals(
      store,
      await checkRequestMessages(store, lives.flat(), hasNode),
      erased,
    );
    const persisted = await persistBatch(store, checked, regions, clock, answerDropped);
    for (const r of persisted.escalated) escalatedCounter.inc({ urgency: r.urgency });
    // Outcomes keep the order (and number) they came in: each chunk's are its slice.
    let at = 0;
    const outcomesOf = lives.map((l) => persisted.outcomes.slice(at, (at += l.length)));
    const acceptedOf = outcomesOf.map((os) => os.filter((o): o is Accepted => o.kind === 'accepted'));
    await registerRetention(store, acceptedOf.flat(), retentionPolicy, clock(), judgeAt);
    const notices: Map<string, Message[]>[] = [];
    for (const accepted of acceptedOf)
      notices.push(
        options.retentionKept
          ? new Map()
          : await applyRenewals(
              retentionDeps,
              accepted.filter((a) => a.envelope.messageType === 'RetentionRenewal'),
            ),
      );
    const t1 = Date.now();
    await updateReadModels(store, persisted.changedReports, persisted, bucketCache);
    const t2 = Date.now();
    const alerts = await correlate(
      store,
      persisted.changedReports,
      matchSecret,
      clock(),
      persisted,
      bucketCache,
    );
    // Each alert goes out with the chunk of the first of its reports stored in this stage.
    const chunkOf = new Map<string, number>();
    acceptedOf.forEach((accepted, i) => {
      for (const a of accepted) if (!chunkOf.has(a.subjectId)) chunkOf.set(a.subjectId, i);
    });
    const alertsOf = group.map((): AlertRecord[] => []);
    for (const alert of alerts)
      alertsOf[alert.matched.map((m) => chunkOf.get(m.reportId)).find((i) => i !== undefined) ?? 0]!.push(
        alert,
      );
    // Read once for the stage; each chunk's record holds only its own subjects.
    const handled = await subjectHandlings(
      outcomesOf.flatMap((outcomes, i) => handledSubjects(outcomes, alertsOf[i]!)),
      persisted.documents,
    );
    // Every version's handling of each report withdrawn, keyed `<id>#<version>`: its withdrawal goes to every feed
    // a version went to, not only those its current version may.
    const versionsOf = new Map<string, SubjectHandling>();
    for (const [id, versions] of await versionHandlings(store, outcomesOf.flatMap(retractedIn), regions))
      for (const v of versions) if (v.handling) versionsOf.set(`${id}#${v.version}`, v.handling);
    for (const [key, h] of versionsOf) handled.set(key, h);
    const subjectsOf = outcomesOf.map((outcomes, i) => {
      const withdrawn = new Set(retractedIn(outcomes));
      return [
        ...handledSubjects(outcomes, alertsOf[i]!),
        ...[...versionsOf.keys()].filter((key) => withdrawn.has(key.slice(0, key.lastIndexOf('#')))),
      ];
    });
    const handlingsOf = subjectsOf.map(
      (ids, i) =>
        new Map([
          ...ids.flatMap((id) => (handled.has(id) ? [[id, handled.get(id)!] as const] : [])),
          ...feedDecisions(acceptedOf[i]!, persisted.feedable, group[i]!.redelivered, regions),
        ]),
    );
    // What this stage decided for each chunk, for a redelivery of it after a crash before its answers (resume.ts).
    // Not for renewals, whose notices are signed here: such a chunk is processed again in full.
    const records = group.flatMap((g, i) =>
      notices[i]!.size
        ? []
        : [
            {
              replaceOne: {
                filter: { _id: progressId(g.records[0]!.topic, g.records[0]!.partition) },
                replacement: {
                  body: encodeLockedStage(
                    Object.fromEntries(g.records.map((r) => [r.offset, digestOf(r)])),
                    outcomesOf[i]!,
                    alertsOf[i]!,
                    handlingsOf[i]!,
                  ),
                  at: new Date(),
                },
                upsert: true,
              },
            },
          ],
    );
    await bulkWriteInBatches(lockedStages, records, { ordered: false });
    const t3 = Date.now();
    groupHistogram.observe(group.length);
    return group.map((g, i) => ({
      outcomes: outcomesOf[i]!,
      alerts: alertsOf[i]!,
      renewalNotices: notices[i]!,
      handlings: handlingsOf[i]!,
      ms: {
        lockWait: t0 - g.since,
        persist: t1 - t0,
        readModels: t2 - t1,
        correlate: t3 - t2,
        chunks: group.length,
      },
    }));
  };

  /** A chunk's locked stage recorded its very bytes after their replay check: each message id claimed by itself. */
  const claimedBySelf = async (claims: { messageId: string; sha256: string }[]) =>
    new Map(claims.map((c) => [c.messageId, c.sha256]));

  /**
   * One chunk of a Kafka batch: classify, store, update read models, answer; then its offsets may move. With
   * `resumed`, what the chunk's locked stage decided before a crash (see resume.ts): the chunk is classified again
   * and answered, not stored again. Returns false, having done nothing, when the classification no longer agrees with
   * that record: the chunk is then to be processed in full.
   */
  const processChunk = async (
    records: IntakeRecord[],
    heartbeat: () => Promise<void>,
    resumed?: LockedStage,
  ): Promise<boolean> => {
    const t0 = Date.now();
    const classified = await classifyBatch(records, {
      verifier,
      registry,
      clock,
      judgeAt,
      countryOf: names.countryOf,
      // The locked stage recorded these very bytes (offset and digest) after their replay check: their message ids
      // are claimed by themselves (and one refused now for its certificate alone keeps the verdict it recorded).
      claimDigests: resumed ? claimedBySelf : claimDigests,
      heldDigests: resumed ? claimedBySelf : heldDigests,
    });
    // Records erased since are not answered (the locked stage skips them the same way).
    const resumedAs = resumed && resumedOutcomes(resumed, classified)?.filter(kept);
    if (resumed && !resumedAs) return false;
    // A new node announces its certificate on hub.pki before it publishes, but our tail of hub.pki may not have
    // applied it yet: an unknown signer is retried for a grace period before it is quarantined. (Not in a resumed
    // chunk: its refusals were decided, after their grace, before the crash.)
    const waiting = (resumedAs ? [] : classified).filter(
      (o) => o.kind === 'rejected' && o.reason === 'unknown-signer' && withinGrace(o.record),
    );
    if (waiting.length) {
      throw new RetryLater(`${waiting.length} envelope(s) from a signer not known yet; waiting for hub.pki`);
    }
    await heartbeat();
    const t1 = Date.now();
    // Not answered until its messages are sent: a failure on the way leaves the next chunk judged a redelivery.
    const { redelivered, answered } = redeliveries.begin(partitionOf(records), records.length);
    const { outcomes, alerts, renewalNotices, handlings, ms } = resumedAs
      ? {
          outcomes: resumedAs,
          alerts: resumed!.alerts,
          renewalNotices: new Map<string, Message[]>(),
          handlings: recordedHandlings(resumed!),
          ms: undefined,
        }
      : await lockedStage(records, classified, redelivered);
    if (resumedAs) resumedCounter.inc(records.length);
    const t3 = Date.now();
    await heartbeat();
    const out = new Outgoing(registry);
    const replies = buildReplies(outcomes, out, { names, clock });
    addRequestDeliveries(out, outcomes, { names, now: clock() });
    addFeedsAndAlerts(out, outcomes, alerts, handlings);
    out.addSigned(renewalNotices);
    // A replay sends nothing: its messages are not signed either.
    const byTopic = options.sideEffects === false ? new Map<string, Message[]>() : await out.byTopic(signer);
    // Both derive their _id from the message (its Kafka position; its id and status): a redelivered message
    // finds its quarantine entry and receipt stored already.
    const tFeeds = Date.now();
    await insertNew(
      store.collection<{ _id: string }>(COLLECTIONS.quarantine),
      replies.quarantined as never[],
    );
    await insertNew(store.collection<{ _id: string }>(COLLECTIONS.receipts), replies.receipts as never[]);
    await markRedriven(store, outcomes, clock());
    const tReceipts = Date.now();
    if (byTopic.size) {
      await sendAll(
        producer,
        partitionCounts,
        [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      );
    }
    answered();
    if (alerts.length) {
      await bulkWriteInBatches(
        store.collection<{ _id: string }>(COLLECTIONS.alerts),
        alerts.map((a) => ({
          updateOne: { filter: { _id: a.alertId }, update: { $set: { published: true } } },
        })),
        { ordered: false },
      );
      alertCounter.inc(alerts.length);
      logger.info(
        { alerts: alerts.map((a) => ({ id: a.alertId, rule: a.rule, countries: a.countries })) },
        'alerts',
      );
    }
    const stages = {
      classify: t1 - t0,
      lock_wait: ms?.lockWait ?? 0,
      persist: ms?.persist ?? 0,
      read_models: ms?.readModels ?? 0,
      correlate: ms?.correlate ?? 0,
      feeds: tFeeds - t3,
      receipts: tReceipts - tFeeds,
      send: Date.now() - tReceipts,
    };
    for (const [stage, ms] of Object.entries(stages))
      // A resumed chunk skipped the locked stages: they are not observed for it.
      if (!resumedAs || !['lock_wait', 'persist', 'read_models', 'correlate'].includes(stage))
        stageHistogram.observe({ stage }, ms / 1000);
    logger.debug(
      { records: records.length, resumed: Boolean(resumedAs), storedWith: ms?.chunks ?? 0, ms: stages },
      'chunk timings',
    );
    // Counted once, by the instance that stored them (a resumed chunk is in hub_coordinator_messages_resumed_total).
    // A re-drive refused again is counted by hub_coordinator_redriven_total only: its refusal was counted when it
    // came (an operator taking back a hundred entries whose signer is still unknown is no new attack).
    for (const o of resumedAs ? [] : outcomes) {
      if (o.record.redrive) redrivenCounter.inc({ outcome: o.kind });
      if (o.kind === 'accepted') acceptedCounter.inc();
      else {
        if (!o.record.redrive) rejectedCounter.inc({ reason: o.reason });
        logger.warn(
          {
            reason: o.reason,
            topic: o.record.topic,
            offset: o.record.offset,
            messageId: o.envelope?.messageId,
            ...(o.record.redrive && { redriveOf: o.record.redrive.quarantineId }),
          },
          'quarantined',
        );
      }
    }
    return true;
  };

  // Large fetches are processed in chunks, each committed once stored, with heartbeats in between, so that a
  // slow store never makes the group think this member died (which would redeliver the whole fetch). On FerretDB
  // each chunk reads and rewrites its read-model buckets and match keys with a few whole-collection reads, whatever
  // its size: larger chunks share them among more reports (on 3,000 reports, chunks of 500 held the lock 12-15 %
  // less in all than chunks of 250; a fetch holds up to 2 MB a partition, about 1,000 envelopes).
  const CHUNK = options.chunkSize ?? 500;
  /**
   * Per partition, the chunks that may be the redelivery of a chunk stored before and never answered, here or by an
   * instance that died (resume.ts): a version such a chunk claimed before goes on the feeds (feedDecisions).
   */
  const redeliveries = new RedeliveryWindow(CHUNK);
  // Per partition of the intake, the messages of the last chunk stored and answered (offset → sha256 of the bytes),
  // in `intake_progress`, one small document per group and partition: at most that chunk can be done and not yet
  // committed (a partition's chunks go one after another), and the digests keep a topic made again, or another
  // group such as a replay's, from ever matching.
  const groupId = options.groupId ?? names.group('coordinator');
  const intakeProgress = store.collection<{ _id: string; done: Record<string, string>; at: Date }>(
    COLLECTIONS.intakeProgress,
  );
  const progressId = (topic: string, partition: number) => `${groupId}|${topic}|${partition}`;
  /** Per group and partition, what the last chunk's locked stage decided (resume.ts). */
  const lockedStages = store.collection<LockedStageDoc>(COLLECTIONS.intakeLockedStages);
  const digestOf = (r: IntakeRecord) => createHash('sha256').update(r.bytes).digest('hex').slice(0, 32);
  /** Partitions whose redelivered messages this instance has passed since it last joined the group. */
  const caughtUp = new Set<string>();
  const handleBatch = async ({
    batch,
    resolveOffset,
    heartbeat,
    commitOffsetsIfNecessary,
    isRunning,
    isStale,
  }: EachBatchPayload) => {
    // The coordination node's re-drives of quarantined records are taken as those records (redrive.ts).
    const records = unwrapRedrives(
      batch.messages.map((m) => {
        const appendedAt = appendTimeOf(m);
        return {
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key?.toString('utf8') ?? null,
          bytes: m.value ?? Buffer.alloc(0),
          ...(appendedAt !== undefined && { appendedAt }),
        };
      }),
      { verifier, registry, names, judgeAt },
    );
    const partitionKey = `${batch.topic}|${batch.partition}`;
    // One store call can outlast the session (a redelivered chunk's lookups scan whole collections on FerretDB; a
    // store that hangs holds any of them, the progress reads and writes around a chunk too): heartbeats go on in the
    // background for as long as the batch is handled, or the group would drop this member, redeliver the chunk, and
    // drop it again for as long as the store stays slow. A rebalance still stops the chunk at its next stage, where
    // `heartbeat` is awaited and throws.
    const beating = setInterval(() => void heartbeat().catch(() => undefined), 1000);
    try {
      for (let i = 0; i < records.length; i += CHUNK) {
        if (!isRunning() || isStale()) return;
        let chunk = records.slice(i, i + CHUNK);
        const last = (chunk[chunk.length - 1] as IntakeRecord).offset;
        const started = Date.now();
        const count = chunk.length;
        // After a restart or a rebalance, the chunk after the committed offset may have been stored and answered
        // already (a chunk ends by recording its messages as done, then commits): those messages are skipped, not
        // processed again (which on FerretDB costs whole-collection reads). Checked until a chunk has none done.
        // A chunk whose storing finished before a crash, but not its answers, is answered from what its locked stage
        // recorded (resume.ts), without storing it again; the rest of the chunk, if any, is processed as usual.
        let resumable: IntakeRecord[] = [];
        let resumed: LockedStage | undefined;
        if (!caughtUp.has(partitionKey)) {
          const id = progressId(batch.topic, batch.partition);
          const [progress, locked] = await Promise.all([
            intakeProgress.findOne({ _id: id }),
            lockedStages.findOne({ _id: id }),
          ]);
          const done = chunk.filter((r) => progress?.done[r.offset] === digestOf(r));
          if (done.length) {
            alreadyDoneCounter.inc(done.length);
            logger.info(
              { topic: batch.topic, partition: batch.partition, skipped: done.length },
              'messages stored and answered before: skipped',
            );
            chunk = chunk.filter((r) => !done.includes(r));
          }
          resumed = locked ? decodeLockedStage(locked.body) : undefined;
          // The locked stage's chunk began where the committed offset is, as this one does: a prefix of it.
          let n = 0;
          while (
            n < chunk.length &&
            resumed?.done[(chunk[n] as IntakeRecord).offset] === digestOf(chunk[n] as IntakeRecord)
          )
            n++;
          resumable = chunk.slice(0, n);
          chunk = chunk.slice(n);
          if (done.length === 0 && resumable.length === 0) caughtUp.add(partitionKey);
        }
        const answered = [...resumable, ...chunk];
        if (resumable.length && !(await processChunk(resumable, heartbeat, resumed))) chunk = answered;
        else if (resumable.length)
          logger.info(
            { topic: batch.topic, partition: batch.partition, answered: resumable.length },
            'messages stored before a crash but not answered: answered again, not stored again',
          );
        if (chunk.length) await processChunk(chunk, heartbeat);
        logger.debug(
          {
            topic: batch.topic,
            partition: batch.partition,
            records: answered.length,
            ms: Date.now() - started,
          },
          'chunk stored',
        );
        // Only now is everything stored and answered: the chunk is recorded as done, and the offsets may move.
        if (answered.length)
          await intakeProgress.replaceOne(
            { _id: progressId(batch.topic, batch.partition) },
            { done: Object.fromEntries(answered.map((r) => [r.offset, digestOf(r)])), at: new Date() },
            { upsert: true },
          );
        resolveOffset(last);
        await heartbeat();
        // With autoCommit off, kafkajs commits only offsets given explicitly: the next one to read.
        await commitOffsetsIfNecessary({
          topics: [
            {
              topic: batch.topic,
              partitions: [{ partition: batch.partition, offset: (BigInt(last) + 1n).toString() }],
            },
          ],
        });
        processed += count;
      }
      intakeHealth.succeeded(batch.topic, batch.partition);
    } finally {
      clearInterval(beating);
    }
  };

  // kafkajs resolves a topic regex only when subscribing, so new countries' topics are picked up by re-subscribing.
  let consumer: Consumer | undefined;
  let subscribed = new Set<string>();
  const nodeTopics = async () =>
    (await admin.listTopics()).filter((t) => names.nodeOutPattern.test(t)).sort();
  let closed = false;
  let closing: Promise<void> | undefined;
  const subscribe = async (topics: string[]) => {
    if (closed) return;
    if (consumer) await disconnectForGood(consumer);
    subscribed = new Set(topics);
    if (topics.length === 0) return;
    consumer = kafka.consumer({
      groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 20000,
      heartbeatInterval: 3000,
      maxBytesPerPartition: 2 * 1024 * 1024,
      maxWaitTimeInMs: FETCH_WAIT_MS,
    });
    // Only the current consumer speaks for the intake's health: one replaced meanwhile may still crash or rejoin
    // on its way down.
    const current = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      joinCounter.inc();
      caughtUp.clear();
      // A partition may have been another member's meanwhile, whose chunk may have been stored and never answered.
      redeliveries.clear();
      // Back in its group: a crash is over (on a quiet hub no batch would come to say so), and the partitions are
      // assigned anew (the failures of one now another instance's are that instance's to report).
      if (consumer === current) intakeHealth.joined(e.payload.memberAssignment);
    });
    consumer.on(consumer.events.CRASH, (e) => {
      const why = `crashed: ${String(e.payload.error?.message ?? e.payload.error)}`;
      if (consumer === current) intakeHealth.consumerDown(why);
      logger.error({ err: why, restart: e.payload.restart }, 'intake consumer crashed');
    });
    // After an error kafkajs deems fatal it leaves the consumer down: the next topic refresh subscribes anew.
    onFatalCrash(consumer, () => {
      subscribed = new Set();
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: true });
      await runIntake(consumer);
    } catch (err) {
      // Subscribed to nothing: the next topic refresh tries again.
      subscribed = new Set();
      intakeHealth.consumerDown(`could not subscribe: ${(err as Error).message}`);
      await disconnectForGood(consumer).catch(() => undefined);
      throw err;
    }
    if (closed) await disconnectForGood(consumer);
    else logger.info({ topics }, 'intake subscribed');
  };
  const runIntake = (consumer: Consumer) =>
    consumer.run({
      eachBatchAutoResolve: false,
      autoCommit: false,
      // Partitions are taken concurrently: one partition's chunk is verified, signed and sent while another's is
      // stored (storing takes the 'read-models' lock; the chunks that waited for it are stored together).
      partitionsConsumedConcurrently: options.partitionsConcurrently ?? 3,
      eachBatch: async (payload) => {
        try {
          await handleBatch(payload);
        } catch (err) {
          // Store or broker trouble: nothing was committed, the batch comes again (its last chunk may have been
          // recorded as done: look again). Pause briefly.
          caughtUp.delete(`${payload.batch.topic}|${payload.batch.partition}`);
          if (err instanceof RetryLater) {
            logger.info({ topic: payload.batch.topic, detail: err.message }, 'batch deferred');
            await new Promise((r) => setTimeout(r, 500));
            throw err;
          }
          const { topic, partition } = payload.batch;
          // A rebalance stops the batch where it stands (its heartbeat or commit throws): nothing failed, and the
          // partition may be another instance's from now on.
          if (stoppedByRebalance(err, payload)) {
            logger.info(
              { detail: (err as Error).message, topic, partition },
              'batch stopped by a rebalance; read again by whoever takes the partition',
            );
            throw err;
          }
          intakeHealth.failed(topic, partition, (err as Error).message);
          logger.error({ err: (err as Error).message, topic, partition }, 'batch failed; will retry');
          await new Promise((r) => setTimeout(r, 1000));
          throw err;
        }
      },
    });
  await subscribe(await nodeTopics());
  // A replay reviews nothing: it sends nothing, so an erasure or a warning made in it would be told to no one (with
  // --replace, in the live store); the erasures it rebuilds are those of hub.erasures.
  const retention =
    options.sideEffects === false
      ? { stop: async () => undefined }
      : // A record fallen due is not erased while a renewal sent in time may wait unread in its originator's topic.
        startRetention({ ...retentionDeps, intakeBehind: intakeBehindOn(admin, groupId, names) });
  let refreshing = false;
  const escalation = startEscalation({
    store,
    producer,
    signer,
    registry,
    names,
    clock,
    logger,
    intervalMs: options.requestCheckMs,
    graceMs: options.requestGraceMs,
    // Not while an answer given in time may wait unread in the addressee's topic (a backlog, a start-up).
    intakeBehind: intakeBehindOn(admin, groupId, names),
    send: options.sideEffects !== false,
  });
  const asks = startAsks({
    store,
    producer,
    signer,
    registry,
    names,
    regions: new Set(regions.map((r) => r.id)),
    hasNode,
    clock,
    logger,
    intervalMs: options.askCheckMs,
    send: options.sideEffects !== false,
  });
  const refresh = setInterval(async () => {
    if (refreshing) return;
    refreshing = true;
    try {
      const topics = await nodeTopics();
      if (topics.some((t) => !subscribed.has(t))) await subscribe(topics);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'topic refresh failed');
    } finally {
      refreshing = false;
    }
  }, options.topicRefreshMs ?? 5000);

  let ops: Server | undefined;
  if (options.opsPort !== undefined) {
    ops = await startOpsServer(
      options.opsPort,
      metrics,
      [
        { name: 'store', check: async () => ({ ok: await store.ping() }) },
        certificates.health,
        {
          name: 'intake',
          check: async () => {
            const { ok, detail } = intakeHealth.state();
            return { ok, detail: detail ?? { topics: [...subscribed], processed } };
          },
        },
      ],
      '0.0.0.0',
    );
  }
  logger.info('coordinator ready');
  return {
    opsUrl: ops ? `http://127.0.0.1:${(ops.address() as { port: number }).port}` : undefined,
    processed: () => processed,
    pkiRead: () => pkiRead,
    // Once: a second call (a second SIGTERM, a test's clean-up) waits for the first.
    close: () => (closing ??= shutDown()),
  };

  async function shutDown(): Promise<void> {
    closed = true;
    certificates.close();
    await renewal?.close();
    clearInterval(refresh);
    await escalation.stop();
    await asks.stop();
    await retention.stop();
    // Together: each waits for its fetch in flight; the intake's also for the batch it is storing.
    await Promise.all([
      erasuresTail.stop().catch(() => undefined),
      consumer && disconnectForGood(consumer).catch(() => undefined),
      pkiTail.stop().catch(() => undefined),
    ]);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    // A compaction under way finishes first (else it is found again at the next start).
    await bucketCache.settled();
    await store.close().catch(() => undefined);
    if (ops) await new Promise<void>((r) => ops?.close(() => r()));
  }
}

/**
 * A topic made before the hub set retention.ms on its topics, on brokers that delete records after a time (their
 * default is 7 days), loses what the store is rebuilt from: said at start, with the command that keeps them. Not
 * changed here: on a secured cluster that needs the right to alter topic configs, which services do not hold (reading
 * them is granted: DescribeConfigs; hub.pki alone is mended where the coordinator may, keepEveryPkiRecord). A check
 * that cannot look says so.
 */
async function warnOfExpiringTopics(
  admin: Parameters<typeof expiringTopics>[0],
  names: ReturnType<typeof topicNames>,
  logger: Logger,
): Promise<void> {
  try {
    const ours = (await admin.listTopics()).filter(
      (t) =>
        t.startsWith(names.nodeTopicPrefix) ||
        t.startsWith(names.feedPrefix) ||
        t === names.hubOut ||
        t === names.quarantine ||
        t === names.pki,
    );
    for (const { topic, retentionMs } of await expiringTopics(admin, ours))
      logger.warn(
        { topic, retentionMs },
        `topic ${topic} keeps its records ${Math.round(retentionMs / 3_600_000)} h only: once they are gone, hub replay cannot rebuild the store from it and a node away that long misses its messages; keep them: kafka-configs.sh --alter --entity-type topics --entity-name ${topic} --add-config retention.ms=-1`,
      );
  } catch (err) {
    // On a secured cluster the coordinator needs DescribeConfigs on those topics (hub security apply grants it).
    logger.warn({ err: (err as Error).message }, 'topic retention not checked');
  }
}
