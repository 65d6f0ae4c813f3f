import { expect } from 'chai';
import type { AlertRecord } from '@hub/coordinator/correlate';
import { alertScore, withheldReason, type Store, type StoredHandling, type Tlp } from '@hub/store';
import type { AuditLog } from '../src/audit';
import type { Caller } from '../src/auth';
import { decodeCursor } from '../src/params';
import { alertRoutes, alertView, standingAlert, type CurrentDoc } from '../src/routes-alerts';
import { serveRouter, type ServedRouter } from './serve-router';

type Doc = Record<string, unknown> & { _id: string };

/** A page's cursor condition (findPage): older than `at`, or as old with a lower _id. */
type After = { $or: [{ createdAt: { $lt: Date } }, { createdAt: Date; _id: { $lt: string } }] };

/**
 * The store's collections in memory, as far as GET /v1/alerts reads them: a find streams (or reads whole) the
 * documents of its collection that an `_id: { $in }` filter, or the `countries: { $all }` conditions and the cursor's
 * `$or` of an `$and`, take (any other condition is not applied); each find is recorded.
 */
function memoryStore(collections: Record<string, Doc[]>) {
  const finds: { collection: string; filter: Record<string, unknown> }[] = [];
  const takes = (d: Doc, filter: Record<string, unknown>) => {
    const ids = (filter._id as { $in?: string[] } | undefined)?.$in;
    const and = (filter.$and ?? []) as ({ countries?: { $all: string[] } } & Partial<After>)[];
    const all = and.flatMap((c) => c.countries?.$all ?? []);
    const after = and.flatMap((c) => (c.$or ? [c.$or] : []));
    const t = (d.createdAt as Date | undefined)?.getTime() ?? 0;
    return (
      (!ids || ids.includes(d._id)) &&
      all.every((cc) => (d.countries as string[]).includes(cc)) &&
      after.every(
        ([older, tied]) =>
          t < older.createdAt.$lt.getTime() || (t === tied.createdAt.getTime() && d._id < tied._id.$lt),
      )
    );
  };
  const collection = (name: string) => ({
    find(filter: Record<string, unknown>) {
      finds.push({ collection: name, filter });
      const docs = (collections[name] ?? []).filter((d) => takes(d, filter)).map((d) => structuredClone(d));
      return {
        toArray: async () => docs,
        async *[Symbol.asyncIterator]() {
          yield* docs;
        },
      };
    },
  });
  return { store: { engine: 'ferretdb', collection } as unknown as Store, finds };
}

const handling = (tlp: Tlp, releasableTo: string[] = []): StoredHandling => ({
  tlp,
  releasableTo,
  releasableCountries: releasableTo,
  evaluation: null,
});
const report = (id: string, tlp: Tlp, releasableTo: string[] = [], status = 'active'): CurrentDoc => ({
  _id: id,
  originCountry: id.slice(0, 2).toUpperCase(),
  status,
  handling: handling(tlp, releasableTo),
});

/** An alert as the coordinator stores it, on the reports named (each `<country>-...`), evaluated as given. */
function stored(id: string, ids: string[], evaluations: Record<string, string> = {}, minutesAgo = 0) {
  const matched = ids.map((reportId) => ({
    reportId,
    country: reportId.slice(0, 2).toUpperCase(),
    version: 1,
    evaluation: evaluations[reportId] ?? null,
  }));
  return {
    _id: id,
    alertId: id,
    rule: 'shared_identifier',
    identifierKind: 'plate',
    matchKeyPrefix: '0123456789ab',
    matched,
    countries: [...new Set(matched.map((m) => m.country))].sort(),
    score: alertScore(
      'shared_identifier',
      matched.map((m) => m.evaluation),
    ),
    reason: `${ids.length} reports name the same plate identifier`,
    createdAt: new Date(Date.UTC(2026, 11, 1, 12, 0) - minutesAgo * 60000),
    published: true,
  };
}

const caller = (role: Caller['role'], country: string, clearance: Tlp): Caller => ({
  sub: `${role}-${country}`,
  role,
  country,
  clearance,
  regions: [],
});

