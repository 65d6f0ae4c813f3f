// A three-broker Kafka cluster on this machine: one broker killed with SIGKILL mid-ingest, nothing lost.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { startCoordinator } from '@hub/coordinator';
import { startNationalNode } from '@hub/national-node';
import { createKafka, tailTopic, topicNames } from '@hub/kafka';
import { COLLECTIONS, connectStore } from '@hub/store';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, postJson, testPki } from '../support/hub';
import { ownedCluster, type OwnedCluster } from '../support/servers';

const SOAK = process.env.HUB_SOAK === '1';

describe('a three-broker cluster', function () {
  this.timeout(SOAK ? 3600000 : 900000);
  let env: TestEnv;
  let cluster: OwnedCluster;
  const closers: (() => Promise<void>)[] = [];

  before(async () => {
    env = createTestEnv('cluster');
    testPki(env, ['KZ']);
    cluster = await ownedCluster(join(env.home, 'cluster'));
  });
  after(async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    await cluster?.stopAll();
    env?.cleanup();
  });

  it('keeps every report when one broker is killed mid-ingest (replication factor 3, min.insync.replicas 2)', async () => {
    const n = SOAK ? 5000 : 300;
    const config = {
      ...env.config,
      kafka: { ...env.config.kafka, brokers: cluster.brokers, replicationFactor: 3 },
    };
    const coordinator = await startCoordinator({ config, logger: env.logger, topicRefreshMs: 1000 });
    closers.push(() => coordinator.close());
    // The node as one given a single bootstrap address and no HUB_KAFKA_REPLICATION_FACTOR (a factor of 1): its
    // topics are made on every broker of the cluster all the same, up to 3.
    const node = await startNationalNode({
      config: { ...config, kafka: { ...config.kafka, replicationFactor: 1 } },
      country: 'KZ',
      logger: env.logger,
      port: 0,
      inbox: false,
    });
    closers.push(() => node.close());
    const admin = createKafka({
      brokers: cluster.brokers,
      clientId: 'cluster-test-admin',
      logger: env.logger,
    }).admin();
    await admin.connect();
    closers.push(() => admin.disconnect());
    const names = topicNames(config.namespace);
    const { topics: made } = await admin.fetchTopicMetadata({
      topics: [names.nodeOut('KZ'), names.nodeIn('KZ')],
    });
    for (const t of made)
      expect(
        t.partitions.map((p) => p.replicas.length),
        t.name,
      ).to.deep.equal(t.partitions.map(() => 3));
    const store = await connectStore({ url: config.mongo.url, dbName: config.mongo.dbName });
    closers.push(() => store.close());

    const ids: string[] = [];
    for (let i = 0; i < n; i += 25) {
      if (i === Math.floor(n / 3 / 25) * 25) cluster.nodes[1]!.kill();
      const batch = Array.from({ length: Math.min(25, n - i) }, (_, k) => ({
        reportId: randomUUID(),
        seizedAt: '2026-07-01T12:00:00Z',
        country: 'KZ',
        agency: 'customs',
        drugs: [{ substance: 'heroin', quantity: 1 + ((i + k) % 9), unit: 'kg' }],
        handling: { tlp: 'GREEN' },
      }));
      const r = await postJson(`${node.url}/v1/seizures/batch`, batch);
      expect(r.status).to.equal(202);
      ids.push(...batch.map((b) => b.reportId));
    }
    expect(cluster.nodes[1]!.running()).to.equal(false);
    // Everything the node acknowledged must be in its out topic once its outbox is drained. kafkajs alone
    // resolves some sends whose partition changed leader mid-send without writing them (tulios/kafkajs#1303);
    // this is the check that caught it, long before the store would have told.
    await waitUntil(
      'the node outbox drained',
      async () => {
        const { body } = await getJson(`${node.url}/healthz`);
        const checks = body.checks as { outbox?: { detail?: { depth?: number } } } | undefined;
        return checks?.outbox?.detail?.depth === 0 || undefined;
      },
      300000,
    );
    const keys = new Set<string>();
    const kafka = createKafka({ brokers: cluster.brokers, clientId: 'cluster-test', logger: env.logger });
    const tail = await tailTopic({
      kafka,
      topic: topicNames(config.namespace).nodeOut('KZ'),
      onMessage: (m) => void keys.add(String(m.key)),
    });
    const missing = () => ids.filter((id) => !keys.has(id));
    await waitUntil(
      'every acknowledged report in the topic',
      async () => missing().length === 0 || undefined,
      60000,
    ).catch(() => undefined);
    await tail.stop();
    expect(missing(), 'reports the node published but the topic lacks').to.deep.equal([]);
    await waitUntil(
      `${n} reports stored with a broker down`,
      async () => (await store.collection(COLLECTIONS.reports).countDocuments()) >= n || undefined,
      SOAK ? 3000000 : 700000,
      1000,
    );
    expect(await store.collection(COLLECTIONS.reports).countDocuments()).to.equal(n);
    expect(await store.collection(COLLECTIONS.reportVersions).countDocuments()).to.equal(n);
    expect(await store.collection(COLLECTIONS.envelopes).countDocuments()).to.equal(n);
    // And every receipt came back through the two brokers left.
    for (const id of [ids[0]!, ids[Math.floor(n / 2)]!, ids[n - 1]!])
      await waitUntil(`the receipt of ${id}`, async () => {
        const r = await getJson(`${node.url}/v1/receipts/${id}`);
        return r.body.status === 'accepted' || undefined;
      });
  });
});
