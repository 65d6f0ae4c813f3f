// The drug filter of the query API on the real stack: the search, its CSV export, the route picture and the
// statistics take a substance code or a World Drug Report aggregate (drug=cocaine: every cocaine form, not coca leaf),
// and refuse a code that is neither, suggesting what was meant, instead of answering "no seizures".
import { expect } from 'chai';
import { COLLECTIONS } from '@hub/store';
import { waitUntil } from '../support/env';
import { getJson, minimalReport, postJson, useTestHub } from '../support/hub';

describe('query API: the drug filter takes substances and aggregates, and refuses unknown drugs', function () {
  this.timeout(120000);
  const fx = useTestHub('drug-filter', ['KZ']);
  const ids: Record<string, string> = {};
  let token = '';

  before(async () => {
    const seized = async (name: string, substance: string, from: string) => {
      const r = await postJson(`${fx.hub.nodes.KZ!.url}/v1/seizures`, {
        ...minimalReport(),
        drugs: [{ substance, quantity: 3, unit: 'kg' }],
        route: [
          { country: from, role: 'origin' },
          { country: 'KZ', role: 'destination' },
        ],
        handling: { tlp: 'CLEAR' },
      });
      expect(r.status, JSON.stringify(r.body)).to.equal(202);
      ids[name] = String(r.body.reportId);
    };
    await seized('crack', 'crack-cocaine', 'BR');
    await seized('leaf', 'coca-leaf', 'BO');
    await seized('heroin', 'heroin', 'AF');
    // A route an agency reported, naming a cocaine form by its code (as routes are stored).
    const route = await postJson(`${fx.hub.nodes.KZ!.url}/v1/routes`, {
      legs: [
        { from: 'BR', to: 'PT' },
        { from: 'PT', to: 'KZ' },
      ],
      substances: ['cocaine-hcl'],
      handling: { tlp: 'CLEAR' },
    });
    expect(route.status, JSON.stringify(route.body)).to.equal(202);
    ids.route = String(route.body.routeId);
    await waitUntil(
      'the reports and the route stored',
      async () =>
        ((await fx.store.collection(COLLECTIONS.reports).countDocuments()) === 3 &&
          (await fx.store.collection(COLLECTIONS.routes).countDocuments()) === 1) ||
        undefined,
      60000,
    );
    token = fx.hub.token('analyst', 'KZ', 'CLEAR');
  });

  const get = (path: string) => getJson(`${fx.hub.apiUrl}${path}`, token);
  const found = async (qs: string) => {
    const r = await get(`/v1/seizures?${qs}`);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return (r.body.items as { reportId: string }[]).map((i) => i.reportId).sort();
  };

  it('searches an aggregate as every substance it counts, and a substance as itself', async () => {
    expect(await found('drug=cocaine')).to.deep.equal([ids.crack]);
    expect(await found('drug=coca-leaf')).to.deep.equal([ids.leaf]);
    expect(await found('drug=opiates')).to.deep.equal([ids.heroin]);
    expect(await found('drug=crack-cocaine')).to.deep.equal([ids.crack]);
    const csv = await (
      await fetch(`${fx.hub.apiUrl}/v1/export/seizures.csv?drug=cocaine`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).text();
    expect(csv).to.contain(ids.crack).and.not.contain(ids.leaf).and.not.contain(ids.heroin);
  });

  it('draws the route picture and counts the statistics of an aggregate the same way', async () => {
    // The legs are written after the reports, in the same stage: waited for, not raced.
    const routes = await waitUntil('the legs of the stored reports', async () => {
      const r = await get('/v1/routes?drug=cocaine');
      return (r.body.legs as unknown[] | undefined)?.length ? r : undefined;
    });
    expect(routes.status, JSON.stringify(routes.body)).to.equal(200);
    expect(
      (routes.body.legs as { from: string; to: string }[]).map((l) => `${l.from}>${l.to}`),
    ).to.deep.equal(['BR>KZ']);
    // The reported routes too: cocaine-hcl is cocaine, as crack-cocaine is for the legs.
    const reported = async (drug: string) => {
      const r = await get(`/v1/routes?drug=${drug}`);
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      return (r.body.reportedRoutes as { routeId: string }[]).map((x) => x.routeId);
    };
    expect(await reported('cocaine')).to.deep.equal([ids.route]);
    expect(await reported('cocaine-hcl')).to.deep.equal([ids.route]);
    expect(await reported('opiates')).to.deep.equal([]);
    expect(await reported('coca-leaf')).to.deep.equal([]);
    const stats = await get('/v1/stats?groupBy=country&drug=cocaine');
    expect(stats.body.rows).to.deep.equal([{ key: 'KZ', country: 'KZ', quantityKg: 3, count: 1 }]);
    const group = await get('/v1/stats?groupBy=drug&drugGroup=cocaine-type');
    expect((group.body.rows as { drug: string }[]).map((r) => r.drug)).to.deep.equal([
      'coca-leaf',
      'crack-cocaine',
    ]);
  });

  it('refuses a drug that is neither a substance nor an aggregate, naming the field and suggesting one', async () => {
    for (const path of [
      '/v1/seizures?drug=heroine',
      '/v1/export/seizures.csv?drug=heroine',
      '/v1/routes?drug=heroine',
      '/v1/stats?drug=heroine',
    ]) {
      const r = await get(path);
      expect(r.status, path).to.equal(400);
      const [e] = r.body.errors as { field: string; message: string; suggestions: string[] }[];
      expect(e, path).to.include({ field: 'drug' });
      expect(e!.suggestions, path).to.include('heroin');
    }
    const group = await get('/v1/stats?drugGroup=opiates');
    expect(group.status).to.equal(400);
    const [e] = group.body.errors as { field: string; message: string }[];
    expect(e!.field).to.equal('drugGroup');
    expect(e!.message).to.contain('opioids');
  });
});