describe('query API: what a caller is shown of a cross-border alert (alertView)', () => {
  const current = new Map(
    [report('kz-1', 'GREEN'), report('uz-1', 'RED'), report('kg-1', 'AMBER', ['KZ'])].map((r) => [r._id, r]),
  );
  const whole = stored('a-1', ['kg-1', 'kz-1', 'uz-1'], { 'kz-1': 'A1', 'uz-1': 'E4', 'kg-1': 'B2' });

  it('leaves out a report the caller may not read, its country and its evaluation, and counts it', () => {
    const view = alertView(caller('analyst', 'KZ', 'AMBER'), whole, current)!;
    expect(view.alert.matched.map((m) => m.reportId)).to.deep.equal(['kg-1', 'kz-1']);
    expect(view.alert.countries).to.deep.equal(['KG', 'KZ']);
    expect(view.alert.reason).to.equal(
      '3 reports name the same plate identifier; 1 of them, which you may not read, is withheld by their handling',
    );
    expect(view.alert.score).to.equal(alertScore('shared_identifier', ['B2', 'A1', null]));
    expect(view.alert.alertId).to.equal('a-1');
    expect(view.reads).to.deep.equal([{ reportId: 'kg-1', origin: 'KG' }]);
  });

  it('shows an alert naming the caller even when it may read nothing but its own reports', () => {
    const view = alertView(caller('analyst', 'KZ', 'GREEN'), whole, current)!;
    expect(view.alert.matched.map((m) => m.reportId)).to.deep.equal(['kz-1']);
    expect(view.alert.countries).to.deep.equal(['KZ']);
    expect(view.alert.reason).to.equal(
      '3 reports name the same plate identifier; 2 reports you may not read match yours',
    );
    expect(view.reads).to.deep.equal([]);
  });

  it('holds a coordinator to the same rule: no RED report of another country, and no alert it may read nothing of', () => {
    const view = alertView(caller('coordinator', 'TJ', 'RED'), whole, current)!;
    expect(view.alert.matched.map((m) => m.reportId)).to.deep.equal(['kz-1']);
    expect(view.alert.countries).to.deep.equal(['KZ']);
    expect(view.alert.reason).to.include('2 of them, which you may not read, are withheld by their handling');
    const closed = stored('a-2', ['kg-1', 'uz-1']);
    expect(alertView(caller('coordinator', 'TJ', 'RED'), closed, current)).to.equal(undefined);
    // Anyone else sees only the alerts naming its country.
    expect(alertView(caller('analyst', 'TJ', 'RED'), whole, current)).to.equal(undefined);
  });

  it('judges each report as it stands now: corrected to a stricter handling, withdrawn or erased, it is withheld', () => {
    const open = stored('a-3', ['kz-1', 'uz-2', 'uz-3', 'uz-4']);
    const reader = caller('analyst', 'KZ', 'RED');
    const then = new Map([
      ...current,
      ...[report('uz-2', 'GREEN'), report('uz-3', 'GREEN'), report('uz-4', 'GREEN')].map(
        (r) => [r._id, r] as const,
      ),
    ]);
    expect(alertView(reader, open, then)!.alert).to.equal(open);
    const now = new Map(then);
    now.set('uz-2', report('uz-2', 'RED'));
    now.set('uz-3', report('uz-3', 'GREEN', [], 'retracted'));
    now.delete('uz-4');
    const view = alertView(reader, open, now)!;
    expect(view.alert.matched.map((m) => m.reportId)).to.deep.equal(['kz-1']);
    expect(view.alert.reason).to.equal(
      '4 reports name the same plate identifier; 3 reports you may not read match yours',
    );
    // The caller's own report withdrawn since is left out without being counted as withheld.
    now.set('kz-1', report('kz-1', 'GREEN', [], 'retracted'));
    now.set('uz-2', report('uz-2', 'GREEN'));
    const own = alertView(reader, open, now)!;
    expect(own.alert.matched.map((m) => m.reportId)).to.deep.equal(['uz-2']);
    expect(own.alert.countries).to.deep.equal(['KZ', 'UZ']);
    expect(own.alert.reason).to.include(
      '; 2 of them, which you may not read, are withheld by their handling',
    );
  });

  it("says how many are withheld after the rule's sentence, before the note of older seizures, never whose", () => {
    expect(withheldReason('2 reports share it', 0, true)).to.equal('2 reports share it');
    expect(withheldReason('2 reports share it', 1, true)).to.equal(
      '2 reports share it; 1 report you may not read matches yours',
    );
    expect(withheldReason('2 reports share it; 3 more, of older seizures, are not named', 2, false)).to.equal(
      '2 reports share it; 2 of them, which you may not read, are withheld by their handling; 3 more, of older seizures, are not named',
    );
  });
});

