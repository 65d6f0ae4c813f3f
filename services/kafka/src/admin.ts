// Creating the hub's topics: idempotent, with the partitioning and retention the design asks for.
import type { Admin, ConfigResourceTypes, ITopicConfig } from 'kafkajs';
import type { TopicNames } from './topics';

/**
 * Every topic keeps its records for ever, whatever the brokers' default (7 days, unless set otherwise): the store is
 * rebuilt from them (`hub replay`), the envelopes in them are the evidence, and a node away for a while still gets
 * its receipts. The compacted one (erasures, which only the coordinator writes) keeps the latest record of each key.
 */
const KEEP = { name: 'retention.ms', value: '-1' };
/**
 * Every record carries the time the brokers appended it, not a time its producer chose: `hub replay` judges each
 * record's signature, certificate and revocations as of that time, as the live coordinator did when it came, and a
 * sender holding a revoked or expired key cannot date its records back.
 */
export const STAMPED = { name: 'message.timestamp.type', value: 'LogAppendTime' };
/** kafkajs' ConfigResourceTypes.TOPIC (its enum is not a named export Node's ES module loader finds). */
export const TOPIC_RESOURCE = 2 as ConfigResourceTypes;
/** kafkajs' ConfigSource.DYNAMIC_TOPIC_CONFIG: a setting made on the topic itself. */
const DYNAMIC_TOPIC_CONFIG = 1;

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
    configEntries: [
      { name: 'min.insync.replicas', value: String(Math.min(2, plan.replicationFactor)) },
      KEEP,
      STAMPED,
    ],
  }));
}

/**
 * The hub.pki topic: one partition, so every reader sees notices in one order; every record kept. Not compacted:
 * every national node writes it (to announce its certificate), and Kafka cannot limit which keys a writer uses, so
 * on a compacted topic a node could erase a revocation, another country's announcement or a CA rollover by writing
 * a record of the same key (until 2026-12-07 it was compacted: `keepEveryPkiRecord` mends such a topic).
 */
export function pkiTopicConfig(names: TopicNames, plan: TopicPlan): ITopicConfig {
  const rf = plan.replicationFactor;
  return {
    topic: names.pki,
    numPartitions: 1,
    replicationFactor: rf,
    configEntries: [
      { name: 'min.insync.replicas', value: String(Math.min(2, rf)) },
      { name: 'cleanup.policy', value: 'delete' },
      KEEP,
      STAMPED,
    ],
  };
}

/**
 * A hub.pki made compacted (before 2026-12-07) set to keep every record, as `pkiTopicConfig` makes it now. Returns
 * whether it was changed; throws when it could not be (a principal without AlterConfigs: hub-admin's
 * `hub security apply` does it on a secured cluster), naming the command that does it.
 */
export async function keepEveryPkiRecord(
  admin: Pick<Admin, 'describeConfigs' | 'listTopics' | 'alterConfigs' | 'fetchTopicMetadata'>,
  names: TopicNames,
): Promise<boolean> {
  if (!(await admin.listTopics()).includes(names.pki)) return false;
  const [described] = await topicConfigValues(admin, [names.pki], 'cleanup.policy');
  if (!described?.value('cleanup.policy')?.includes('compact')) return false;
  // The topic's own replicas (not a configured factor) give its min.insync.replicas, which the whole configuration
  // set below would otherwise reset.
  const { topics } = await admin.fetchTopicMetadata({ topics: [names.pki] });
  const replicas = topics[0]?.partitions[0]?.replicas.length ?? 1;
  const wanted = pkiTopicConfig(names, { partitions: 1, replicationFactor: replicas });
  try {
    // AlterConfigs sets a topic's whole configuration: every entry the topic is made with.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: TOPIC_RESOURCE, name: wanted.topic, configEntries: wanted.configEntries ?? [] }],
    });
  } catch (err) {
    throw new Error(
      `${wanted.topic} is compacted, so any national node could erase a revocation from it, and it could not be ` +
        `changed here (${(err as Error).message}): as hub-admin, \`hub security apply\`, or kafka-configs.sh --alter ` +
        `--entity-type topics --entity-name ${wanted.topic} --add-config cleanup.policy=delete,retention.ms=-1`,
      { cause: err },
    );
  }
  return true;
}

