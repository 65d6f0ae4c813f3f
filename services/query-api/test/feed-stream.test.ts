import { expect } from 'chai';
import type { Caller } from '../src/auth';
import {
  alertEvent,
  checkLive,
  currentOf,
  deliver,
  docKey,
  giveChecked,
  liveGapAfter,
  NOT_CHECKED,
  NOT_CHECKED_GIVEN_AGAIN,
  NOT_CHECKED_LIVE,
  recordEvent,
  resumeOf,
  type Current,
  type FeedEvent,
  type Subscriber,
} from '../src/feed-stream';
import type { Store } from '@hub/store';
import type { CurrentDoc } from '../src/routes-alerts';
import { feedSubscriber } from './feed-subscriber';

/** Where a feed's reader stands, per partition. */
const at = (...offsets: number[]) => new Map(offsets.map((o, p) => [p, BigInt(o)]));

describe('feed stream: what a reconnecting client is given first', () => {
  it('gives the events held after the one it names', () => {
    expect(resumeOf('0:5,1:7', ['0:4,1:7', '0:5,1:7', '0:5,1:8'], at(5, 8), 10)).to.deep.equal({ held: 2 });
  });

  it('reads back from the broker what it missed on each partition, when no more than a stream gives again', () => {
    expect(resumeOf('0:5,1:7', [], at(9, 10), 10)).to.deep.equal({
      readBack: new Map([
        [0, { after: 5n, upTo: 9n }],
        [1, { after: 7n, upTo: 10n }],
      ]),
    });
  });

  it('tells of a gap for an id that is not one of this feed', () => {
    for (const id of ['nonsense', '0:5', '0:5,7:1'])
      expect(resumeOf(id, [], at(9, 10), 10), id).to.deep.equal({
        gap: 'not an event id of this feed; search for what was published (GET /v1/seizures)',
      });
  });

  it('tells of a gap when it missed more than a stream gives again, without saying how many records were published', () => {
    // Records of every handling were published: one whose clearance reaches GREEN must not learn how many it missed.
    const few = resumeOf('0:5,1:7', [], at(16, 7), 10);
    const many = resumeOf('0:5,1:7', [], at(5_005, 2_007), 10);
    expect(few)
      .to.have.property('gap')
      .that.matches(/than the 10 a stream gives again.*GET \/v1\/seizures/);
    expect(many).to.deep.equal(few);
  });
});

