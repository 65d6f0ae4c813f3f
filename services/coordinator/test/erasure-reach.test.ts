// Who hears of a record's erasure (eraseRecords, on the store in memory): besides hub.erasures, the originator and
// the feeds, every country a cross-border alert naming the record was sent to, since it holds that alert. The store
// stops (as in a crash) once what is asserted is done: what follows the alerts' deletion (the read models, the match
// keys) is another test's.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createSigner } from '@hub/envelope';
import { PartitionCounts, topicNames, type Message, type Producer } from '@hub/kafka';
import { loadRegions, loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, type CollectionName, type Store } from '@hub/store';
import { testPki } from '../../pki/test/fixtures';
import { alertRecipients } from '../src/erasure-reach';
import { ErasedSet, eraseRecords, type RetentionDeps, type RetentionDoc } from '../src/retention';
import { memoryStore, type MemoryStore } from './memory-store';

const NOW = Date.UTC(2026, 11, 7, 9, 0);
const names = topicNames('');
const registry = loadSchemaRegistry();
const regions = loadRegions();

/** The store, every use of collection `at` failing: the coordinator stopping there (a crash, the store gone). */
const stoppingAt = (mem: MemoryStore, at: CollectionName): Store =>
  ({
    ...mem.store,
    collection: (name: CollectionName) => {
      if (name === at) throw new Error(`the store stopped at ${name}`);
      return mem.store.collection(name);
    },
  }) as unknown as Store;

/** The store, deletes from collection `at` failing (reads of it still answered). */
const stoppingAtDeletes = (mem: MemoryStore, at: CollectionName): Store =>
  ({
    ...mem.store,
    collection: (name: CollectionName) => {
      const coll = mem.store.collection(name);
      if (name !== at) return coll;
      return new Proxy(coll, {
        get: (target, prop, receiver) =>
          prop === 'deleteMany'
            ? () => Promise.reject(new Error(`the store stopped at ${name}`))
            : (Reflect.get(target, prop, receiver) as unknown),
      });
    },
  }) as unknown as Store;

/** A retention entry of a report of `originCountry`, due now. */
const due = (id: string, originCountry: string): RetentionDoc => ({
  _id: id,
  subjectType: 'SeizureReport',
  category: 'seizure',
  originCountry,
  reviewAt: new Date(NOW),
  warnedAt: new Date(NOW - 1000),
  renewals: [],
});

/** A report as stored, under `tlp` (AMBER: for its own country alone, on no feed). */
const storedReport = (id: string, originCountry: string, tlp: 'GREEN' | 'AMBER') => ({
  _id: id,
  originCountry,
  version: 1,
  status: 'active',
  handling: { tlp, releasableCountries: tlp === 'AMBER' ? [originCountry] : [], releasableTo: [] },
});

/** An alert as correlate stores it, naming `matched` (report id and country each) and sent to their countries. */
const storedAlert = (matched: [string, string][]) => ({
  _id: randomUUID(),
  rule: 'shared_identifier',
  matched: matched.map(([reportId, country]) => ({ reportId, country, version: 1, evaluation: null })),
  countries: [...new Set(matched.map(([, c]) => c))].sort(),
  published: true,
});

