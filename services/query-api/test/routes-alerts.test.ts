import { expect } from 'chai';
import express from 'express';
import type { Server } from 'node:http';
import type { AlertRecord } from '@hub/coordinator/correlate';
import { alertScore, withheldReason, type Store, type StoredHandling, type Tlp } from '@hub/store';
import type { AuditLog } from '../src/audit';
import type { Caller } from '../src/auth';
import { alertRoutes, alertView, type CurrentReport } from '../src/routes-alerts';

type Doc = Record<string, unknown> & { _id: string };

/**
 * The store's collections in memory, as far as GET /v1/alerts reads them: a find streams (or reads whole) the
 * documents of its collection that an `_id: { $in }` filter or the `countries: { $all }` conditions of an `$and` take
 * (any other condition is not applied); each find is recorded.
 */
function memoryStore(collections: Record<string, Doc[]>) {
  const finds: { collection: string; filter: Record<string, unknown> }[] = [];
  const takes = (d: Doc, filter: Record<string, unknown>) => {
    const ids = (filter._id as { $in?: string[] } | undefined)?.$in;
    const all = ((filter.$and ?? []) as { countries?: { $all: string[] } }[]).flatMap(
      (c) => c.countries?.$all ?? [],
    );
    return (!ids || ids.includes(d._id)) && all.every((cc) => (d.countries as string[]).includes(cc));
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
const report = (id: string, tlp: Tlp, releasableTo: string[] = [], status = 'active'): CurrentReport => ({
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

describe('query API: GET /v1/alerts shows each caller its own view of each alert', () => {
  let server: Server;
  let base = '';
  let who: Caller;
  let mem: ReturnType<typeof memoryStore>;
  let audited: Parameters<AuditLog['append']>[0][];
  let reports: Doc[];

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
    mem = memoryStore({
      alerts: [
        stored('a-1', ['kz-1', 'uz-1'], { 'kz-1': 'A1', 'uz-1': 'E4' }, 3),
        stored('a-2', ['kg-2', 'kz-2', 'uz-2'], {}, 2),
        stored('a-3', ['kg-3', 'uz-3'], {}, 1),
      ],
      reports,
    });
    audited = [];
    const audit = {
      append: async (e: Parameters<AuditLog['append']>[0]) => {
        audited.push(e);
        return e;
      },
    } as unknown as AuditLog;
    const app = express();
    app.use((req, _res, next) => {
      req.caller = who;
      next();
    });
    app.use(alertRoutes({ store: mem.store, audit }));
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
  });

  type Alert = AlertRecord & { createdAt: string };
  const get = async (qs = '') => {
    const r = await fetch(`${base}/v1/alerts${qs}`);
    expect(r.status).to.equal(200);
    return (await r.json()) as { alerts: Alert[]; nextCursor: string | null };
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
