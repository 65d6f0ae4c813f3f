// Deadlines of information requests: a periodic check finds open requests past their due time (and a grace), whose
// addressee's answers appended by then the intake has all stored, sends the requester an escalation notice and
// records the escalation on the coordination node's own topic (hub.node.HUB.out), from where the intake marks them
// `escalated` (what coordinators see in the query API) as `hub replay` does, and counts them; logs them.
import type { Signer } from '@hub/envelope';
import type { Admin, Producer, TopicNames } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import type { SchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, findSorted, type Store, type StoredRequest } from '@hub/store';
import { derivedUuid } from './replies';
import { signedNotice } from './requests';
import { periodic } from './periodic';

export const DEFAULT_REQUEST_CHECK_MS = 60000;
/**
 * How long after its due time an open request waits before it is escalated: an answer the brokers appended just
 * before the due time is stored within seconds when the intake keeps up (a backlog is waited for apart:
 * intakeBehindOn). A constant: no setting of the config module covers it (tests shorten it through the coordinator's
 * options, as the check's interval).
 */
export const ESCALATION_GRACE_MS = 30000;
const RECORD_AGAIN_MS = 10 * 60000;
const BATCH = 500;

export interface EscalationOptions {
  store: Store;
  producer: Pick<Producer, 'send'>;
  signer: Signer;
  registry: SchemaRegistry;
  names: TopicNames;
  clock: () => number;
  logger: Logger;
  intervalMs?: number;
  /** How long past its due time a request waits to be escalated (default ESCALATION_GRACE_MS). */
  graceMs?: number;
  /**
   * Whether the intake may not have stored yet every message the brokers appended to `addressee`'s topic by `dueAt`
   * (an answer among them): the request waits for the next check. Absent: not asked (the grace alone). Each check
   * hands in a `reads` of its own, where it may keep what does not depend on the due time (intakeBehindOn).
   */
  intakeBehind?: (addressee: string, dueAt: number, reads?: TopicReads) => Promise<boolean>;
  /** false (hub replay): send nothing, so escalate nothing (the replay rebuilds the escalations from their records). */
  send?: boolean;
}

export interface Escalation {
  /** One check now; resolves to the number of escalations recorded (the intake marks the requests). */
  check(): Promise<number>;
  stop(): Promise<void>;
}

export function startEscalation(options: EscalationOptions): Escalation {
  const { store, names, clock, logger } = options;
  const requests = store.collection<StoredRequest>(COLLECTIONS.requests);
  // Escalations this process recorded, by request id, until the intake has applied them: not recorded again by the
  // next checks meanwhile, unless it takes longer than RECORD_AGAIN_MS (the record was lost, or the intake is far
  // behind).
  const recorded = new Map<string, number>();

  const escalate = async (r: StoredRequest, now: number): Promise<void> => {
    const dueAt = new Date(r.dueAt).getTime();
    // The notice id derives from the request: a check repeated after a crash, or by a second coordinator, sends
    // the same notice, which the node keeps once.
    const notice = {
      noticeId: derivedUuid(`request-escalation:${r.requestId}`),
      kind: 'escalation',
      requestId: r.requestId,
      requester: r.requester,
      addressee: r.addressee,
      dueAt,
      originalEnvelope: null,
      reason: `no response from ${r.addressee} by the due time ${new Date(dueAt).toISOString()} (${r.urgency})`,
      issuedAt: now,
    };
    if (/^[A-Z]{2}$/.test(r.requester))
      await options.producer.send({
        topic: names.nodeIn(r.requester),
        acks: -1,
        messages: [{ key: r.requestId, value: signedNotice(notice, options) }],
      });
    // The record of the act, from which the intake marks the request escalated, as a replay of the topics does: the
    // store follows the topics. Each check writes a record of its own (its own message id); should a check repeat
    // one before the intake applied it (a crash, a backlog), the first record in the topic counts.
    await options.producer.send({
      topic: names.hubOut,
      acks: -1,
      messages: [
        {
          key: r.requestId,
          value: signedNotice(notice, options, derivedUuid(`request-escalation:${r.requestId}:${now}`)),
        },
      ],
    });
    logger.warn(
      {
        requestId: r.requestId,
        requester: r.requester,
        addressee: r.addressee,
        urgency: r.urgency,
        dueAt: new Date(dueAt).toISOString(),
        overdueSeconds: Math.round((now - dueAt) / 1000),
      },
      'information request overdue: escalated',
    );
  };

  const check = async (): Promise<number> => {
    // A replay's coordinator escalates nothing: it rebuilds the escalations from their records.
    if (options.send === false) return 0;
    const now = clock();
    for (const [id, at] of recorded) if (at < now - RECORD_AGAIN_MS) recorded.delete(id);
    // Sorted here on FerretDB (findSorted): FerretDB would hold every overdue request to sort them.
    const overdue = await findSorted(
      store.engine,
      requests,
      { status: 'open', dueAt: { $lt: new Date(now - (options.graceMs ?? ESCALATION_GRACE_MS)) } },
      { sort: { dueAt: 1 }, limit: BATCH },
    );
    const open = new Set(overdue.map((r) => r.requestId));
    for (const id of recorded.keys()) if (!open.has(id)) recorded.delete(id);
    let count = 0;
    // Addressees whose topic the intake has not read up to a due time: their requests due later wait too.
    const behind = new Set<string>();
    // How far the intake has read each addressee's topic, asked once in this check whatever its overdue requests.
    const reads: TopicReads = new Map();
    for (const r of overdue) {
      if (recorded.has(r.requestId) || behind.has(r.addressee)) continue;
      try {
        if (await options.intakeBehind?.(r.addressee, new Date(r.dueAt).getTime(), reads)) {
          behind.add(r.addressee);
          logger.info(
            { requestId: r.requestId, addressee: r.addressee, dueAt: new Date(r.dueAt).toISOString() },
            "request overdue, not escalated yet: the intake has not stored all the addressee's messages of before its due time",
          );
          continue;
        }
      } catch (err) {
        // Not known whether an answer waits: the next check asks again.
        behind.add(r.addressee);
        logger.warn(
          { requestId: r.requestId, addressee: r.addressee, err: (err as Error).message },
          "could not tell how far the intake has read the addressee's topic; escalation deferred",
        );
        continue;
      }
      try {
        // Read again: the overdue requests were read before the intake's offsets were, and an answer given in time
        // that it stored and committed meanwhile is stored now (the group commits a record only once stored).
        const still = await requests.findOne(
          { _id: r._id, status: 'open' },
          { projection: { _id: 1, escalatedAt: 1 } },
        );
        if (!still || still.escalatedAt) {
          logger.info(
            { requestId: r.requestId, addressee: r.addressee },
            'request overdue when read, answered (or escalated) since: not escalated',
          );
          continue;
        }
        await escalate(r, now);
        recorded.set(r.requestId, now);
        count++;
      } catch (err) {
        // Left open: the next check tries again.
        logger.error(
          { requestId: r.requestId, err: (err as Error).message },
          'escalation failed; will retry',
        );
      }
    }
    return count;
  };

  const stop = periodic(check, options.intervalMs ?? DEFAULT_REQUEST_CHECK_MS, (err) =>
    logger.warn({ err: err.message }, 'request deadline check failed'),
  );

  return { check, stop };
}

