// Whose a record is, whatever kind of message names its id: storing batches (persistBatch) on the store in memory.
// A node reads other countries' ids on the feeds and in alerts (and can work out any annual return's): a version or
// withdrawal of one, as any kind of record, is refused before it claims anything in the history, so that the
// originator's own next version and withdrawal are still taken.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { seizureReportFromJson } from '@hub/domain';
import { loadRegions } from '@hub/schemas';
import { COLLECTIONS } from '@hub/store';
import type { Accepted, Outcome } from '../src/outcome';
import { acceptedMessage } from './accepted';
import { memoryStore, type MemoryStore } from './memory-store';
import { annual, made, NOW, route, storedBatches } from './stored-batches';

const regions = loadRegions();

/** A message as the intake accepts it, from `country`'s node. */
const accepted = (
  country: string,
  messageType: string,
  value: Record<string, unknown>,
  id: string,
): Accepted => acceptedMessage(country, messageType, value, id, NOW);

const report = (country: string, reportId: string, version: number) =>
  accepted(
    country,
    'SeizureReport',
    seizureReportFromJson(
      {
        reportId,
        seizedAt: '2026-12-01T09:30:00+05:00',
        country,
        agency: 'customs',
        drugs: [{ substance: 'heroin', quantity: 12.5, unit: 'kg' }],
        handling: { tlp: 'GREEN' },
      },
      made(country, version),
    ).value as unknown as Record<string, unknown>,
    reportId,
  );

const retraction = (country: string, reportId: string, version: number) =>
  accepted(
    country,
    'SeizureRetraction',
    { reportId, version, retractedAt: NOW, reason: 'withdrawn', submittedBy: null },
    reportId,
  );

const kinds = (outcomes: Outcome[]) => outcomes.map((o) => (o.kind === 'accepted' ? 'accepted' : o.reason));
const details = (outcomes: Outcome[]) => outcomes.map((o) => (o.kind === 'rejected' ? o.detail : ''));
const mismatch = (id: string, owner: string) =>
  `${id} is a record of ${owner}: only ${owner} may send a new version of it or withdraw it`;

