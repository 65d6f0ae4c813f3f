// Following one topic from the beginning in a private consumer group: for the compacted hub.pki topic and for
// small per-node inbound topics, where every process must see every record.
import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

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
  onMessage: (message: KafkaMessage, partition: number) => Promise<void> | void;
}

export interface Tail {
  stop(): Promise<void>;
  /** Resolves once the consumer has joined its group and started fetching. */
  ready: Promise<void>;
}

export async function tailTopic(options: TailOptions): Promise<Tail> {
  const groupId =
    options.groupId ?? `${options.groupPrefix ?? `tail-${options.topic}`}-${randomBytes(6).toString('hex')}`;
  const consumer = options.kafka.consumer({ groupId, sessionTimeout: 15000, heartbeatInterval: 3000 });
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (markReady = r));
  consumer.on(consumer.events.GROUP_JOIN, () => markReady());
  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: options.fromBeginning ?? true });
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      await options.onMessage(message, partition);
    },
  });
  return {
    ready,
    stop: async () => {
      await consumer.disconnect();
    },
  };
}