/** Where the intake stands in a topic: per partition, its first record and the group's committed offset. */
interface TopicRead {
  first: Map<number, bigint>;
  committed: Map<number, bigint>;
}

/**
 * What a deadline check learnt of the addressees' topics (intakeBehindOn), by topic: asked once per check, however
 * many of an addressee's requests are overdue. Read a little earlier, an offset is lower: the request waits, never
 * the other way round.
 */
export type TopicReads = Map<string, Promise<TopicRead>>;

/**
 * Whether the coordinator's consumer group (`groupId`) has not yet read and committed, on `addressee`'s topic
 * (hub.node.XX.out), every record the brokers appended by `dueAt`: the group commits a record only once stored, so an
 * answer given in time is stored when this says false. A partition never committed counts from its first record.
 * What does not depend on the due time (the committed offsets, the partitions' first records) is asked once per
 * `reads` (a check's).
 */
export function intakeBehindOn(
  admin: Pick<Admin, 'fetchOffsets' | 'fetchTopicOffsets' | 'fetchTopicOffsetsByTimestamp'>,
  groupId: string,
  names: Pick<TopicNames, 'nodeOut'>,
): (addressee: string, dueAt: number, reads?: TopicReads) => Promise<boolean> {
  const readOf = async (topic: string): Promise<TopicRead> => {
    const [committed, ends] = await Promise.all([
      admin.fetchOffsets({ groupId, topics: [topic] }),
      admin.fetchTopicOffsets(topic),
    ]);
    return {
      first: new Map(ends.map((p) => [p.partition, BigInt(p.low)])),
      committed: new Map(
        (committed.find((c) => c.topic === topic)?.partitions ?? []).map((p) => [
          p.partition,
          BigInt(p.offset),
        ]),
      ),
    };
  };
  return async (addressee, dueAt, reads = new Map()) => {
    if (!/^[A-Z]{2}$/.test(addressee)) return false;
    const topic = names.nodeOut(addressee);
    let read = reads.get(topic);
    if (!read) reads.set(topic, (read = readOf(topic)));
    const [{ first, committed }, after] = await Promise.all([
      read,
      // The first record appended after the due time (the end of the partition when none is).
      admin.fetchTopicOffsetsByTimestamp(topic, dueAt + 1),
    ]);
    return after.some((p) => {
      const start = first.get(p.partition) ?? 0n;
      const at = committed.get(p.partition) ?? -1n;
      return (at < start ? start : at) < BigInt(p.offset);
    });
  };
}
