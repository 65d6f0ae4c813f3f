// The hub's topics keep their records for ever, on the real broker: set on each topic the services make, whatever
// the brokers' default (7 days unless set otherwise), since the store is rebuilt from them; and a topic made before
// (on such brokers) is named at the coordinator's start, with the command that keeps its records.
import { expect } from 'chai';
import { startCoordinator, type RunningCoordinator } from '@hub/coordinator';
import {
  appendTimeOf,
  createKafka,
  ensureTopics,
  expiringTopics,
  hubTopicConfigs,
  keepEveryPkiRecord,
  nodeTopicConfigs,
  stampOnArrival,
  TOPIC_RESOURCE,
  topicNames,
  type Admin,
} from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { testPki } from '../support/hub';

const WEEK_MS = 7 * 86_400_000;

describe('Kafka topics: records kept for ever', function () {
  this.timeout(120000);
  let env: TestEnv;
  let admin: Admin;
  let coordinator: RunningCoordinator | undefined;
  const names = () => topicNames(env.config.namespace);
  const plan = { partitions: 1, replicationFactor: 1 };

  before(async () => {
    env = createTestEnv('topic-retention');
    testPki(env, []);
    admin = createKafka({
      brokers: env.config.kafka.brokers,
      clientId: 'test-topic-retention',
      logger: env.logger,
    }).admin();
    await admin.connect();
  });
  after(async () => {
    await coordinator?.close();
    await admin?.disconnect();
    env?.cleanup();
  });

  it('sets retention.ms=-1 on every topic it makes, but the compacted one (erasures)', async () => {
    await ensureTopics(admin, [
      ...nodeTopicConfigs(names(), 'KZ', plan),
      ...hubTopicConfigs(names(), ['central-asia'], plan),
    ]);
    const kept = [
      names().pki,
      names().nodeOut('KZ'),
      names().nodeIn('KZ'),
      names().hubOut,
      names().quarantine,
      names().feed('central-asia'),
    ];
    const described = await admin.describeConfigs({
      resources: [...kept, names().erasures].map((name) => ({
        type: TOPIC_RESOURCE,
        name,
        configNames: ['retention.ms', 'message.timestamp.type'],
      })),
      includeSynonyms: false,
    });
    expect(described.resources).to.have.length(kept.length + 1);
    for (const r of described.resources) {
      const entry = (name: string) => r.configEntries.find((e) => e.configName === name);
      // Set on the topic itself, not taken from the brokers' default (which on this stack is for ever too).
      if (r.resourceName !== names().erasures)
        expect(entry('retention.ms'), r.resourceName).to.include({ configValue: '-1', isDefault: false });
      // Every record carries the time the brokers appended it (what a replay judges it as of).
      expect(entry('message.timestamp.type'), r.resourceName).to.include({
        configValue: 'LogAppendTime',
        isDefault: false,
      });
    }
    expect(await expiringTopics(admin, [...kept, names().erasures])).to.deep.equal([]);
  });

  it('names a topic whose records expire, and the coordinator says so at start with the command to keep them', async () => {
    // As an earlier version made it on brokers that keep records a week.
    const old = names().nodeOut('UZ');
    await admin.createTopics({
      topics: [
        {
          topic: old,
          numPartitions: 1,
          replicationFactor: 1,
          configEntries: [{ name: 'retention.ms', value: String(WEEK_MS) }],
        },
      ],
      waitForLeaders: true,
    });
    expect(await expiringTopics(admin, [old, names().nodeOut('KZ'), `${old}-missing`])).to.deep.equal([
      { topic: old, retentionMs: WEEK_MS },
    ]);

    const logged: Record<string, unknown>[] = [];
    coordinator = await startCoordinator({
      config: env.config,
      logger: createLogger('coordinator', {
        destination: {
          write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>),
        },
      }),
    });
    const warned = logged.filter((l) => l.topic !== undefined && l.retentionMs !== undefined);
    expect(warned.map((l) => l.topic)).to.deep.equal([old]);
    expect(String(warned[0]!.msg)).to.include(
      `keeps its records 168 h only: once they are gone, hub replay cannot rebuild the store from it`,
    );
    expect(String(warned[0]!.msg)).to.include(
      `kafka-configs.sh --alter --entity-type topics --entity-name ${old} --add-config retention.ms=-1`,
    );
  });

  it("sets a node's topic made before to carry the brokers' append time, keeping its other settings", async () => {
    // As made before 2026-12-07: records carry their producer's time, which a sender chooses.
    const earlier = createTestEnv('stamped');
    testPki(earlier, []);
    const out = topicNames(earlier.config.namespace).nodeOut('TJ');
    const kafka = createKafka({
      brokers: earlier.config.kafka.brokers,
      clientId: 'test-stamped',
      logger: earlier.logger,
    });
    try {
      await admin.createTopics({
        topics: [
          {
            topic: out,
            numPartitions: 1,
            replicationFactor: 1,
            configEntries: [
              { name: 'retention.ms', value: '-1' },
              { name: 'max.message.bytes', value: '2000000' },
            ],
          },
        ],
        waitForLeaders: true,
      });
      const producer = kafka.producer();
      await producer.connect();
      const sendDated = (value: string) =>
        producer.send({ topic: out, messages: [{ value, timestamp: '1000000000000' }] });
      await sendDated('before');
      const started = await startCoordinator({ config: earlier.config, logger: earlier.logger });
      await started.close();
      const described = await admin.describeConfigs({
        resources: [{ type: TOPIC_RESOURCE, name: out }],
        includeSynonyms: false,
      });
      const value = (name: string) =>
        described.resources[0]!.configEntries.find((e) => e.configName === name)?.configValue;
      expect(value('message.timestamp.type')).to.equal('LogAppendTime');
      expect(value('max.message.bytes'), 'a setting made on the topic kept').to.equal('2000000');
      expect(value('retention.ms')).to.equal('-1');
      expect(
        await stampOnArrival(admin, nodeTopicConfigs(topicNames(earlier.config.namespace), 'TJ', plan)),
        'nothing left to do',
      ).to.deep.equal([]);
      // A record sent since carries the brokers' time, whatever its producer said; the one before, its producer's.
      const sentAt = Date.now();
      await sendDated('after');
      await producer.disconnect();
      const consumer = kafka.consumer({ groupId: `${out}-reader` });
      const seen = new Map<string, number | undefined>();
      await consumer.connect();
      await consumer.subscribe({ topic: out, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => void seen.set(String(message.value), appendTimeOf(message)),
      });
      try {
        await waitUntil('both records read', async () => seen.size === 2 || undefined);
      } finally {
        await consumer.disconnect();
      }
      expect(seen.get('before')).to.equal(undefined);
      expect(seen.get('after')).to.be.within(sentAt - 60000, Date.now() + 60000);
    } finally {
      earlier.cleanup();
    }
  });

  it('keeps every record of a hub.pki made compacted, where any node could erase a revocation by its key', async () => {
    // As made before 2026-12-07: compacted. A coordinator starting on it sets it to keep every record.
    const earlier = createTestEnv('pki-compacted');
    testPki(earlier, []);
    const pki = topicNames(earlier.config.namespace).pki;
    try {
      await admin.createTopics({
        topics: [
          {
            topic: pki,
            numPartitions: 1,
            replicationFactor: 1,
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
          },
        ],
        waitForLeaders: true,
      });
      const logged: string[] = [];
      const started = await startCoordinator({
        config: earlier.config,
        logger: createLogger('coordinator', {
          destination: { write: (line: string) => void logged.push(line) },
        }),
      });
      await started.close();
      const described = await admin.describeConfigs({
        resources: [{ type: TOPIC_RESOURCE, name: pki, configNames: ['cleanup.policy', 'retention.ms'] }],
        includeSynonyms: false,
      });
      const value = (name: string) =>
        described.resources[0]!.configEntries.find((e) => e.configName === name)?.configValue;
      expect(value('cleanup.policy')).to.equal('delete');
      expect(value('retention.ms')).to.equal('-1');
      expect(logged.join('\n')).to.include(`${pki} was compacted; it keeps every record now`);
      expect(
        await keepEveryPkiRecord(admin, topicNames(earlier.config.namespace)),
        'nothing left to do',
      ).to.equal(false);
    } finally {
      earlier.cleanup();
    }
  });
});