describe('coordinator: an erasure notice reaches every country an alert naming the record went to', function () {
  this.timeout(30000);
  const pki = testPki();
  const signer = createSigner({
    privateKey: pki.hub.key,
    certificate: pki.hub.cert.certificatePem,
    origin: 'HUB',
  });
  let mem: MemoryStore;
  let sent: { topic: string; message: Message }[];
  let erased: ErasedSet;
  const deps = (store: Store): RetentionDeps =>
    ({
      store,
      producer: {
        send: async ({ topic, messages }: { topic: string; messages: Message[] }) => {
          for (const message of messages) sent.push({ topic, message });
          return [];
        },
      } as unknown as Producer,
      partitions: new PartitionCounts(async () => 1),
      signer,
      registry,
      names,
      regions,
      policy: { periods: { seizure: 1000 }, warnMs: 100, checkMs: 100 },
      erased,
      matchSecret: Buffer.alloc(32, 7),
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      clock: () => NOW,
      send: true,
    }) as unknown as RetentionDeps;
  /** The nodes' inbound topics the notice of `id` went to, sorted, each as often as it went there. */
  const nodesTold = (id: string) =>
    sent
      .filter((s) => s.message.key === id && s.topic.startsWith(names.nodeTopicPrefix))
      .map((s) => s.topic)
      .sort();
  /** Erase `docs` on a store that stops at collection `at` (at its first use, or at `deleting` from it), and see it stop there. */
  const stopsAt = async (at: CollectionName, docs: RetentionDoc[], when?: 'deleting') =>
    eraseRecords(
      deps(when ? stoppingAtDeletes(mem, at) : stoppingAt(mem, at)),
      docs,
      'retention_expired',
    ).then(
      () => expect.fail(`the review was to stop at ${at}`),
      (err: Error) => expect(err.message).to.equal(`the store stopped at ${at}`),
    );
  const seed = (name: string, docs: ({ _id: string } & Record<string, unknown>)[]) => {
    for (const d of docs) mem.docs(name).set(d._id, structuredClone(d));
  };

  beforeEach(() => {
    mem = memoryStore();
    sent = [];
    erased = new ErasedSet();
  });

  it("tells each alert's countries once a notice, the originator once, from one read of the alerts", async () => {
    const [kz1, kz2, kz3, uz, kg] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    seed(COLLECTIONS.reports, [
      storedReport(kz1, 'KZ', 'GREEN'),
      storedReport(kz2, 'KZ', 'AMBER'),
      storedReport(kz3, 'KZ', 'AMBER'),
    ]);
    const withUz = storedAlert([
      [kz1, 'KZ'],
      [uz, 'UZ'],
    ]);
    const withKg = storedAlert([
      [kz1, 'KZ'],
      [kz2, 'KZ'],
      [kg, 'KG'],
    ]);
    const others = storedAlert([
      [uz, 'UZ'],
      [kg, 'KG'],
    ]);
    seed(COLLECTIONS.alerts, [withUz, withKg, others]);

    await stopsAt(COLLECTIONS.intakeLockedStages, [due(kz1, 'KZ'), due(kz2, 'KZ'), due(kz3, 'KZ')]);

    // KZ1 is named by an alert to UZ and by one to KG; KZ2 by the one to KG, which withheld it from KG (AMBER, for
    // KZ alone: correlate's alertFor), so KG is not told of its erasure either; KZ3 by none. KZ hears once of each.
    expect(nodesTold(kz1)).to.deep.equal([names.nodeIn('KG'), names.nodeIn('KZ'), names.nodeIn('UZ')]);
    expect(nodesTold(kz2)).to.deep.equal([names.nodeIn('KZ')]);
    expect(nodesTold(kz3)).to.deep.equal([names.nodeIn('KZ')]);
    // The same signed notice everywhere: the one on hub.erasures.
    for (const id of [kz1, kz2, kz3]) {
      const onErasures = sent.filter((s) => s.message.key === id && s.topic === names.erasures);
      expect(onErasures, id).to.have.length(1);
      for (const s of sent.filter((x) => x.message.key === id))
        expect(
          Buffer.compare(s.message.value as Buffer, onErasures[0]!.message.value as Buffer),
          s.topic,
        ).to.equal(0);
    }
    // The GREEN report's notice still goes on every feed; the AMBER ones' on none.
    expect(sent.filter((s) => s.message.key === kz1 && s.topic.startsWith(names.feedPrefix))).to.have.length(
      regions.length,
    );
    expect(sent.filter((s) => s.message.key !== kz1 && s.topic.startsWith(names.feedPrefix))).to.have.length(
      0,
    );
    // One read of the alerts for all three, by the reports they name; the alerts naming them are gone, not the other.
    expect(mem.finds.filter((f) => f.collection === COLLECTIONS.alerts)).to.deep.equal([
      { collection: COLLECTIONS.alerts, filter: { 'matched.reportId': { $in: [kz1, kz2, kz3] } } },
    ]);
    expect(mem.docs(COLLECTIONS.alerts).has(withUz._id), 'the alert to UZ deleted').to.equal(false);
    expect(mem.docs(COLLECTIONS.alerts).has(withKg._id), 'the alert to KG deleted').to.equal(false);
    expect(mem.docs(COLLECTIONS.alerts).has(others._id), 'the alert naming neither kept').to.equal(true);
  });

  it("tells the alerts' countries again when a review stopped between its notices and its deletions runs again", async () => {
    const kz = randomUUID();
    const uz = randomUUID();
    const report = storedReport(kz, 'KZ', 'GREEN');
    seed(COLLECTIONS.reports, [report]);
    // Its history, which tells the review run again how it was handled (and so whom an alert named it to).
    seed(COLLECTIONS.reportVersions, [
      { _id: `${kz}:1`, reportId: kz, version: 1, originCountry: 'KZ', handling: report.handling },
    ]);
    const alert = storedAlert([
      [kz, 'KZ'],
      [uz, 'UZ'],
    ]);
    seed(COLLECTIONS.alerts, [alert]);

    // The first review stops after the report is deleted, before its history and the alerts are.
    await stopsAt(COLLECTIONS.reportVersions, [due(kz, 'KZ')], 'deleting');
    expect(nodesTold(kz)).to.deep.equal([names.nodeIn('KZ'), names.nodeIn('UZ')]);
    expect(mem.docs(COLLECTIONS.reports).has(kz), 'the report deleted').to.equal(false);
    expect(mem.docs(COLLECTIONS.alerts).has(alert._id), 'the alert not yet').to.equal(true);

    // Run again: the alert is found again, and UZ told again, before the alert goes.
    sent = [];
    await stopsAt(COLLECTIONS.intakeLockedStages, [due(kz, 'KZ')]);
    expect(nodesTold(kz)).to.deep.equal([names.nodeIn('KZ'), names.nodeIn('UZ')]);
    expect(mem.docs(COLLECTIONS.alerts).has(alert._id), 'the alert deleted').to.equal(false);
  });

  it('takes the countries each alert was sent to, for the records it names among those erased', () => {
    const [a, b, c] = ['a', 'b', 'c'];
    const recipients = alertRecipients(
      [
        { _id: '1', matched: [{ reportId: a }, { reportId: 'x' }], countries: ['KZ', 'TJ'] },
        { _id: '2', matched: [{ reportId: a }, { reportId: b }], countries: ['KG', 'KZ'] },
        // Neither a list of countries nor reports named: nobody to tell.
        { _id: '3', matched: [{ reportId: b }] },
      ],
      [a, b, c],
    );
    expect([...recipients.get(a)!].sort()).to.deep.equal(['KG', 'KZ', 'TJ']);
    expect([...recipients.get(b)!].sort()).to.deep.equal(['KG', 'KZ']);
    expect([...recipients.get(c)!]).to.deep.equal([]);
    expect(recipients.has('x'), 'a report not erased').to.equal(false);
  });
});