describe('query API: an alert naming a report whose new version has left its key (standingAlert)', () => {
  // KZ's report named plate 777ABC02 as KG's did; its version 2 corrected it to 777ABD02: the coordinator marked it left.
  const current = new Map(
    [report('kz-1', 'GREEN'), report('kg-1', 'GREEN'), report('uz-1', 'RED'), report('uz-2', 'GREEN')].map(
      (r) => [r._id, r],
    ),
  );
  const left = (alert: ReturnType<typeof stored>, ...ids: string[]) => ({ ...alert, left: ids });

  it('shows no one an alert with fewer than two countries left: KG is not told of a match with KZ', () => {
    const alert = left(stored('a-1', ['kg-1', 'kz-1'], { 'kg-1': 'B2', 'kz-1': 'A1' }), 'kz-1');
    expect(standingAlert(alert)).to.equal(undefined);
    for (const who of [
      caller('analyst', 'KG', 'RED'),
      caller('analyst', 'KZ', 'RED'),
      caller('coordinator', 'TJ', 'RED'),
    ])
      expect(alertView(who, alert, current), `${who.role} of ${who.country}`).to.equal(undefined);
  });

  it('leaves the report out as if never named: the count, the countries and the score of those still matched', () => {
    const alert = left(
      stored('a-2', ['kg-1', 'kz-1', 'uz-1', 'uz-2'], {
        'kg-1': 'B2',
        'kz-1': 'A1',
        'uz-1': 'E4',
        'uz-2': 'C3',
      }),
      'kz-1',
    );
    const standing = standingAlert(alert)!;
    expect(standing.matched.map((m) => m.reportId)).to.deep.equal(['kg-1', 'uz-1', 'uz-2']);
    expect(standing.countries).to.deep.equal(['KG', 'UZ']);
    expect(standing.reason).to.equal('3 reports name the same plate identifier');
    expect(standing.score).to.equal(alertScore('shared_identifier', ['B2', 'E4', 'C3']));
    expect(standing).not.to.have.property('left');
    // KG at RED may not read UZ's RED report: that one is withheld and counted, KZ's is no match and is not.
    const view = alertView(caller('analyst', 'KG', 'RED'), alert, current)!;
    expect(view.alert.matched.map((m) => m.reportId)).to.deep.equal(['kg-1', 'uz-2']);
    expect(view.alert.countries).to.deep.equal(['KG', 'UZ']);
    expect(view.alert.reason).to.equal(
      '3 reports name the same plate identifier; 1 of them, which you may not read, is withheld by their handling',
    );
    expect(view.alert.score).to.equal(alertScore('shared_identifier', ['B2', null, 'C3']));
    expect(view.reads).to.deep.equal([{ reportId: 'uz-2', origin: 'UZ' }]);
    // KZ, whose report left, is named no more: it is not shown the alert.
    expect(alertView(caller('analyst', 'KZ', 'RED'), alert, current)).to.equal(undefined);
  });

  it('keeps the note of older seizures, and shows the alert whole again once the report came back', () => {
    const older = {
      ...stored('a-3', ['kg-1', 'kz-1', 'uz-2']),
      reason: '3 reports name the same plate identifier; 7 more, of older seizures, are not named',
    };
    expect(standingAlert({ ...older, left: ['kz-1'] })!.reason).to.equal(
      '2 reports name the same plate identifier; 7 more, of older seizures, are not named',
    );
    // Taken back (none left): the alert as it was raised, without the store's bookkeeping.
    const back = standingAlert({ ...older, left: [] })!;
    const { left: _none, ...whole } = { ...older, left: [] };
    expect(back).to.deep.equal(whole);
    expect(alertView(caller('analyst', 'KZ', 'RED'), { ...older, left: [] }, current)!.alert).to.deep.equal(
      whole,
    );
  });
});

