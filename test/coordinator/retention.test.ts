// Retention review: a record's originator is warned before its review date and may renew it; a record not renewed
// is erased from the store and the read models, a signed erasure notice goes out (to the countries its alerts went
// to as well), and a replay honours it.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { decodeLockedStage } from '@hub/coordinator';
import { createVerifier, HUB_ORIGIN } from '@hub/envelope';
import { createKafka, topicNames } from '@hub/kafka';
import { PkiStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, connectStore, findBuckets, withLock, type Store } from '@hub/store';
import { hubAsync } from '../support/cli';
import { cliEnv, createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, postJson, produceRaw, startTestHub, unreadableAs, type TestHub } from '../support/hub';

type Notice = { kind: string; subjectId: string; reviewAt: number };

/**
 * A hub whose records fall due within seconds (25 s; warned 22 s before), reviewed every 300 ms: long enough for a
 * warning, a renewal and its round trip through the broker to fit before the date on a slow machine.
 */
function retentionHub(name: string, countries = ['KZ']): { env: TestEnv; hub: TestHub; store: Store } {
  const fx = {} as { env: TestEnv; hub: TestHub; store: Store };
  before(async () => {
    fx.env = createTestEnv(name);
    fx.hub = await startTestHub(fx.env, countries, {
      retention: {
        periods: { seizure: 25000, annual: 600000 },
        warnMs: 22000,
        checkMs: 300,
        renewMs: 600000,
      },
    });
    fx.store = await connectStore({ url: fx.env.config.mongo.url, dbName: fx.env.config.mongo.dbName });
  });
  after(async () => {
    await fx.store?.close();
    await fx.hub?.close();
    fx.env?.cleanup();
  });
  return fx;
}

