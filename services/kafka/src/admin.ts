// Creating the hub's topics: idempotent, with the partitioning and retention the design asks for.
import type { Admin, ITopicConfig } from 'kafkajs';
import type { TopicNames } from './topics';

export interface TopicPlan {
  partitions: number;
  replicationFactor: number;
}

/** Topic configs for one national node's pair of topics. Keyed by report id, so versions of a report keep their order. */
export function nodeTopicConfigs(names: TopicNames, cc: string, plan: TopicPlan): ITopicConfig[] {
  return [names.nodeOut(cc), names.nodeIn(cc)].map((topic) => ({
    topic,
    numPartitions: plan.partitions,
    replicationFactor: plan.replicationFactor,
    configEntries: [{ name: 'min.insync.replicas', value: String(Math.min(2, plan.replicationFactor)) }],
  }));
}

/** The compacted hub.pki topic: one partition, so every reader sees notices in one order. */
export function pkiTopicConfig(names: TopicNames, plan: TopicPlan): ITopicConfig {
  const rf = plan.replicationFactor;
  return {
    topic: names.pki,
    numPartitions: 1,
    replicationFactor: rf,
    configEntries: [
      { name: 'min.insync.replicas', value: String(Math.min(2, rf)) },
      { name: 'cleanup.policy', value: 'compact' },
    ],
  };
}

export function hubTopicConfigs(names: TopicNames, regions: string[], plan: TopicPlan): ITopicConfig[] {
  const rf = plan.replicationFactor;
  const isr = { name: 'min.insync.replicas', value: String(Math.min(2, rf)) };
  return [
    { topic: names.quarantine, numPartitions: plan.partitions, replicationFactor: rf, configEntries: [isr] },
    pkiTopicConfig(names, plan),
    {
      topic: names.erasures,
      numPartitions: 1,
      replicationFactor: rf,
      configEntries: [isr, { name: 'cleanup.policy', value: 'compact' }],
    },
    ...regions.map((r) => ({
      topic: names.feed(r),
      numPartitions: plan.partitions,
      replicationFactor: rf,
      configEntries: [isr],
    })),
  ];
}

/** Create whichever of `topics` do not exist yet; existing topics are left as they are. */
export async function ensureTopics(admin: Admin, topics: ITopicConfig[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return [];
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: true });
  } catch (err) {
    // Another process may have created some of them meanwhile; that is fine.
    if (!(err instanceof Error && /already exists/i.test(err.message))) throw err;
  }
  return missing.map((t) => t.topic);
}
