// Drains the outbox into Kafka with an idempotent producer (acks all), in order, retrying with backoff
// through broker outages. The envelope bytes are final, so a re-send after a crash is deduplicated by
// the coordinator on messageId.
import { sendAll, type PartitionCounts, type Producer } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import type { OutboxLog, OutboxRecord } from './log';

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
  batchSize?: number;
  onPublished?: (count: number) => void;
}

export interface Publisher {
  enqueue(record: OutboxRecord): void;
  depth(): number;
  oldestAgeMs(now?: number): number;
  /** True while the broker accepted the last send. */
  healthy(): boolean;
  lastError(): string | undefined;
  /** Resolve when everything enqueued so far is published, or after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

/** kafkajs' messages for the broker errors after which an idempotent producer does not recover by itself. */
const SEQUENCE_ERRORS = /out of order sequence|unknown producer|producer.*(epoch|fenced)|invalid producer/i;

export function startPublisher(options: PublisherOptions): Publisher {
  const queue: OutboxRecord[] = [...options.pending];
  const batchSize = options.batchSize ?? 500;
  let wake: (() => void) | undefined;
  let stopped = false;
  let ok = true;
  let lastError: string | undefined;
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

  const loop = async () => {
    while (!stopped) {
      if (queue.length === 0) {
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
        continue;
      }
      const batch = queue.slice(0, batchSize);
      try {
        await sendAll(producer, options.partitions, [
          { topic: options.topic, messages: batch.map((r) => ({ key: r.key, value: r.value })) },
        ]);
        queue.splice(0, batch.length);
        options.log.commit((batch[batch.length - 1] as OutboxRecord).end);
        options.onPublished?.(batch.length);
        if (!ok) options.logger.info({ depth: queue.length }, 'broker reachable again; outbox draining');
        ok = true;
        lastError = undefined;
        backoff = 200;
        failures = 0;
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
      queue.push(record);
      wake?.();
    },
    depth: () => queue.length,
    oldestAgeMs: (now = Date.now()) => (queue.length ? now - (queue[0] as OutboxRecord).appendedAt : 0),
    healthy: () => ok,
    lastError: () => lastError,
    async drain(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      return queue.length === 0;
    },
    async stop() {
      stopped = true;
      wake?.();
      await running;
      await producer.disconnect().catch(() => undefined);
    },
  };
}
