// An owner's view of who read its records, and the data-quality figures per contributor, from real traffic.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createKafka, topicNames } from '@hub/kafka';
import { COLLECTIONS, connectStore } from '@hub/store';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, postJson, startTestHub, type TestHub } from '../support/hub';

type Read = { reader: { country: string; role: string; user: string }; action: string; reportIds: string[] };

describe('query API: owners’ view of reads and data quality', function () {
  this.timeout(180000);
  let env: TestEnv;
  let hub: TestHub;
  const ids: Record<string, string> = {};

  before(async () => {
    env = createTestEnv('owners');
    hub = await startTestHub(env, ['KZ', 'UZ']);
    const full = (cc: string) => ({
      reportId: randomUUID(),
      seizedAt: new Date(Date.now() - 3 * 86400000).toISOString(),
      country: cc,
      place: {
        name: 'checkpoint',
        lat: cc === 'KZ' ? 43.2 : 41.3,
        lon: cc === 'KZ' ? 76.9 : 69.2,
        locationType: 'road',
      },
      agency: 'customs',
      drugs: [{ substance: 'heroin', quantity: 2, unit: 'kg', purityPct: 40 }],
      conveyance: { mode: 'road', identifiers: [{ kind: 'plate', value: `${cc}1234` }] },
      concealment: 'fuel tank',
      detection: 'dog',
      route: [
        { country: 'AF', role: 'origin' },
        { country: cc, role: 'seizure' },
      ],
      handling: { tlp: 'AMBER', releasableTo: ['central-asia'], evaluation: 'B2' },
    });
    const sparse = (cc: string, daysAgo: number) => ({
      reportId: randomUUID(),
      seizedAt: new Date(Date.now() - daysAgo * 86400000).toISOString(),
      country: cc,
      agency: 'police',
      drugs: [{ substance: 'cannabis-herb', quantity: 5, unit: 'kg' }],
      handling: { tlp: 'GREEN' },
    });
    const posts: [string, string, Record<string, unknown>][] = [
      ['kzFull', 'KZ', full('KZ')],
      ['kzFull2', 'KZ', full('KZ')],
      ['uzSparse', 'UZ', sparse('UZ', 20)],
      ['uzSparse2', 'UZ', sparse('UZ', 2)],
    ];
    for (const [name, cc, body] of posts) {
      const r = await postJson(`${hub.nodes[cc]!.url}/v1/seizures`, body);
      expect(r.status).to.equal(202);
      ids[name] = r.body.reportId as string;
    }
    // One envelope from UZ that the coordinator must refuse: counted in UZ's rejection rate.
    const kafka = createKafka({
      brokers: env.config.kafka.brokers,
      clientId: 'owners-test',
      logger: env.logger,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topicNames(env.config.namespace).nodeOut('UZ'),
      messages: [{ value: Buffer.from('garbage') }],
    });
    await producer.disconnect();
    const store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    await waitUntil(
      'all stored and the garbage quarantined',
      async () =>
        (await store.collection(COLLECTIONS.reports).countDocuments()) === 4 &&
        (await store.collection(COLLECTIONS.quarantine).countDocuments()) === 1,
      60000,
    );
    await store.close();
  });
  after(async () => {
    await hub?.close();
    env?.cleanup();
  });

  it('shows an owner exactly who read or exported its own records, and nothing of others’', async () => {
    // UZ opens a KZ record; a KG analyst searches and sees records of both countries; KZ exports its own.
    expect(
      (await getJson(`${hub.apiUrl}/v1/seizures/${ids.kzFull}`, hub.token('analyst', 'UZ', 'AMBER'))).status,
    ).to.equal(200);
    const search = await getJson(`${hub.apiUrl}/v1/seizures?limit=10`, hub.token('analyst', 'KG', 'AMBER'));
    expect((search.body.items as unknown[]).length).to.equal(4);
    const csv = await fetch(`${hub.apiUrl}/v1/export/seizures.csv?country=KZ`, {
      headers: { authorization: `Bearer ${hub.token('analyst', 'UZ', 'AMBER')}` },
    });
    expect(csv.status).to.equal(200);

    const kz = (await getJson(`${hub.apiUrl}/v1/reads`, hub.token('node-operator', 'KZ', 'AMBER'))).body
      .reads as Read[];
    const kzOwn = new Set([ids.kzFull, ids.kzFull2]);
    expect(
      kz.every((r) => r.reportIds.every((id) => kzOwn.has(id))),
      'only KZ records appear',
    ).to.equal(true);
    expect(kz.find((r) => r.action === 'read')).to.deep.include({
      reader: { country: 'UZ', role: 'analyst', user: 'analyst-UZ' },
      reportIds: [ids.kzFull],
    });
    expect(kz.find((r) => r.action === 'search')?.reader.country).to.equal('KG');
    expect(kz.find((r) => r.action === 'search')?.reportIds.sort()).to.deep.equal([...kzOwn].sort());
    expect(kz.find((r) => r.action === 'export')?.reader.country).to.equal('UZ');

    const one = (await getJson(`${hub.apiUrl}/v1/reads?reportId=${ids.kzFull2}`, hub.token('analyst', 'KZ')))
      .body.reads as Read[];
    // The KG search and UZ's export of KZ's records read it; UZ's read was of the other one.
    expect(one.map((r) => r.action).sort()).to.deep.equal(['export', 'search']);
    expect(one.every((r) => r.reportIds.join() === ids.kzFull2)).to.equal(true);

    const uz = (await getJson(`${hub.apiUrl}/v1/reads`, hub.token('analyst', 'UZ'))).body.reads as Read[];
    expect(uz.map((r) => r.action)).to.deep.equal(['search']);
    expect(uz[0]!.reportIds.sort()).to.deep.equal([ids.uzSparse, ids.uzSparse2].sort());
    const de = (await getJson(`${hub.apiUrl}/v1/reads`, hub.token('analyst', 'DE'))).body.reads as Read[];
    expect(de).to.deep.equal([]);
    expect((await getJson(`${hub.apiUrl}/v1/reads`, hub.token('auditor', 'KZ'))).status).to.equal(403);
  });

  it('computes completeness, delay and rejection rate per contributor for coordinators', async () => {
    expect((await getJson(`${hub.apiUrl}/v1/quality`, hub.token('analyst', 'KZ'))).status).to.equal(403);
    // Nothing but fresh (1 or true) is taken: a filter it does not have is refused, not ignored.
    for (const qs of ['country=KZ', 'fresh=yes', 'fresh=1&fresh=1']) {
      const refused = await getJson(`${hub.apiUrl}/v1/quality?${qs}`, hub.token('coordinator', 'KZ', 'RED'));
      expect(refused.status, qs).to.equal(400);
      expect((refused.body.error as { code: string }).code, qs).to.equal('VALIDATION_FAILED');
      expect(
        (refused.body.errors as { field: string }[]).map((e) => e.field),
        qs,
      ).to.deep.equal([qs.slice(0, qs.indexOf('='))]);
    }
    const r = await getJson(`${hub.apiUrl}/v1/quality?fresh=1`, hub.token('coordinator', 'KZ', 'RED'));
    expect(r.status).to.equal(200);
    const by = Object.fromEntries(
      (r.body.contributors as { country: string }[]).map((c) => [c.country, c as Record<string, any>]),
    );
    expect(by.KZ!.reports).to.equal(2);
    expect(by.KZ!.completenessScore).to.equal(1);
    expect(by.KZ!.rejectionRate).to.equal(0);
    expect(by.KZ!.within7Days).to.equal(1);
    expect(by.KZ!.delayHours.median).to.be.within(71, 73);
    expect(by.UZ!.reports).to.equal(2);
    expect(by.UZ!.completeness.coordinates).to.equal(0);
    expect(by.UZ!.completenessScore).to.equal(0);
    expect(by.UZ!.within7Days).to.equal(0.5);
    expect(by.UZ!.rejected).to.equal(1);
    expect(by.UZ!.rejectionRate).to.equal(0.333);
  });

  it('counts for a coordinator only the records its handling lets it read, each handling’s figures cached apart', async () => {
    type Row = {
      country: string;
      reports: number;
      accepted: number;
      rejected: number;
      rejectionRate: number | null;
      completenessScore: number;
    };
    const quality = async (token: string, fresh = false) => {
      const r = await getJson(`${hub.apiUrl}/v1/quality${fresh ? '?fresh=1' : ''}`, token);
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      return Object.fromEntries((r.body.contributors as Row[]).map((c) => [c.country, c]));
    };
    const kzRed = hub.token('coordinator', 'KZ', 'RED');
    const tjGreen = hub.token('coordinator', 'TJ', 'GREEN');
    // KZ's reports are AMBER for Central Asia: KZ sees its own, TJ with GREEN clearance nothing of them.
    expect((await quality(kzRed, true)).KZ).to.include({ reports: 2, accepted: 2, completenessScore: 1 });
    // Asked within the minute the figures are cached: not the figures computed for KZ.
    for (const tj of [await quality(tjGreen), await quality(tjGreen, true)]) {
      expect(tj.KZ, 'nothing of KZ’s AMBER reports, not even that they were sent').to.equal(undefined);
      expect(tj.UZ).to.include({ reports: 2, accepted: 2, rejected: 1 });
    }
    expect((await quality(kzRed)).KZ!.reports, 'KZ’s figures kept apart').to.equal(2);
    // Its own always, whatever its clearance; AMBER for Central Asia reaches TJ once cleared for AMBER.
    expect((await quality(hub.token('coordinator', 'KZ', 'CLEAR'), true)).KZ!.reports).to.equal(2);
    expect((await quality(hub.token('coordinator', 'TJ', 'AMBER'))).KZ!.reports).to.equal(2);
    expect((await quality(hub.token('admin', 'DE', 'RED'))).KZ, 'not releasable to DE').to.equal(undefined);

    // A report of UZ's for KZ alone: TJ's figures are of what TJ may read, as they were before that report came, and
    // below RED with no rejection rate (refusals are counted all, accepted envelopes only when readable: a rate of
    // the two would not be of one whole); KZ's counts it.
    const before = await quality(tjGreen, true);
    const forKz = await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, {
      seizedAt: '2026-03-01T06:00:00Z',
      country: 'UZ',
      agency: 'police',
      drugs: [{ substance: 'opium', quantity: 3, unit: 'kg' }],
      handling: { tlp: 'AMBER', releasableTo: ['KZ'] },
    });
    expect(forKz.status).to.equal(202);
    await waitUntil(
      'the report for KZ counted',
      async () => (await quality(kzRed, true)).UZ!.accepted === 3 || undefined,
    );
    const counted = Date.now();
    expect((await quality(kzRed)).UZ).to.include({ rejected: 1, rejectionRate: 0.25 });
    expect(before.UZ).to.include({ reports: 2, accepted: 2, rejected: 1, rejectionRate: null });
    // TJ's figures computed since KZ's counted the report (fresh=1 recomputes figures a few seconds old, no younger).
    const after = await waitUntil('TJ’s figures computed again', async () => {
      const r = await getJson(`${hub.apiUrl}/v1/quality?fresh=1`, tjGreen);
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      return Date.parse(r.body.computedAt as string) >= counted ? r.body : undefined;
    });
    expect(Object.fromEntries((after.contributors as Row[]).map((c) => [c.country, c]))).to.deep.equal(
      before,
    );
    // Cleared for RED, the rate is of every envelope, also the one TJ may not read (not counted in accepted).
    expect((await quality(hub.token('coordinator', 'TJ', 'RED'), true)).UZ).to.include({
      accepted: 2,
      rejected: 1,
      rejectionRate: 0.25,
    });
    // KZ below RED reads what KZ cleared for RED reads: within the minute, not the answer made for RED.
    const kzStrict = await quality(hub.token('coordinator', 'KZ', 'AMBER+STRICT'));
    expect(kzStrict.UZ).to.include({ accepted: 3, rejected: 1, rejectionRate: null });
    expect(Object.values(kzStrict).every((c) => c.rejectionRate === null)).to.equal(true);
    const labelled = await getJson(`${hub.apiUrl}/v1/quality`, tjGreen);
    expect(labelled.body.counted).to.match(/^of what the caller may read: /);
    expect(labelled.body.counted).to.include('rejectionRate is null to a caller cleared below RED');
    const red = await getJson(`${hub.apiUrl}/v1/quality`, kzRed);
    expect(red.body.counted).to.include(
      'rejectionRate, to a caller cleared for RED, is rejected / (accepted + rejected) of every envelope',
    );
  });
});
