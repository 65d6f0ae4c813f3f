// Two coordinator instances in one consumer group split the intake, with no report processed into the store twice
// and each report's versions applied in order (the partition key is the report id).
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startCoordinator, type RunningCoordinator } from '@hub/coordinator';
import { createKafka, topicNames } from '@hub/kafka';
import { startNationalNode, type RunningNationalNode } from '@hub/national-node';
import { COLLECTIONS, connectStore, findBuckets, type Store } from '@hub/store';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { postJson, testPki } from '../support/hub';

describe('coordinator: two instances in one group', function () {
  this.timeout(300000);
  let env: TestEnv;
  let a: RunningCoordinator;
  let b: RunningCoordinator;
  const nodes: RunningNationalNode[] = [];
  let store: Store;

  before(async () => {
    env = createTestEnv('two-instances');
    testPki(env, ['KZ', 'UZ']);
    a = await startCoordinator({ config: env.config, logger: env.logger, topicRefreshMs: 1000 });
    b = await startCoordinator({ config: env.config, logger: env.logger, topicRefreshMs: 1000 });
    for (const cc of ['KZ', 'UZ'])
      nodes.push(
        await startNationalNode({
          config: env.config,
          country: cc,
          logger: env.logger,
          port: 0,
          inbox: false,
        }),
      );
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    // Both instances in the group, with both countries' topics, before anything is sent: otherwise the first one
    // may ingest everything while the second is still joining.
    const admin = createKafka({
      brokers: env.config.kafka.brokers,
      clientId: 'two-instances',
      logger: env.logger,
    }).admin();
    await admin.connect();
    const out = (cc: string) => topicNames(env.config.namespace).nodeOut(cc);
    try {
      await waitUntil(
        'two coordinator instances sharing both node topics',
        async () => {
          const { groups } = await admin.describeGroups([
            topicNames(env.config.namespace).group('coordinator'),
          ]);
          const g = groups[0];
          const assigned = (g?.members ?? []).map((m) => m.memberAssignment.toString('latin1'));
          return (
            (g?.state === 'Stable' &&
              assigned.length === 2 &&
              assigned.every((x) => x.length > 0) &&
              ['KZ', 'UZ'].every((cc) => assigned.some((x) => x.includes(out(cc))))) ||
            undefined
          );
        },
        120000,
        500,
      );
    } finally {
      await admin.disconnect();
    }
  });
  after(async () => {
    await store?.close();
    for (const n of nodes) await n.close();
    await a?.close();
    await b?.close();
    env?.cleanup();
  });

  it('splits the work: every report once, both instances busy, versions in order', async () => {
    const perNode = 150;
    const ids: string[] = [];
    const amended = randomUUID();
    for (const node of nodes) {
      const cc = node.country;
      const batch = Array.from({ length: perNode }, (_, i) => ({
        reportId: randomUUID(),
        seizedAt: '2026-04-01T00:00:00Z',
        country: cc,
        agency: 'police',
        drugs: [{ substance: 'heroin', quantity: 1 + i, unit: 'g' }],
        route: [
          { country: 'AF', role: 'origin' },
          { country: cc, role: 'seizure' },
        ],
        handling: { tlp: 'GREEN' },
      }));
      const r = await postJson(`${node.url}/v1/seizures/batch`, batch);
      expect(r.status).to.equal(202);
      ids.push(...batch.map((x) => x.reportId));
    }
    // Five versions of one report in quick succession: whichever instance owns its partition applies them in order.
    for (let v = 1; v <= 5; v++) {
      const r = await postJson(`${nodes[0]!.url}/v1/seizures`, {
        reportId: amended,
        seizedAt: '2026-04-02T00:00:00Z',
        country: 'KZ',
        agency: 'police',
        drugs: [{ substance: 'opium', quantity: v, unit: 'kg' }],
        handling: { tlp: 'GREEN' },
      });
      expect(r.body.version).to.equal(v);
    }
    ids.push(amended);
    await waitUntil(
      'every report stored',
      async () => (await store.collection(COLLECTIONS.reports).countDocuments()) === ids.length || undefined,
      240000,
      500,
    );
    await waitUntil(
      'the fifth version current',
      async () =>
        (
          (await store.collection(COLLECTIONS.reports).findOne({ _id: amended as never })) as {
            version?: number;
          } | null
        )?.version === 5 || undefined,
      60000,
    );
    expect(await store.collection(COLLECTIONS.reportVersions).countDocuments()).to.equal(ids.length + 4);
    expect(await store.collection(COLLECTIONS.envelopes).countDocuments()).to.equal(ids.length + 4);
    expect(a.processed(), 'instance A took a share').to.be.greaterThan(0);
    expect(b.processed(), 'instance B took a share').to.be.greaterThan(0);
    // The read models count every report once, and the amended one at its latest quantity only (the last chunk's
    // read models are written just after its reports).
    const stats = await waitUntil(
      'the read models caught up',
      async () => {
        const buckets = await findBuckets(
          store.collection<{ _id: string; substance: string; count: number; quantityKg: number }>(
            COLLECTIONS.statsMonthly,
          ),
        );
        return buckets.reduce((s, x) => s + x.count, 0) === ids.length ? buckets : undefined;
      },
      60000,
    );
    expect(stats.filter((x) => x.substance === 'opium').reduce((s, x) => s + x.quantityKg, 0)).to.equal(5);
  });
});
