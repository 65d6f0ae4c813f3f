// What the retention review (retention.ts) is handed in a unit test without Kafka: the hub's signer from the test PKI,
// a producer that keeps what it is given instead of sending it, topics without a prefix, and no log.
import { PartitionCounts, topicNames, type Message, type Producer } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import { loadRegions, loadSchemaRegistry } from '@hub/schemas';
import type { Store } from '@hub/store';
import { signerOf, testPki } from '../../pki/test/fixtures';
import type { ErasedSet, RetentionDeps, RetentionPolicy } from '../src/retention';

/** A message the review sent, with its topic. */
export interface SentMessage {
  topic: string;
  message: Message;
}

const registry = loadSchemaRegistry();
const regions = loadRegions();
const silent = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;

/**
 * The review over `store` under `policy`, its clock standing at `clock`, the erasures it knows of in `erased`; each
 * message it sends is handed to `onSend`, in order.
 */
export function retentionDeps(options: {
  store: Store;
  policy: RetentionPolicy;
  erased: ErasedSet;
  clock: number;
  onSend: (sent: SentMessage) => void;
}): RetentionDeps {
  const producer = {
    send: async ({ topic, messages }: { topic: string; messages: Message[] }) => {
      for (const message of messages) options.onSend({ topic, message });
      return [];
    },
  } as unknown as Producer;
  return {
    store: options.store,
    producer,
    partitions: new PartitionCounts(async () => 1),
    signer: signerOf(testPki().hub, 'HUB'),
    registry,
    names: topicNames(''),
    regions,
    policy: options.policy,
    erased: options.erased,
    matchSecret: Buffer.alloc(32, 7),
    logger: silent,
    clock: () => options.clock,
    send: true,
  };
}
