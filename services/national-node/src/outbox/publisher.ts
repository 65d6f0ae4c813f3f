// Drains the outbox into Kafka with an idempotent producer (acks all), in order, retrying with backoff
// through broker outages. The envelope bytes are final, so a re-send after a crash is deduplicated by
// the coordinator on messageId.
import { sendAll, type PartitionCounts, type Producer } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import { positionBefore, type OutboxLog, type OutboxRecord, type Position } from './log';

export interface PublisherOptions {
  log: OutboxLog;
  /** The publisher's own connected producer; `stop` disconnects it. */
  producer: Producer;
  /**
   * A fresh connected producer, to replace one that cannot recover: kafkajs' idempotent producer stays stuck
   * after a sequence error (a broker that lost the producer's state) and every later send fails alike.
   * Called after `renewAfterFailures` failures in a row, or at once after such an error.
   */
  renewProducer?: () => Promise<Producer>;
  renewAfterFailures?: number;
  /** Partition counts for `sendAll`, which splits each send by partition (see @hub/kafka send.ts). */
  partitions: PartitionCounts;
  topic: string;
  logger: Logger;
  pending: OutboxRecord[];
  /** Unpublished records after `pending`, on disk only (from `OutboxLog.open`). */
  spilled?: Position[];
  /**
   * Bytes of envelopes kept in memory (default 32 MiB). Beyond them, during a broker outage, a record stays on disk
   * and only its position in memory, and it is read back from the log when its turn comes.
   */
  memoryBytes?: number;
  batchSize?: number;
  onPublished?: (count: number) => void;
}