describe('retention review and erasure', function () {
  this.timeout(240000);
  const fx = retentionHub('retention', ['KZ', 'UZ']);

  it('warns, renews on request, erases what was not renewed everywhere, and a replay agrees', async () => {
    const node = fx.hub.nodes.KZ!.url;
    const uzNode = fx.hub.nodes.UZ!.url;
    const body = (country = 'KZ') => ({
      reportId: randomUUID(),
      seizedAt: '2026-02-01T06:00:00Z',
      country,
      agency: 'customs',
      drugs: [{ substance: 'heroin', quantity: 4, unit: 'kg' }],
      conveyance: { mode: 'road', identifiers: [{ kind: 'plate', value: 'KZ777' }] },
      route: [
        { country: 'AF', role: 'origin' },
        { country, role: 'seizure' },
      ],
      handling: { tlp: 'GREEN' },
    });
    const a = body();
    const b = body();
    // U, UZ's, shares A's plate: an alert naming both goes to KZ and UZ, and UZ must hear of A's erasure. U is
    // renewed, as B is, so that A alone is erased.
    const u = body('UZ');
    for (const r of [a, b]) expect((await postJson(`${node}/v1/seizures`, r)).status).to.equal(202);
    expect((await postJson(`${uzNode}/v1/seizures`, u)).status).to.equal(202);
    await waitUntil(
      'all three stored',
      async () => (await fx.store.collection(COLLECTIONS.reports).countDocuments()) === 3 || undefined,
    );
    const alerts = fx.store.collection<{ _id: string; countries: string[] }>(COLLECTIONS.alerts);
    const alert = await waitUntil(
      'an alert naming A and U',
      async () =>
        (await alerts.find({ 'matched.reportId': a.reportId }).toArray()).find((x) =>
          JSON.stringify(x).includes(u.reportId),
        ) ?? undefined,
    );
    expect(alert.countries).to.deep.equal(['KZ', 'UZ']);
    // A's second version is for KZ alone; its first went on the regions' feeds, which must hear of its erasure.
    const narrowed = await postJson(`${node}/v1/seizures`, {
      ...a,
      handling: { tlp: 'AMBER', releasableTo: ['KZ'] },
    });
    expect(narrowed.body.version).to.equal(2);
    await waitUntil(
      'A version 2 stored',
      async () =>
        (await fx.store
          .collection(COLLECTIONS.reports)
          .countDocuments({ _id: a.reportId as never, version: 2 })) === 1 || undefined,
    );

    const notices = async (at = node) =>
      ((await getJson(`${at}/v1/retention`)).body.notices as Notice[]) ?? [];
    await waitUntil('both warned ahead of their review date', async () => {
      const n = await notices();
      return (
        [a, b].every((r) => n.some((x) => x.kind === 'review_due' && x.subjectId === r.reportId)) || undefined
      );
    });
    const renewed = await postJson(`${node}/v1/seizures/${b.reportId}/renew`, {
      reason: 'case still open in court',
    });
    expect(renewed.status).to.equal(202);
    await waitUntil('U warned at its node', async () =>
      (await notices(uzNode)).find((x) => x.kind === 'review_due' && x.subjectId === u.reportId),
    );
    const uRenewed = await postJson(`${uzNode}/v1/seizures/${u.reportId}/renew`, {
      reason: 'case still open in court',
    });
    expect(uRenewed.status).to.equal(202);
    await waitUntil('U renewed', async () =>
      (await notices(uzNode)).find((x) => x.kind === 'renewed' && x.subjectId === u.reportId),
    );
    const renewal = await waitUntil('the renewal confirmed', async () =>
      (await notices()).find((x) => x.kind === 'renewed' && x.subjectId === b.reportId),
    );
    const firstReview = (await notices()).find((x) => x.kind === 'review_due' && x.subjectId === b.reportId)!;
    expect(renewal.reviewAt).to.be.greaterThan(firstReview.reviewAt);

    // The erasure log entry is written last, once the record is gone from every collection and read model.
    await waitUntil(
      'A erased',
      async () =>
        (await fx.store.collection(COLLECTIONS.erasures).findOne({ _id: a.reportId as never })) ?? undefined,
      60000,
    );
    expect(
      await fx.store.collection(COLLECTIONS.reports).countDocuments({ _id: a.reportId as never }),
    ).to.equal(0);
    // Gone from every collection and from the read models; B untouched.
    expect(
      await fx.store.collection(COLLECTIONS.reportVersions).countDocuments({ reportId: a.reportId }),
    ).to.equal(0);
    expect(
      await fx.store.collection(COLLECTIONS.envelopes).countDocuments({ subjectId: a.reportId }),
    ).to.equal(0);
    const stats = await findBuckets(
      fx.store.collection<{ _id: string; count: number }>(COLLECTIONS.statsMonthly),
    );
    expect(stats.reduce((s, x) => s + x.count, 0)).to.equal(2);
    expect(
      JSON.stringify(await fx.store.collection(COLLECTIONS.statsMonthly).find({}).toArray()),
    ).not.to.include(a.reportId);
    expect(
      JSON.stringify(await fx.store.collection(COLLECTIONS.reportKeys).find({}).toArray()),
    ).not.to.include(a.reportId);
    for (const name of [COLLECTIONS.matchKeys, COLLECTIONS.routeKeys, COLLECTIONS.contributions])
      expect(JSON.stringify(await fx.store.collection(name).find({}).toArray()), name).not.to.include(
        a.reportId,
      );
    // Nor what a chunk's locked stage recorded for a crash (a binary body).
    for (const d of await fx.store
      .collection<{ body: Buffer }>(COLLECTIONS.intakeLockedStages)
      .find({})
      .toArray())
      expect(JSON.stringify(decodeLockedStage(d.body))).not.to.include(a.reportId);
    expect(await alerts.countDocuments({ 'matched.reportId': a.reportId })).to.equal(0);
    for (const kept of [b, u])
      expect(
        await fx.store.collection(COLLECTIONS.reports).countDocuments({ _id: kept.reportId as never }),
      ).to.equal(1);
    const token = fx.hub.token('analyst', 'KZ', 'AMBER');
    expect((await getJson(`${fx.hub.apiUrl}/v1/seizures/${a.reportId}`, token)).status).to.equal(404);

    // The erasure log says what and why, without content.
    const log = await fx.store.collection(COLLECTIONS.erasures).findOne({ _id: a.reportId as never });
    expect(log).to.include({
      subjectId: a.reportId,
      originCountry: 'KZ',
      reasonCode: 'retention_expired',
      versionsUpTo: 2,
    });
    expect(JSON.stringify(log)).not.to.match(/heroin|KZ777|customs/);

    // The originator hears of it, and the notice on hub.erasures is signed by the coordinator.
    await waitUntil('the erasure notice at the node', async () => {
      const r = await getJson(`${node}/v1/retention/erasures?subjectId=${a.reportId}`);
      return (r.body.erasures as { subjectId: string }[]).length === 1 || undefined;
    });
    // The node's view of each record's retention: A erased, B renewed, neither awaiting renewal any more.
    const current = await waitUntil('A erased at the node', async () => {
      const r = await getJson(`${node}/v1/retention?current=true`);
      const now = r.body.notices as Notice[];
      return now.some((x) => x.subjectId === a.reportId && x.kind === 'erased') ? r.body : undefined;
    });
    expect(
      (current.notices as Notice[])
        .filter((x) => x.subjectId === a.reportId || x.subjectId === b.reportId)
        .map((x) => x.kind),
    ).to.have.members(['erased', 'renewed']);
    expect(current.counts).to.deep.equal({ review_due: 0, renewed: 1, erased: 1 });
    // Renewed too late, after its erasure: refused in its receipt, not left unanswered.
    const late = await postJson(`${node}/v1/seizures/${a.reportId}/renew`, { reason: 'the case reopened' });
    expect(late.status).to.equal(202);
    const refusal = await waitUntil('the late renewal answered', async () => {
      const r = await getJson(`${node}/v1/receipts/${a.reportId}`);
      return (
        r.body.renewals as { inReplyTo: string; status: string; reasons: { message: string }[] }[] | undefined
      )?.find((x) => x.inReplyTo === late.body.messageId);
    });
    expect(refusal.status).to.equal('rejected');
    expect(refusal.reasons[0]!.message).to.contain(
      'to renew (none was stored under this id, or it was erased)',
    );
    const awaiting = await getJson(`${node}/v1/retention?kind=review_due&current=true`);
    const awaitingIds = (awaiting.body.notices as Notice[]).map((x) => x.subjectId);
    expect(awaitingIds).not.to.include(a.reportId);
    expect(awaitingIds).not.to.include(b.reportId);
    // Both review_due notices are still in the full list, with A's and B's later ones.
    const all = await getJson(`${node}/v1/retention?kind=review_due&limit=500`);
    expect((all.body.notices as Notice[]).map((x) => x.subjectId)).to.include.members([
      a.reportId,
      b.reportId,
    ]);
    const names = topicNames(fx.env.config.namespace);
    const verifier = createVerifier({ trust: new PkiStore(join(fx.env.config.hubHome, 'pki')).trustStore() });
    const registry = loadSchemaRegistry();
    const kafka = createKafka({
      brokers: fx.env.config.kafka.brokers,
      clientId: 'retention-test',
      logger: fx.env.logger,
    });
    const consumer = kafka.consumer({ groupId: names.group(`retention-test-${randomUUID()}`) });
    const seen: Record<string, unknown>[] = [];
    await consumer.connect();
    await consumer.subscribe({
      topics: [names.erasures, names.feed('central-asia'), names.nodeIn('UZ')],
      fromBeginning: true,
    });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const v = verifier.verify(message.value!);
        if (v.ok && v.envelope.origin === 'HUB' && v.envelope.messageType === 'ErasureNotice')
          seen.push({ topic, ...registry.decode(v.envelope.schemaFingerprint, v.envelope.payload) });
      },
    });
    await waitUntil(
      'the signed notice on hub.erasures',
      () => seen.some((n) => n.subjectId === a.reportId && n.topic === names.erasures) || undefined,
    );
    await waitUntil(
      'the notice on the feed its first version went to',
      () =>
        seen.some((n) => n.subjectId === a.reportId && n.topic === names.feed('central-asia')) || undefined,
    );
    await waitUntil(
      'the notice at UZ, which the alert naming A went to',
      () => seen.some((n) => n.subjectId === a.reportId && n.topic === names.nodeIn('UZ')) || undefined,
    );
    // Of U, renewed, nothing was erased.
    expect(seen.filter((n) => n.subjectId === u.reportId)).to.deep.equal([]);
    await consumer.disconnect();

    // A notice of the coordinator's that this version cannot read (a newer schema, from an upgraded instance) is
    // passed over: the replay's coordinator, which reads hub.erasures before it starts, does not stop on it.
    await produceRaw(fx.env, names.erasures, [
      { key: randomUUID(), value: unreadableAs(fx.env, HUB_ORIGIN, 'ErasureNotice') },
    ]);
    // A replay from the topics, which still hold A's envelope, honours the erasure: the same state as live.
    await fx.hub.coordinator.close();
    const result = await hubAsync(['replay'], cliEnv(fx.env), 240000);
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stderr).to.match(/the rebuilt store equals the live one/);
  });
});

