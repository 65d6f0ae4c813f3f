// Who hears of a record's erasure (eraseRecords, on the store in memory): besides hub.erasures, the originator and
// the feeds, every country a cross-border alert naming the record was sent to, since it holds that alert. The store
// stops (as in a crash) once what is asserted is done: what follows the alerts' deletion (the read models, the match
// keys) is another test's.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { decodeEnvelope } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { loadRegions, loadSchemaRegistry } from '@hub/schemas';
import { alertScore, COLLECTIONS, type CollectionName, type Store } from '@hub/store';
import { alertRecipients } from '../src/erasure-reach';
import { derivedUuid } from '../src/replies';
import {
  alertWithout,
  ErasedSet,
  eraseRecords,
  type RetentionDeps,
  type RetentionDoc,
} from '../src/retention';
import { memoryStore, type MemoryStore } from './memory-store';
import { retentionDeps, type SentMessage } from './retention-deps';

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
  let mem: MemoryStore;
  let sent: SentMessage[];
  let erased: ErasedSet;
  const deps = (store: Store): RetentionDeps =>
    retentionDeps({
      store,
      policy: { periods: { seizure: 1000 }, warnMs: 100, checkMs: 100 },
      erased,
      clock: NOW,
      onSend: (s) => sent.push(s),
    });
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

  /** The plate's key (its keyed hash) that correlate matched the reports on, as their report keys hold it. */
  const PLATE_KEY = `0123456789ab${'c'.repeat(52)}`;
  /** An alert as correlate stores it whole, on the plate, naming `matched` (report id, country and evaluation each). */
  const wholeAlert = (matched: [string, string, string | null][], createdAt: Date) => ({
    _id: randomUUID(),
    alertId: '',
    rule: 'shared_identifier' as const,
    identifierKind: 'plate',
    matchKeyPrefix: PLATE_KEY.slice(0, 12),
    matched: matched
      .map(([reportId, country, evaluation]) => ({ reportId, country, version: 1, evaluation }))
      .sort((a, b) => a.reportId.localeCompare(b.reportId)),
    countries: [...new Set(matched.map(([, c]) => c))].sort(),
    score: alertScore(
      'shared_identifier',
      matched.map(([, , e]) => e),
    ),
    reason: `${matched.length} reports name the same plate identifier`,
    createdAt,
    published: true,
  });
  /** The alerts sent to `topic`, decoded, by their key. */
  const alertsSentTo = (topic: string) =>
    sent
      .filter((s) => s.topic === topic)
      .flatMap((s) => {
        const decoded = decodeEnvelope(s.message.value as Buffer);
        if (!decoded.ok || decoded.envelope.messageType !== 'CrossBorderAlert') return [];
        const value = registry.decode(decoded.envelope.schemaFingerprint, decoded.envelope.payload);
        return [{ key: String(s.message.key), messageId: decoded.envelope.messageId, value }];
      });

  it('keeps an alert that still names reports of two other countries, without the erased one, and tells them again', async () => {
    // KZ's, KG's and TJ's reports share a plate: alerts KZ+KG and KZ+KG+TJ were raised, none on KG+TJ alone.
    const [kz, kg, tj] = [randomUUID(), randomUUID(), randomUUID()];
    seed(COLLECTIONS.reports, [
      storedReport(kz, 'KZ', 'GREEN'),
      storedReport(kg, 'KG', 'GREEN'),
      storedReport(tj, 'TJ', 'GREEN'),
    ]);
    const createdAt = new Date(NOW - 86_400_000);
    const pair = wholeAlert(
      [
        [kz, 'KZ', 'A1'],
        [kg, 'KG', 'B2'],
      ],
      createdAt,
    );
    const three = wholeAlert(
      [
        [kz, 'KZ', 'A1'],
        [kg, 'KG', 'B2'],
        [tj, 'TJ', 'E4'],
      ],
      createdAt,
    );
    seed(COLLECTIONS.alerts, [
      { ...pair, alertId: pair._id },
      { ...three, alertId: three._id },
    ]);
    // The keys each report is matched on: the plate's, and another (a linked case) whose prefix is not the alert's.
    seed(
      COLLECTIONS.reportKeys,
      [kz, kg, tj].map((id) => ({ _id: `r:${id}`, keys: [`k:${'f'.repeat(64)}`, `k:${PLATE_KEY}`] })),
    );

    await stopsAt(COLLECTIONS.intakeLockedStages, [due(kz, 'KZ')]);

    // Both alerts naming KZ's report are gone; KZ+KG leaves one country, KZ+KG+TJ is kept as KG+TJ.
    const alerts = [...mem.docs(COLLECTIONS.alerts).values()];
    expect(alerts, 'one alert left').to.have.length(1);
    const kept = alerts[0]!;
    // Under the id correlate gives an alert on the plate's key naming KG's and TJ's reports (correlate.ts).
    const pairIds = [kg, tj].sort((a, b) => a.localeCompare(b));
    expect(kept._id).to.equal(derivedUuid(`alert:shared_identifier:${PLATE_KEY}:${pairIds.join(',')}`));
    expect(kept.alertId).to.equal(kept._id);
    expect((kept.matched as { reportId: string }[]).map((m) => m.reportId).sort()).to.deep.equal(
      [kg, tj].sort(),
    );
    expect(kept).to.deep.include({
      countries: ['KG', 'TJ'],
      score: alertScore('shared_identifier', ['B2', 'E4']),
      reason: '2 reports name the same plate identifier',
      rule: 'shared_identifier',
      identifierKind: 'plate',
      matchKeyPrefix: '0123456789ab',
      createdAt,
      published: true,
    });
    expect(JSON.stringify(kept)).not.to.include(kz);
    // KG and TJ are told of the erasure (their nodes drop both alerts they hold) and of the alert kept, KZ not of it.
    expect(nodesTold(kz)).to.deep.equal([names.nodeIn('KG'), names.nodeIn('KZ'), names.nodeIn('TJ')]);
    for (const cc of ['KG', 'TJ']) {
      const told = alertsSentTo(names.nodeIn(cc));
      expect(
        told.map((t) => t.key),
        cc,
      ).to.deep.equal([kept._id]);
      expect(told[0]!.value, cc).to.deep.include({
        alertId: kept._id,
        countries: ['KG', 'TJ'],
        reason: '2 reports name the same plate identifier',
        createdAt: createdAt.getTime(),
      });
    }
    expect(alertsSentTo(names.nodeIn('KZ')), 'KZ told of no alert').to.deep.equal([]);
    // On every feed both reports may be read in, as a new alert goes.
    const feeds = regions.filter((r) => r.members.length > 0);
    expect(feeds.length, 'regions with members').to.be.above(0);
    for (const r of feeds)
      expect(
        alertsSentTo(names.feed(r.id)).map((t) => t.key),
        r.id,
      ).to.deep.equal([kept._id]);
  });

  it('keeps no alert that would name two countries only through a report withdrawn since, and leaves it out of one kept', async () => {
    // KZ's, KG's, TJ's and UZ's reports shared a plate; TJ withdrew its report. KZ's is erased.
    const [kz, kg, tj, uz] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    seed(COLLECTIONS.reports, [
      storedReport(kz, 'KZ', 'GREEN'),
      storedReport(kg, 'KG', 'GREEN'),
      { ...storedReport(tj, 'TJ', 'GREEN'), status: 'retracted' },
      storedReport(uz, 'UZ', 'GREEN'),
    ]);
    const createdAt = new Date(NOW - 86_400_000);
    const three = wholeAlert(
      [
        [kz, 'KZ', 'A1'],
        [kg, 'KG', 'B2'],
        [tj, 'TJ', 'E4'],
      ],
      createdAt,
    );
    const four = wholeAlert(
      [
        [kz, 'KZ', 'A1'],
        [kg, 'KG', 'B2'],
        [tj, 'TJ', 'E4'],
        [uz, 'UZ', 'C3'],
      ],
      createdAt,
    );
    seed(COLLECTIONS.alerts, [
      { ...three, alertId: three._id },
      { ...four, alertId: four._id },
    ]);
    seed(
      COLLECTIONS.reportKeys,
      [kz, kg, tj, uz].map((id) => ({ _id: `r:${id}`, keys: [`k:${PLATE_KEY}`] })),
    );

    await stopsAt(COLLECTIONS.intakeLockedStages, [due(kz, 'KZ')]);

    // KZ+KG+TJ would stand as KG+TJ through TJ's withdrawn report only: gone. KZ+KG+TJ+UZ stands as KG+UZ.
    const alerts = [...mem.docs(COLLECTIONS.alerts).values()];
    expect(alerts, 'one alert left').to.have.length(1);
    expect((alerts[0]!.matched as { reportId: string }[]).map((m) => m.reportId).sort()).to.deep.equal(
      [kg, uz].sort(),
    );
    expect(alerts[0]).to.deep.include({ countries: ['KG', 'UZ'] });
    expect(alertsSentTo(names.nodeIn('TJ')), 'TJ told of no alert').to.deep.equal([]);
    for (const cc of ['KG', 'UZ'])
      expect(
        alertsSentTo(names.nodeIn(cc)).map((t) => t.key),
        cc,
      ).to.deep.equal([alerts[0]!._id]);
  });

  it('raises no second alert where correlate raised one on the reports left already', async () => {
    const [kz, kg, tj] = [randomUUID(), randomUUID(), randomUUID()];
    seed(COLLECTIONS.reports, [
      storedReport(kz, 'KZ', 'GREEN'),
      storedReport(kg, 'KG', 'GREEN'),
      storedReport(tj, 'TJ', 'GREEN'),
    ]);
    const three = wholeAlert(
      [
        [kz, 'KZ', null],
        [kg, 'KG', null],
        [tj, 'TJ', null],
      ],
      new Date(NOW),
    );
    // KG+TJ raised by correlate on the same key (a later version of TJ's report, say), under the id it derives.
    const pairIds = [kg, tj].sort((a, b) => a.localeCompare(b));
    const pairId = derivedUuid(`alert:shared_identifier:${PLATE_KEY}:${pairIds.join(',')}`);
    const pair = {
      ...wholeAlert(
        [
          [kg, 'KG', null],
          [tj, 'TJ', null],
        ],
        new Date(NOW + 1000),
      ),
      _id: pairId,
      alertId: pairId,
    };
    seed(COLLECTIONS.alerts, [{ ...three, alertId: three._id }, pair]);
    seed(
      COLLECTIONS.reportKeys,
      [kz, kg, tj].map((id) => ({ _id: `r:${id}`, keys: [`k:${PLATE_KEY}`] })),
    );

    await stopsAt(COLLECTIONS.intakeLockedStages, [due(kz, 'KZ')]);

    expect([...mem.docs(COLLECTIONS.alerts).keys()], "correlate's alone").to.deep.equal([pairId]);
    expect(mem.docs(COLLECTIONS.alerts).get(pairId)!.createdAt).to.deep.equal(new Date(NOW + 1000));
    for (const cc of ['KG', 'TJ']) expect(alertsSentTo(names.nodeIn(cc)), cc).to.deep.equal([]);
    expect(nodesTold(kz)).to.deep.equal([names.nodeIn('KG'), names.nodeIn('KZ'), names.nodeIn('TJ')]);
  });

  it('tells the alert kept again, under the same message, when a review stopped before its alerts went runs again', async () => {
    const [kz, kg, tj] = [randomUUID(), randomUUID(), randomUUID()];
    const report = storedReport(kz, 'KZ', 'GREEN');
    seed(COLLECTIONS.reports, [report, storedReport(kg, 'KG', 'GREEN'), storedReport(tj, 'TJ', 'AMBER')]);
    seed(COLLECTIONS.reportVersions, [
      { _id: `${kz}:1`, reportId: kz, version: 1, originCountry: 'KZ', handling: report.handling },
    ]);
    const three = wholeAlert(
      [
        [kz, 'KZ', null],
        [kg, 'KG', null],
        [tj, 'TJ', null],
      ],
      new Date(NOW),
    );
    seed(COLLECTIONS.alerts, [{ ...three, alertId: three._id }]);

    await stopsAt(COLLECTIONS.reportVersions, [due(kz, 'KZ')], 'deleting');
    const first = [names.nodeIn('KG'), names.nodeIn('TJ')].map((t) => alertsSentTo(t));
    expect(mem.docs(COLLECTIONS.alerts).has(three._id), 'not yet').to.equal(true);
    sent = [];
    await stopsAt(COLLECTIONS.intakeLockedStages, [due(kz, 'KZ')]);
    const again = [names.nodeIn('KG'), names.nodeIn('TJ')].map((t) => alertsSentTo(t));
    // The same messages (the nodes keep one of each id), each country its own copy: TJ's AMBER report, for TJ
    // alone, is withheld from KG.
    expect(again).to.deep.equal(first);
    const [kgCopy, tjCopy] = again.map((told) => told[0]!);
    expect(kgCopy!.messageId).not.to.equal(tjCopy!.messageId);
    expect((kgCopy!.value.matched as { reportId: string }[]).map((m) => m.reportId)).to.deep.equal([kg]);
    expect(kgCopy!.value.reason).to.equal(
      '2 reports name the same plate identifier; 1 report you may not read matches yours',
    );
    expect([...mem.docs(COLLECTIONS.alerts).keys()]).to.deep.equal([kgCopy!.key]);
    // TJ's AMBER report may not be read on any feed: the alert goes to none.
    expect(
      sent.filter((s) => s.topic.startsWith(names.feedPrefix) && s.message.key === kgCopy!.key),
    ).to.deep.equal([]);
  });

  it('makes an alert again without the erased reports: countries, score and reason', () => {
    const stored = {
      ...wholeAlert(
        [
          ['kz-1', 'KZ', 'A1'],
          ['kz-2', 'KZ', 'B2'],
          ['kg-1', 'KG', 'C3'],
          ['tj-1', 'TJ', 'E4'],
        ],
        new Date(NOW),
      ),
      reason: '4 reports name the same plate identifier; 7 more, of older seizures, are not named',
    };
    const kept = alertWithout(stored, new Set(['kz-2', 'tj-1']))!;
    expect(kept.matched.map((m) => m.reportId)).to.deep.equal(['kg-1', 'kz-1']);
    expect(kept.countries).to.deep.equal(['KG', 'KZ']);
    expect(kept.score).to.equal(alertScore('shared_identifier', ['A1', 'C3']));
    expect(kept.reason).to.equal(
      '2 reports name the same plate identifier; 7 more, of older seizures, are not named',
    );
    // Its key known, under the id correlate gives an alert on that key naming those reports.
    expect(alertWithout(stored, new Set(['kz-2', 'tj-1']), PLATE_KEY)!._id).to.equal(
      derivedUuid(`alert:shared_identifier:${PLATE_KEY}:kg-1,kz-1`),
    );
    // The same reports left, the same alert; others, another.
    expect(alertWithout(stored, new Set(['tj-1', 'kz-2']))!._id).to.equal(kept._id);
    expect(alertWithout(stored, new Set(['kz-2']))!._id).not.to.equal(kept._id);
    // One country left: no cross-border match.
    expect(alertWithout(stored, new Set(['kg-1', 'tj-1']))).to.equal(undefined);
    // A report whose current version left the key (correlate's `left`) matches no more: left out too.
    const withLeft = { ...stored, left: ['tj-1'] };
    expect(alertWithout(withLeft, new Set(['kg-1']))).to.equal(undefined);
    const leftOut = alertWithout(withLeft, new Set(['kz-2']))!;
    expect(leftOut.matched.map((m) => m.reportId)).to.deep.equal(['kg-1', 'kz-1']);
    expect(leftOut, 'no report left to mark').not.to.have.property('left');
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
