// Unit tier: GET /v1/routes?reportedRoutes=omit (the dashboard's map) answers the legs alone, and neither reads the
// route reports nor names them in the audit log, so that a dashboard left open does not fill every owner's view of
// who read its records (GET /v1/reads) with reads nobody made; without it, the reports are read and audited as before.
// Over a stand-in store that gives each collection's documents whatever the filter, and an audit log that keeps what
// it is given.
import { expect } from 'chai';
import { COLLECTIONS, type Store } from '@hub/store';
import type { AuditEntry, AuditLog } from '../src/audit';
import type { Caller } from '../src/auth';
import { statsRoutes } from '../src/routes-stats';
import { serveRouter, type ServedRouter } from './serve-router';

type Doc = Record<string, unknown>;

/** A route KZ reported, from AF to KZ, of heroin. */
const kzRoute: Doc = {
  _id: 'route-kz-1',
  originCountry: 'KZ',
  version: 1,
  route: {
    name: 'northern route',
    substances: ['heroin'],
    legs: [{ from: 'AF', to: 'KZ', mode: 'road', via: null }],
    concealment: [],
    periodFrom: null,
    periodTo: null,
    relatedReports: [],
    description: null,
  },
};

/** One leg bucket: AF to KZ, 3 kg of heroin in 2 seizures. */
const leg: Doc = {
  _id: 'AF|KZ|heroin|KZ|CLEAR|',
  from: 'AF',
  to: 'KZ',
  substance: 'heroin',
  originCountry: 'KZ',
  tlp: 'CLEAR',
  releasableCountries: [],
  count: 2,
  quantityKg: 3,
  lastSeenAt: new Date('2026-03-14T00:00:00Z'),
};

describe('query API: the route legs without the route reports', () => {
  let api: ServedRouter;
  const read: string[] = [];
  const audited: Partial<AuditEntry>[] = [];
  const caller: Caller = {
    sub: 'analyst-UZ',
    role: 'analyst',
    country: 'UZ',
    clearance: 'AMBER',
    regions: [],
  };

  before(async () => {
    const data: Record<string, Doc[]> = { [COLLECTIONS.routes]: [kzRoute], [COLLECTIONS.routeLegs]: [leg] };
    const store = {
      engine: 'ferretdb',
      collection: (name: string) => ({
        find: () => ({
          toArray: async () => {
            read.push(name);
            return structuredClone(data[name] ?? []);
          },
        }),
      }),
    } as unknown as Store;
    const audit = {
      append: async (e: Partial<AuditEntry>) => {
        audited.push(e);
        return e;
      },
    } as unknown as AuditLog;
    api = await serveRouter(statsRoutes({ store, audit }), caller);
  });
  after(() => api.close());
  beforeEach(() => {
    read.length = 0;
    audited.length = 0;
  });

  it('answers the legs alone with reportedRoutes=omit, and neither reads nor audits a route report', async () => {
    const r = await api.get('/v1/routes?reportedRoutes=omit');
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect((r.body.legs as Doc[]).map((l) => `${l.from}>${l.to} ${l.quantityKg}`)).to.deep.equal(['AF>KZ 3']);
    expect(r.body).to.not.have.property('reportedRoutes');
    expect(read).to.deep.equal([COLLECTIONS.routeLegs]);
    // The legs are audited as the statistics are (the query and its count), naming no record and no owner.
    expect(audited).to.have.length(1);
    expect(audited[0]).to.deep.include({ action: 'routes', reportIds: [], count: 1 });
    expect(audited[0]!.query).to.deep.equal({ reportedRoutes: 'omit' });
    expect(audited[0]!.reportOrigins ?? []).to.deep.equal([]);
  });

  it('still reads the route reports and audits them as read by default, and with reportedRoutes=include', async () => {
    for (const path of ['/v1/routes', '/v1/routes?reportedRoutes=include']) {
      read.length = 0;
      audited.length = 0;
      const r = await api.get(path);
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      expect(
        (r.body.reportedRoutes as Doc[]).map((x) => x.routeId),
        path,
      ).to.deep.equal(['route-kz-1']);
      expect(read, path).to.include(COLLECTIONS.routes);
      expect(audited, path).to.have.length(1);
      expect(audited[0], path).to.deep.include({ reportIds: ['route-kz-1'], reportOrigins: ['KZ'] });
    }
  });

  it('refuses another value of reportedRoutes, naming the parameter and what it takes', async () => {
    const r = await api.get('/v1/routes?reportedRoutes=none');
    expect(r.status).to.equal(400);
    expect(r.body.errors).to.deep.equal([
      { field: 'reportedRoutes', message: 'must be one of include, omit', value: 'none' },
    ]);
    expect(read).to.deep.equal([]);
    expect(audited).to.deep.equal([]);
  });
});
