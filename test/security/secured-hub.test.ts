// The real services under the broker security profile: a national node, the coordinator and the query API, each
// with its own SCRAM principal, on a secured broker this file starts; the store is the shared local one.
import { expect } from 'chai';
import { join } from 'node:path';
import { type HubConfig } from '@hub/config';
import { startCoordinator, type RunningCoordinator } from '@hub/coordinator';
import { PRINCIPALS, nodePrincipal, topicNames } from '@hub/kafka';
import { startNationalNode, type RunningNationalNode } from '@hub/national-node';
import { startQueryApi, loadKeyRing, mintToken, authDir } from '@hub/query-api';
import { loadRegions } from '@hub/schemas';
import { kafkaLayout } from '../../scripts/src/stack/kafka';
import { stopPid } from '../../scripts/src/stack/proc';
import {
  provisionHub,
  secureKafka,
  startSecureKafka,
  type SecureBroker,
} from '../../scripts/src/stack/security';
import { stackVersions } from '../../scripts/src/stack/versions';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, postJson, testPki, minimalReport } from '../support/hub';
import { listenerPorts } from './support';

const minimal = minimalReport();

describe('the hub on a secured broker (each service its own principal)', function () {
  this.timeout(120000);
  let env: TestEnv;
  let broker: SecureBroker | undefined;
  let coordinator: RunningCoordinator | undefined;
  let node: RunningNationalNode | undefined;
  let api: { url: string; close(): Promise<void> } | undefined;

  const as = (principal: string): HubConfig => ({
    ...env.config,
    kafka: {
      ...env.config.kafka,
      brokers: broker!.brokers,
      fromLocalStack: false,
      replicationFactor: 1,
      security: broker!.security(principal),
    },
  });

  before(async function () {
    this.timeout(240000);
    env = createTestEnv('secured-hub');
    testPki(env, ['KZ']);
    broker = await startSecureKafka({
      layout: {
        ...kafkaLayout(env.config.cacheDir, env.home, stackVersions().kafka),
        logFile: join(env.home, 'kafka.log'),
      },
      hubHome: env.home,
      listeners: await listenerPorts(),
      principals: [PRINCIPALS.coordinator, PRINCIPALS.queryApi, nodePrincipal('KZ')],
      heapMb: 384,
      marker: 'kafka-security-test',
    });
    const admin = secureKafka(broker.brokers, broker.security(PRINCIPALS.admin)).admin();
    await admin.connect();
    await provisionHub(admin, {
      names: topicNames(env.config.namespace),
      countries: ['KZ'],
      regions: loadRegions(),
      topics: { partitions: 3, replicationFactor: 1 },
    });
    await admin.disconnect();
    coordinator = await startCoordinator({
      config: as(PRINCIPALS.coordinator),
      logger: env.logger,
      opsPort: 0,
      topicRefreshMs: 1000,
    });
    node = await startNationalNode({
      config: as(nodePrincipal('KZ')),
      country: 'KZ',
      logger: env.logger,
      port: 0,
    });
    api = await startQueryApi({ config: as(PRINCIPALS.queryApi), logger: env.logger, port: 0 });
  });

  after(async function () {
    this.timeout(60000);
    await api?.close().catch(() => undefined);
    await node?.close().catch(() => undefined);
    await coordinator?.close().catch(() => undefined);
    if (broker) await stopPid(broker.pid, 30000);
    env?.cleanup();
  });

  it('carries a report from the national node to the coordinator, the store and back as a receipt', async () => {
    const posted = await postJson(`${node!.url}/v1/seizures`, minimal);
    expect(posted.status).to.equal(202);
    const reportId = posted.body.reportId as string;
    const receipt = await waitUntil(
      'an accepted receipt at the node',
      async () => {
        const r = await getJson(`${node!.url}/v1/receipts/${reportId}`);
        return r.body.status === 'accepted' ? r.body : undefined;
      },
      60000,
      250,
    );
    expect(receipt.version).to.equal(1);
    const ring = loadKeyRing(authDir(env.config.hubHome));
    const token = mintToken(ring, {
      sub: 'analyst-KZ',
      role: 'analyst',
      country: 'KZ',
      clearance: 'AMBER',
      ttlSeconds: 600,
    });
    const record = await getJson(`${api!.url}/v1/seizures/${reportId}`, token);
    expect(record.status).to.equal(200);
    expect((record.body.provenance as { verified: boolean }).verified).to.equal(true);
  });
});