describe('query API: GET /v1/alerts shows each caller its own view of each alert', () => {
  let api: ServedRouter;
  let who: Caller;
  let mem: ReturnType<typeof memoryStore>;
  let audited: Parameters<AuditLog['append']>[0][];
  let reports: Doc[];
  let alerts: Doc[];

  beforeEach(async () => {
    reports = [
      report('kz-1', 'GREEN'),
      report('uz-1', 'RED'),
      report('kz-2', 'GREEN'),
      report('uz-2', 'GREEN'),
      report('kg-2', 'AMBER', ['KZ']),
      report('kg-3', 'GREEN'),
      report('uz-3', 'GREEN'),
    ] as unknown as Doc[];
    alerts = [
      stored('a-1', ['kz-1', 'uz-1'], { 'kz-1': 'A1', 'uz-1': 'E4' }, 3),
      stored('a-2', ['kg-2', 'kz-2', 'uz-2'], {}, 2),
      stored('a-3', ['kg-3', 'uz-3'], {}, 1),
    ];
    mem = memoryStore({ alerts, reports });
    audited = [];
    const audit = {
      append: async (e: Parameters<AuditLog['append']>[0]) => {
        audited.push(e);
        return e;
      },
    } as unknown as AuditLog;
    api = await serveRouter(alertRoutes({ store: mem.store, audit }), () => who);
  });
  afterEach(() => api.close());

  type Alert = AlertRecord & { createdAt: string };
  const get = async (qs = '') => {
    const r = await api.get<{ alerts: Alert[]; nextCursor: string | null }>(`/v1/alerts${qs}`);
    expect(r.status).to.equal(200);
    return r.body;
  };

  it("gives KZ UZ's RED report neither in the alert nor in its reason, and audits the others' reports shown", async () => {
    who = caller('analyst', 'KZ', 'AMBER');
    const { alerts } = await get();
    expect(alerts.map((a) => a.alertId)).to.deep.equal(['a-2', 'a-1']);
    const [two, one] = alerts as [Alert, Alert];
    expect(one.matched.map((m) => m.reportId)).to.deep.equal(['kz-1']);
    expect(one.countries).to.deep.equal(['KZ']);
    expect(one.reason).to.equal(
      '2 reports name the same plate identifier; 1 report you may not read matches yours',
    );
    expect(one.score).to.equal(alertScore('shared_identifier', ['A1', null]));
    expect(JSON.stringify(one)).not.to.include('uz-1');
    expect(two.matched.map((m) => m.reportId)).to.deep.equal(['kg-2', 'kz-2', 'uz-2']);
    // The store was asked for the alerts naming KZ, then for the reports they name: one read for the page.
    expect(mem.finds.map((f) => f.collection)).to.deep.equal(['alerts', 'reports']);
    expect(mem.finds[0]!.filter).to.deep.equal({ $and: [{ countries: { $all: ['KZ'] } }] });
    expect((mem.finds[1]!.filter._id as { $in: string[] }).$in.sort()).to.deep.equal([
      'kg-2',
      'kz-1',
      'kz-2',
      'uz-1',
      'uz-2',
    ]);
    // The reports of other countries shown are reads of them (their owners' GET /v1/reads); UZ's RED one is not.
    expect(audited).to.have.length(1);
    expect(audited[0]).to.deep.include({ action: 'alerts', count: 2 });
    expect(audited[0]!.reportIds).to.deep.equal(['kg-2', 'uz-2']);
    expect(audited[0]!.reportOrigins).to.deep.equal(['KG', 'UZ']);
  });

  it('lists no alert that a report left for too few countries, and never says which report left one', async () => {
    who = caller('analyst', 'KG', 'RED');
    const before = (await get()).alerts.map((a) => a.alertId);
    expect(before).to.deep.equal(['a-3', 'a-2']);
    // KZ's report left a-2 (KG, KZ, UZ): still two countries, shown without it; UZ's left a-3 (KG, UZ): not shown.
    Object.assign(
      alerts.find((a) => a._id === 'a-2')!,
      { left: ['kz-2'] },
    );
    Object.assign(
      alerts.find((a) => a._id === 'a-3')!,
      { left: ['uz-3'] },
    );
    const { alerts: after } = await get();
    expect(after.map((a) => a.alertId)).to.deep.equal(['a-2']);
    expect(after[0]!.matched.map((m) => m.reportId)).to.deep.equal(['kg-2', 'uz-2']);
    expect(after[0]!.countries).to.deep.equal(['KG', 'UZ']);
    expect(after[0]!.reason).to.equal('2 reports name the same plate identifier');
    expect(after[0]).not.to.have.property('left');
    expect(audited[1]!.reportIds).to.deep.equal(['uz-2']);
  });

  it('finds no alert by a country the caller is not shown', async () => {
    who = caller('analyst', 'KZ', 'AMBER');
    expect((await get('?country=UZ')).alerts.map((a) => a.alertId)).to.deep.equal(['a-2']);
    expect(mem.finds[0]!.filter).to.deep.equal({ $and: [{ countries: { $all: ['KZ', 'UZ'] } }] });
  });

  it('holds a coordinator to the handling of each report, and lists only alerts it may read something of', async () => {
    who = caller('coordinator', 'TJ', 'GREEN');
    const { alerts } = await get();
    expect(alerts.map((a) => a.alertId)).to.deep.equal(['a-3', 'a-2', 'a-1']);
    expect(alerts[1]!.matched.map((m) => m.reportId)).to.deep.equal(['kz-2', 'uz-2']);
    expect(alerts[2]!.matched.map((m) => m.reportId)).to.deep.equal(['kz-1']);
    expect(alerts[2]!.countries).to.deep.equal(['KZ']);
    // Once KZ's report is withdrawn, the coordinator may read nothing of the first alert.
    reports.find((r) => r._id === 'kz-1')!.status = 'retracted';
    expect((await get()).alerts.map((a) => a.alertId)).to.deep.equal(['a-3', 'a-2']);
  });

  it('judges the reports as they are now: one corrected to RED since is withheld', async () => {
    who = caller('analyst', 'KZ', 'AMBER');
    Object.assign(
      reports.find((r) => r._id === 'uz-2')!,
      { handling: handling('RED') },
    );
    const two = (await get()).alerts.find((a) => a.alertId === 'a-2')!;
    expect(two.matched.map((m) => m.reportId)).to.deep.equal(['kg-2', 'kz-2']);
    expect(two.countries).to.deep.equal(['KG', 'KZ']);
    expect(two.reason).to.include('1 of them, which you may not read, is withheld by their handling');
    expect(audited[0]!.reportIds).to.deep.equal(['kg-2']);
  });
});

