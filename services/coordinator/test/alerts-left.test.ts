// Correlation when a report's new version is no longer matched on a key it was: the stored alerts on that key that
// name it are marked as left by it (their views then leave it out), and taken back when a later version is matched
// on the key again. Run through correlate() on a store in memory, as a batch's locked stage calls it.
import { expect } from 'chai';
import type { StoredReport } from '@hub/store';
import { correlate, leftAfter, type KeyMove } from '../src/correlate';
import { memoryStore as inMemory, type Filter } from './memory-store';

type Doc = Record<string, unknown> & { _id: string };

/** The store in memory (memory-store.ts), with the filters of the finds on the alerts, in turn. */
function memoryStore() {
  const mem = inMemory();
  return {
    ...mem,
    get alertReads(): Filter[] {
      return mem.finds.filter((f) => f.collection === 'alerts').map((f) => f.filter);
    },
  };
}

const secret = Buffer.alloc(32, 9);
const NOW = Date.UTC(2026, 11, 8, 9, 0);
const DAY = 86400000;

/** A report's current document as correlation reads it: `id` is `<country>-...`, matched on the plates given. */
function reportDoc(
  id: string,
  version: number,
  plates: string[],
  over: { status?: StoredReport['status']; links?: { kind: string; ref: string }[] } = {},
): Doc {
  return {
    _id: id,
    reportId: id,
    version,
    status: over.status ?? 'active',
    originCountry: id.slice(0, 2).toUpperCase(),
    seizedAt: new Date(NOW - 3 * DAY),
    handling: { tlp: 'GREEN', releasableTo: [], releasableCountries: [], evaluation: null },
    report: {
      conveyance: { identifiers: plates.map((value) => ({ kind: 'plate', value })) },
      links: over.links ?? [],
      concealment: null,
      route: [],
    },
  };
}

type Alert = Doc & { matched: { reportId: string; version: number }[]; left?: string[]; published: boolean };

