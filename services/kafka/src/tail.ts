// Following one topic from the beginning in a private consumer group: for the compacted hub.pki topic and for
// small per-node inbound topics, where every process must see every record.
import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';

/**
 * How long the broker holds a fetch open when there is nothing new (kafkajs' default is 5 s). A consumer's
 * disconnect waits for its fetch in flight, so this bounds how long stopping one takes: with the default, a service
 * following three topics took about 10 s to shut down. An idle consumer fetches once a second with it.
 */
export const FETCH_WAIT_MS = 1000;

export interface TailOptions {
  kafka: Kafka;
  topic: string;
  /** Stable group id to resume where this process left off; a fresh private one when omitted. */
  groupId?: string;
  /**
   * Start of the fresh private group's id (default `tail-<topic>`): with broker ACLs each principal may only
   * join groups under its own prefix, e.g. `names.group('node-KZ-pki')`.
   */
  groupPrefix?: string;
  fromBeginning?: boolean;
  /** `heartbeat` keeps the group membership alive while a message is held longer than the session timeout. */
  onMessage: (
    message: KafkaMessage,
    partition: number,
    heartbeat: () => Promise<void>,
  ) => Promise<void> | void;
}

export interface Tail {
  stop(): Promise<void>;
  /** Resolves once the consumer has joined its group and started fetching. */
  ready: Promise<void>;
}

export async function tailTopic(options: TailOptions): Promise<Tail> {
  const groupId =
    options.groupId ?? `${options.groupPrefix ?? `tail-${options.topic}`}-${randomBytes(6).toString('hex')}`;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (markReady = r));
  let consumer: Consumer;
  let stopped = false;
  let revive: NodeJS.Timeout | undefined;
  // kafkajs restarts a crashed consumer only after errors it deems retriable; after any other it stays down
  // for good. Following a topic must outlive that, so a fresh consumer takes over in the same group.
  const reviveLater = (ms: number) => {
    if (!stopped) revive = setTimeout(() => void start().catch(() => reviveLater(5000)), ms);
  };
  const start = async () => {
    if (stopped) return;
    consumer = options.kafka.consumer({
      groupId,
      sessionTimeout: 15000,
      heartbeatInterval: 3000,
      maxWaitTimeInMs: FETCH_WAIT_MS,
    });
    consumer.on(consumer.events.GROUP_JOIN, () => markReady());
    onFatalCrash(consumer, () => reviveLater(2000));
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      eachMessage: async ({ message, partition, heartbeat }) => {
        await options.onMessage(message, partition, heartbeat);
      },
    });
  };
  await start();
  return {
    ready,
    stop: async () => {
      stopped = true;
      clearTimeout(revive);
      await disconnectForGood(consumer);
    },
  };
}

/**
 * Call `then` when the consumer crashed and kafkajs will not restart it (after a non-retriable error); kafkajs
 * has disconnected it by then.
 */
export function onFatalCrash(consumer: Consumer, then: (error: Error) => void): void {
  consumer.on(consumer.events.CRASH, (e) => {
    if (!e.payload.restart) then(e.payload.error);
  });
}

/**
 * Disconnect and keep the consumer down. kafkajs handles a crash by disconnecting and then scheduling a restart;
 * a disconnect that lands in between is undone by that restart, and the consumer retries a gone cluster forever.
 */
export async function disconnectForGood(consumer: Consumer): Promise<void> {
  const again = () => void setTimeout(() => void consumer.disconnect().catch(() => undefined), 0);
  consumer.on(consumer.events.CRASH, again);
  consumer.on(consumer.events.GROUP_JOIN, again);
  await consumer.disconnect();
}