export interface Publisher {
  enqueue(record: OutboxRecord): void;
  depth(): number;
  /** Bytes of envelopes held in memory (at most about `memoryBytes`). */
  memoryBytes(): number;
  /** Age of the oldest unpublished envelope, in memory or on disk only (0 when none waits). */
  oldestAgeMs(now?: number): number;
  /** True while the broker accepted the last send and the backlog on disk can be read back. */
  healthy(): boolean;
  lastError(): string | undefined;
  /**
   * Why what was published cannot be recorded as such (the node's own records made durable, or the outbox's cursor
   * written: a full or failing disk), until it can; undefined meanwhile. Publishing goes on: what is published again
   * after a restart, the coordinator knows by its message id.
   */
  commitError(): string | undefined;
  /** Resolve when everything enqueued so far is published, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** kafkajs' messages for the broker errors after which an idempotent producer does not recover by itself. */
const SEQUENCE_ERRORS = /out of order sequence|unknown producer|producer.*(epoch|fenced)|invalid producer/i;

/** How long an idle publisher waits before it tries again to record what it published. */
const COMMIT_RETRY_MS = 1000;

/** A record on disk only: where it ends, and when it was appended (see `startPublisher` for those found at start). */
interface Spilled {
  end: Position;
  appendedAt: number;
}

export function startPublisher(options: PublisherOptions): Publisher {
  const startedAt = Date.now();
  const queue: OutboxRecord[] = [...options.pending];
  const limit = options.memoryBytes ?? 32 * 1024 * 1024;
  let held = queue.reduce((n, r) => n + r.value.length, 0);
  // Records on disk only, in order, by where each ends; `horizon` is the end of the last record taken into memory
  // (a record appended before a read-back and enqueued after it is already in the queue). Those left from before the
  // start come as positions alone: they are at least as old as the start, which stands for their age until they are
  // read back (their own time is on disk, and when they cannot be read back, their age is all there is to tell).
  let spilled: Spilled[] = (options.spilled ?? []).map((end) => ({ end, appendedAt: startedAt }));
  let horizon: Position | undefined = queue.length
    ? (queue[queue.length - 1] as OutboxRecord).end
    : undefined;
  const readBack = () => {
    const from = horizon ?? options.log.readCursor();
    const records = options.log.readFrom(from, limit);
    for (const r of records) {
      queue.push(r);
      held += r.value.length;
    }
    if (records.length) horizon = (records[records.length - 1] as OutboxRecord).end;
    // Filtered, not shifted: records handed over out of their order in the log must not be left behind.
    const upTo = horizon;
    if (upTo) spilled = spilled.filter((p) => positionBefore(upTo, p.end));
    if (spilled.length && records.length === 0)
      throw new Error(
        `the outbox log has no record after ${JSON.stringify(from)}, where ${spilled.length} wait`,
      );
  };
  const batchSize = options.batchSize ?? 500;
  let wake: (() => void) | undefined;
  let stopped = false;
  let ok = true;
  let lastError: string | undefined;
  /** Why the backlog on disk cannot be read back, until it can: nothing more is published meanwhile. */
  let readBackError: string | undefined;
  let backoff = 200;
  let producer = options.producer;
  let failures = 0;
  const renewAfter = options.renewAfterFailures ?? 6;
  const renew = async (reason: string) => {
    if (!options.renewProducer) return;
    options.logger.warn({ reason, failures }, 'replacing the Kafka producer');
    const old = producer;
    try {
      producer = await options.renewProducer();
      failures = 0;
      await old.disconnect().catch(() => undefined);
    } catch (err) {
      options.logger.warn({ err: (err as Error).message }, 'a new Kafka producer could not connect yet');
    }
  };

  /** The end of the last batch published, until the outbox records it (its cursor moved past it). */
  let uncommitted: Position | undefined;
  let commitError: string | undefined;
  /**
   * Records in the outbox that everything up to `uncommitted` is published. When it cannot (the node's own records
   * cannot be made durable, or the cursor cannot be written), publishing goes on: the next batch's commit, or one
   * tried again while idle, covers this one; meanwhile `commitError` says why, for the node's `outbox` health check.
   */
  const commit = () => {
    if (!uncommitted) return;
    try {
      options.log.commit(uncommitted);
      uncommitted = undefined;
      if (commitError !== undefined) options.logger.info('what was published is recorded again');
      commitError = undefined;
    } catch (err) {
      const message = (err as Error).message;
      if (message !== commitError)
        options.logger.error(
          { err: message, upTo: uncommitted },
          'what was published cannot be recorded; published again after a restart unless recorded before',
        );
      commitError = message;
    }
  };

  const loop = async () => {
    while (!stopped) {
      if (queue.length === 0 && spilled.length > 0) {
        try {
          readBack();
          if (readBackError !== undefined) options.logger.info('outbox read back again; draining');
          readBackError = undefined;
        } catch (err) {
          const message = `reading the outbox back failed: ${(err as Error).message}`;
          if (message !== readBackError)
            options.logger.error(
              { err: (err as Error).message, depth: spilled.length },
              `${message}; retrying`,
            );
          readBackError = message;
          await new Promise((r) => setTimeout(r, 1000));
        }
        continue;
      }
      if (queue.length === 0) {
        // Idle with a commit that failed: tried again after a while, not only with the next batch.
        const retry = uncommitted && setTimeout(() => wake?.(), COMMIT_RETRY_MS);
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
        if (retry) clearTimeout(retry);
        if (uncommitted) commit();
        continue;
      }
      const batch = queue.slice(0, batchSize);
      try {
        await sendAll(producer, options.partitions, [
          { topic: options.topic, messages: batch.map((r) => ({ key: r.key, value: r.value })) },
        ]);
        queue.splice(0, batch.length);
        for (const r of batch) held -= r.value.length;
        uncommitted = (batch[batch.length - 1] as OutboxRecord).end;
        options.onPublished?.(batch.length);
        if (!ok) options.logger.info({ depth: queue.length }, 'broker reachable again; outbox draining');
        ok = true;
        lastError = undefined;
        backoff = 200;
        failures = 0;
        // Apart from the send: the broker took the batch, and a disk that cannot record so is no broker failure.
        commit();
      } catch (err) {
        failures++;
        if (ok)
          options.logger.warn(
            { err: (err as Error).message, depth: queue.length },
            'publishing failed; retrying with backoff',
          );
        ok = false;
        lastError = (err as Error).message;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10000);
        if (SEQUENCE_ERRORS.test(lastError) || failures >= renewAfter) await renew(lastError);
      }
    }
  };
  const running = loop();

  return {
    enqueue(record) {
      if (horizon && !positionBefore(horizon, record.end)) return; // read back from the log already
      if (spilled.length > 0 || held + record.value.length > limit)
        spilled.push({ end: record.end, appendedAt: record.appendedAt });
      else {
        queue.push(record);
        held += record.value.length;
        horizon = record.end;
      }
      wake?.();
    },
    depth: () => queue.length + spilled.length,
    memoryBytes: () => held,
    // The queue holds the oldest records (the log's order); when it is empty, any left wait on disk.
    oldestAgeMs: (now = Date.now()) => {
      const oldest = queue[0]?.appendedAt ?? spilled[0]?.appendedAt;
      return oldest === undefined ? 0 : Math.max(0, now - oldest);
    },
    healthy: () => ok && readBackError === undefined,
    lastError: () => readBackError ?? lastError,
    commitError: () => commitError,
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const depth = () => queue.length + spilled.length;
      while (depth() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return depth() === 0;
    },
    async stop() {
      stopped = true;
      wake?.();
      await running;
      // What the last batch published is recorded if it can be (else it is published again after the restart).
      commit();
      await producer.disconnect().catch(() => undefined);
    },
  };
}
