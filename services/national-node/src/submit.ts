// One submission path for every adapter: validate → encode (Avro) → sign → durable outbox → publisher.
import type { Signer } from '@hub/envelope';
import type { Response } from 'express';
import type { HubError } from '@hub/errors';
import { Counter, type Logger, type Registry } from '@hub/observability';
import type { SchemaRegistry } from '@hub/schemas';
import type { OutboxLog, RecordExtras } from './outbox/log';
import type { Publisher } from './outbox/publisher';

export interface Submitter {
  /**
   * Sign `value` as `messageType` and make it durable; resolves once it is in the outbox. `extras`: the digest of
   * the agency's body it was made from and what the node normalised in it, kept with it so that the same body re-sent
   * is known, and the receipt's notes given, after a crash.
   */
  submit(
    messageType: string,
    key: string,
    value: unknown,
    extras?: RecordExtras,
  ): Promise<{ messageId: string }>;
}

/**
 * The submitter of the request `res` answers: the app's own for it (createApp puts it in res.locals: it notes what the
 * request queued, for an answer to a failure after it), else `fallback`.
 */
export function submitterOf(res: Pick<Response, 'locals'>, fallback: Submitter): Submitter {
  return (res.locals.submitter as Submitter | undefined) ?? fallback;
}

export function createSubmitter(deps: {
  registry: SchemaRegistry;
  signer: Signer;
  log: OutboxLog;
  publisher: Publisher;
  /** Why nothing may be signed now (the node's certificate expired or was revoked), or undefined. */
  mayNotSign?: () => HubError | undefined;
}): Submitter {
  return {
    async submit(messageType, key, value, extras) {
      const refusal = deps.mayNotSign?.();
      if (refusal) throw refusal;
      const { payload, fingerprint } = deps.registry.encode(messageType, value);
      // Signed on libuv's thread pool: the event loop goes on serving other requests (and the outbox's writes)
      // meanwhile. With batch signatures (HUB_SIGNATURE_BATCH), concurrent requests share one signature.
      const { envelope, bytes } = await deps.signer.signEncodedAsync({
        messageType,
        schemaFingerprint: fingerprint,
        payload,
      });
      const record = await deps.log.append(key, bytes, extras);
      deps.publisher.enqueue(record);
      return { messageId: envelope.messageId };
    },
  };
}

/**
 * Runs what the node writes down of a submission once its envelope is durable in the outbox (its version in the index,
 * what it normalised, a request in the requests log). `ids` name the submission in the log (reportId, version,
 * messageId, ...).
 */
export type Bookkeeping = (what: string, ids: Record<string, unknown>, write: () => void) => void;

/**
 * The agency is answered that its submission was taken whatever becomes of the bookkeeping after it: the envelope is
 * in the outbox and will be sent, and a refusal ("send it again") would make a second submission of it. A failure (a
 * full disk) is logged, with the submission's ids, and counted (`hub_node_bookkeeping_failures_total`, when `metrics`
 * is given); what was not written is written again before the outbox forgets the records it came from, or taken back
 * from them at the next start (the version index's and the requests log's `sync`, the outbox's `beforeCommit`).
 */
export function createBookkeeping(
  logger: Pick<Logger, 'error'> | undefined,
  metrics?: Registry,
): Bookkeeping {
  const counter = {
    name: 'hub_node_bookkeeping_failures_total',
    help: "Submissions taken into the outbox whose record in the node's own files could not be written at once (written again, or taken back from the outbox)",
  };
  const failures =
    metrics &&
    ((metrics.getSingleMetric(counter.name) as Counter | undefined) ??
      new Counter({ ...counter, registers: [metrics] }));
  return (what, ids, write) => {
    try {
      write();
    } catch (err) {
      failures?.inc();
      const message = `${what} could not be written after its envelope reached the outbox; it was answered as taken, and is written again or taken back from the outbox`;
      if (logger) logger.error({ err, ...ids }, message);
      else
        process.emitWarning(`${message}: ${(err as Error).message} (${JSON.stringify(ids)})`, {
          code: 'HUB_NODE_BOOKKEEPING',
        });
    }
  };
}
