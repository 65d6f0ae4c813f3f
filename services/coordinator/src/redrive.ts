// Taking quarantined records again, once what refused them is mended: a signer's certificate announced after its
// grace ran out, the hub's schemas or content rules updated, a sender's clock set right. The coordinator's operator
// asks for it (`hub quarantine redrive`): each quarantine entry's original bytes are wrapped, unchanged, in a
// QuarantineRedrive signed by the coordination node and written to its own topic (hub.node.HUB.out), so that the
// request is as durable, ordered and replayable as any message. The intake verifies the wrapper as the coordination
// node's and then takes the bytes as if read again where they were first read: every check as before, the sender's
// country from that topic (only its node may write there), the receipt to that node, the archive naming that
// position. Refused again, they are quarantined again (an entry of their own, naming the one re-driven). Either
// way the entry re-driven is marked with what came of it.
import { createHash, randomUUID } from 'node:crypto';
import type { HubConfig } from '@hub/config';
import {
  CARRIER_MAX_BYTES,
  decodeEnvelope,
  HUB_ORIGIN,
  REJECT_REASONS,
  type Signer,
  type Verifier,
} from '@hub/envelope';
import { HubError } from '@hub/errors';
import { createKafka, topicNames, type TopicNames } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import { loadSchemaRegistry, type SchemaRegistry } from '@hub/schemas';
import {
  bulkWriteInBatches,
  COLLECTIONS,
  connectStore,
  neverRedrivable,
  redriveTarget,
  withRedriven,
  type RedriveMark,
  type Store,
  type StoredQuarantine,
} from '@hub/store';
import { hubSignerFromFiles, sendOnHubTopic } from './hub-topic';
import { subjectOf } from './intake';
import type { IntakeRecord, Outcome } from './outcome';

export const REDRIVE_TYPE = 'QuarantineRedrive';

interface RedriveValue {
  redriveId: string;
  quarantineId: string;
  topic: string;
  partition: number;
  offset: string;
  originalBytes: Buffer;
  reasonCode: string;
  requestedBy: string;
  requestedAt: number;
}

/**
 * The intake's records with every QuarantineRedrive of the coordination node unwrapped: the original bytes, read
 * from where they were first read (`readFrom`). What does not verify as the coordination node's re-drive of a node
 * topic's record is left as it is, for the intake to refuse with its reason.
 */
export function unwrapRedrives(
  records: IntakeRecord[],
  deps: {
    verifier: Verifier;
    registry: SchemaRegistry;
    names: TopicNames;
    /** As the intake's (IntakeDeps.judgeAt): the time to judge the re-drive as of, when not now. */
    judgeAt?: (record: IntakeRecord) => number | undefined;
  },
): IntakeRecord[] {
  return records.map((record) => {
    if (record.topic !== deps.names.hubOut) return record;
    // The header says what it is: the coordination node's requests and escalations are verified once, by the intake.
    // A re-drive carries a record whole, which may be as large as any envelope: it may be larger by its own fields.
    const decoded = decodeEnvelope(record.bytes, CARRIER_MAX_BYTES);
    if (!decoded.ok || decoded.envelope.messageType !== REDRIVE_TYPE) return record;
    const at = deps.judgeAt?.(record);
    const result = deps.verifier.verify(decoded.envelope, {
      expectedCountry: HUB_ORIGIN,
      ...(at !== undefined && { at }),
    });
    if (!result.ok) return record;
    let value: RedriveValue;
    try {
      value = deps.registry.decode(
        result.envelope.schemaFingerprint,
        result.envelope.payload,
        undefined,
        CARRIER_MAX_BYTES,
      ) as unknown as RedriveValue;
    } catch {
      return record;
    }
    if (!deps.names.nodeOutPattern.test(value.topic)) return record;
    const bytes = Buffer.from(value.originalBytes);
    return {
      ...record,
      bytes,
      key: redrivenSubject(bytes, deps.registry),
      readFrom: { topic: value.topic, partition: value.partition, offset: value.offset },
      redrive: {
        redriveId: value.redriveId,
        quarantineId: value.quarantineId,
        requestedBy: value.requestedBy,
        requestedAt: Number(value.requestedAt),
      },
    };
  });
}

/**
 * The key a re-driven record is taken under, as its node would have keyed it: its subject's id, read from its payload
 * (null where none can be read). A re-drive carries no Kafka key of the record, and its own (redriveKey) names no
 * record: a refusal answered under it would be shown against no record at the node, and an erasure would not find its
 * quarantine entry by it. Read before the envelope is verified, as a key is taken unverified: only the node of the
 * topic the bytes were first read from could have written either, and the subject only names which of its records
 * the answer is about.
 */
function redrivenSubject(bytes: Buffer, registry: SchemaRegistry): string | null {
  const decoded = decodeEnvelope(bytes);
  return (decoded.ok && subjectOf(decoded.envelope, registry)) || null;
}

