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