describe('feed stream: what is given again is judged by the store as it is now', () => {
  const regions = [{ id: 'central-asia', labels: {}, members: ['KG', 'KZ', 'TJ', 'TM', 'UZ'] }];
  const at = { id: '0:7', partition: 0, offset: 7n };
  const kg = { sub: 'analyst-KG', role: 'analyst', country: 'KG', clearance: 'AMBER', regions: [] } as Caller;
  /** UZ's report `id` (version `version`) on the feed, published GREEN for the region. */
  const published = (id: string, messageType = 'SeizureReport', version = 1) =>
    recordEvent(
      at,
      'central-asia',
      {
        messageType,
        subjectId: id,
        version,
        originCountry: 'UZ',
        acceptedAt: Date.UTC(2026, 5, 1),
        subjectHandling: { tlp: 'GREEN', releasableTo: ['central-asia'] },
      },
      { country: 'UZ', seizedAt: Date.UTC(2026, 4, 30), drugs: [{ substance: 'opium', quantityKg: 7 }] },
      regions,
    );
  /** What the store holds now of UZ's record `id` in `collection`. */
  const stands = (collection: string, id: string, over: Partial<CurrentDoc> = {}): Current =>
    new Map([
      [
        docKey(collection, id),
        {
          _id: id,
          originCountry: 'UZ',
          status: 'active',
          handling: { tlp: 'GREEN', releasableTo: [], releasableCountries: [], evaluation: null },
          ...over,
        },
      ],
    ]);
  const red = { tlp: 'RED' as const, releasableTo: [], releasableCountries: [], evaluation: null };

  it('gives a record live under the handling it was published under, and again while its subject stands open', () => {
    const event = published('r-1');
    expect(event.shownTo(kg, undefined)?.data).to.include({ subjectId: 'r-1', version: 1, totalKg: 7 });
    expect(event.subjects).to.deep.equal([{ collection: 'reports', id: 'r-1' }]);
    // A later version stored since, still open to the caller: the earlier one may be given again.
    expect(event.shownTo(kg, stands('reports', 'r-1'))?.reads).to.deep.equal([
      { reportId: 'r-1', origin: 'UZ' },
    ]);
  });

  it('does not give again a record corrected since to a handling the caller may not read, withdrawn, or erased', () => {
    const event = published('r-2');
    expect(event.shownTo(kg, stands('reports', 'r-2', { handling: red })), 'RED now').to.equal(undefined);
    expect(event.shownTo(kg, stands('reports', 'r-2', { status: 'retracted' })), 'withdrawn').to.equal(
      undefined,
    );
    expect(event.shownTo(kg, new Map()), 'erased').to.equal(undefined);
    expect(event.shownTo(kg, stands('reports', 'r-2', { status: 'erased' })), 'marked erased').to.equal(
      undefined,
    );
    // Its originator reads it whatever its handling.
    const uz = { ...kg, sub: 'analyst-UZ', country: 'UZ', clearance: 'GREEN' } as Caller;
    expect(event.shownTo(uz, stands('reports', 'r-2', { handling: red }))).not.to.equal(undefined);
  });

  it('gives a withdrawal again while its report is kept, never once it is erased', () => {
    const withdrawal = published('r-3', 'SeizureRetraction', 2);
    expect(
      withdrawal.shownTo(kg, stands('reports', 'r-3', { status: 'retracted', handling: red })),
    ).not.to.equal(undefined);
    expect(withdrawal.shownTo(kg, new Map())).to.equal(undefined);
  });

  it('checks routes and annual returns against their own collections', () => {
    const route = published('t-1', 'TraffickingRoute');
    expect(route.subjects).to.deep.equal([{ collection: 'routes', id: 't-1' }]);
    expect(route.shownTo(kg, stands('routes', 't-1', { status: undefined }))).not.to.equal(undefined);
    expect(route.shownTo(kg, stands('routes', 't-1', { status: undefined, handling: red }))).to.equal(
      undefined,
    );
    expect(route.shownTo(kg, stands('reports', 't-1'))).to.equal(undefined);
    const annual = published('UZ-2025', 'AnnualSeizureReturn');
    expect(annual.subjects).to.deep.equal([{ collection: 'annual_returns', id: 'UZ-2025' }]);
    expect(annual.shownTo(kg, new Map())).to.equal(undefined);
  });

  it('shows an alert as the reports it names stand now, each caller its own view, and to nobody unchecked', () => {
    const alert = alertEvent(at, {
      alertId: 'a-1',
      rule: 'shared_identifier',
      identifierKind: 'plate',
      matchKeyPrefix: '0123456789ab',
      matched: [
        { reportId: 'kg-1', country: 'KG', version: 1, evaluation: 'A1' },
        { reportId: 'uz-1', country: 'UZ', version: 1, evaluation: 'E4' },
      ],
      countries: ['KG', 'UZ'],
      score: 0.7,
      reason: '2 reports name the same plate identifier',
      createdAt: Date.UTC(2026, 5, 1),
    });
    expect(alert.subjects.map((s) => `${s.collection}/${s.id}`)).to.deep.equal([
      'reports/kg-1',
      'reports/uz-1',
      'alerts/a-1',
    ]);
    expect(alert.shownTo(kg, undefined)).to.equal(undefined);
    const now: Current = new Map([
      ...stands('reports', 'uz-1', { handling: red }),
      ...stands('reports', 'kg-1', { originCountry: 'KG' }),
    ]);
    const shown = alert.shownTo(kg, now)!;
    expect((shown.data.matched as { reportId: string }[]).map((m) => m.reportId)).to.deep.equal(['kg-1']);
    expect(shown.data.countries).to.deep.equal(['KG']);
    expect(shown.data.reason).to.equal(
      '2 reports name the same plate identifier; 1 report you may not read matches yours',
    );
    expect(shown.reads).to.deep.equal([]);
    // UZ sees both (KG's is open to it), and its read of KG's report is noted.
    const uz = { ...kg, sub: 'analyst-UZ', country: 'UZ' } as Caller;
    expect(alert.shownTo(uz, now)!.reads).to.deep.equal([{ reportId: 'kg-1', origin: 'KG' }]);
    // TJ is not named: nothing.
    expect(alert.shownTo({ ...kg, country: 'TJ' } as Caller, now)).to.equal(undefined);
    // UZ's report has left the alert's key since (a version without the plate): no match stands, for anyone.
    const left: Current = new Map([
      ...now,
      [docKey('alerts', 'a-1'), { _id: 'a-1', left: ['uz-1'] } as CurrentDoc],
    ]);
    expect(alert.shownTo(kg, left)).to.equal(undefined);
    expect(alert.shownTo(uz, left)).to.equal(undefined);
  });
});