describe('query API: GET /v1/alerts pages by the alerts shown, never by those withheld', () => {
  const kz = caller('analyst', 'KZ', 'AMBER');
  const served: ServedRouter[] = [];
  afterEach(async () => {
    for (const s of served.splice(0)) await s.close();
  });

  /** An alert on KZ's report and UZ's: asked for by UZ, KZ is shown it only while UZ's report is open to it. */
  const onUz = (id: string, minutesAgo: number, uzTlp: Tlp) => ({
    alert: stored(id, [`kz-${id}`, `uz-${id}`], {}, minutesAgo),
    reports: [report(`kz-${id}`, 'GREEN'), report(`uz-${id}`, uzTlp)],
  });
  const shownToKz = (id: string, minutesAgo: number) => onUz(id, minutesAgo, 'GREEN');
  const withheldFromKz = (id: string, minutesAgo: number) => onUz(id, minutesAgo, 'RED');

  /** GET /v1/alerts over these alerts, for `who`, its errors answered as the API's are. */
  async function serve(alerts: ReturnType<typeof onUz>[], withheldReadMax?: number) {
    const mem = memoryStore({
      alerts: alerts.map((a) => a.alert),
      reports: alerts.flatMap((a) => a.reports) as unknown as Doc[],
    });
    const audit = { append: async (e: unknown) => e } as unknown as AuditLog;
    const api = await serveRouter(
      alertRoutes({ store: mem.store, audit, ...(withheldReadMax && { withheldReadMax }) }),
      kz,
    );
    served.push(api);
    return { mem, get: (qs: string) => api.get(`/v1/alerts${qs}`) };
  }
  const ids = (body: Record<string, unknown>) => (body.alerts as { alertId: string }[]).map((a) => a.alertId);

  it('makes the cursor of the last alert shown, and gives none when no other is to be shown', async () => {
    const alerts = [withheldFromKz('w-1', 0), shownToKz('s-1', 1), withheldFromKz('w-2', 2)];
    let api = await serve(alerts);
    // The newest alert naming UZ shows KZ nothing of UZ: neither shown, nor a cursor made of it.
    const first = await api.get('?country=UZ&limit=1');
    expect(first.status).to.equal(200);
    expect(ids(first.body)).to.deep.equal(['s-1']);
    expect(first.body.nextCursor).to.equal(null);
    // With another to show after it, the cursor is the alert shown's, and leads to that one.
    api = await serve([...alerts, shownToKz('s-2', 3)]);
    const page = await api.get('?country=UZ&limit=1');
    expect(ids(page.body)).to.deep.equal(['s-1']);
    const cursor = decodeCursor(page.body.nextCursor as string);
    expect(cursor).to.deep.equal({ at: alerts[1]!.alert.createdAt, id: 's-1' });
    const next = await api.get(`?country=UZ&limit=1&cursor=${page.body.nextCursor as string}`);
    expect(ids(next.body)).to.deep.equal(['s-2']);
    expect(next.body.nextCursor).to.equal(null);
  });

  it('reads on past the alerts withheld, a page of the store at a time, not one by one', async () => {
    const withheld = Array.from({ length: 30 }, (_, i) => withheldFromKz(`w-${i}`, i));
    const api = await serve([...withheld, shownToKz('s-1', 40)]);
    const { body } = await api.get('?country=UZ&limit=1');
    expect(ids(body)).to.deep.equal(['s-1']);
    expect(body.nextCursor).to.equal(null);
    // The first read takes what a page needs (2), the next the rest at once, each with one read of their reports.
    expect(api.mem.finds.map((f) => f.collection)).to.deep.equal(['alerts', 'reports', 'alerts', 'reports']);
  });

  it('stops after looking through a bounded number withheld, at the last alert shown, saying nothing of how many', async () => {
    const answers = [];
    for (const n of [12, 40]) {
      const withheld = Array.from({ length: n }, (_, i) => withheldFromKz(`w-${i}`, i + 1));
      const api = await serve([shownToKz('s-1', 0), ...withheld, shownToKz('s-2', 60)], 10);
      const page = await api.get('?country=UZ&limit=5');
      expect(ids(page.body), `${n}`).to.deep.equal(['s-1']);
      expect(decodeCursor(page.body.nextCursor as string).id).to.equal('s-1');
      // Following it, nothing to show within the bound: refused, as a query too broad, not answered as the end.
      const next = await api.get(`?country=UZ&limit=5&cursor=${page.body.nextCursor as string}`);
      expect(next.status).to.equal(504);
      expect((next.body.error as { code: string }).code).to.equal('QUERY_TIMEOUT');
      answers.push([page, next]);
    }
    // 12 withheld or 40: the same answers.
    expect(JSON.stringify(answers[0])).to.equal(JSON.stringify(answers[1]));
  });
});
