// Deadlines of information requests: a periodic check finds open requests past their due time, sends the requester
// an escalation notice, marks them `escalated` (what coordinators see in the query API), logs and counts them.
import type { Signer } from '@hub/envelope';
import type { Producer, TopicNames } from '@hub/kafka';
import { Counter, type Logger, type Registry } from '@hub/observability';
import type { SchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, type Store, type StoredRequest } from '@hub/store';
import { derivedUuid } from './replies';
import { signedNotice } from './requests';

export const DEFAULT_REQUEST_CHECK_MS = 60000;
const BATCH = 500;

export interface EscalationOptions {
  store: Store;
  producer: Pick<Producer, 'send'>;
  signer: Signer;
  registry: SchemaRegistry;
  names: TopicNames;
  clock: () => number;
  logger: Logger;
  metrics: Registry;
  intervalMs?: number;
  /** false (hub replay): mark in the store, send nothing. */
  send?: boolean;
}

export interface Escalation {
  /** One check now; resolves to the number of requests escalated. */
  check(): Promise<number>;
  stop(): Promise<void>;
}

export function startEscalation(options: EscalationOptions): Escalation {
  const { store, names, clock, logger } = options;
  const escalated = new Counter({
    name: 'hub_coordinator_requests_escalated_total',
    help: 'Information requests escalated because their due time passed without a response',
    labelNames: ['urgency'],
    registers: [options.metrics],
  });
  const requests = store.collection<StoredRequest>(COLLECTIONS.requests);

  const escalate = async (r: StoredRequest, now: number): Promise<boolean> => {
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
    if (options.send !== false && /^[A-Z]{2}$/.test(r.requester))
      await options.producer.send({
        topic: names.nodeIn(r.requester),
        acks: -1,
        messages: [{ key: r.requestId, value: signedNotice(notice, options) }],
      });
    // Marked after the notice is out: a crash in between sends it again (same id), never loses it. A response
    // that arrived meanwhile wins: only a still-open request becomes escalated.
    const { modifiedCount } = await requests.updateOne(
      { _id: r._id, status: 'open' },
      { $set: { status: 'escalated', escalatedAt: new Date(now) } },
    );
    if (modifiedCount !== 1) return false;
    escalated.inc({ urgency: r.urgency });
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
    return true;
  };

  const check = async (): Promise<number> => {
    const now = clock();
    const overdue = await requests
      .find({ status: 'open', dueAt: { $lt: new Date(now) } }, { sort: { dueAt: 1 }, limit: BATCH })
      .toArray();
    let count = 0;
    for (const r of overdue) {
      try {
        if (await escalate(r, now)) count++;
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

  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    if (running) return;
    running = check()
      .catch((err) => logger.warn({ err: (err as Error).message }, 'request deadline check failed'))
      .finally(() => (running = undefined));
  }, options.intervalMs ?? DEFAULT_REQUEST_CHECK_MS);

  return {
    check,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