describe('coordinator: alerts on a key a report has left since', () => {
  let mem: ReturnType<typeof memoryStore>;
  /** Stores these versions as current and correlates them as one batch; its new alerts are marked sent. */
  const store = async (...versions: Doc[]) => {
    for (const v of versions) mem.docs('reports').set(v._id, structuredClone(v));
    const alerts = await correlate(
      mem.store,
      versions.map((v) => v._id),
      secret,
      NOW,
    );
    for (const a of alerts) (mem.docs('alerts').get(a.alertId) as Alert).published = true;
    return alerts;
  };
  const stored = () => [...mem.docs('alerts').values()] as Alert[];
  const naming = (...ids: string[]) =>
    stored().find(
      (a) => a.matched.length === ids.length && ids.every((id) => a.matched.some((m) => m.reportId === id)),
    );

  beforeEach(() => {
    mem = memoryStore();
  });

  it('marks the alert left by KZ when its version 2 corrects the plate, and takes it back with version 3', async () => {
    await store(reportDoc('kz-1', 1, ['777ABC02']));
    const [raised] = await store(reportDoc('kg-1', 1, ['777ABC02']));
    expect(raised!.matched.map((m) => m.reportId)).to.deep.equal(['kg-1', 'kz-1']);
    expect(raised!.countries).to.deep.equal(['KG', 'KZ']);

    // Version 2 corrects a typo: KZ's report no longer names the plate KG's does.
    expect(await store(reportDoc('kz-1', 2, ['777ABD02']))).to.deep.equal([]);
    const left = mem.docs('alerts').get(raised!.alertId) as Alert;
    expect(left.left).to.deep.equal(['kz-1']);
    // The alert is kept as it was raised and sent (its reports, its countries), with the report that left it noted.
    expect(left.matched.map((m) => `${m.reportId}@${m.version}`)).to.deep.equal(['kg-1@1', 'kz-1@1']);
    expect(left.countries).to.deep.equal(['KG', 'KZ']);

    // Version 3 has the plate again: the same reports match, the same alert (not sent again), no longer left.
    expect(await store(reportDoc('kz-1', 3, ['777ABC02']))).to.deep.equal([]);
    expect(stored()).to.have.length(1);
    expect((mem.docs('alerts').get(raised!.alertId) as Alert).left).to.deep.equal([]);
  });

  it('raises a new alert when the report comes back to a key others have joined meanwhile, and shows the old one again', async () => {
    await store(reportDoc('kz-1', 1, ['01KZ777']));
    const [first] = await store(reportDoc('kg-1', 1, ['01KZ777']));
    await store(reportDoc('kz-1', 2, ['01KZ778']));
    // While KZ's report is out of the key, UZ's matches KG's: an alert on the two.
    const [second] = await store(reportDoc('uz-1', 1, ['01KZ777']));
    expect(second!.matched.map((m) => m.reportId)).to.deep.equal(['kg-1', 'uz-1']);
    expect((mem.docs('alerts').get(first!.alertId) as Alert).left).to.deep.equal(['kz-1']);
    // Back in the key: matched with both, in an alert of its own, and the first alert is KZ's again.
    const [third] = await store(reportDoc('kz-1', 3, ['01KZ777']));
    expect(third!.matched.map((m) => `${m.reportId}@${m.version}`)).to.deep.equal([
      'kg-1@1',
      'kz-1@3',
      'uz-1@1',
    ]);
    expect(third!.alertId).not.to.equal(first!.alertId);
    expect((mem.docs('alerts').get(first!.alertId) as Alert).left).to.deep.equal([]);
    expect(mem.docs('alerts').get(second!.alertId)).not.to.have.property('left');
  });

  it('marks only the alerts on the key the report left, not those on a key it still has', async () => {
    await store(reportDoc('kz-1', 1, ['A100AA', 'B200BB']));
    await store(reportDoc('kg-1', 1, ['A100AA']));
    await store(reportDoc('uz-1', 1, ['B200BB']));
    const onA = naming('kg-1', 'kz-1')!;
    const onB = naming('kz-1', 'uz-1')!;
    expect(onA.matchKeyPrefix).not.to.equal(onB.matchKeyPrefix);
    await store(reportDoc('kz-1', 2, ['B200BB']));
    expect((mem.docs('alerts').get(onA._id) as Alert).left).to.deep.equal(['kz-1']);
    expect(mem.docs('alerts').get(onB._id)).not.to.have.property('left');
    // Nor the other report of the alert: KG's still has the plate.
    await store(reportDoc('kg-1', 2, ['A100AA']));
    expect((mem.docs('alerts').get(onA._id) as Alert).left).to.deep.equal(['kz-1']);
  });

  it('reads the alerts only for a batch in which a report left a key or came back to one', async () => {
    await store(reportDoc('kz-1', 1, ['C300CC']));
    await store(reportDoc('kg-1', 1, ['C300CC']));
    const byReport = () => mem.alertReads.filter((f) => 'matched.reportId' in f);
    // New reports, and a version with the same plates: no read of the alerts naming them.
    await store(reportDoc('kz-1', 2, ['C300CC']));
    expect(byReport()).to.deep.equal([]);
    await store(reportDoc('kz-1', 3, ['C301CC']));
    expect(byReport()).to.have.length(1);
    expect(byReport()[0]).to.deep.equal({
      countries: { $in: ['KZ'] },
      'matched.reportId': { $in: ['kz-1'] },
    });
    // A later version with the same plate: nothing more to mark (the key it left stays left).
    await store(reportDoc('kz-1', 4, ['C301CC']));
    expect(byReport()).to.have.length(1);
  });

  it('leaves a withdrawn report to its status: its alerts are not marked', async () => {
    await store(reportDoc('kz-1', 1, ['D400DD']));
    const [alert] = await store(reportDoc('kg-1', 1, ['D400DD']));
    await store(reportDoc('kz-1', 2, ['D400DD'], { status: 'retracted' }));
    expect(mem.docs('alerts').get(alert!.alertId)).not.to.have.property('left');
  });

  it('marks the alerts of a withdrawn report whose next version comes back without their key, and not with it', async () => {
    await store(reportDoc('kz-1', 1, ['E500EE']));
    const [alert] = await store(reportDoc('kg-1', 1, ['E500EE']));
    await store(reportDoc('kz-1', 2, ['E500EE'], { status: 'retracted' }));
    // Active again, with another plate: no match on E500EE any more.
    await store(reportDoc('kz-1', 3, ['E501EE']));
    expect((mem.docs('alerts').get(alert!.alertId) as Alert).left).to.deep.equal(['kz-1']);
    // Withdrawn again, then active with the plate: a match again.
    await store(reportDoc('kz-1', 4, ['E501EE'], { status: 'retracted' }));
    await store(reportDoc('kz-1', 5, ['E500EE']));
    expect((mem.docs('alerts').get(alert!.alertId) as Alert).left).to.deep.equal([]);
  });

  it('marks alerts on a linked case the same way', async () => {
    const link = (ref: string) => ({ links: [{ kind: 'case', ref }] });
    await store(reportDoc('kz-1', 1, [], link('op-north-17')));
    const [alert] = await store(reportDoc('kg-1', 1, [], link('OP-NORTH-17')));
    expect(alert!.rule).to.equal('linked_case');
    await store(reportDoc('kz-1', 2, [], link('op-north-18')));
    expect((mem.docs('alerts').get(alert!.alertId) as Alert).left).to.deep.equal(['kz-1']);
  });
});