/**
 * Of the `wanted` topics, those that exist and whose records carry their producer's time (made before 2026-12-07),
 * set to carry the brokers' append time (STAMPED). AlterConfigs sets a topic's whole configuration, so each gets the
 * settings it is made with (`wanted`, min.insync.replicas from its own replicas) over the other settings made on it,
 * which stay: a configuration read before another change had reached every broker can then lose nothing the hub
 * needs (its retention above all). Returns the topics changed; throws when they could not be read or changed (a
 * principal without DescribeConfigs or AlterConfigs: hub-admin's `hub security apply` does it on a secured cluster),
 * naming the command that does it. Records already written keep the time their producer gave them.
 */
export async function stampOnArrival(
  admin: Pick<Admin, 'describeConfigs' | 'listTopics' | 'alterConfigs' | 'fetchTopicMetadata'>,
  wanted: ITopicConfig[],
): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  const present = wanted.filter((t) => existing.has(t.topic));
  if (present.length === 0) return [];
  // Every setting (none named): those made on the topic go with the new one.
  const described = await topicConfigValues(
    admin,
    present.map((t) => t.topic),
  );
  const todo = described.filter((r) => r.value(STAMPED.name) !== STAMPED.value);
  if (todo.length === 0) return [];
  const { topics } = await admin.fetchTopicMetadata({ topics: todo.map((r) => r.topic) });
  const changed: string[] = [];
  for (const r of todo) {
    const replicas = topics.find((t) => t.name === r.topic)?.partitions[0]?.replicas.length ?? 1;
    const settings = new Map(r.own.map((e) => [e.name, e.value] as const));
    for (const e of present.find((t) => t.topic === r.topic)?.configEntries ?? [])
      settings.set(e.name, e.value);
    settings.set('min.insync.replicas', String(Math.min(2, replicas)));
    settings.set(STAMPED.name, STAMPED.value);
    try {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: TOPIC_RESOURCE,
            name: r.topic,
            configEntries: [...settings].map(([name, value]) => ({ name, value })),
          },
        ],
      });
    } catch (err) {
      throw new Error(
        `${r.topic} keeps its producers' times, so a sender could date its records back, and it could not be ` +
          `changed here (${(err as Error).message}): as hub-admin, \`hub security apply\`, or kafka-configs.sh --alter ` +
          `--entity-type topics --entity-name ${r.topic} --add-config ${STAMPED.name}=${STAMPED.value}`,
        { cause: err },
      );
    }
    changed.push(r.topic);
  }
  return changed;
}

export function hubTopicConfigs(names: TopicNames, regions: string[], plan: TopicPlan): ITopicConfig[] {
  const rf = plan.replicationFactor;
  const isr = { name: 'min.insync.replicas', value: String(Math.min(2, rf)) };
  return [
    {
      topic: names.quarantine,
      numPartitions: plan.partitions,
      replicationFactor: rf,
      configEntries: [isr, KEEP, STAMPED],
    },
    // The coordination node's own requests, keyed by request id like a node's out topic.
    {
      topic: names.hubOut,
      numPartitions: plan.partitions,
      replicationFactor: rf,
      configEntries: [isr, KEEP, STAMPED],
    },
    pkiTopicConfig(names, plan),
    {
      topic: names.erasures,
      numPartitions: 1,
      replicationFactor: rf,
      configEntries: [isr, { name: 'cleanup.policy', value: 'compact' }, STAMPED],
    },
    ...regions.map((r) => ({
      topic: names.feed(r),
      numPartitions: plan.partitions,
      replicationFactor: rf,
      configEntries: [isr, KEEP, STAMPED],
    })),
  ];
}

