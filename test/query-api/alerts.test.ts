// GET /v1/alerts on the real stack: newest first in pages with a cursor, each alert once; filtered by rule, by another
// country the alert names and by date; unknown parameters refused like everywhere else in the API.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { COLLECTIONS } from '@hub/store';
import { waitUntil } from '../support/env';
import { getJson, minimalReport, postJson, useTestHub } from '../support/hub';

describe('query API: cross-border alerts in pages, by rule, country and date', function () {
  this.timeout(120000);
  const fx = useTestHub('alerts-paging', ['KZ', 'UZ']);

  before(async () => {
    // Three plates, each seized in Kazakhstan and then in Uzbekistan: three alerts naming both (the example's
    // concealment left out, or the shared route and concealment would raise alerts of their own).
    const { concealment: _concealment, ...base } = minimalReport();
    for (let i = 0; i < 3; i++) {
      const plate = { kind: 'plate', value: `AP${i}${randomUUID().slice(0, 5)}` };
      for (const [cc, place] of [
        ['KZ', { name: 'Khorgos', lat: 44.21, lon: 80.41 }],
        ['UZ', { name: 'Termez', lat: 37.23, lon: 67.27 }],
      ] as const) {
        const r = await postJson(`${fx.hub.nodes[cc]!.url}/v1/seizures`, {
          ...base,
          country: cc,
          place,
          conveyance: { mode: 'road', identifiers: [plate] },
          handling: { tlp: 'GREEN' },
        });
        expect(r.status, JSON.stringify(r.body)).to.equal(202);
      }
      await waitUntil(
        `alert ${i + 1}`,
        async () => (await fx.store.collection(COLLECTIONS.alerts).countDocuments()) === i + 1 || undefined,
        60000,
      );
    }
  });

  type Page = {
    alerts: { alertId: string; rule: string; countries: string[]; createdAt: string }[];
    nextCursor: string | null;
  };
  const get = async (qs: string, token = fx.hub.token('analyst', 'KZ', 'GREEN')) => {
    const r = await getJson(`${fx.hub.apiUrl}/v1/alerts${qs}`, token);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return r.body as unknown as Page;
  };

  it('pages through the alerts newest first, each once', async () => {
    const all = await get('');
    expect(all.alerts).to.have.length(3);
    expect(all.nextCursor).to.equal(null);
    const first = await get('?limit=2');
    expect(first.alerts.map((a) => a.alertId)).to.deep.equal(all.alerts.slice(0, 2).map((a) => a.alertId));
    const second = await get(`?limit=2&cursor=${first.nextCursor}`);
    expect(second.alerts.map((a) => a.alertId)).to.deep.equal([all.alerts[2]!.alertId]);
    expect(second.nextCursor).to.equal(null);
    const times = all.alerts.map((a) => Date.parse(a.createdAt));
    expect(times).to.deep.equal([...times].sort((a, b) => b - a));
  });

  it('filters by rule, by another country the alert names, and by date', async () => {
    expect((await get('?rule=shared_identifier')).alerts).to.have.length(3);
    expect((await get('?rule=linked_case')).alerts).to.have.length(0);
    expect((await get('?country=UZ')).alerts).to.have.length(3);
    expect((await get('?country=TJ')).alerts).to.have.length(0);
    // A coordinator sees every alert; with a country, those naming it.
    const coordinator = fx.hub.token('coordinator', 'KZ', 'RED');
    expect((await get('?country=UZ', coordinator)).alerts).to.have.length(3);
    expect((await get('?country=TM', coordinator)).alerts).to.have.length(0);
    const newest = (await get('?limit=1')).alerts[0]!.createdAt;
    expect((await get(`?from=${encodeURIComponent(newest)}`)).alerts).to.have.length(1);
    expect((await get('?to=2020-01-01')).alerts).to.have.length(0);
    // Both bounds, inclusive: the newest alone, then all three.
    const at = encodeURIComponent(newest);
    expect((await get(`?from=${at}&to=${at}`)).alerts).to.have.length(1);
    expect((await get(`?from=2020-01-01&to=${at}`)).alerts).to.have.length(3);
  });

  it('shows each caller only the matched reports it may read now, and audits those of other countries shown', async () => {
    // KZ's GREEN report and UZ's AMBER one, releasable to Central Asia, of one truck: an alert naming both.
    const { concealment: _concealment, ...base } = minimalReport();
    const truck = { mode: 'road', identifiers: [{ kind: 'plate', value: `HN${randomUUID().slice(0, 6)}` }] };
    const ids: Record<string, string> = {};
    const bodies: Record<string, Record<string, unknown>> = {};
    for (const [cc, tlp, place] of [
      ['KZ', 'GREEN', { name: 'Khorgos', lat: 44.21, lon: 80.41 }],
      ['UZ', 'AMBER', { name: 'Termez', lat: 37.23, lon: 67.27 }],
    ] as const) {
      bodies[cc] = {
        ...base,
        reportId: randomUUID(),
        country: cc,
        place,
        conveyance: truck,
        handling: { tlp, releasableTo: ['central-asia'] },
      };
      const r = await postJson(`${fx.hub.nodes[cc]!.url}/v1/seizures`, bodies[cc]);
      expect(r.status, JSON.stringify(r.body)).to.equal(202);
      ids[cc] = r.body.reportId as string;
    }
    type Alert = Page['alerts'][number] & { matched: { reportId: string }[]; reason: string };
    const named = async (token: string, qs = '') =>
      ((await get(qs, token)).alerts as Alert[]).find((a) => a.matched.some((m) => m.reportId === ids.KZ));
    const kzGreen = fx.hub.token('analyst', 'KZ', 'GREEN');
    const alert = await waitUntil('the alert', () => named(kzGreen), 60000);
    // A GREEN clearance of KZ: UZ's AMBER report withheld, counted, its country not named, not found by it.
    expect(alert.matched.map((m) => m.reportId)).to.deep.equal([ids.KZ]);
    expect(alert.countries).to.deep.equal(['KZ']);
    expect(alert.reason).to.match(/; 1 report you may not read matches yours$/);
    expect(JSON.stringify(alert)).not.to.include(ids.UZ!);
    expect(await named(kzGreen, '?country=UZ')).to.equal(undefined);
    // An AMBER clearance of KZ may read it; a coordinator of TJ at GREEN is held to its clearance as anyone is.
    expect((await named(fx.hub.token('analyst', 'KZ', 'AMBER')))!.countries).to.deep.equal(['KZ', 'UZ']);
    const coordinator = await named(fx.hub.token('coordinator', 'TJ', 'GREEN'));
    expect(coordinator!.matched.map((m) => m.reportId)).to.deep.equal([ids.KZ]);
    expect(coordinator!.countries).to.deep.equal(['KZ']);
    // Who was shown whose report: KZ's owner sees UZ's and TJ's reads of it; UZ's owner sees KZ's (its AMBER
    // clearance was shown the report) but none by the coordinator of TJ, held to GREEN.
    type Read = { action: string; reader: { country: string; role: string }; reportIds: string[] };
    const readsOf = async (cc: string) =>
      (
        (await getJson(`${fx.hub.apiUrl}/v1/reads?reportId=${ids[cc]}`, fx.hub.token('analyst', cc, 'RED')))
          .body.reads as Read[]
      ).filter((r) => r.action === 'alerts');
    await named(fx.hub.token('analyst', 'UZ', 'GREEN'));
    const kzReads = await readsOf('KZ');
    expect(kzReads.some((r) => r.reader.country === 'UZ')).to.equal(true);
    expect(kzReads.some((r) => r.reader.country === 'TJ' && r.reader.role === 'coordinator')).to.equal(true);
    const uzReads = await readsOf('UZ');
    expect(uzReads.some((r) => r.reader.country === 'KZ' && r.reader.role === 'analyst')).to.equal(true);
    expect(uzReads.some((r) => r.reader.country === 'TJ')).to.equal(false);

    // UZ corrects its report to RED: from then on KZ's AMBER clearance is not shown it either.
    const second = await postJson(`${fx.hub.nodes.UZ!.url}/v1/seizures`, {
      ...bodies.UZ,
      handling: { tlp: 'RED' },
    });
    expect(second.status, JSON.stringify(second.body)).to.equal(202);
    const kzAmber = fx.hub.token('analyst', 'KZ', 'AMBER');
    const later = await waitUntil(
      'the correction applied to the alert',
      async () => {
        const a = await named(kzAmber);
        return a && a.matched.length === 1 ? a : undefined;
      },
      60000,
    );
    expect(later.alertId).to.equal(alert.alertId);
    expect(later.countries).to.deep.equal(['KZ']);
    expect(later.reason).to.match(/; 1 report you may not read matches yours$/);
  });

  it('refuses what it does not know, naming the parameter', async () => {
    const token = fx.hub.token('analyst', 'KZ', 'GREEN');
    for (const [qs, field] of [
      ['?rule=same_plate', 'rule'],
      ['?limit=0', 'limit'],
      ['?region=central-asia', 'region'],
      ['?country=Kazakhstan', 'country'],
    ]) {
      const r = await getJson(`${fx.hub.apiUrl}/v1/alerts${qs}`, token);
      expect(r.status, qs).to.equal(400);
      expect(
        (r.body.errors as { field: string }[]).map((e) => e.field),
        qs,
      ).to.deep.equal([field]);
    }
  });
});
