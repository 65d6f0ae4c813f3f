// The real services under the broker security profile: a national node, the coordinator and the query API, each
// with its own SCRAM principal, on a secured broker this file starts; the store is the shared local one.
import { expect } from 'chai';
import { join } from 'node:path';
import { type HubConfig } from '@hub/config';
import { startCoordinator, type RunningCoordinator } from '@hub/coordinator';
import { PRINCIPALS, hubPrincipals, topicNames } from '@hub/kafka';
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
import { getJson, metricValue, postJson, testPki, minimalReport } from '../support/hub';
import { openStream, type Stream } from '../support/stream';
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
    // The principals of this hub's namespace, as its topics and groups are named.
    const principals = hubPrincipals(topicNames(env.config.namespace));
    broker = await startSecureKafka({
      layout: {
        ...kafkaLayout(env.config.cacheDir, env.home, stackVersions().kafka),
        logFile: join(env.home, 'kafka.log'),
      },
      hubHome: env.home,
      listeners: await listenerPorts(),
      principals: [principals.coordinator, principals.queryApi, principals.node('KZ')],
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
      config: as(principals.coordinator),
      logger: env.logger,
      opsPort: 0,
      topicRefreshMs: 1000,
    });
    node = await startNationalNode({
      config: as(principals.node('KZ')),
      country: 'KZ',
      logger: env.logger,
      port: 0,
    });
    api = await startQueryApi({ config: as(principals.queryApi), logger: env.logger, port: 0 });
  });

  after(async function () {
    this.timeout(60000);
    await api?.close().catch(() => undefined);
    await node?.close().catch(() => undefined);
    await coordinator?.close().catch(() => undefined);
    if (broker) await stopPid(broker.pid, 30000);
    env?.cleanup();
  });

  /** A bearer token of the query API for a KZ caller. */
  const tokenOf = (
    role: Parameters<typeof mintToken>[1]['role'],
    clearance: Parameters<typeof mintToken>[1]['clearance'],
  ) =>
    mintToken(loadKeyRing(authDir(env.config.hubHome)), {
      sub: `${role}-KZ`,
      role,
      country: 'KZ',
      clearance,
      ttlSeconds: 600,
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
    const token = tokenOf('analyst', 'AMBER');
    const record = await getJson(`${api!.url}/v1/seizures/${reportId}`, token);
    expect(record.status).to.equal(200);
    expect((record.body.provenance as { verified: boolean }).verified).to.equal(true);
  });

  it('streams a regional feed as the query API, and reads it back for a reconnecting client (groups of its prefix)', async () => {
    const token = tokenOf('coordinator', 'RED');
    const url = `${api!.url}/v1/feeds/central-asia/stream`;
    const live = await openStream(url, token);
    const readers: Stream[] = [live];
    try {
      const report = { ...minimalReport(), handling: { tlp: 'GREEN', releasableTo: ['central-asia'] } };
      const posted = await postJson(`${node!.url}/v1/seizures`, report);
      expect(posted.status).to.equal(202);
      const reportId = posted.body.reportId as string;
      const event = await waitUntil(
        'the record on the feed',
        () => live.events.find((e) => e.data.subjectId === reportId),
        60000,
      );
      // From before everything on the feed: nothing of it is held under such an id, so it is read back.
      const fromStart = event.id!.replace(/:(-?[0-9]+)/g, ':-1');
      const again = await openStream(url, token, { 'last-event-id': fromStart });
      readers.push(again);
      await waitUntil(
        'the record read back',
        () => again.events.find((e) => e.data.subjectId === reportId),
        60000,
      );
      expect(again.events.map((e) => e.event)).not.to.include('gap');
      // Counted once the read-back consumer has finished, a moment after its last record was sent.
      await waitUntil(
        'the read-back counted complete',
        async () =>
          (await metricValue(api!.url, 'hub_query_feed_replays_total', { outcome: 'complete' })) === 1 ||
          undefined,
        10000,
      );
    } finally {
      for (const r of readers) r.close();
    }
  });
});
