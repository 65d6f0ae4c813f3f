// `hub replay` rebuilds the store and its read models from the topics into the same state as the live store.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { askAsCoordinator } from '@hub/coordinator';
import { COLLECTIONS, connectStore, type Store } from '@hub/store';
import { copyCollection, collectionNames } from '../../scripts/src/run/replay-swap';
import { hubAsync } from '../support/cli';
import { cliEnv, createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, postJson, startTestHub, type TestHub } from '../support/hub';

describe('hub replay', function () {
  this.timeout(300000);
  let env: TestEnv;
  let hub: TestHub;
  let store: Store;

  before(async () => {
    env = createTestEnv('replay');
    // Escalated a second past the due time (30 s by default): the test waits at most 60 s for two escalations.
    hub = await startTestHub(env, ['KZ', 'UZ'], { requestCheckMs: 1000, requestGraceMs: 1000 });
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
  });
  after(async () => {
    await store?.close();
    await hub?.close();
    env?.cleanup();
  });

  /** `from` asks `to` and `to` answers, each through its own node; resolves once the answer is stored. */
  const askAndAnswer = async (
    from: string,
    to: string,
    answer?: string,
    more: Record<string, unknown> = {},
  ): Promise<string> => {
    const asked = await postJson(`${hub.nodes[from]!.url}/v1/requests`, {
      ...more,
      to,
      purpose: 'criminal investigation 2026/211',
      question: `Has ${to} seen this truck before?`,
      handling: { tlp: 'AMBER', releasableTo: [to] },
    });
    expect(asked.status, JSON.stringify(asked.body)).to.equal(202);
    const requestId = asked.body.requestId as string;
    if (answer === undefined) return requestId;
    await waitUntil(`the request at ${to}'s node`, async () => {
      const r = await getJson(`${hub.nodes[to]!.url}/v1/requests`);
      return (r.body.requests as { requestId: string }[]).some((q) => q.requestId === requestId);
    });
    const answered = await postJson(`${hub.nodes[to]!.url}/v1/requests/${requestId}/response`, { answer });
    expect(answered.status, JSON.stringify(answered.body)).to.equal(202);
    return requestId;
  };

  it('rebuilds reports, versions, retractions, annual returns, read models and information requests with an equal digest', async () => {
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
    // Information requests both ways. UZ's request is answered on KZ's topic, which a replay reads side by side with
    // UZ's: the answer must still find its request.
    const asked = {
      kzAnswered: await askAndAnswer('KZ', 'UZ', 'Yes, twice in 2025.'),
      uzAnswered: await askAndAnswer('UZ', 'KZ', 'No record of it.'),
      open: await askAndAnswer('KZ', 'UZ'),
      // Due in 6 s (time enough to reach the brokers, which refuse a request appended after its due time):
      // escalated by the coordinator, and never answered.
      overdue: await askAndAnswer('UZ', 'KZ', undefined, {
        dueAt: new Date(Date.now() + 6000).toISOString(),
      }),
      // Due in 6 s, escalated, then answered late: the answer wins the status, the escalation stays recorded.
      late: await askAndAnswer('KZ', 'UZ', undefined, { dueAt: new Date(Date.now() + 6000).toISOString() }),
      // The coordination node's own request (its own topic, signed by HUB), answered by KZ.
      hubAnswered: await askAsCoordinator({
        config: env.config,
        logger: env.logger,
        body: {
          to: 'KZ',
          purpose: 'regional analysis',
          question: 'How many trucks?',
          handling: { tlp: 'AMBER' },
        },
        waitMs: 30000,
      }).then(async ({ request, stored }) => {
        expect(stored).to.equal(true);
        await waitUntil("the coordination node's request at KZ's node", async () => {
          const r = await getJson(`${hub.nodes.KZ!.url}/v1/requests`);
          return (r.body.requests as { requestId: string }[]).some((q) => q.requestId === request.requestId);
        });
        const answered = await postJson(`${hub.nodes.KZ!.url}/v1/requests/${request.requestId}/response`, {
          answer: 'Eleven.',
        });
        expect(answered.status, JSON.stringify(answered.body)).to.equal(202);
        return request.requestId;
      }),
    };
    const requests = store.collection<{
      _id: string;
      status: string;
      escalatedAt: Date | null;
      response: { answer: string } | null;
    }>(COLLECTIONS.requests);
    await waitUntil(
      'both overdue requests escalated',
      async () =>
        (await requests.countDocuments({
          _id: { $in: [asked.overdue, asked.late] },
          status: 'escalated',
        })) === 2,
      60000,
    );
    const lateAnswer = await postJson(`${hub.nodes.UZ!.url}/v1/requests/${asked.late}/response`, {
      answer: 'Late, but yes.',
    });
    expect(lateAnswer.status, JSON.stringify(lateAnswer.body)).to.equal(202);
    await waitUntil(
      'the answers stored',
      async () => (await requests.countDocuments({ response: { $ne: null } })) === 4,
    );
    await waitUntil('every request stored', async () => (await requests.countDocuments()) === 6);
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
    expect(rebuilt!.collections.requests!.count).to.equal(6);
    expect(result.stderr).to.match(/the rebuilt store equals the live one/);
    const replayed = await connectStore({ url: env.config.mongo.url, dbName: rebuilt!.database });
    try {
      type Kept = {
        _id: string;
        status: string;
        escalatedAt: Date | null;
        response: { answer: string } | null;
      };
      const stateIn = async (docs: Kept[]) =>
        Object.fromEntries(
          docs.map((d) => [
            d._id,
            [d.status, d.escalatedAt?.toISOString() ?? null, d.response?.answer ?? null],
          ]),
        );
      const rebuiltState = await stateIn(
        await replayed.collection<Kept>(COLLECTIONS.requests).find({}).toArray(),
      );
      // The same statuses and escalation times as the live store, each escalation rebuilt from its record.
      expect(rebuiltState).to.deep.equal(await stateIn(await requests.find({}).toArray()));
      const state = (id: string) => [
        rebuiltState[id]![0],
        rebuiltState[id]![1] !== null,
        rebuiltState[id]![2],
      ];
      expect(state(asked.kzAnswered)).to.deep.equal(['answered', false, 'Yes, twice in 2025.']);
      expect(state(asked.uzAnswered)).to.deep.equal(['answered', false, 'No record of it.']);
      expect(state(asked.open)).to.deep.equal(['open', false, null]);
      expect(state(asked.overdue)).to.deep.equal(['escalated', true, null]);
      expect(state(asked.late)).to.deep.equal(['answered', true, 'Late, but yes.']);
      expect(state(asked.hubAnswered)).to.deep.equal(['answered', false, 'Eleven.']);
    } finally {
      await replayed.db.dropDatabase();
      await replayed.close();
    }
  });

  it('judges each record as of when it came (a certificate revoked since), and --replace keeps what no topic holds', async () => {
    const reports = store.collection<{ _id: string; originCountry: string }>(COLLECTIONS.reports);
    const uz = (await reports.find({ originCountry: 'UZ' }).toArray()).map((r) => r._id).sort();
    expect(uz, "UZ's reports of the test before").to.have.length(2);
    // UZ's node certificate is revoked after its reports were taken: they stay, in the live store and in a rebuilt
    // one (judged as of now, they would be refused as revoked and the digests would differ).
    const revoked = await hubAsync(['pki', 'revoke', 'UZ', '--reason', 'key compromised'], cliEnv(env));
    expect(revoked.status, revoked.stderr).to.equal(0);
    const replayed = await hubAsync(['replay'], cliEnv(env), 240000);
    expect(replayed.status, replayed.stderr).to.equal(0);
    expect(replayed.stderr).to.match(/the rebuilt store equals the live one/);
    const rebuilt = await connectStore({
      url: env.config.mongo.url,
      dbName: `${env.config.mongo.dbName}-replay`,
    });
    try {
      const rebuiltUz = await rebuilt
        .collection<{ _id: string; originCountry: string }>(COLLECTIONS.reports)
        .find({ originCountry: 'UZ' })
        .toArray();
      expect(rebuiltUz.map((r) => r._id).sort()).to.deep.equal(uz);
    } finally {
      await rebuilt.db.dropDatabase();
      await rebuilt.close();
    }

    // --replace rebuilds the database the coordinator writes to: refused while it runs.
    const refused = await hubAsync(['replay', '--replace'], cliEnv(env), 60000);
    expect(refused.status).to.not.equal(0);
    expect(refused.stderr).to.match(/a coordinator is running .* stop every coordinator before --replace/);

    // What the topics do not hold: an audit entry, the erasure log (one of UZ's reports erased) and the review dates.
    const audit = store.collection<{ _id: string; note: string }>(COLLECTIONS.audit);
    await audit.insertOne({ _id: `replay-kept-${randomUUID()}`, note: 'written by the query API' });
    const auditBefore = await audit.find({}).sort({ _id: 1 }).toArray();
    const [erasedId, keptId] = uz as [string, string];
    await store.collection(COLLECTIONS.erasures).insertOne({
      _id: erasedId,
      erasureId: randomUUID(),
      subjectType: 'SeizureReport',
      subjectId: erasedId,
      originCountry: 'UZ',
      versionsUpTo: 1,
      reasonCode: 'originator_request',
      reviewAt: null,
      erasedAt: new Date(),
      removed: {},
    } as never);
    const retention = store.collection<{ _id: string }>(COLLECTIONS.retention);
    const retentionBefore = await retention.find({}).sort({ _id: 1 }).toArray();
    expect(retentionBefore.map((r) => r._id)).to.include(keptId);
    const reportsBefore = (await reports.find({}).toArray()).map((r) => r._id).sort();
    // An answer the live intake took and then dropped from its request: a replay, reading in order, makes no such
    // list, and --replace carries it over.
    const requests = store.collection<{ _id: string; droppedAnswers?: unknown[] }>(COLLECTIONS.requests);
    const asked = await requests.findOne({});
    expect(asked, 'a request stored by the test before').to.not.equal(null);
    const dropped = [{ responseId: randomUUID(), messageId: randomUUID() }];
    await requests.updateOne({ _id: asked!._id }, { $set: { droppedAnswers: dropped } });

    await hub.coordinator.close();
    const replaced = await hubAsync(['replay', '--replace'], cliEnv(env), 240000);
    expect(replaced.status, replaced.stderr).to.equal(0);
    // Rebuilt beside the live database, compared, then swapped in; the copy it was built in is gone.
    expect(replaced.stderr).to.contain(`replaced database ${env.config.mongo.dbName} with the rebuilt store`);
    const databases = await store.client.db('admin').admin().listDatabases({ nameOnly: true });
    expect(databases.databases.map((d) => d.name)).not.to.include(`${env.config.mongo.dbName}-replay`);
    expect(await audit.find({}).sort({ _id: 1 }).toArray()).to.deep.equal(auditBefore);
    expect(await retention.find({}).sort({ _id: 1 }).toArray()).to.deep.equal(retentionBefore);
    expect((await requests.findOne({ _id: asked!._id }))?.droppedAnswers).to.deep.equal(dropped);
    expect(await store.collection(COLLECTIONS.erasures).countDocuments({ _id: erasedId } as never)).to.equal(
      1,
    );
    // The erased report did not come back from its topic; every other one did.
    expect((await reports.find({}).toArray()).map((r) => r._id).sort()).to.deep.equal(
      reportsBefore.filter((id) => id !== erasedId),
    );
  });

  it('--replace leaves the live store as it was, naming each record, when the rebuilt one would lose one or give it to another country', async () => {
    // Refused while a coordinator runs (closing it again is a no-op).
    await hub.coordinator.close();
    const reports = store.collection<{ _id: string; originCountry: string }>(COLLECTIONS.reports);
    const moved = await reports.findOne({ originCountry: 'KZ' });
    expect(moved, 'a report of KZ, stored by the tests before').to.not.equal(null);
    // A record no topic holds (as a record that a replay refuses, judged as of now), and a record the live store
    // gives another country than its topic does (as one claimed by two countries).
    const onlyLive = randomUUID();
    await reports.insertOne({ ...moved!, _id: onlyLive });
    await reports.updateOne({ _id: moved!._id }, { $set: { originCountry: 'UZ' } });
    const reportsBefore = await reports.find({}).sort({ _id: 1 }).toArray();
    const versions = store.collection(COLLECTIONS.reportVersions);
    const versionsBefore = await versions.find({}).sort({ _id: 1 }).toArray();
    try {
      const run = await hubAsync(['replay', '--replace'], cliEnv(env), 240000);
      expect(run.status, run.stderr).to.equal(1);
      expect(run.stderr).to.contain(`reports ${onlyLive} (KZ): missing from the rebuilt store`);
      expect(run.stderr).to.contain(`reports ${moved!._id}: owned by UZ live, by KZ in the rebuilt store`);
      expect(run.stderr).to.match(
        /not replaced: the rebuilt store lacks 1 and reassigns 1 of the live database's records .* left as it was/,
      );
      // The digests of both, as without --replace: the live one taken before the rebuild.
      const digests = run.stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{"database"'))
        .map((l) => JSON.parse(l) as { database: string; digest: string });
      expect(digests.map((d) => d.database)).to.deep.equal([
        `${env.config.mongo.dbName}-replay`,
        env.config.mongo.dbName,
      ]);
      expect(digests[0]!.digest).to.not.equal(digests[1]!.digest);
      // Nothing of the live store dropped or rewritten: the record no topic holds is still there.
      expect(await reports.find({}).sort({ _id: 1 }).toArray()).to.deep.equal(reportsBefore);
      expect(await versions.find({}).sort({ _id: 1 }).toArray()).to.deep.equal(versionsBefore);
    } finally {
      await reports.deleteOne({ _id: onlyLive });
      await reports.updateOne({ _id: moved!._id }, { $set: { originCountry: 'KZ' } });
      await store.client.db(`${env.config.mongo.dbName}-replay`).dropDatabase();
    }
  });
  it('after a swap failed half-way, refuses every replay that would drop the rebuilt copy, and --resume-swap finishes it', async () => {
    await hub.coordinator.close();
    const live = env.config.mongo.dbName;
    const copyName = `${live}-replay`;
    const reports = store.collection<{ _id: string }>(COLLECTIONS.reports);
    const reportsBefore = await reports.find({}).sort({ _id: 1 }).toArray();
    expect(reportsBefore, 'reports stored by the tests before').to.not.deep.equal([]);
    // As a --replace leaves it when the swap fails half-way: the whole rebuilt store in <live>-replay, the live
    // database marked and half copied (its reports dropped).
    const copy = await connectStore({ url: env.config.mongo.url, dbName: copyName });
    const meta = store.collection<{ _id: string; from?: string; startedAt?: Date }>(COLLECTIONS.meta);
    try {
      for (const name of await collectionNames(store))
        if (name !== COLLECTIONS.audit && name !== COLLECTIONS.asks) await copyCollection(store, copy, name);
      await meta.insertOne({ _id: 'replay-swap', from: copyName, startedAt: new Date() });
      await reports.deleteMany({});

      for (const args of [['replay'], ['replay', '--replace'], ['replay', '--into', copyName]]) {
        const run = await hubAsync(args, cliEnv(env), 60000);
        expect(run.status, `${args.join(' ')}: ${run.stderr}`).to.equal(1);
        expect(run.stderr).to.contain(`database ${live} is half replaced`);
        expect(run.stderr).to.contain('hub replay --resume-swap');
      }
      // Nor does a coordinator start on it.
      const coordinator = await hubAsync(['coordinator'], cliEnv(env), 60000);
      expect(coordinator.status, coordinator.stderr).to.equal(1);
      expect(coordinator.stderr).to.contain(`database ${live} is half replaced`);
      expect(coordinator.stderr).to.contain('hub replay --resume-swap');
      // The rebuilt copy is untouched.
      const copied = await copy
        .collection<{ _id: string }>(COLLECTIONS.reports)
        .find({})
        .sort({ _id: 1 })
        .toArray();
      expect(copied).to.deep.equal(reportsBefore);

      const resumed = await hubAsync(['replay', '--resume-swap'], cliEnv(env), 120000);
      expect(resumed.status, resumed.stderr).to.equal(0);
      expect(resumed.stderr).to.contain(`replaced database ${live} with the rebuilt store`);
      expect(await reports.find({}).sort({ _id: 1 }).toArray()).to.deep.equal(reportsBefore);
      expect(await meta.countDocuments({ _id: 'replay-swap' })).to.equal(0);
      const databases = await store.client.db('admin').admin().listDatabases({ nameOnly: true });
      expect(databases.databases.map((d) => d.name)).not.to.include(copyName);

      // Nothing left to resume.
      const again = await hubAsync(['replay', '--resume-swap'], cliEnv(env), 60000);
      expect(again.status).to.equal(2);
      expect(again.stderr).to.contain('holds no unfinished swap');
    } finally {
      await meta.deleteOne({ _id: 'replay-swap' });
      if ((await reports.countDocuments({})) === 0) await reports.insertMany(reportsBefore);
      await copy.db.dropDatabase();
      await copy.close();
    }
  });
});
