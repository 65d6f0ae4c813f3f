// GET /v1/routes?reportedRoutes=omit on the real stack: the legs alone, as the dashboard's map polls them, write no
// audit entry naming a route report, so the owner's view of who read its records (GET /v1/reads) stays free of a
// dashboard's polling; GET /v1/routes as before still reads the reports and shows their owner who read them.
import { expect } from 'chai';
import { COLLECTIONS } from '@hub/store';
import { waitUntil } from '../support/env';
import { getJson, minimalReport, postJson, useTestHub } from '../support/hub';

interface Entry {
  seq: number;
  action: string;
  actor: { sub: string };
  query: Record<string, unknown>;
  reportIds: string[];
  reportOrigins?: string[];
  origins?: string[];
}

describe('query API: the route legs without the route reports', function () {
  this.timeout(120000);
  const fx = useTestHub('routes-legs-only', ['KZ']);
  let routeId = '';

  before(async () => {
    const seizure = await postJson(`${fx.hub.nodes.KZ!.url}/v1/seizures`, {
      ...minimalReport(),
      route: [
        { country: 'AF', role: 'origin' },
        { country: 'KZ', role: 'destination' },
      ],
      handling: { tlp: 'CLEAR' },
    });
    expect(seizure.status, JSON.stringify(seizure.body)).to.equal(202);
    const route = await postJson(`${fx.hub.nodes.KZ!.url}/v1/routes`, {
      legs: [
        { from: 'AF', to: 'TJ' },
        { from: 'TJ', to: 'KZ' },
      ],
      substances: ['heroin'],
      handling: { tlp: 'CLEAR' },
    });
    expect(route.status, JSON.stringify(route.body)).to.equal(202);
    routeId = String(route.body.routeId);
    await waitUntil(
      'the report and the route stored',
      async () =>
        ((await fx.store.collection(COLLECTIONS.reports).countDocuments()) === 1 &&
          (await fx.store.collection(COLLECTIONS.routes).countDocuments()) === 1) ||
        undefined,
      60000,
    );
  });

  /** The audit entries of `sub`'s route reads, oldest first. */
  const routeEntries = async (sub: string) =>
    (await fx.store
      .collection<Entry>(COLLECTIONS.audit)
      .find({ 'actor.sub': sub, action: 'routes' })
      .toArray()) as Entry[];
  /** What KZ's owner's view shows of `sub`'s route reads. */
  const ownersView = async (sub: string) => {
    const r = await getJson(`${fx.hub.apiUrl}/v1/reads`, fx.hub.token('analyst', 'KZ', 'AMBER'));
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return (r.body.reads as { action: string; reader: { user: string }; reportIds: string[] }[]).filter(
      (x) => x.action === 'routes' && x.reader.user === sub,
    );
  };

  it('writes no audit entry naming a route report for the legs alone, and the owner sees no read', async () => {
    const token = fx.hub.token('analyst', 'UZ', 'AMBER');
    // The legs are written after the report, in the same stage: waited for, not raced.
    const legs = await waitUntil('the legs of the stored report', async () => {
      const r = await getJson(`${fx.hub.apiUrl}/v1/routes?reportedRoutes=omit`, token);
      return (r.body.legs as unknown[] | undefined)?.length ? r : undefined;
    });
    expect(legs.status, JSON.stringify(legs.body)).to.equal(200);
    expect(legs.body).to.not.have.property('reportedRoutes');
    const entries = await routeEntries('analyst-UZ');
    expect(entries.length).to.be.at.least(1);
    for (const e of entries) {
      expect(e.query).to.deep.equal({ reportedRoutes: 'omit' });
      expect(e.reportIds).to.deep.equal([]);
      expect(e.reportOrigins ?? []).to.deep.equal([]);
      expect(e.origins ?? []).to.deep.equal([]);
    }
    expect(await ownersView('analyst-UZ')).to.deep.equal([]);
  });

  it('still audits the route reports read without it, which their owner then sees', async () => {
    const r = await getJson(`${fx.hub.apiUrl}/v1/routes`, fx.hub.token('analyst', 'TJ', 'AMBER'));
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect((r.body.reportedRoutes as { routeId: string }[]).map((x) => x.routeId)).to.deep.equal([routeId]);
    const [entry, ...more] = await routeEntries('analyst-TJ');
    expect(more).to.deep.equal([]);
    expect(entry!.reportIds).to.deep.equal([routeId]);
    expect((await ownersView('analyst-TJ')).map((x) => x.reportIds)).to.deep.equal([[routeId]]);
  });

  it('refuses another value of reportedRoutes, naming the parameter', async () => {
    const r = await getJson(
      `${fx.hub.apiUrl}/v1/routes?reportedRoutes=none`,
      fx.hub.token('analyst', 'UZ', 'AMBER'),
    );
    expect(r.status).to.equal(400);
    expect(r.body.errors).to.deep.equal([
      { field: 'reportedRoutes', message: 'must be one of include, omit', value: 'none' },
    ]);
  });
});