describe('retention review and a renewal at the same time', function () {
  this.timeout(120000);
  const fx = retentionHub('retention-race');

  it('does not erase a record renewed while the review waited for the store lock', async () => {
    const node = fx.hub.nodes.KZ!.url;
    const reportId = randomUUID();
    const r = {
      reportId,
      seizedAt: '2026-02-01T06:00:00Z',
      country: 'KZ',
      agency: 'customs',
      drugs: [{ substance: 'opium', quantity: 2, unit: 'kg' }],
      handling: { tlp: 'GREEN' },
    };
    expect((await postJson(`${node}/v1/seizures`, r)).status).to.equal(202);
    const retention = fx.store.collection<{ _id: string; reviewAt: Date; warnedAt: Date | null }>(
      COLLECTIONS.retention,
    );
    // Warned first (22 s before its date): from then on the review reads it only once it is due.
    const entry = await waitUntil('its retention entry, warned', async () => {
      const e = await retention.findOne({ _id: reportId });
      return e?.warnedAt ? e : undefined;
    });
    // The intake applies a renewal under the read-models lock: held here through the record's review date, so that
    // the review (every 300 ms) finds it due and waits for the lock; the renewal is written meanwhile.
    await withLock(fx.store, 'read-models', async () => {
      await new Promise((done) =>
        setTimeout(done, Math.max(0, entry.reviewAt.getTime() - Date.now()) + 1500),
      );
      await retention.updateOne(
        { _id: reportId },
        { $set: { reviewAt: new Date(Date.now() + 600_000), warnedAt: null } },
      );
    });
    await new Promise((done) => setTimeout(done, 3000));
    expect(
      await fx.store.collection(COLLECTIONS.reports).countDocuments({ _id: reportId } as never),
    ).to.equal(1);
    expect((await retention.findOne({ _id: reportId }))?.reviewAt.getTime()).to.be.greaterThan(Date.now());
  });
});