describe('coordinator: one owner per record id, whatever kind of message names it', () => {
  let mem: MemoryStore;
  const { persist, history, archived } = storedBatches(() => mem, regions);

  beforeEach(() => {
    mem = memoryStore();
  });

  it("refuses another country's route and annual return under a report's id, claiming nothing, and takes the report's next version and withdrawal", async () => {
    const id = randomUUID();
    await persist([report('KZ', id, 1)]);
    // UZ read the id on a feed, and sends "version 2" of it as a route of its own, then as an annual return.
    const asRoute = route('UZ', id, 2);
    const asAnnual = annual('UZ', 2, id);
    const refused = await persist([asRoute, asAnnual]);
    expect(kinds(refused.outcomes)).to.deep.equal(['country-mismatch', 'country-mismatch']);
    expect(details(refused.outcomes)).to.deep.equal([mismatch(id, 'KZ'), mismatch(id, 'KZ')]);
    expect(history().has(`${id}:2`), 'version 2 not claimed').to.equal(false);
    expect(mem.docs(COLLECTIONS.routes).has(id), 'no route stored under it').to.equal(false);
    expect(mem.docs(COLLECTIONS.annualReturns).has(id), 'no annual return stored under it').to.equal(false);
    expect([archived(asRoute), archived(asAnnual)], 'neither archived').to.deep.equal([false, false]);
    // KZ's own version 2 and its withdrawal (version 3) are taken.
    const v2 = report('KZ', id, 2);
    expect(kinds((await persist([v2])).outcomes)).to.deep.equal(['accepted']);
    expect(kinds((await persist([retraction('KZ', id, 3)])).outcomes)).to.deep.equal(['accepted']);
    expect(mem.docs(COLLECTIONS.reports).get(id)).to.include({
      status: 'retracted',
      version: 3,
      originCountry: 'KZ',
    });
    expect(history().get(`${id}:2`)).to.include({ messageId: v2.envelope.messageId, originCountry: 'KZ' });
  });

  it("refuses another country's report or withdrawal under a route's or an annual return's id, and takes the originator's next version", async () => {
    const routeId = randomUUID();
    const kzAnnual = annual('KZ', 1);
    await persist([route('KZ', routeId, 1), kzAnnual]);
    const returnId = kzAnnual.subjectId;
    const refused = await persist([
      retraction('UZ', routeId, 2),
      report('UZ', routeId, 2),
      retraction('UZ', returnId, 2),
      report('UZ', returnId, 2),
    ]);
    expect(kinds(refused.outcomes)).to.deep.equal(Array(4).fill('country-mismatch'));
    expect(details(refused.outcomes)).to.deep.equal([
      mismatch(routeId, 'KZ'),
      mismatch(routeId, 'KZ'),
      mismatch(returnId, 'KZ'),
      mismatch(returnId, 'KZ'),
    ]);
    expect(history().has(`${routeId}:2`), 'no claim on the route').to.equal(false);
    expect(history().has(`${returnId}:2`), 'no claim on the annual return').to.equal(false);
    expect(mem.docs(COLLECTIONS.reports).size, 'no report stored under either').to.equal(0);
    const next = await persist([route('KZ', routeId, 2), annual('KZ', 2)]);
    expect(kinds(next.outcomes)).to.deep.equal(['accepted', 'accepted']);
    expect(mem.docs(COLLECTIONS.routes).get(routeId)).to.include({ version: 2, originCountry: 'KZ' });
    expect(mem.docs(COLLECTIONS.annualReturns).get(returnId)).to.include({ version: 2, originCountry: 'KZ' });
  });

  it("refuses another country's claim listed before the originator's in one batch, and takes the originator's", async () => {
    const id = randomUUID();
    await persist([report('KZ', id, 1)]);
    const kzV2 = report('KZ', id, 2);
    const result = await persist([route('UZ', id, 2), report('UZ', id, 2), kzV2]);
    expect(kinds(result.outcomes)).to.deep.equal(['country-mismatch', 'country-mismatch', 'accepted']);
    expect(history().get(`${id}:2`)).to.include({ messageId: kzV2.envelope.messageId });
    expect(mem.docs(COLLECTIONS.reports).get(id)).to.include({
      version: 2,
      messageId: kzV2.envelope.messageId,
    });
  });

  it('gives an id new to the store to the sender of its earliest version in the batch, the same when the batch comes again', async () => {
    const id = randomUUID();
    const batch = [route('UZ', id, 2), report('KZ', id, 1), retraction('UZ', id, 3)];
    const first = await persist(batch);
    expect(kinds(first.outcomes)).to.deep.equal(['country-mismatch', 'accepted', 'country-mismatch']);
    expect(details(first.outcomes)[0]).to.equal(mismatch(id, 'KZ'));
    const again = await persist(batch);
    expect(kinds(again.outcomes), 'redelivered').to.deep.equal(kinds(first.outcomes));
    expect([...history().keys()].filter((k) => k.startsWith(id))).to.deep.equal([`${id}:1`]);
    expect(mem.docs(COLLECTIONS.routes).has(id)).to.equal(false);
  });

  it('gives an id two countries hold records under to the one whose version came first', async () => {
    // KZ's route refused at first (say, its clock ahead) and sent again as version 2: its version 1 is nobody's, and
    // UZ, which read the id on a feed, stores a report of its own as version 1 of it.
    const id = randomUUID();
    await persist([route('KZ', id, 2)]);
    await persist([report('UZ', id, 1)]);
    expect(history().get(`${id}:1`)).to.include({ originCountry: 'UZ' });
    // The id is KZ's (its version came first): UZ may not go on from there, KZ may.
    const next = await persist([report('UZ', id, 3), retraction('UZ', id, 3), route('KZ', id, 3)]);
    expect(kinds(next.outcomes)).to.deep.equal(['country-mismatch', 'country-mismatch', 'accepted']);
    expect(details(next.outcomes)[0]).to.equal(mismatch(id, 'KZ'));
    expect(mem.docs(COLLECTIONS.routes).get(id)).to.include({ version: 3, originCountry: 'KZ' });
    expect(mem.docs(COLLECTIONS.reports).get(id)).to.include({ version: 1, originCountry: 'UZ' });
  });

  it('takes a batch of later versions stored again (a crash before its answers) as before, reading no report’s history', async () => {
    const id = randomUUID();
    const routeId = randomUUID();
    await persist([report('KZ', id, 1), route('KZ', routeId, 1)]);
    const batch = [
      report('KZ', id, 2),
      route('UZ', id, 3),
      route('KZ', routeId, 2),
      retraction('UZ', routeId, 3),
    ];
    const first = await persist(batch);
    expect(kinds(first.outcomes)).to.deep.equal([
      'accepted',
      'country-mismatch',
      'accepted',
      'country-mismatch',
    ]);
    mem.finds.length = 0;
    const again = await persist(batch);
    expect(kinds(again.outcomes)).to.deep.equal(kinds(first.outcomes));
    expect(details(again.outcomes)).to.deep.equal(details(first.outcomes));
    // The report's claim is confirmed by the current report (a route's is read back from the history, as before).
    expect(
      mem.finds.filter((f) => f.collection === COLLECTIONS.reportVersions).map((f) => f.filter._id),
    ).to.deep.equal([`${routeId}:2`]);
    expect(mem.docs(COLLECTIONS.reports).get(id)).to.include({ version: 2, originCountry: 'KZ' });
    expect(mem.docs(COLLECTIONS.routes).get(routeId)).to.include({ version: 2, originCountry: 'KZ' });
    expect([history().has(`${id}:3`), history().has(`${routeId}:3`)]).to.deep.equal([false, false]);
  });

  it("reads no owners for new records, and for an owner's next versions only where their own kind is kept", async () => {
    const ids = [randomUUID(), randomUUID()];
    await persist(ids.map((id) => report('KZ', id, 1)));
    expect(mem.finds, 'first versions are inserted outright').to.deep.equal([]);
    const routeId = randomUUID();
    await persist([route('KZ', routeId, 1)]);
    mem.finds.length = 0;
    await persist([report('KZ', ids[0]!, 2), retraction('KZ', ids[1]!, 2), route('KZ', routeId, 2)]);
    // Each id looked up once, where its kind is kept (a few ids go one equality query each: findEach): the reports for
    // a report's version and withdrawal, the routes for the route's; found there, nowhere else.
    const asked = () => mem.finds.map((f) => `${f.collection} ${String(f.filter._id)}`).sort();
    expect(asked()).to.deep.equal(
      [
        `${COLLECTIONS.reports} ${ids[0]}`,
        `${COLLECTIONS.reports} ${ids[1]}`,
        `${COLLECTIONS.routes} ${routeId}`,
      ].sort(),
    );
    // A later version of an id its kind holds nothing under: looked for among the other kinds too.
    mem.finds.length = 0;
    const unknown = randomUUID();
    await persist([route('KZ', unknown, 2)]);
    expect(asked()).to.deep.equal(
      [
        `${COLLECTIONS.annualReturns} ${unknown}`,
        `${COLLECTIONS.reports} ${unknown}`,
        `${COLLECTIONS.routes} ${unknown}`,
      ].sort(),
    );
  });
});
