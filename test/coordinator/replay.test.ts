// `hub replay` rebuilds the store and its read models from the topics into the same state as the live store.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { COLLECTIONS, connectStore, type Store } from '@hub/store';
import { hubAsync } from '../support/cli';
import { cliEnv, createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { postJson, startTestHub, type TestHub } from '../support/hub';

describe('hub replay', function () {
  this.timeout(300000);
  let env: TestEnv;
  let hub: TestHub;
  let store: Store;

  before(async () => {
    env = createTestEnv('replay');
    hub = await startTestHub(env, ['KZ', 'UZ']);
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
  });
  after(async () => {
    await store?.close();
    await hub?.close();
    env?.cleanup();
  });

  it('rebuilds reports, versions, retractions, annual returns and read models with an equal digest', async () => {
    const base = (cc: string, over: Record<string, unknown> = {}) => ({
      seizedAt: '2026-05-02T10:00:00Z',
      country: cc,
      agency: 'police',
      drugs: [{ substance: 'opium', quantity: 40, unit: 'kg' }],
      route: [
        { country: 'AF', role: 'origin' },
        { country: cc, role: 'seizure' },
      ],
      conveyance: { mode: 'road', identifiers: [{ kind: 'plate', value: 'A123BC' }] },
      handling: { tlp: 'GREEN' },
      ...over,
    });
    const amended = randomUUID();
    const retracted = randomUUID();
    const posts = [
      ['KZ', base('KZ', { reportId: amended })],
      ['KZ', base('KZ', { reportId: amended, drugs: [{ substance: 'heroin', quantity: 2, unit: 'kg' }] })],
      ['KZ', base('KZ', { reportId: retracted })],
      ['UZ', base('UZ')],
      ['UZ', base('UZ', { drugs: [{ substance: 'cannabis-resin', quantity: 900, unit: 'g' }] })],
    ] as const;
    for (const [cc, body] of posts)
      expect((await postJson(`${hub.nodes[cc]!.url}/v1/seizures`, body)).status).to.equal(202);
    expect(
      (await postJson(`${hub.nodes.KZ!.url}/v1/seizures/${retracted}/retract`, { reason: 'entered twice' }))
        .status,
    ).to.equal(202);
    expect(
      (
        await postJson(`${hub.nodes.UZ!.url}/v1/annual-returns`, {
          year: 2025,
          rows: [{ drugName: 'Heroin', kilograms: 120.5 }],
          handling: { tlp: 'CLEAR' },
        })
      ).status,
    ).to.equal(202);
    await waitUntil(
      'everything stored, the retraction and the alert included',
      async () =>
        (await store.collection(COLLECTIONS.reportVersions).countDocuments()) === 7 &&
        (await store.collection(COLLECTIONS.reports).countDocuments({ status: 'retracted' })) === 1 &&
        (await store.collection(COLLECTIONS.alerts).countDocuments()) > 0,
      60000,
    );

    const result = await hubAsync(['replay'], cliEnv(env), 240000);
    expect(result.status, result.stderr).to.equal(0);
    const [rebuilt, live] = result.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{"database"'))
      .map(
        (l) =>
          JSON.parse(l) as {
            database: string;
            digest: string;
            collections: Record<string, { count: number }>;
          },
      );
    expect(rebuilt!.database).to.equal(`${env.config.mongo.dbName}-replay`);
    expect(rebuilt!.digest).to.equal(live!.digest);
    expect(rebuilt!.collections.reports!.count).to.equal(4);
    expect(rebuilt!.collections.report_versions!.count).to.equal(7);
    expect(rebuilt!.collections.annual_returns!.count).to.equal(1);
    expect(rebuilt!.collections.stats_monthly!.count).to.be.greaterThan(0);
    expect(result.stderr).to.match(/the rebuilt store equals the live one/);
  });
});