describe('coordinator: the reports an alert names as left (leftAfter)', () => {
  const hash = 'ab'.repeat(32);
  const alert = (rule: 'shared_identifier' | 'route_and_concealment', left?: string[]) => ({
    rule,
    matchKeyPrefix: hash.slice(0, 12),
    matched: ['kg-1', 'kz-1'].map((reportId) => ({
      reportId,
      country: reportId.slice(0, 2).toUpperCase(),
      version: 1,
      evaluation: null,
    })),
    ...(left && { left }),
  });
  const move = (family: string, left: boolean, reportId = 'kz-1'): KeyMove => ({
    reportId,
    country: 'KZ',
    family,
    left,
  });

  it('matches a move to the alert by its key, the rule telling a route pattern (any period) from the others', () => {
    expect(leftAfter(alert('shared_identifier'), [move(`k:${hash}`, true)])).to.deep.equal(['kz-1']);
    expect(leftAfter(alert('route_and_concealment'), [move(`k:${hash}|p`, true)])).to.deep.equal(['kz-1']);
    expect(leftAfter(alert('shared_identifier'), [move(`k:${hash}|p`, true)])).to.equal(undefined);
    expect(leftAfter(alert('route_and_concealment'), [move(`k:${hash}`, true)])).to.equal(undefined);
    expect(leftAfter(alert('shared_identifier'), [move(`k:${'cd'.repeat(32)}`, true)])).to.equal(undefined);
    // A report the alert does not name changes nothing.
    expect(leftAfter(alert('shared_identifier'), [move(`k:${hash}`, true, 'uz-1')])).to.equal(undefined);
  });

  it('takes back a report matched on the key again, and says when nothing changes', () => {
    expect(leftAfter(alert('shared_identifier', ['kg-1', 'kz-1']), [move(`k:${hash}`, false)])).to.deep.equal(
      ['kg-1'],
    );
    expect(leftAfter(alert('shared_identifier', ['kz-1']), [move(`k:${hash}`, true)])).to.equal(undefined);
    expect(leftAfter(alert('shared_identifier'), [move(`k:${hash}`, false)])).to.equal(undefined);
  });
});