/** Mark each re-driven entry with what came of it (idempotent: a redelivered chunk marks it the same way). */
export async function markRedriven(store: Store, outcomes: Outcome[], now: number): Promise<void> {
  const marks = outcomes.flatMap((o) => {
    const r = o.record.redrive;
    if (!r) return [];
    const mark: RedriveMark = {
      redriveId: r.redriveId,
      requestedBy: r.requestedBy,
      requestedAt: r.requestedAt,
      outcome: o.kind,
      ...(o.kind === 'rejected' && { reason: o.reason, detail: o.detail.slice(0, 2000) }),
      at: now,
    };
    return [{ updateOne: { filter: { _id: r.quarantineId }, update: { $set: { redrive: mark } } } }];
  });
  if (marks.length)
    await bulkWriteInBatches(store.collection<StoredQuarantine>(COLLECTIONS.quarantine), marks, {
      ordered: false,
    });
}

/** The Kafka key of an entry's re-drives: they stay in order on one partition. */
export const redriveKey = (quarantineId: string) => createHash('sha256').update(quarantineId).digest('hex');

/** A re-drive of one quarantine entry, signed by the coordination node. */
export async function signRedrive(
  entry: StoredQuarantine,
  deps: { registry: SchemaRegistry; signer: Signer; requestedBy: string; now: number; redriveId?: string },
): Promise<{ redriveId: string; bytes: Buffer }> {
  const value: RedriveValue = {
    redriveId: deps.redriveId ?? randomUUID(),
    quarantineId: entry._id,
    topic: entry.topic,
    partition: entry.partition,
    offset: String(entry.offset),
    originalBytes: Buffer.from(entry.originalBytes),
    reasonCode: entry.reasonCode,
    requestedBy: deps.requestedBy,
    requestedAt: deps.now,
  };
  const { payload, fingerprint } = deps.registry.encode(REDRIVE_TYPE, value as never);
  const signed = await deps.signer.signEncodedAsync({
    messageType: REDRIVE_TYPE,
    schemaFingerprint: fingerprint,
    payload,
  });
  return { redriveId: value.redriveId, bytes: signed.bytes };
}

export interface RedriveOptions {
  config: HubConfig;
  logger: Logger;
  /** Quarantine entries by id; or, without ids, those matching the filters. */
  ids?: string[];
  reason?: string;
  /** The country whose node's topic they were read from. */
  country?: string;
  /** Quarantined at or after this time (ms). */
  since?: number;
  /** Also entries whose last re-drive was accepted (taken again as a redelivery: nothing changes). */
  again?: boolean;
  /** List what would be re-driven, send nothing. */
  dryRun?: boolean;
  /** List every entry the filters match as it is (re-driven or not, refused re-drives too), send nothing. */
  listOnly?: boolean;
  requestedBy: string;
  /** How long to wait for the intake to have taken them (0: do not wait). */
  waitMs?: number;
  clock?: () => number;
}

export interface RedriveResult {
  entry: Pick<
    StoredQuarantine,
    '_id' | 'topic' | 'reasonCode' | 'messageId' | 'origin' | 'redriveOf' | 'redrive' | 'quarantinedAt'
  >;
  redriveId?: string;
  /** What came of it, when waited for and known in time. */
  outcome?: RedriveMark;
}

const MAX_REDRIVE = 10_000;

/** The most entries a list gives (`hub quarantine list`); it reads one more, to know that more match. */
export const MAX_LISTED = MAX_REDRIVE;

/**
 * The entries of a list to give (`found`: as selectQuarantined read them in list mode, oldest first, up to one more
 * than MAX_LISTED), and, when more match than that, what to say: how many at least, and how to narrow them or go on.
 */
export function listed<T extends { entry: { quarantinedAt: number } }>(
  found: T[],
): { entries: T[]; more?: string } {
  if (found.length <= MAX_LISTED) return { entries: found };
  const entries = found.slice(0, MAX_LISTED);
  const last = new Date(entries[entries.length - 1]!.entry.quarantinedAt).toISOString();
  return {
    entries,
    more:
      `more than ${MAX_LISTED} entries match (at least ${found.length}): only the oldest ${MAX_LISTED} were listed; ` +
      `narrow them with --reason, --country or --since (the next ones: --since ${last}, which lists from the last one ` +
      'given on)',
  };
}

