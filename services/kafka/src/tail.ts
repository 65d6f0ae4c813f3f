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
  /**
   * Per partition, where a fresh group starts instead of the beginning (committed as the group's offsets before its
   * first member joins): a consumer revived after a crash resumes from what the group has committed since.
   */
  startAt?: Map<number, bigint>;
  /** `heartbeat` keeps the group membership alive while a message is held longer than the session timeout. */
  onMessage: (
    message: KafkaMessage,
    partition: number,
    heartbeat: () => Promise<void>,
  ) => Promise<void> | void;
  /**
   * Run after the messages of a fetched batch were handled and before their offsets may be committed (once per batch,
   * also when a message's handling failed, for those before it): makes what `onMessage` kept durable, so that no
   * message whose offset is committed is lost to a power loss.
   */
  beforeCommit?: () => Promise<void>;
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
    if (!stopped)
      revive = setTimeout(
        () =>
          void start().catch(async () => {
            // Down for good before the next one takes over, or kafkajs' own restart would bring it back as a
            // second member of the group.
            await disconnectForGood(consumer).catch(() => undefined);
            reviveLater(5000);
          }),
        ms,
      );
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
    const { beforeCommit } = options;
    await consumer.run(
      beforeCommit
        ? {
            // A batch's offsets are resolved only once beforeCommit has run for the messages handled.
            eachBatchAutoResolve: false,
            eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
              const handled: string[] = [];
              try {
                for (const message of batch.messages) {
                  if (!isRunning() || isStale()) break;
                  await options.onMessage(message, batch.partition, heartbeat);
                  handled.push(message.offset);
                  await heartbeat();
                }
              } finally {
                if (handled.length) {
                  await beforeCommit();
                  for (const offset of handled) resolveOffset(offset);
                }
              }
            },
          }
        : {
            eachMessage: async ({ message, partition, heartbeat }) => {
              await options.onMessage(message, partition, heartbeat);
            },
          },
    );
  };
  try {
    // The fresh group's offsets, committed before any member joins: its first consumer starts there, and one revived
    // after a crash resumes from what the group committed since (never back at the start).
    if (options.startAt?.size) await setGroupOffsets(options.kafka, groupId, options.topic, options.startAt);
    await start();
  } catch (err) {
    // Not left connected (and retrying) behind a caller told it failed.
    stopped = true;
    await disconnectForGood(consumer!).catch(() => undefined);
    throw err;
  }
  return {
    ready,
    stop: async () => {
      stopped = true;
      clearTimeout(revive);
      await disconnectForGood(consumer);
    },
  };
}

async function setGroupOffsets(
  kafka: Kafka,
  groupId: string,
  topic: string,
  offsets: Map<number, bigint>,
): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.setOffsets({
      groupId,
      topic,
      partitions: [...offsets].map(([partition, offset]) => ({ partition, offset: String(offset) })),
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
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

export interface RangeOptions {
  kafka: Kafka;
  topic: string;
  /** Start of the private group's id (see TailOptions). */
  groupPrefix: string;
  /** Per partition (each of the topic's), the offsets to read: after `after` up to and including `upTo`. */
  ranges: Map<number, { after: bigint; upTo: bigint }>;
  onMessage: TailOptions['onMessage'];
  /** Gives up after this long (default 30 s). */
  timeoutMs?: number;
  /** Stops early (the reader went away). */
  signal?: AbortSignal;
}

/**
 * Reads the records of a topic in the given ranges of offsets, in order on each partition, in a private consumer
 * group seeked to them: `complete` when every range was read, `timeout` or `aborted` otherwise. Records before a
 * range (the broker's retention took them) are simply not there: the first read is the earliest kept.
 */
export async function readRange(options: RangeOptions): Promise<'complete' | 'timeout' | 'aborted'> {
  const pending = new Map([...options.ranges].filter(([, r]) => r.upTo > r.after));
  if (pending.size === 0) return 'complete';
  const consumer = options.kafka.consumer({
    groupId: `${options.groupPrefix}-${randomBytes(6).toString('hex')}`,
    sessionTimeout: 15000,
    heartbeatInterval: 3000,
    maxWaitTimeInMs: FETCH_WAIT_MS,
  });
  let finish: (outcome: 'complete' | 'timeout' | 'aborted') => void = () => undefined;
  const outcome = new Promise<'complete' | 'timeout' | 'aborted'>((r) => (finish = r));
  const timer = setTimeout(() => finish('timeout'), options.timeoutMs ?? 30000);
  const abort = () => finish('aborted');
  options.signal?.addEventListener('abort', abort);
  if (options.signal?.aborted) abort();
  let done = false;
  void outcome.then(() => (done = true));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
    // Nothing committed: the group is this read's alone, and left behind when it ends.
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition, heartbeat }) => {
        const range = pending.get(partition);
        if (done || !range) return;
        const offset = BigInt(message.offset);
        if (offset > range.after && offset <= range.upTo)
          await options.onMessage(message, partition, heartbeat);
        if (offset >= range.upTo) {
          pending.delete(partition);
          if (pending.size === 0) finish('complete');
        }
      },
    });
    // Applied once the partitions are assigned. Every partition of the topic should have a range, even an empty one
    // (read nothing: seeked past it); one without would be read from its beginning, for nothing. A range whose
    // start the broker no longer keeps is read from the earliest record kept (fromBeginning).
    for (const [partition, range] of options.ranges) {
      const from = pending.has(partition) ? range.after + 1n : range.upTo + 1n;
      consumer.seek({ topic: options.topic, partition, offset: String(from < 0n ? 0n : from) });
    }
    return await outcome;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', abort);
    finish('aborted');
    await disconnectForGood(consumer).catch(() => undefined);
  }
}
