// Producing without kafkajs' silent loss on leader failover.
//
// kafkajs 2.2.4 keeps one response per broker across the retries of one send (tulios/kafkajs#1303; the fix,
// #1798, is not released). When the leader of one partition dies mid-send and the partition moves to a broker
// that already answered for its own partitions, the retry skips it and send() resolves although those
// messages were never written. We saw exactly that: a broker killed under a national node's outbox, two
// acknowledged reports missing from the topic. A send that touches one partition talks to one broker, so its
// retry always goes to the partition's new leader. `sendAll` therefore splits every send by partition (with
// kafkajs' own murmur2 partitioner, so keys land where they always did) and sends the parts side by side.
//
// A send is also one record batch per partition, which the broker refuses whole when it is larger than its
// message.max.bytes (1 MiB by default): 170 feed records of 6 kB, or a node's 500 reports of 4 kB on one partition,
// would be refused again at every retry, and stop that producer for good. So each partition's part is sent in
// batches of at most MAX_SEND_BYTES, one after the other (in order); a message larger than that goes alone.
import { Partitioners, type Kafka, type Message, type PartitionMetadata, type Producer } from 'kafkajs';

export interface TopicBatch {
  topic: string;
  messages: Message[];
}

/** Partition counts of topics, looked up once and forgotten after a failed send. */
export class PartitionCounts {
  private readonly counts = new Map<string, Promise<number>>();
  constructor(private readonly lookup: (topic: string) => Promise<number>) {}

  /** Counts read from the cluster's metadata through a short-lived admin client. */
  static fromCluster(kafka: Kafka): PartitionCounts {
    return new PartitionCounts(async (topic) => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
        const n = topics[0]?.partitions.length ?? 0;
        if (n === 0) throw new Error(`topic ${topic} has no partitions`);
        return n;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    });
  }

  of(topic: string): Promise<number> {
    let n = this.counts.get(topic);
    if (!n) {
      n = this.lookup(topic);
      this.counts.set(topic, n);
      n.catch(() => this.counts.delete(topic));
    }
    return n;
  }

  forget(topic: string): void {
    this.counts.delete(topic);
  }
}

export interface PartitionedPart {
  topic: string;
  partition: number;
  messages: Message[];
}

/** Split batches into one part per topic partition, in message order, as kafkajs' default partitioner would. */
export function splitByPartition(batches: TopicBatch[], counts: Map<string, number>): PartitionedPart[] {
  const partitioner = Partitioners.DefaultPartitioner();
  const parts = new Map<string, PartitionedPart>();
  for (const { topic, messages } of batches) {
    const n = counts.get(topic) as number;
    const partitionMetadata: PartitionMetadata[] = Array.from({ length: n }, (_, i) => ({
      partitionId: i,
      leader: 0,
      partitionErrorCode: 0,
      replicas: [],
      isr: [],
    }));
    for (const message of messages) {
      const partition = message.partition ?? partitioner({ topic, partitionMetadata, message });
      const id = `${topic}\u0000${partition}`;
      let part = parts.get(id);
      if (!part) parts.set(id, (part = { topic, partition, messages: [] }));
      part.messages.push({ ...message, partition });
    }
  }
  return [...parts.values()];
}

/**
 * The largest record batch a hub broker takes (message.max.bytes; Kafka's default is 1 MiB and 12 bytes). An envelope
 * may be 1 MiB (MAX_ENVELOPE_BYTES), and the coordination node writes records that carry one whole: the feed record
 * of an accepted one, the quarantine record of a refused one, a re-drive. Producers cut their sends into batches far
 * below this (MAX_SEND_BYTES), so only such a record alone comes near it. Set on the brokers (the local stack's and
 * infra/production's properties), not by the services.
 */
export const BROKER_MESSAGE_MAX_BYTES = 2 * 1024 * 1024;

/** The most bytes of messages (values, keys, headers and each record's framing) sent in one record batch. */
export const MAX_SEND_BYTES = 768 * 1024;
/** What a record costs in a batch besides its key, value and headers (lengths, offsets, timestamps), at most. */
const RECORD_FRAMING_BYTES = 64;

const length = (v: Message['value'] | Message['key'] | undefined): number =>
  v == null ? 0 : Buffer.isBuffer(v) ? v.length : Buffer.byteLength(String(v));

/** The bytes a message takes in a record batch, about (from above). */
export function messageBytes(m: Message): number {
  let n = RECORD_FRAMING_BYTES + length(m.value) + length(m.key);
  for (const [k, v] of Object.entries(m.headers ?? {}))
    n += Buffer.byteLength(k) + (Array.isArray(v) ? v.reduce((a, x) => a + length(x), 0) : length(v));
  return n;
}

/** `messages` in order, cut into runs of at most `maxBytes` (a message larger than that is a run of its own). */
export function byteBatches<M extends Message>(messages: M[], maxBytes = MAX_SEND_BYTES): M[][] {
  const runs: M[][] = [];
  let run: M[] = [];
  let bytes = 0;
  for (const m of messages) {
    const n = messageBytes(m);
    if (run.length && bytes + n > maxBytes) {
      runs.push(run);
      run = [];
      bytes = 0;
    }
    run.push(m);
    bytes += n;
  }
  if (run.length) runs.push(run);
  return runs;
}

/**
 * Send the batches, one send per topic partition, all at once (each in runs of at most MAX_SEND_BYTES, in order); resolve when every part is acknowledged, reject
 * with the first failure once none is still in flight. A caller that sends again after a rejection may
 * duplicate the parts that did succeed: consumers deduplicate on message ids.
 */
export async function sendAll(
  producer: Producer,
  counts: PartitionCounts,
  batches: TopicBatch[],
  acks = -1,
): Promise<void> {
  const topics = [...new Set(batches.map((b) => b.topic))];
  const known = new Map(await Promise.all(topics.map(async (t) => [t, await counts.of(t)] as const)));
  const parts = splitByPartition(batches, known);
  const results = await Promise.allSettled(
    parts.map(async (p) => {
      for (const messages of byteBatches(p.messages)) await producer.send({ topic: p.topic, acks, messages });
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    for (const { topic } of batches) counts.forget(topic);
    throw failed.reason;
  }
}