/** The entries the options name, as they are to be re-driven (re-driven ones refused again are not listed). */
export async function selectQuarantined(
  store: Store,
  names: TopicNames,
  options: Pick<RedriveOptions, 'ids' | 'reason' | 'country' | 'since' | 'again' | 'listOnly'>,
): Promise<StoredQuarantine[]> {
  const quarantine = store.collection<StoredQuarantine>(COLLECTIONS.quarantine);
  if (options.reason !== undefined && !(REJECT_REASONS as readonly string[]).includes(options.reason))
    throw new HubError('USAGE', `--reason ${options.reason} is not one of ${REJECT_REASONS.join(', ')}`);
  if (options.country !== undefined && !/^[A-Z]{2}$/.test(options.country))
    throw new HubError('USAGE', `--country ${options.country} is not an ISO 3166-1 alpha-2 code`);
  const entries = options.ids?.length
    ? await quarantine.find({ _id: { $in: options.ids } }).toArray()
    : await quarantine
        .find({
          ...(options.reason !== undefined && { reasonCode: options.reason }),
          ...(options.country !== undefined && { topic: names.nodeOut(options.country) }),
          ...(options.since !== undefined && { quarantinedAt: { $gte: options.since } }),
        })
        .sort({ quarantinedAt: 1 })
        .limit(MAX_REDRIVE + 1)
        .project<StoredQuarantine>(options.listOnly ? { originalBytes: 0 } : {})
        .toArray();
  // Listed as found, up to one more than MAX_LISTED: `listed` says when more match than are given.
  if (options.listOnly) return entries;
  if (options.ids?.length) {
    const found = new Set(entries.map((e) => e._id));
    const missing = options.ids.filter((id) => !found.has(id));
    if (missing.length)
      throw new HubError(
        'NOT_FOUND',
        `no quarantine entry ${missing.join(', ')} (ids as GET /v1/quarantine gives)`,
      );
  }
  if (entries.length > MAX_REDRIVE)
    throw new HubError(
      'USAGE',
      `more than ${MAX_REDRIVE} entries match: narrow them with --reason, --country or --since`,
    );
  // A re-drive refused again is an entry of its own, naming the one re-driven: that one is taken again.
  const byId = await withRedriven(quarantine, entries);
  const chosen = new Map<string, StoredQuarantine>();
  const never: string[] = [];
  for (const e of entries) {
    const target = redriveTarget(byId, e);
    const why = target && neverRedrivable(target);
    if (why) never.push(`${target._id} ${why}`);
    else if (target && (options.again || target.redrive?.outcome !== 'accepted'))
      chosen.set(target._id, target);
  }
  // Named by id, each must be taken; matched by filters, such records are left out (the list shows them).
  if (options.ids?.length && never.length) throw new HubError('USAGE', never.join('; '));
  return [...chosen.values()];
}

/** `hub quarantine redrive`: sign a re-drive of each selected entry and write it to the coordination node's topic. */
export async function redriveQuarantined(options: RedriveOptions): Promise<RedriveResult[]> {
  const { config } = options;
  const clock = options.clock ?? Date.now;
  const names = topicNames(config.namespace);
  const store = await connectStore({
    url: config.mongo.url,
    dbName: config.mongo.dbName,
    appName: 'hub-redrive',
  });
  try {
    const entries = await selectQuarantined(store, names, options);
    const view = ({ originalBytes: _bytes, ...e }: StoredQuarantine): RedriveResult['entry'] => e;
    if (options.dryRun || options.listOnly || entries.length === 0)
      return entries.map((e) => ({ entry: view(e) }));

    const signer = hubSignerFromFiles(config.hubHome);
    const registry = loadSchemaRegistry();
    const results: RedriveResult[] = [];
    const messages: { key: string; value: Buffer }[] = [];
    for (const e of entries) {
      const signed = await signRedrive(e, {
        registry,
        signer,
        requestedBy: options.requestedBy,
        now: clock(),
      });
      results.push({ entry: view(e), redriveId: signed.redriveId });
      messages.push({ key: redriveKey(e._id), value: signed.bytes });
    }
    const kafka = createKafka({
      brokers: config.kafka.brokers,
      clientId: `${config.kafka.clientId}-redrive`,
      logger: options.logger,
      security: config.kafka.security,
    });
    await sendOnHubTopic(kafka, names, messages);
    options.logger.info(
      { entries: results.length, requestedBy: options.requestedBy },
      'quarantined records sent to be taken again',
    );

    const waitMs = options.waitMs ?? 0;
    const quarantine = store.collection<StoredQuarantine>(COLLECTIONS.quarantine);
    const deadline = Date.now() + waitMs;
    while (waitMs > 0 && Date.now() < deadline) {
      const byId = new Map(
        (
          await quarantine
            .find({ _id: { $in: results.map((r) => r.entry._id) } }, { projection: { redrive: 1 } })
            .toArray()
        ).map((d) => [d._id, d.redrive]),
      );
      for (const r of results) {
        const mark = byId.get(r.entry._id);
        if (mark?.redriveId === r.redriveId) r.outcome = mark;
      }
      if (results.every((r) => r.outcome)) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return results;
  } finally {
    await store.close();
  }
}
