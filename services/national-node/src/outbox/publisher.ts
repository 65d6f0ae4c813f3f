// Drains the outbox into Kafka with an idempotent producer (acks all), in order, retrying with backoff
// through broker outages. The envelope bytes are final, so a re-send after a crash is deduplicated by
// the coordinator on messageId.
import type { Producer } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import type { OutboxLog, OutboxRecord } from './log';

export interface PublisherOptions {
  log: OutboxLog;
  producer: Producer;
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

export function startPublisher(options: PublisherOptions): Publisher {
  const queue: OutboxRecord[] = [...options.pending];
  const batchSize = options.batchSize ?? 500;
  let wake: (() => void) | undefined;
  let stopped = false;
  let ok = true;
  let lastError: string | undefined;
  let backoff = 200;

  const loop = async () => {
    while (!stopped) {
      if (queue.length === 0) {
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
        continue;
      }
      const batch = queue.slice(0, batchSize);
      try {
        await options.producer.send({
          topic: options.topic,
          acks: -1,
          messages: batch.map((r) => ({ key: r.key, value: r.value })),
        });
        queue.splice(0, batch.length);
        options.log.commit((batch[batch.length - 1] as OutboxRecord).end);
        options.onPublished?.(batch.length);
        if (!ok) options.logger.info({ depth: queue.length }, 'broker reachable again; outbox draining');
        ok = true;
        lastError = undefined;
        backoff = 200;
      } catch (err) {
        if (ok)
          options.logger.warn(
            { err: (err as Error).message, depth: queue.length },
            'publishing failed; retrying with backoff',
          );
        ok = false;
        lastError = (err as Error).message;
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 10000);
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
    },
  };
}
