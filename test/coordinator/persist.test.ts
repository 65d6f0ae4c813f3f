// Storing a classified batch on the real store: new records are inserted outright (FerretDB's one write without a
// scan), and what exists already (a redelivery, a version claimed twice, a late older version) is found from the
// inserts' duplicate keys. The documents handed on to the read models are exactly what the store holds.
import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { correlate } from '@hub/coordinator/correlate';
import {
  backfillMessageDigests,
  BucketCache,
  classifyBatch,
  convertReadModels,
  hasUnconvertedBuckets,
  digestClaimsIn,
  persistBatch,
  updateReadModels,
  versionHandlings,
  type Outcome,
} from '@hub/coordinator';
import { routeReportFromJson, seizureReportFromJson } from '@hub/domain';
import { createSigner, createVerifier, type Signer, type Verifier } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { loadRegions, loadSchemaRegistry } from '@hub/schemas';
import {
  COLLECTIONS,
  connectStore,
  findBuckets,
  latestVersions,
  type Store,
  type StoredReport,
  type StoredReportVersion,
} from '@hub/store';
import { createTestEnv, type TestEnv } from '../support/env';
import { testPki, minimalReport } from '../support/hub';

const minimal = minimalReport();

describe('coordinator: storing a batch by insertion, and its read models', function () {
  this.timeout(60000);
  const registry = loadSchemaRegistry();
  const regions = loadRegions();
  let env: TestEnv;
  let store: Store;
  let kz: Signer;
  let uz: Signer;
  let verifier: Verifier;
  let offset = 0;

  const message = (reportId: string, version: number, over: Record<string, unknown> = {}) => {
    const value = seizureReportFromJson(
      { ...minimal, reportId, ...over },
      { nodeCountry: 'KZ', now: Date.now(), versionOf: () => version, regions: new Set() },
    ).value;
    const { payload, fingerprint } = registry.encode('SeizureReport', value);
    return kz.signEncoded({ messageType: 'SeizureReport', schemaFingerprint: fingerprint, payload });
  };
  /** Each message as read from its signer's topic (KZ's where it names none). */
  const classify = (messages: { bytes: Buffer; envelope?: { origin: string } }[]) =>
    classifyBatch(
      messages.map((m) => ({
        topic: topicNames(env.config.namespace).nodeOut(m.envelope?.origin ?? 'KZ'),
        partition: 0,
        offset: String(offset++),
        key: null,
        bytes: m.bytes,
      })),
      {
        verifier,
        registry,
        clock: Date.now,
        countryOf: topicNames(env.config.namespace).countryOf,
        claimDigests: digestClaimsIn(store),
      },
    );
  const persist = (outcomes: Outcome[]) => persistBatch(store, outcomes, regions, Date.now);
  const reports = () => store.collection<StoredReport>(COLLECTIONS.reports);
  const versions = () => store.collection<StoredReportVersion>(COLLECTIONS.reportVersions);
  const kinds = (outcomes: Outcome[]) => outcomes.map((o) => (o.kind === 'accepted' ? 'accepted' : o.reason));

  before(async () => {
    env = createTestEnv('persist');
    const pki = testPki(env, ['KZ', 'UZ']);
    const signerOf = (cc: string) => {
      const id = pki.identity(cc);
      return createSigner({ privateKey: id.privateKey, certificate: id.certificatePem, origin: cc });
    };
    kz = signerOf('KZ');
    uz = signerOf('UZ');
    verifier = createVerifier({ trust: pki.trustStore() });
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    await store.ensureIndexes();
  });
  after(async () => {
    await store?.close();
    env?.cleanup();
  });

  it('reads the handling of every version from the history, a report’s as stored and a route’s inside its message', async () => {
    const reportId = randomUUID();
    const outcomes = await classify([
      message(reportId, 1, { handling: { tlp: 'GREEN' } }),
      message(reportId, 2, { handling: { tlp: 'AMBER', releasableTo: ['KZ'] } }),
    ]);
    expect(kinds(outcomes)).to.deep.equal(['accepted', 'accepted']);
    await persist(outcomes);
    // A route's history entry keeps its handling in the message it keeps, in the message's own form.
    const routeId = randomUUID();
    await versions().insertOne({
      _id: `${routeId}:1`,
      kind: 'route',
      reportId: routeId,
      version: 1,
      originCountry: 'KZ',
      report: { routeId, version: 1, handling: { tlp: 'AMBER_STRICT', releasableTo: ['central-asia'] } },
    } as never);
    const read = await versionHandlings(store, [reportId, routeId, randomUUID()], regions);
    expect(
      read.get(reportId)!.map((v) => [v.version, v.handling?.tlp, v.handling?.releasableTo]),
    ).to.deep.equal([
      [1, 'GREEN', []],
      [2, 'AMBER', ['KZ']],
    ]);
    const [route] = read.get(routeId)!;
    expect(route).to.deep.include({ version: 1 });
    expect(route!.handling).to.include({ originCountry: 'KZ', tlp: 'AMBER+STRICT' });
    expect(route!.handling!.releasableCountries).to.include.members(['KZ', 'UZ']);
    expect(read.size, 'nothing for an id without history').to.equal(2);
  });

  it('inserts new reports, their history and envelopes, and hands on documents equal to the stored ones', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const result = await persist(await classify(ids.map((id) => message(id, 1))));
    expect(kinds(result.outcomes)).to.deep.equal(['accepted', 'accepted', 'accepted']);
    expect([...result.documents.keys()].sort()).to.deep.equal([...ids].sort());
    expect([...result.fresh].sort(), 'first stored now').to.deep.equal([...ids].sort());
    for (const id of ids) {
      const stored = await reports().findOne({ _id: id });
      expect(result.documents.get(id), id).to.deep.equal(stored);
      expect(await versions().countDocuments({ _id: `${id}:1` })).to.equal(1);
    }
    const messageIds = result.outcomes.map((o) => o.envelope?.messageId as string);
    expect(
      await store
        .collection<{ _id: string }>(COLLECTIONS.envelopes)
        .countDocuments({ _id: { $in: messageIds } }),
    ).to.equal(3);
  });

  it('changes nothing on redelivery, reads the report once and not its history, and hands the stored one on', async () => {
    const id = randomUUID();
    const batch = await classify([message(id, 1)]);
    await persist(batch);
    const before = await reports().findOne({ _id: id });
    // The store as it is, with every find recorded by collection (on FerretDB each is a decode of the collection).
    const reads: string[] = [];
    const spied = new Proxy(store, {
      get: (target, prop) =>
        prop === 'collection'
          ? (name: string) =>
              new Proxy(target.collection(name as never), {
                get: (c, p) => {
                  if (p === 'find') reads.push(name);
                  const v = Reflect.get(c, p) as unknown;
                  return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(c) : v;
                },
              })
          : (Reflect.get(target, prop) as unknown),
    });
    const again = await persistBatch(spied, batch, regions, Date.now);
    expect(kinds(again.outcomes)).to.deep.equal(['accepted']);
    expect(again.documents.get(id), 'the stored document, as it stands').to.deep.equal(before);
    expect(again.documents.size).to.equal(1);
    expect(again.fresh.size, 'stored before').to.equal(0);
    expect(again.changedReports).to.deep.equal([id]);
    expect(reads, 'the current report, once; its history not at all').to.deep.equal([COLLECTIONS.reports]);
    expect(await reports().findOne({ _id: id })).to.deep.equal(before);
    expect(await versions().countDocuments({ reportId: id })).to.equal(1);
  });

  it('reads the history claims the current reports cannot confirm: a report missing after a crash, a later version', async () => {
    // Caught between its history entry and its report: the claim is read, found ours, and the report inserted.
    const lost = randomUUID();
    const first = await classify([message(lost, 1)]);
    await persist(first);
    await reports().deleteOne({ _id: lost });
    const repaired = await persist(first);
    expect(kinds(repaired.outcomes)).to.deep.equal(['accepted']);
    expect(repaired.fresh.has(lost), 'inserted now').to.equal(true);
    expect((await reports().findOne({ _id: lost }))?.messageId).to.equal(first[0]!.envelope?.messageId);
    // The current report is a later version: a redelivery of the first is still ours, another claim of it stale.
    const id = randomUUID();
    const v1 = message(id, 1);
    const v1Batch = await classify([v1]);
    await persist(v1Batch);
    await persist(await classify([message(id, 2, { notes: 'second' })]));
    const again = await persist(v1Batch);
    expect(kinds(again.outcomes)).to.deep.equal(['accepted']);
    expect(again.documents.get(id)?.version, 'the current second version, handed on').to.equal(2);
    const rival = await persist(await classify([message(id, 1, { notes: 'another first' })]));
    expect(kinds(rival.outcomes)).to.deep.equal(['stale-version']);
    expect((rival.outcomes[0] as { detail: string }).detail).to.contain(v1.envelope.messageId);
    expect(await versions().countDocuments({ reportId: id })).to.equal(2);
  });

  it('rejects a second message claiming a stored version, or one claimed earlier in the same batch, as stale', async () => {
    const id = randomUUID();
    const first = message(id, 1);
    const sameBatch = message(id, 1, { notes: 'a second claim in the same batch' });
    const result = await persist(await classify([first, sameBatch]));
    expect(kinds(result.outcomes)).to.deep.equal(['accepted', 'stale-version']);
    const later = await persist(await classify([message(id, 1, { notes: 'a later claim' })]));
    expect(kinds(later.outcomes)).to.deep.equal(['stale-version']);
    expect((later.outcomes[0] as { detail: string }).detail).to.contain(first.envelope.messageId);
    const stored = await reports().findOne({ _id: id });
    expect(stored?.messageId).to.equal(first.envelope.messageId);
    expect((stored?.report as { notes: string }).notes).to.equal('free text');
    expect(
      await store
        .collection<{ _id: string }>(COLLECTIONS.envelopes)
        .countDocuments({ _id: sameBatch.envelope.messageId }),
    ).to.equal(0);
  });

  it("refuses another country's route under a report's id before it claims the version, listed before the originator's own in one batch and stored again", async () => {
    const signed = (signer: Signer, messageType: string, value: unknown) => {
      const { payload, fingerprint } = registry.encode(messageType, value);
      return signer.signEncoded({ messageType, schemaFingerprint: fingerprint, payload });
    };
    const id = randomUUID();
    await persist(await classify([message(id, 1)]));
    // UZ read the id on a feed, and sends "version 2" of it as a route of its own, just before KZ's own version 2.
    const uzRoute = signed(
      uz,
      'TraffickingRoute',
      routeReportFromJson(
        {
          routeId: id,
          name: 'Rewritten by UZ',
          legs: [{ from: 'TJ', to: 'UZ' }],
          handling: { tlp: 'GREEN' },
        },
        { nodeCountry: 'UZ', now: Date.now(), versionOf: () => 2, regions: new Set() },
      ).value,
    );
    const kzV2 = message(id, 2, { notes: 'KZ, corrected' });
    const batch = await classify([uzRoute, kzV2]);
    expect(kinds(batch)).to.deep.equal(['accepted', 'accepted']);
    const result = await persist(batch);
    expect(kinds(result.outcomes)).to.deep.equal(['country-mismatch', 'accepted']);
    expect((result.outcomes[0] as { detail: string }).detail).to.equal(
      `${id} is a record of KZ: only KZ may send a new version of it or withdraw it`,
    );
    const claimOf2 = async () => (await versions().findOne({ _id: `${id}:2` }))?.messageId;
    expect(await claimOf2(), "version 2 is KZ's").to.equal(kzV2.envelope.messageId);
    expect(await store.collection(COLLECTIONS.routes).countDocuments({ _id: id as never })).to.equal(0);
    // The batch again (a crash before its answers): the same outcomes, the same claims.
    const again = await persist(batch);
    expect(kinds(again.outcomes)).to.deep.equal(['country-mismatch', 'accepted']);
    expect(await claimOf2()).to.equal(kzV2.envelope.messageId);
    // KZ's withdrawal, version 3, is taken.
    const withdrawal = signed(kz, 'SeizureRetraction', {
      reportId: id,
      version: 3,
      retractedAt: Date.now(),
      reason: 'withdrawn',
      submittedBy: null,
    });
    expect(kinds((await persist(await classify([withdrawal]))).outcomes)).to.deep.equal(['accepted']);
    expect(await reports().findOne({ _id: id })).to.include({
      status: 'retracted',
      version: 3,
      originCountry: 'KZ',
    });
    expect(
      (await versions().find({ reportId: id }).toArray()).map((h) => [h.version, h.originCountry]).sort(),
    ).to.deep.equal([
      [1, 'KZ'],
      [2, 'KZ'],
      [3, 'KZ'],
    ]);
  });

  it('applies a later version over the stored one, supersedes the earlier, and ignores an older one arriving late', async () => {
    const id = randomUUID();
    await persist(await classify([message(id, 1)]));
    const v3 = await persist(await classify([message(id, 3, { notes: 'third' })]));
    expect(v3.documents.get(id)?.version).to.equal(3);
    expect(v3.fresh.size, 'an earlier version was stored').to.equal(0);
    expect(v3.documents.get(id)).to.deep.equal(await reports().findOne({ _id: id }));
    expect((await versions().findOne({ _id: `${id}:1` }))?.supersededAt).to.be.instanceOf(Date);
    const late = await persist(await classify([message(id, 2, { notes: 'second, late' })]));
    expect(kinds(late.outcomes)).to.deep.equal(['accepted']);
    expect(late.documents.get(id)?.version, 'the stored third version, handed on as it stands').to.equal(3);
    const stored = await reports().findOne({ _id: id });
    expect(stored?.version).to.equal(3);
    expect((stored?.report as { notes: string }).notes).to.equal('third');
    expect(await versions().countDocuments({ reportId: id })).to.equal(3);
  });

  it('claims each message digest at intake: a redelivery passes, other bytes under a known message id are a replay', async () => {
    const original = message(randomUUID(), 1);
    expect(kinds(await classify([original]))).to.deep.equal(['accepted']);
    expect(kinds(await classify([original])), 'the same bytes again').to.deep.equal(['accepted']);
    // Other bytes under the same message id: the envelope re-signed with a changed payload.
    const forged = kz.signEncoded({
      messageType: 'SeizureReport',
      schemaFingerprint: original.envelope.schemaFingerprint,
      payload: message(randomUUID(), 1).envelope.payload,
      messageId: original.envelope.messageId,
    });
    expect(forged.envelope.messageId).to.equal(original.envelope.messageId);
    const refused = await classify([forged]);
    expect(kinds(refused)).to.deep.equal(['replay']);
    // Both in one batch, never seen before: the first is the claim, the second the replay.
    const fresh = message(randomUUID(), 1);
    const twin = kz.signEncoded({
      messageType: 'SeizureReport',
      schemaFingerprint: fresh.envelope.schemaFingerprint,
      payload: message(randomUUID(), 1).envelope.payload,
      messageId: fresh.envelope.messageId,
    });
    expect(kinds(await classify([fresh, twin]))).to.deep.equal(['accepted', 'replay']);
  });

  it('takes the digests of an archive written before claims existed, so its message ids stay spent', async () => {
    const stored = message(randomUUID(), 1);
    await persist(await classify([stored]));
    const digests = store.collection(COLLECTIONS.messageDigests);
    await digests.deleteMany({});
    await backfillMessageDigests(store, env.logger);
    expect(await digests.countDocuments()).to.equal(
      await store.collection(COLLECTIONS.envelopes).countDocuments(),
    );
    const forged = kz.signEncoded({
      messageType: 'SeizureReport',
      schemaFingerprint: stored.envelope.schemaFingerprint,
      payload: message(randomUUID(), 1).envelope.payload,
      messageId: stored.envelope.messageId,
    });
    expect(kinds(await classify([forged]))).to.deep.equal(['replay']);
  });

  // Each read-model test routes its reports through a transit country of its own, and dates them in a year of its
  // own, so that its buckets are its alone.
  const routed = (transit: string, seizedAt: string, kg: number) => ({
    seizedAt,
    drugs: [{ substance: 'heroin', quantity: kg, unit: 'kg' }],
    route: [
      { country: 'AF', role: 'origin' },
      { country: transit, role: 'transit' },
      { country: 'RU', role: 'destination' },
    ],
  });
  const ingest = async (messages: { bytes: Buffer }[], target: Store = store, cache?: BucketCache) => {
    const persisted = await persist(await classify(messages));
    await updateReadModels(target, persisted.changedReports, persisted, cache);
  };
  type Bucket = { count: number; quantityKg: number; lastSeenAt?: Date; members?: unknown; bucket?: string };
  // Buckets as they stand: each one's latest version (see @hub/store buckets.ts).
  const bucket = async (
    name: typeof COLLECTIONS.statsMonthly | typeof COLLECTIONS.routeLegs,
    filter: object,
  ) => (await findBuckets(store.collection<Bucket & { _id: string }>(name), filter))[0] ?? null;
  const leg = (from: string, to: string) => bucket(COLLECTIONS.routeLegs, { from, to, substance: 'heroin' });
  const month = (year: number, m: number) =>
    bucket(COLLECTIONS.statsMonthly, { country: 'KZ', substance: 'heroin', year, month: m });
  /** The stored document of a bucket's latest version. */
  const latestVersion = async (
    name: typeof COLLECTIONS.statsMonthly | typeof COLLECTIONS.routeLegs,
    filter: object,
  ) =>
    (await store.collection<Bucket & { _id: string; rev: number }>(name).find(filter).toArray()).sort(
      (x, y) => y.rev - x.rev,
    )[0];

  it('keeps totals exact through versions, a leg losing its latest report finding its last-seen date again', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await ingest([
      message(a, 1, routed('TM', '2019-05-10T10:00:00Z', 10)),
      message(b, 1, routed('TM', '2019-05-20T10:00:00Z', 5)),
    ]);
    expect(await month(2019, 5)).to.include({ count: 2, quantityKg: 15 });
    expect(await leg('AF', 'TM')).to.include({ count: 2, quantityKg: 15 });
    expect((await leg('TM', 'RU'))?.lastSeenAt?.toISOString()).to.equal('2019-05-20T10:00:00.000Z');
    expect((await leg('AF', 'TM'))?.members, 'reports are not kept inside buckets').to.equal(undefined);

    await ingest([message(b, 2, routed('TM', '2019-05-20T10:00:00Z', 7))]);
    expect(await month(2019, 5)).to.include({ count: 2, quantityKg: 17 });
    expect(await leg('AF', 'TM')).to.include({ count: 2, quantityKg: 17 });

    // Version 3 re-dates b to April: May keeps a alone, and the leg's latest report is a again.
    await ingest([message(b, 3, routed('TM', '2019-04-01T10:00:00Z', 7))]);
    expect(await month(2019, 5)).to.include({ count: 1, quantityKg: 10 });
    expect(await month(2019, 4)).to.include({ count: 1, quantityKg: 7 });
    expect(await leg('AF', 'TM')).to.include({ count: 2, quantityKg: 17 });
    expect((await leg('AF', 'TM'))?.lastSeenAt?.toISOString()).to.equal('2019-05-10T10:00:00.000Z');

    // Redelivery of all three batches changes nothing.
    await ingest([message(a, 1, routed('TM', '2019-05-10T10:00:00Z', 10))]);
    expect(await month(2019, 5)).to.include({ count: 1, quantityKg: 10 });
    expect(await leg('AF', 'TM')).to.include({ count: 2, quantityKg: 17 });
  });

  it('counts a report once per bucket however many drug lines it has there, and corrects a bucket counted per line before', async () => {
    const reportId = randomUUID();
    // Heroin 5 kg + heroin 2 kg + opium 10 kg, on the route AF → TR → KZ (a transit and a year no other test uses).
    const threeLines = {
      seizedAt: '2011-08-10T10:00:00Z',
      drugs: [
        { substance: 'heroin', quantity: 5, unit: 'kg' },
        { substance: 'heroin', quantity: 2, unit: 'kg' },
        { substance: 'opium', quantity: 10, unit: 'kg' },
      ],
      route: [
        { country: 'AF', role: 'origin' },
        { country: 'TR', role: 'transit' },
        { country: 'KZ', role: 'destination' },
      ],
    };
    const opium = () =>
      bucket(COLLECTIONS.statsMonthly, { country: 'KZ', substance: 'opium', year: 2011, month: 8 });
    await ingest([message(reportId, 1, threeLines)]);
    expect(await month(2011, 8)).to.include({ count: 1, quantityKg: 7 });
    expect(await opium()).to.include({ count: 1, quantityKg: 10 });
    expect(await leg('AF', 'TR')).to.include({ count: 1, quantityKg: 7 });
    expect(await leg('TR', 'KZ')).to.include({ count: 1, quantityKg: 7 });

    // The store as a coordinator before kept it: the report counted once per heroin line, in its contribution and
    // in its bucket.
    const contributions = store.collection<{
      _id: string;
      amounts: { bucket: string; kg: number; n: number; at: Date }[];
    }>(COLLECTIONS.contributions);
    const stored = (await contributions.findOne({ _id: reportId }))!;
    const heroinStats = stored.amounts.filter((a) => a.bucket.startsWith('s|KZ|heroin|'));
    expect(heroinStats).to.have.length(1);
    await contributions.replaceOne(
      { _id: reportId },
      { amounts: stored.amounts.map((a) => (a === heroinStats[0] ? { ...a, n: 2 } : a)) },
    );
    const filter = { country: 'KZ', substance: 'heroin', year: 2011, month: 8 };
    const id = String((await latestVersion(COLLECTIONS.statsMonthly, filter))?._id);
    await store
      .collection<Bucket & { _id: string }>(COLLECTIONS.statsMonthly)
      .updateOne({ _id: id }, { $set: { count: 2 } });
    expect(await month(2011, 8)).to.include({ count: 2, quantityKg: 7 });

    // Its next version, the same drugs: the stored n (2) against the new (1) corrects the bucket.
    await ingest([message(reportId, 2, threeLines)]);
    expect(await month(2011, 8)).to.include({ count: 1, quantityKg: 7 });
    expect(await opium()).to.include({ count: 1, quantityKg: 10 });
    expect(await leg('AF', 'TR')).to.include({ count: 1, quantityKg: 7 });
    const now = (await contributions.findOne({ _id: reportId }))!.amounts;
    expect(now.every((a) => a.n === 1)).to.equal(true);
  });

  // A store whose route legs "crash" at the insert that follows their delete: the stats buckets are written, the
  // legs the batch changes are deleted and not yet written again (the process dies there).
  const crashingAtLegInsert = (): Store => ({
    ...store,
    collection: ((name: string) =>
      name === COLLECTIONS.routeLegs
        ? Object.assign(Object.create(store.collection(name)), {
            insertMany: () => Promise.reject(new Error('crash before the legs')),
            bulkWrite: (ops: object[], o: object) =>
              ops.some((op) => 'replaceOne' in op || 'insertOne' in op)
                ? Promise.reject(new Error('crash before the legs'))
                : store.collection(name).bulkWrite(ops as never, o),
          })
        : store.collection(name as never)) as Store['collection'],
  });

  // A store whose deletes fail, as when its server goes away mid-way.
  const deletesFailing = (): Store => ({
    ...store,
    collection: ((name: string) =>
      Object.assign(Object.create(store.collection(name as never)), {
        bulkWrite: () => Promise.reject(new Error('store gone')),
        deleteMany: () => Promise.reject(new Error('store gone')),
      })) as Store['collection'],
  });

  it('finishes a batch whose read models were written half-way (a crash) without counting anything twice', async () => {
    const at = (m: number) => `2018-0${m}-15T10:00:00Z`;
    // The leg exists before the batch: the crash leaves its version before in place (new versions go beside it).
    await ingest([message(randomUUID(), 1, routed('KG', at(4), 1))]);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const batch = ids.map((id, i) => message(id, 1, routed('KG', at(i + 1), 2 + i)));
    await ingest(batch, crashingAtLegInsert()).then(
      () => expect.fail('the legs should have failed'),
      (err: Error) => expect(err.message).to.equal('crash before the legs'),
    );
    expect(await month(2018, 1)).to.include({ count: 1, quantityKg: 2 });
    expect(await leg('AF', 'KG'), 'not written yet').to.include({ count: 1, quantityKg: 1 });
    expect(await store.collection(COLLECTIONS.readModelJournal).countDocuments()).to.equal(1);
    // The batch is delivered again (its offsets were never committed): the journal is finished first.
    await ingest(batch);
    expect(await store.collection(COLLECTIONS.readModelJournal).countDocuments()).to.equal(0);
    for (let m = 1; m <= 3; m++) expect(await month(2018, m)).to.include({ count: 1, quantityKg: m + 1 });
    expect(await leg('AF', 'KG')).to.include({ count: 4, quantityKg: 10 });
    expect((await leg('KG', 'RU'))?.lastSeenAt?.toISOString()).to.equal('2018-04-15T10:00:00.000Z');
    // Without a cache to keep count of them, the versions superseded are deleted at once.
    expect(await store.collection(COLLECTIONS.routeLegs).countDocuments({ from: 'AF', to: 'KG' })).to.equal(
      1,
    );
    // And once more: nothing counts twice.
    await ingest(batch);
    expect(await leg('AF', 'KG')).to.include({ count: 4, quantityKg: 10 });
  });

  for (const engine of ['ferretdb', 'mongodb'] as const)
    it(`finishes a journal of the version before, which rewrote buckets in place (${engine} writes)`, async () => {
      // Each engine's way of rewriting: delete and insert (FerretDB), replace by _id (MongoDB); both run here.
      const transit = engine === 'ferretdb' ? 'AZ' : 'GE';
      await ingest([message(randomUUID(), 1, routed(transit, '2016-05-15T10:00:00Z', 1))]);
      // The store as the version before kept it: the bucket under its key; then its journal, left by a crash.
      const legs = store.collection<Bucket & { _id: string; rev: number }>(COLLECTIONS.routeLegs);
      const stored = await latestVersion(COLLECTIONS.routeLegs, { from: 'AF', to: transit });
      const key = stored!.bucket as string;
      const { bucket: _bucket, ...before } = { ...stored!, _id: key, rev: 1 };
      await legs.deleteMany({ from: 'AF', to: transit });
      await legs.insertOne(before);
      await store.collection(COLLECTIONS.readModelJournal).insertOne({
        _id: randomUUID(),
        deltas: [],
        contributions: [],
        writes: [
          {
            stats: false,
            put: [{ ...before, rev: 2, count: 5, quantityKg: 9 }],
            remove: [],
            existing: [key],
          },
        ],
        createdAt: new Date(),
      } as never);
      await updateReadModels({ ...store, engine }, []);
      expect(await store.collection(COLLECTIONS.readModelJournal).countDocuments()).to.equal(0);
      expect(await leg('AF', transit)).to.include({ count: 5, quantityKg: 9 });
      expect(await legs.countDocuments({ from: 'AF', to: transit })).to.equal(1);
      // The next batch writes a version beside it and deletes it (no cache here).
      await ingest([message(randomUUID(), 1, routed(transit, '2016-05-16T10:00:00Z', 2))]);
      expect(await leg('AF', transit)).to.include({ count: 6, quantityKg: 11 });
      expect(await legs.countDocuments({ from: 'AF', to: transit })).to.equal(1);
    });

  it('holds the buckets between batches, and starts again from the store when another writer wrote them', async () => {
    const cache = new BucketCache();
    const at = (d: number) => `2014-02-${d}T10:00:00Z`;
    await ingest([message(randomUUID(), 1, routed('IR', at(10), 1))], store, cache);
    // Proof the cache is used: a write that does not stamp the buckets (none of ours) is not seen.
    const buckets = store.collection<Bucket & { _id: string }>(COLLECTIONS.statsMonthly);
    const filter = { country: 'KZ', substance: 'heroin', year: 2014, month: 2 };
    const id = String((await latestVersion(COLLECTIONS.statsMonthly, filter))?._id);
    await buckets.updateOne({ _id: id }, { $set: { count: 100 } });
    await ingest([message(randomUUID(), 1, routed('IR', at(11), 2))], store, cache);
    expect(await month(2014, 2)).to.include({ count: 2, quantityKg: 3 });
    // Another writer (here: one without a cache, as an erasure or another instance) stamps the buckets anew.
    await ingest([message(randomUUID(), 1, routed('IR', at(12), 4))]);
    expect(await month(2014, 2)).to.include({ count: 3, quantityKg: 7 });
    await ingest([message(randomUUID(), 1, routed('IR', at(13), 8))], store, cache);
    expect(await month(2014, 2)).to.include({ count: 4, quantityKg: 15 });
    expect(await leg('AF', 'IR')).to.include({ count: 4, quantityKg: 15 });
    // A write that fails leaves the store unknown: the cache starts again from it, and the redelivery is exact.
    const batch = [message(randomUUID(), 1, routed('IR', at(14), 16))];
    await ingest(batch, crashingAtLegInsert(), cache).then(
      () => expect.fail('the legs should have failed'),
      (err: Error) => expect(err.message).to.equal('crash before the legs'),
    );
    await ingest(batch, store, cache);
    expect(await month(2014, 2)).to.include({ count: 5, quantityKg: 31 });
    expect(await leg('AF', 'IR')).to.include({ count: 5, quantityKg: 31 });
  });

  it('keeps the versions a cache superseded until they are many, then deletes them together', async () => {
    const failures: [string, string, number][] = [];
    const cache = new BucketCache(undefined, undefined, (err, collection, versions) =>
      failures.push([(err as Error).message, collection, versions]),
    );
    const at = (day: number) => `2012-09-${day}T10:00:00Z`;
    for (let day = 10; day < 14; day++)
      await ingest([message(randomUUID(), 1, routed('TM', at(day), 1))], store, cache);
    const filter = { country: 'KZ', substance: 'heroin', year: 2012, month: 9 };
    const stats = store.collection(COLLECTIONS.statsMonthly);
    expect(await stats.countDocuments(filter), 'a version per batch').to.equal(4);
    expect(await month(2012, 9)).to.include({ count: 4, quantityKg: 4 });
    // Fewer than the threshold (2,000 by default): nothing is deleted yet.
    expect(cache.compact(store, COLLECTIONS.statsMonthly)).to.equal(0);
    // A delete that fails (the store gone mid-way) is reported, and its versions wait for the next compaction.
    const failing = deletesFailing();
    const handed = cache.compact(failing, COLLECTIONS.statsMonthly, 1, 0);
    expect(handed).to.be.at.least(3);
    await cache.settled();
    expect(failures).to.deep.equal([['store gone', COLLECTIONS.statsMonthly, handed]]);
    expect(await stats.countDocuments(filter), 'nothing deleted').to.equal(4);
    expect(cache.compact(store, COLLECTIONS.statsMonthly, 1, 0), 'all put back').to.equal(handed);
    await cache.settled();
    expect(failures).to.have.length(1);
    expect(await stats.countDocuments(filter)).to.equal(1);
    expect(await month(2012, 9)).to.include({ count: 4, quantityKg: 4 });
    // The next batch goes on from the version left.
    await ingest([message(randomUUID(), 1, routed('TM', at(14), 1))], store, cache);
    expect(await month(2012, 9)).to.include({ count: 5, quantityKg: 5 });
    expect(await stats.countDocuments(filter)).to.equal(2);
  });

  it('holds the route-pattern match keys between batches, and reads them again when another writer wrote them', async () => {
    const cache = new BucketCache();
    const secret = randomBytes(32);
    const routeKeys = store.collection<{
      _id: string;
      bucket?: string;
      rev?: number;
      members: Record<string, unknown>;
    }>(COLLECTIONS.routeKeys);
    const correlated = async (messages: { bytes: Buffer }[], withCache?: BucketCache) => {
      const persisted = await persist(await classify(messages));
      await updateReadModels(store, persisted.changedReports, persisted, withCache);
      await correlate(store, persisted.changedReports, secret, Date.now(), persisted, withCache);
    };
    // Four reports with the same route and concealment within one 30-day period: one key.
    const [a, b, c, d] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const at = (day: number) => `2013-07-${day}T10:00:00Z`;
    await correlated([message(a, 1, routed('GE', at(10), 1))], cache);
    // Each change is a new version of the key (`<key>#<rev>`); the latest is the key as it stands.
    const latest = async () => latestVersions(await routeKeys.find({}).toArray()).latest;
    const key = [...(await latest())].find(([, k]) => a in k.members)?.[0] as string;
    const membersOfKey = async () => Object.keys((await latest()).get(key)?.members ?? {}).sort();
    expect(await membersOfKey()).to.deep.equal([a]);
    // Proof the cache is used: a write that does not stamp the epoch (none of ours) is not seen.
    const stored = (await latest()).get(key)!;
    await routeKeys.updateOne({ _id: stored._id }, { $set: { members: {} } });
    await correlated([message(b, 1, routed('GE', at(10), 2))], cache);
    expect(await membersOfKey()).to.deep.equal([a, b].sort());
    expect((await latest()).get(key)?.rev, 'a new version beside the one before').to.equal(
      (stored.rev ?? 0) + 1,
    );
    expect(await routeKeys.countDocuments({ _id: stored._id }), 'kept until compacted').to.equal(1);
    // Another writer without a cache (an erasure, another instance) stamps the epoch: the cache reads the keys again.
    await correlated([message(c, 1, routed('GE', at(11), 4))]);
    await correlated([message(d, 1, routed('GE', at(11), 8))], cache);
    expect(await membersOfKey()).to.deep.equal([a, b, c, d].sort());
    // The writer without a cache deleted the versions it superseded; the cache deletes its own together, later.
    expect(cache.compact(store, COLLECTIONS.routeKeys, 1, 0)).to.be.at.least(1);
    await cache.settled();
    const versions = (await routeKeys.find({}).toArray()).filter((k) => (k.bucket ?? k._id) === key);
    expect(versions, 'the latest version alone').to.have.length(1);
  });

  it('finishes a journal an earlier version left (deltas only), skipping the buckets that carry it already', async () => {
    await ingest([message(randomUUID(), 1, routed('TJ', '2015-03-15T10:00:00Z', 3))]);
    const idOf = async (
      name: typeof COLLECTIONS.statsMonthly | typeof COLLECTIONS.routeLegs,
      filter: object,
    ) => (await latestVersion(name, filter))!;
    const statsId = (await idOf(COLLECTIONS.statsMonthly, { country: 'KZ', year: 2015, month: 3 })).bucket;
    const legDoc = await idOf(COLLECTIONS.routeLegs, { from: 'AF', to: 'TJ' });
    const legId = legDoc.bucket;
    // The earlier version crashed after writing the leg (it carries the journal's id) and before the stats.
    const journalId = randomUUID();
    await store.collection(COLLECTIONS.routeLegs).updateOne({ _id: legDoc._id } as never, {
      $set: { journal: journalId, count: 2, quantityKg: 5 },
    });
    const delta = {
      n: 1,
      kg: 2,
      fields: null,
      latestAdded: new Date('2015-03-20T10:00:00Z'),
      latestRemoved: null,
    };
    await store.collection(COLLECTIONS.readModelJournal).insertOne({
      _id: journalId,
      deltas: [
        { bucket: statsId, ...delta },
        { bucket: legId, ...delta },
      ],
      contributions: [],
      createdAt: new Date(),
    } as never);
    await updateReadModels(store, []);
    expect(await store.collection(COLLECTIONS.readModelJournal).countDocuments()).to.equal(0);
    expect(await month(2015, 3)).to.include({ count: 2, quantityKg: 5 });
    expect(await leg('AF', 'TJ')).to.include({ count: 2, quantityKg: 5 });
  });

  it('converts buckets of the earlier format (every report inside) and goes on exactly from there', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    await ingest([
      message(a, 1, routed('UZ', '2017-06-01T10:00:00Z', 4)),
      message(b, 1, routed('UZ', '2017-06-02T10:00:00Z', 6)),
    ]);
    // Rewrite them as the earlier coordinator kept them: members in the buckets, bucket names in the contributions.
    const contributions = store.collection<{
      _id: string;
      amounts?: { bucket: string; kg: number; n: number; at: Date }[];
    }>(COLLECTIONS.contributions);
    const members = new Map<string, Record<string, unknown>>();
    for (const c of await contributions.find({ _id: { $in: [a, b] } }).toArray()) {
      for (const x of c.amounts ?? [])
        members.set(x.bucket, { ...(members.get(x.bucket) ?? {}), [c._id]: { kg: x.kg, n: x.n, at: x.at } });
      await contributions.replaceOne({ _id: c._id }, {
        buckets: (c.amounts ?? []).map((x) => x.bucket),
      } as never);
    }
    // And the buckets as it stored them: under their key, with every report inside.
    for (const [key, m] of members)
      for (const name of [COLLECTIONS.statsMonthly, COLLECTIONS.routeLegs]) {
        const target = store.collection<Bucket & { _id: string }>(name);
        const latest = await latestVersion(name, { bucket: key });
        if (!latest) continue;
        const { bucket: _bucket, ...earlier } = { ...latest, _id: key, members: m };
        await target.deleteMany({ bucket: key });
        await target.insertOne(earlier);
      }
    expect(await hasUnconvertedBuckets(store), 'found without the lock, so a start takes it').to.equal(true);
    expect(await convertReadModels(store)).to.equal(members.size);
    expect(await hasUnconvertedBuckets(store), 'nothing left: a start no longer takes the lock').to.equal(
      false,
    );
    expect((await leg('AF', 'UZ'))?.members).to.equal(undefined);
    expect((await contributions.findOne({ _id: a }))?.amounts?.length).to.equal(3);
    await ingest([message(b, 2, routed('UZ', '2017-06-02T10:00:00Z', 1))]);
    expect(await month(2017, 6)).to.include({ count: 2, quantityKg: 5 });
    expect(await leg('UZ', 'RU')).to.include({ count: 2, quantityKg: 5 });
    expect(await convertReadModels(store), 'nothing left to convert').to.equal(0);
  });

  it('replaces 150 read-model buckets in one batch (FerretDB hangs on a command of about 100 updates)', async () => {
    // A month each from 1995 (years no other test here uses): 150 stats buckets, then a second version of every
    // report changes all 150 in one batch.
    const ids = Array.from({ length: 150 }, () => randomUUID());
    const at = (i: number) => new Date(Date.UTC(1995, i, 15, 10)).toISOString();
    await ingest(ids.map((id, i) => message(id, 1, routed('PK', at(i), 1))));
    await ingest(ids.map((id, i) => message(id, 2, routed('PK', at(i), 2))));
    const buckets = await findBuckets(store.collection<Bucket & { _id: string }>(COLLECTIONS.statsMonthly), {
      country: 'KZ',
      year: { $gte: 1995, $lte: 2007 },
    });
    expect(buckets).to.have.length(150);
    expect(buckets.every((b) => b.count === 1 && b.quantityKg === 2)).to.equal(true);
    expect(await leg('AF', 'PK')).to.include({ count: 150, quantityKg: 300 });
  });
});