describe('feed stream: what cannot be checked against the store is told of as a gap', () => {
  const regions = [{ id: 'central-asia', labels: {}, members: ['KG', 'KZ', 'TJ', 'TM', 'UZ'] }];
  const as = (role: Caller['role'], country: string) =>
    ({ sub: `${role}-${country}`, role, country, clearance: 'AMBER', regions: [] }) as Caller;
  /** A subscriber of the central-asia feed, and what its client was sent, event by event. */
  const subscriber = (caller: Caller, over: Partial<Subscriber> = {}) =>
    feedSubscriber(caller, 'central-asia', over);
  const alert = alertEvent(
    { id: '0:7', partition: 0, offset: 7n },
    {
      alertId: 'a-1',
      rule: 'shared_identifier',
      identifierKind: 'plate',
      matchKeyPrefix: '0123456789ab',
      matched: [
        { reportId: 'kg-1', country: 'KG', version: 1, evaluation: null },
        { reportId: 'uz-1', country: 'UZ', version: 1, evaluation: null },
      ],
      countries: ['KG', 'UZ'],
      score: 0.7,
      reason: '2 reports name the same plate identifier',
      createdAt: Date.UTC(2026, 5, 1),
    },
  );
  const report = (id: string, offset: number) =>
    recordEvent(
      { id: `0:${offset}`, partition: 0, offset: BigInt(offset) },
      'central-asia',
      {
        messageType: 'SeizureReport',
        subjectId: id,
        version: 1,
        originCountry: 'UZ',
        acceptedAt: Date.UTC(2026, 5, 1),
        subjectHandling: { tlp: 'GREEN', releasableTo: ['central-asia'] },
      },
      { country: 'UZ', seizedAt: Date.UTC(2026, 4, 30), drugs: [{ substance: 'opium', quantityKg: 7 }] },
      regions,
    );
  const storeDown = async (): Promise<Current> => {
    throw new Error('the store did not answer');
  };

  it('tells those a live alert may concern of a gap after the event before it when the store cannot check it', async () => {
    const warned: unknown[] = [];
    const now = await checkLive(alert, 3, storeDown, (err) => warned.push(err));
    expect(now).to.equal(NOT_CHECKED);
    expect(warned).to.have.length(1);
    const kg = subscriber(as('analyst', 'KG'));
    const coordinator = subscriber(as('coordinator', 'TJ'));
    const tj = subscriber(as('analyst', 'TJ'));
    for (const s of [kg, coordinator, tj]) deliver(s.sub, alert, now, '0:6');
    const told = { event: 'gap', id: undefined, data: { lastEventId: '0:6', detail: NOT_CHECKED_LIVE } };
    expect(kg.sent).to.deep.equal([told]);
    expect(coordinator.sent).to.deep.equal([told]);
    // TJ is not named: it would not have been shown the alert, and is not told of one.
    expect(tj.sent).to.deep.equal([]);
    // One catching up holds it, to check it with what it missed; one given it by a read back is not told twice.
    const catching = subscriber(as('analyst', 'KG'), { buffer: [] });
    deliver(catching.sub, alert, now, '0:6');
    expect(catching.sub.buffer).to.deep.equal([alert]);
    const readBack = subscriber(as('analyst', 'KG'), { after: new Map([[0, 9n]]) });
    deliver(readBack.sub, alert, now, '0:6');
    expect([...catching.sent, ...readBack.sent]).to.deep.equal([]);
  });

  it('gives a live alert as the store says when it answers, and checks no record passed on live', async () => {
    const stands: Current = new Map(
      ['kg-1', 'uz-1'].map((id) => [
        docKey('reports', id),
        {
          _id: id,
          originCountry: id.slice(0, 2).toUpperCase(),
          status: 'active',
          handling: { tlp: 'GREEN', releasableTo: [], releasableCountries: [], evaluation: null },
        },
      ]),
    );
    const now = await checkLive(
      alert,
      1,
      async () => stands,
      () => undefined,
    );
    const kg = subscriber(as('analyst', 'KG'));
    deliver(kg.sub, alert, now, '0:6');
    expect(kg.sent.map((e) => [e.event, e.id])).to.deep.equal([['alert', '0:7']]);
    let asked = 0;
    const record = report('uz-9', 8);
    const lookUp = async () => {
      asked++;
      return storeDown();
    };
    expect(await checkLive(record, 1, lookUp, () => undefined)).to.equal(undefined);
    expect(await checkLive(alert, 0, lookUp, () => undefined), 'no subscriber').to.equal(undefined);
    expect(asked).to.equal(0);
  });

  it('says of events to give again that it could not check that they were not given, not how many, and to search', async () => {
    const details = [];
    for (const events of [
      [report('uz-1', 4), report('uz-2', 5)],
      [4, 5, 6, 7, 8].map((o) => report(`uz-${o}`, o)),
    ]) {
      const kg = subscriber(as('analyst', 'KG'));
      await giveChecked(
        kg.sub,
        events.map((event: FeedEvent) => ({ event })),
        '0:3',
        { lookUp: storeDown, warn: () => undefined },
      );
      expect(kg.sent).to.have.length(1);
      expect(kg.sent[0]).to.deep.include({
        event: 'gap',
        data: { lastEventId: '0:3', detail: NOT_CHECKED_GIVEN_AGAIN },
      });
      details.push(kg.sent[0]!.data.detail as string);
    }
    // The stream goes on past them: a reconnection would not give them again, so it does not say to reconnect.
    expect(details[0]).to.equal(details[1]);
    expect(details[0]).to.not.include('reconnect later');
    expect(details[0]).to.include('were not given');
    expect(details[0]).to.include('search for what was published since');
  });
});

