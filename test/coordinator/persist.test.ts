// Storing a classified batch on the real store: new records are inserted outright (FerretDB's one write without a
// scan), and what exists already (a redelivery, a version claimed twice, a late older version) is found from the
// inserts' duplicate keys. The documents handed on to the read models are exactly what the store holds.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { classifyBatch, persistBatch, type Outcome } from '@hub/coordinator';
import { seizureReportFromJson } from '@hub/domain';
import { createSigner, createVerifier, type Signer, type Verifier } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { loadRegions, loadSchemaRegistry } from '@hub/schemas';
import {
  COLLECTIONS,
  connectStore,
  type Store,
  type StoredReport,
  type StoredReportVersion,
} from '@hub/store';
import { createTestEnv, type TestEnv } from '../support/env';
import { testPki } from '../support/hub';

const minimal = JSON.parse(readFileSync(join(repoRoot, 'docs', 'examples', 'minimal-report.json'), 'utf8'));

describe('coordinator: storing a batch by insertion', function () {
  this.timeout(60000);
  const registry = loadSchemaRegistry();
  const regions = loadRegions();
  let env: TestEnv;
  let store: Store;
  let kz: Signer;
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
  const classify = (messages: { bytes: Buffer }[]) =>
    classifyBatch(
      messages.map((m) => ({
        topic: topicNames(env.config.namespace).nodeOut('KZ'),
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
        archivedDigests: async () => new Map(),
      },
    );
  const persist = (outcomes: Outcome[]) => persistBatch(store, outcomes, regions, Date.now);
  const reports = () => store.collection<StoredReport>(COLLECTIONS.reports);
  const versions = () => store.collection<StoredReportVersion>(COLLECTIONS.reportVersions);
  const kinds = (outcomes: Outcome[]) => outcomes.map((o) => (o.kind === 'accepted' ? 'accepted' : o.reason));

  before(async () => {
    env = createTestEnv('persist');
    const pki = testPki(env, ['KZ']);
    const id = pki.identity('KZ');
    kz = createSigner({ privateKey: id.privateKey, certificate: id.certificatePem, origin: 'KZ' });
    verifier = createVerifier({ trust: pki.trustStore() });
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    await store.ensureIndexes();
  });
  after(async () => {
    await store?.close();
    env?.cleanup();
  });

  it('inserts new reports, their history and envelopes, and hands on documents equal to the stored ones', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const result = await persist(await classify(ids.map((id) => message(id, 1))));
    expect(kinds(result.outcomes)).to.deep.equal(['accepted', 'accepted', 'accepted']);
    expect([...result.written.keys()].sort()).to.deep.equal([...ids].sort());
    expect([...result.fresh].sort(), 'first stored now').to.deep.equal([...ids].sort());
    for (const id of ids) {
      const stored = await reports().findOne({ _id: id });
      expect(result.written.get(id), id).to.deep.equal(stored);
      expect(await versions().countDocuments({ _id: `${id}:1` })).to.equal(1);
    }
    const messageIds = result.outcomes.map((o) => o.envelope?.messageId as string);
    expect(
      await store
        .collection<{ _id: string }>(COLLECTIONS.envelopes)
        .countDocuments({ _id: { $in: messageIds } }),
    ).to.equal(3);
  });

  it('changes nothing on redelivery and hands on nothing as written, but names the reports for recomputation', async () => {
    const id = randomUUID();
    const batch = await classify([message(id, 1)]);
    await persist(batch);
    const before = await reports().findOne({ _id: id });
    const again = await persist(batch);
    expect(kinds(again.outcomes)).to.deep.equal(['accepted']);
    expect(again.written.size).to.equal(0);
    expect(again.fresh.size, 'stored before').to.equal(0);
    expect(again.changedReports).to.deep.equal([id]);
    expect(await reports().findOne({ _id: id })).to.deep.equal(before);
    expect(await versions().countDocuments({ reportId: id })).to.equal(1);
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

  it('applies a later version over the stored one, supersedes the earlier, and ignores an older one arriving late', async () => {
    const id = randomUUID();
    await persist(await classify([message(id, 1)]));
    const v3 = await persist(await classify([message(id, 3, { notes: 'third' })]));
    expect(v3.written.get(id)?.version).to.equal(3);
    expect(v3.fresh.size, 'an earlier version was stored').to.equal(0);
    expect(v3.written.get(id)).to.deep.equal(await reports().findOne({ _id: id }));
    expect((await versions().findOne({ _id: `${id}:1` }))?.supersededAt).to.be.instanceOf(Date);
    const late = await persist(await classify([message(id, 2, { notes: 'second, late' })]));
    expect(kinds(late.outcomes)).to.deep.equal(['accepted']);
    expect(late.written.size).to.equal(0);
    const stored = await reports().findOne({ _id: id });
    expect(stored?.version).to.equal(3);
    expect((stored?.report as { notes: string }).notes).to.equal('third');
    expect(await versions().countDocuments({ reportId: id })).to.equal(3);
  });
});