/**
 * Create whichever of `topics` do not exist yet; existing topics are left as they are. A principal without the
 * right to create topics (the production profile: an administrator provisions them) gets a refusal for a topic
 * it cannot yet see, which is routine for a moment after provisioning, before the broker has applied the new
 * ACLs; such topics are looked for again until `aclWaitMs`, then reported with the broker's reason.
 */
export async function ensureTopics(
  admin: Admin,
  topics: ITopicConfig[],
  aclWaitMs = 30000,
): Promise<string[]> {
  const deadline = Date.now() + aclWaitMs;
  const created: ITopicConfig[] = [];
  let todo = await notListed(admin, topics);
  if (todo.length > 0) todo = replicatedOnCluster(todo, (await admin.describeCluster()).brokers.length);
  while (todo.length > 0) {
    const refused = await createMissing(admin, todo);
    created.push(...todo.filter((t) => !refused.some((r) => r.topic === t.topic)));
    if (refused.length === 0) break;
    const unlisted = new Set((await notListed(admin, todo)).map((t) => t.topic));
    const unseen = refused.filter((r) => unlisted.has(r.topic));
    if (unseen.length > 0 && Date.now() > deadline) {
      const detail = unseen.map((e) => `${e.topic}: ${e.type} ${e.message}`.trim()).join('; ');
      throw new Error(
        `creating topics failed: ${detail} (on a secured broker hub-admin creates the topics and grants access: ` +
          '`hub security apply`, or `hub security grant <CC>` for a new country)',
      );
    }
    todo = todo.filter((t) => unseen.some((u) => u.topic === t.topic));
    if (todo.length > 0) await new Promise((r) => setTimeout(r, 500));
  }
  await waitForLeaders(admin, created);
  return created.map((t) => t.topic);
}

/**
 * Topics to create, each on at least as many brokers as the cluster has, up to 3 (and min.insync.replicas 2 then):
 * a replication factor below that (HUB_KAFKA_REPLICATION_FACTOR unset, and HUB_KAFKA_BROKERS naming one bootstrap
 * address of a cluster of three) would keep the evidence on one broker, lost with it.
 */
export function replicatedOnCluster(topics: ITopicConfig[], brokers: number): ITopicConfig[] {
  const floor = Math.min(3, brokers);
  return topics.map((t) =>
    (t.replicationFactor ?? floor) >= floor
      ? t
      : {
          ...t,
          replicationFactor: floor,
          configEntries: (t.configEntries ?? []).map((c) =>
            c.name === 'min.insync.replicas' ? { ...c, value: String(Math.min(2, floor)) } : c,
          ),
        },
  );
}

async function notListed(admin: Admin, topics: ITopicConfig[]): Promise<ITopicConfig[]> {
  const existing = new Set(await admin.listTopics());
  return topics.filter((t) => !existing.has(t.topic));
}

interface Refusal {
  topic: string;
  type: string;
  message: string;
}

/** Create the topics; returns those the broker refused for want of authorization (anything else throws). */
async function createMissing(admin: Admin, missing: ITopicConfig[]): Promise<Refusal[]> {
  try {
    await admin.createTopics({ topics: missing, waitForLeaders: false });
    return [];
  } catch (err) {
    // Another process may have created some of them meanwhile (or listed topics before they reached this
    // broker's metadata); that is fine. kafkajs reports several as one aggregate error.
    const each = (err as { errors?: { type?: string; message?: string; topic?: string }[] }).errors;
    if (!Array.isArray(each) || each.length === 0) {
      if (exists(err as Error)) return [];
      throw err;
    }
    const failed = each.filter((e) => !exists(e));
    const refusals = failed.map((e) => ({
      topic: e.topic ?? '?',
      type: e.type ?? '',
      message: e.message ?? '',
    }));
    if (failed.every((e) => e.type === 'TOPIC_AUTHORIZATION_FAILED')) return refusals;
    // Name each topic and the broker's reason.
    const detail = refusals.map((e) => `${e.topic}: ${e.type} ${e.message}`.trim()).join('; ');
    throw new Error(`creating topics failed: ${detail}`, { cause: err });
  }
}

