import { expect } from 'chai';
import { join } from 'node:path';
import { startCoordinator, type RunningCoordinator } from '@hub/coordinator';
import { seizureReportFromJson } from '@hub/domain';
import { createSigner } from '@hub/envelope';
import { createKafka, ensureTopics, nodeTopicConfigs, topicNames, type Producer } from '@hub/kafka';
import { loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, connectStore, type Store } from '@hub/store';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { testPki, minimalReport } from '../support/hub';

describe('schema evolution on the wire: a node still writing SeizureReport v1, a coordinator reading v2', function () {
  this.timeout(90000);
  let env: TestEnv;
  let coordinator: RunningCoordinator;
  let producer: Producer;
  let store: Store;

  before(async () => {
    env = createTestEnv('evolution');
    testPki(env, ['KZ']);
    const kafka = createKafka({
      brokers: env.config.kafka.brokers,
      clientId: 'test-evolution',
      logger: env.logger,
    });
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(
      admin,
      nodeTopicConfigs(topicNames(env.config.namespace), 'KZ', { partitions: 1, replicationFactor: 1 }),
    );
    await admin.disconnect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    coordinator = await startCoordinator({ config: env.config, logger: env.logger, topicRefreshMs: 500 });
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
  });
  after(async () => {
    await producer?.disconnect();
    await coordinator?.close();
    await store?.close();
    env?.cleanup();
  });

  it('accepts a v1 record and stores it with the defaults v2 added', async () => {
    const registry = loadSchemaRegistry();
    const v1 = registry.get('SeizureReport', 1);
    expect(registry.latest('SeizureReport').version).to.be.greaterThan(1);
    const minimal = minimalReport();
    const { value } = seizureReportFromJson(minimal, {
      nodeCountry: 'KZ',
      now: Date.now(),
      versionOf: () => 1,
      regions: new Set(),
    });
    // What an older node writes: the v1 fields only.
    const { reportingChannel: _rc, ...v1Value } = value;
    const old = { ...v1Value, drugs: value.drugs.map(({ packageCount: _p, ...d }) => d) };
    const payload = v1.type.toBuffer(old);
    const identity = new (await import('@hub/pki')).PkiStore(join(env.config.hubHome, 'pki')).identity('KZ');
    const signer = createSigner({
      privateKey: identity.privateKey,
      certificate: identity.certificatePem,
      origin: 'KZ',
    });
    const { bytes } = signer.signEncoded({
      messageType: 'SeizureReport',
      schemaFingerprint: v1.fingerprint,
      payload,
    });
    await producer.send({
      topic: topicNames(env.config.namespace).nodeOut('KZ'),
      acks: -1,
      messages: [{ key: value.reportId, value: bytes }],
    });
    const stored = await waitUntil('the v1 report stored', () =>
      store.collection(COLLECTIONS.reports).findOne({ _id: value.reportId as never }),
    );
    const report = stored.report as {
      reportingChannel: unknown;
      drugs: { packageCount: unknown; quantity: number }[];
      country: string;
    };
    expect(report.country).to.equal('KZ');
    expect(report.reportingChannel).to.equal(null);
    expect(report.drugs[0]).to.include({ quantity: 12.5, packageCount: null });
  });
});
