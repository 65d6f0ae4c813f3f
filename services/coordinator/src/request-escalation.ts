// Deadlines of information requests: a periodic check finds open requests past their due time, sends the requester
// an escalation notice and records the escalation on the coordination node's own topic (hub.node.HUB.out), from
// where the intake marks them `escalated` (what coordinators see in the query API) as `hub replay` does, and counts
// them; logs them.
import type { Signer } from '@hub/envelope';
import type { Producer, TopicNames } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import type { SchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, findSorted, type Store, type StoredRequest } from '@hub/store';
import { derivedUuid } from './replies';
import { signedNotice } from './requests';
import { periodic } from './periodic';

export const DEFAULT_REQUEST_CHECK_MS = 60000;
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
      { status: 'open', dueAt: { $lt: new Date(now) } },
      { sort: { dueAt: 1 }, limit: BATCH },
    );
    const open = new Set(overdue.map((r) => r.requestId));
    for (const id of recorded.keys()) if (!open.has(id)) recorded.delete(id);
    let count = 0;
    for (const r of overdue) {
      if (recorded.has(r.requestId)) continue;
      try {
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