function exists(e: { type?: string; message?: string } | undefined): boolean {
  return e?.type === 'TOPIC_ALREADY_EXISTS' || /already exists/i.test(e?.message ?? '');
}

/**
 * Wait until every partition of the topics has a leader. kafkajs' own wait gives up when the broker it asks has
 * not yet heard of a topic the controller just created ("This server does not host this topic-partition"),
 * which on a cluster is routine for a moment; here that counts as not yet, like a missing leader.
 */
export async function waitForLeaders(admin: Admin, topics: ITopicConfig[], timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  for (;;) {
    try {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      const waiting = topics.filter((t) => {
        const m = meta.find((x) => x.name === t.topic);
        const ps = m?.partitions ?? [];
        return ps.length < (t.numPartitions ?? 1) || ps.some((p) => p.leader < 0);
      });
      if (waiting.length === 0) return;
      last = `no leader yet for ${waiting.map((t) => t.topic).join(', ')}`;
    } catch (err) {
      if ((err as { retriable?: boolean }).retriable === false) throw err;
      last = (err as Error).message;
    }
    if (Date.now() > deadline)
      throw new Error(`topics created but without leaders after ${timeoutMs} ms: ${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * The topics among `topics` whose records the brokers delete after a time (a topic made before retention.ms was set
 * here, on brokers whose default is not for ever), with that time in ms; topics that do not exist are left out.
 * Throws, naming the topics and the brokers' reason, when any could not be described (a principal without
 * DescribeConfigs on it): a check that could not look is not a check that found nothing.
 */
export async function expiringTopics(
  admin: Pick<Admin, 'describeConfigs' | 'listTopics'>,
  topics: string[],
): Promise<{ topic: string; retentionMs: number }[]> {
  // Asked only of topics that exist: the brokers refuse the whole request for one that does not.
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((t) => existing.has(t));
  const out: { topic: string; retentionMs: number }[] = [];
  for (const { topic, value } of await topicConfigValues(admin, present, 'retention.ms', 'cleanup.policy')) {
    const ms = Number(value('retention.ms'));
    if (value('cleanup.policy')?.includes('delete') && Number.isFinite(ms) && ms >= 0)
      out.push({ topic, retentionMs: ms });
  }
  return out;
}

/**
 * The named configuration values of existing topics (every one when none is named), with the settings made on each
 * topic itself (`own`); throws, naming them and why, when any could not be read.
 */
async function topicConfigValues(
  admin: Pick<Admin, 'describeConfigs'>,
  topics: string[],
  ...configNames: string[]
): Promise<
  {
    topic: string;
    value: (name: string) => string | undefined;
    own: { name: string; value: string }[];
  }[]
> {
  if (topics.length === 0) return [];
  const described = await admin.describeConfigs({
    resources: topics.map((name) => ({
      type: TOPIC_RESOURCE,
      name,
      ...(configNames.length > 0 && { configNames }),
    })),
    includeSynonyms: false,
  });
  const refused = described.resources.filter((r) => r.errorCode !== 0);
  if (refused.length)
    throw new Error(
      `the configuration of ${refused.map((r) => `${r.resourceName} (${r.errorMessage || `error ${r.errorCode}`})`).join(', ')} could not be read`,
    );
  return described.resources.map((r) => ({
    topic: r.resourceName,
    value: (name: string) => r.configEntries.find((e) => e.configName === name)?.configValue,
    own: r.configEntries
      .filter((e) => e.configSource === DYNAMIC_TOPIC_CONFIG)
      .map((e) => ({ name: e.configName, value: e.configValue })),
  }));
}