describe('feed stream: the event of a seizure report', () => {
  const regions = [{ id: 'central-asia', labels: {}, members: ['KG', 'KZ', 'TJ', 'TM', 'UZ'] }];
  const kg = { sub: 'analyst-KG', role: 'analyst', country: 'KG', clearance: 'AMBER', regions: [] } as Caller;

  it('rounds the total weight of a report as the stored documents do', () => {
    const event = recordEvent(
      { id: '0:1', partition: 0, offset: 1n },
      'central-asia',
      {
        messageType: 'SeizureReport',
        subjectId: 'uz-1',
        version: 1,
        originCountry: 'UZ',
        acceptedAt: Date.UTC(2026, 5, 1),
        subjectHandling: { tlp: 'GREEN', releasableTo: ['central-asia'] },
      },
      {
        country: 'UZ',
        seizedAt: Date.UTC(2026, 4, 30),
        drugs: [
          { substance: 'opium', quantityKg: 0.1 },
          { substance: 'heroin', quantityKg: 0.2 },
        ],
      },
      regions,
    );
    expect(event.shownTo(kg, undefined)!.data.totalKg).to.equal(0.3);
  });
});

describe('feed stream: what a live event costs to pass on', () => {
  const kg = { sub: 'analyst-KG', role: 'analyst', country: 'KG', clearance: 'AMBER', regions: [] } as Caller;
  const alert = alertEvent(
    { id: '0:7', partition: 0, offset: 7n },
    {
      alertId: 'a-1',
      rule: 'shared_identifier',
      matched: [
        { reportId: 'kg-1', country: 'KG', version: 1, evaluation: null },
        { reportId: 'uz-1', country: 'UZ', version: 1, evaluation: null },
      ],
      countries: ['KG', 'UZ'],
      score: 0.7,
      reason: '2 reports name the same plate identifier',
    },
  );
  const doc = (id: string): CurrentDoc => ({
    _id: id,
    originCountry: id.slice(0, 2).toUpperCase(),
    status: 'active',
    handling: { tlp: 'GREEN', releasableTo: [], releasableCountries: [], evaluation: null },
  });

  it('makes the id of where the feed stood before a live record only for an event told of as a gap', () => {
    const position = new Map([
      [0, 5n],
      [1, 7n],
    ]);
    expect(liveGapAfter(position, 1, NOT_CHECKED)).to.equal('0:5,1:7');
    // A partition the reader has passed nothing on from yet.
    expect(liveGapAfter(new Map([[0, 5n]]), 1, NOT_CHECKED)).to.equal('0:5,1:-1');
    expect(liveGapAfter(position, 1, undefined), 'a record').to.equal('');
    expect(liveGapAfter(position, 1, new Map()), 'an alert checked').to.equal('');
  });

  it("picks an alert's reports out of what the store holds once for every subscriber, not once each", () => {
    let gets = 0;
    class Counted extends Map<string, CurrentDoc> {
      override get(key: string) {
        gets++;
        return super.get(key);
      }
    }
    const now = new Counted(['kg-1', 'uz-1'].map((id) => [docKey('reports', id), doc(id)]));
    const callers = ['KG', 'UZ', 'KZ'].map(
      (country) => ({ ...kg, sub: `analyst-${country}`, country }) as Caller,
    );
    const shown = callers.map((c) => alert.shownTo(c, now));
    expect(shown.map((v) => (v?.data.matched as { reportId: string }[] | undefined)?.length)).to.deep.equal([
      2,
      2,
      undefined,
    ]);
    // Its two reports, and the stored alert (for the reports that have left it).
    expect(gets).to.equal(3);
    // Another read of the store (a batch given again) is picked from anew.
    const later: Current = new Map([[docKey('reports', 'kg-1'), doc('kg-1')]]);
    expect(
      (alert.shownTo(kg, later)!.data.matched as { reportId: string }[]).map((m) => m.reportId),
    ).to.deep.equal(['kg-1']);
  });

  it("reads the current documents of events' subjects with one $in of each collection, keyed by collection and id", async () => {
    const finds: { collection: string; filter: unknown; options: unknown }[] = [];
    const held: Record<string, CurrentDoc[]> = { reports: [doc('kg-1'), doc('uz-1')], routes: [doc('uz-9')] };
    const store = {
      collection: (name: string) => ({
        find(filter: { _id: { $in: string[] } }, options: unknown) {
          finds.push({ collection: name, filter, options });
          const docs = (held[name] ?? []).filter((d) => filter._id.$in.includes(d._id));
          return { toArray: async () => docs };
        },
      }),
    } as unknown as Store;
    const route = recordEvent(
      { id: '0:8', partition: 0, offset: 8n },
      'central-asia',
      {
        messageType: 'TraffickingRoute',
        subjectId: 'uz-9',
        version: 1,
        originCountry: 'UZ',
        acceptedAt: Date.UTC(2026, 5, 1),
        subjectHandling: { tlp: 'GREEN', releasableTo: [] },
      },
      {},
      [],
    );
    const now = await currentOf(store, [alert, route, alert]);
    expect([...now.keys()]).to.deep.equal(['reports/kg-1', 'reports/uz-1', 'routes/uz-9']);
    expect(finds).to.deep.equal([
      {
        collection: 'reports',
        filter: { _id: { $in: ['kg-1', 'uz-1'] } },
        options: { projection: { originCountry: 1, status: 1, handling: 1 } },
      },
      { collection: 'alerts', filter: { _id: { $in: ['a-1'] } }, options: { projection: { left: 1 } } },
      {
        collection: 'routes',
        filter: { _id: { $in: ['uz-9'] } },
        options: { projection: { originCountry: 1, status: 1, handling: 1 } },
      },
    ]);
    expect(await currentOf(store, [])).to.deep.equal(new Map());
    expect(finds).to.have.length(3);
  });
});
