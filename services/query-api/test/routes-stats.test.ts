// GET /v1/stats and GET /v1/routes of the query API over a stand-in store that gives each collection's documents as
// the caller may read them (what the routes make of them is under test; the real store is in test/query-api/).
import { expect } from 'chai';
import { COLLECTIONS, type Store } from '@hub/store';
import type { AuditLog } from '../src/audit';
import type { Caller } from '../src/auth';
import { statsRoutes } from '../src/routes-stats';
import { serveRouter, type ServedRouter } from './serve-router';

type Doc = Record<string, unknown>;

/** Every find answers the collection's documents, whatever its filter (the filters are the store's to apply). */
function standInStore(data: Record<string, Doc[]>): Store {
  const collection = (name: string) => ({
    find: () => ({ toArray: async () => structuredClone(data[name] ?? []) }),
  });
  return { engine: 'ferretdb', collection } as unknown as Store;
}

/** A reported route from CO to ES (TraffickingRoute as stored) naming `substances` (substance codes). */
const reportedRoute = (routeId: string, substances: string[]): Doc => ({
  _id: routeId,
  originCountry: 'CO',
  version: 1,
  route: {
    routeId,
    version: 1,
    name: `route ${routeId}`,
    substances,
    legs: [{ from: 'CO', to: 'ES', mode: 'sea' }],
    concealment: [],
    periodFrom: null,
    periodTo: null,
    relatedReports: [],
    description: null,
  },
});

/** The March 2026 statistics of KZ: one bucket of 100 kg of heroin in 4 reports. */
const march: Doc = {
  _id: 's|KZ|heroin|2026-3|KZ|GREEN|',
  source: 'seizures',
  country: 'KZ',
  substance: 'heroin',
  drugGroup: 'opioids',
  aggregates: ['opiates'],
  year: 2026,
  month: 3,
  originCountry: 'KZ',
  tlp: 'GREEN',
  releasableCountries: [],
  quantityKg: 100,
  count: 4,
};

describe('query API: statistics and routes', () => {
  let api: ServedRouter;
  const caller: Caller = {
    sub: 'analyst-KZ',
    role: 'analyst',
    country: 'KZ',
    clearance: 'AMBER',
    regions: [],
  };
  const data: Record<string, Doc[]> = {
    [COLLECTIONS.routes]: [
      reportedRoute('r-cocaine', ['cocaine-hcl']),
      reportedRoute('r-leaf', ['coca-leaf']),
    ],
    [COLLECTIONS.routeLegs]: [],
    [COLLECTIONS.statsMonthly]: [march],
    [COLLECTIONS.annualReturns]: [],
  };

  before(async () => {
    const audit = { append: async (e: unknown) => e } as unknown as AuditLog;
    api = await serveRouter(statsRoutes({ store: standInStore(data), audit }), caller);
  });
  after(() => api.close());

  describe('GET /v1/routes', () => {
    const reported = async (drug: string) => {
      const r = await api.get(`/v1/routes?drug=${drug}`);
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      return (r.body.reportedRoutes as { routeId: string }[]).map((x) => x.routeId);
    };

    it('lists a reported route under an aggregate of its substances, as the legs are', async () => {
      // Cocaine is its forms (cocaine-hcl), never coca leaf.
      expect(await reported('cocaine')).to.deep.equal(['r-cocaine']);
      expect(await reported('cocaine-hcl')).to.deep.equal(['r-cocaine']);
      expect(await reported('coca-leaf')).to.deep.equal(['r-leaf']);
      expect(await reported('opiates')).to.deep.equal([]);
    });
  });

  describe('GET /v1/stats: a period of whole months (seizures) or years (annual returns)', () => {
    const refusal = async (query: string) => {
      const r = await api.get(`/v1/stats?${query}`);
      expect(r.status, `${query}: ${JSON.stringify(r.body)}`).to.equal(400);
      return r.body.errors as { field: string; message: string; value: string }[];
    };
    const kg = async (query: string) => {
      const r = await api.get(`/v1/stats?groupBy=country&${query}`);
      expect(r.status, `${query}: ${JSON.stringify(r.body)}`).to.equal(200);
      return (r.body.rows as { quantityKg: number }[]).map((x) => x.quantityKg);
    };

    it('refuses a from that is not the first day of a month, saying what to send instead', async () => {
      const [e, ...more] = await refusal('from=2026-03-30&to=2026-03-31');
      expect(more).to.deep.equal([]);
      expect(e).to.include({ field: 'from', value: '2026-03-30' });
      expect(e!.message).to.contain('kept per month');
      expect(e!.message).to.contain('from=2026-03-01');
      expect((await refusal('from=2026-03-01T12:00:00Z'))[0]).to.include({ field: 'from' });
    });

    it('refuses a to that is not the last day of a month, saying what to send instead', async () => {
      const [e, ...more] = await refusal('from=2026-03-01&to=2026-03-15');
      expect(more).to.deep.equal([]);
      expect(e).to.include({ field: 'to', value: '2026-03-15' });
      expect(e!.message).to.contain('kept per month');
      expect(e!.message).to.contain('to=2026-03-31');
      expect((await refusal('to=2026-02-10'))[0]!.message).to.contain('to=2026-02-28');
      // The last day named with a time of day: that instant, not the day, and the message says so.
      const [timed] = await refusal('to=2026-03-31T00:00:00Z');
      expect(timed!.message).to.contain(
        'give the day alone: a time of day is that instant, not the whole day',
      );
      expect(e!.message).not.to.contain('time of day');
      // Both at once: each named.
      expect((await refusal('from=2026-03-02&to=2026-03-30')).map((x) => x.field)).to.deep.equal([
        'from',
        'to',
      ]);
    });

    it('refuses a day its month does not have as such, not with advice about another month', async () => {
      // Read as 1 March (or 1 May), the day would have been refused as cutting March (May), advising to=2025-03-31.
      const [e, ...more] = await refusal('from=2025-02-01&to=2025-02-29');
      expect(more).to.deep.equal([]);
      expect(e).to.deep.equal({
        field: 'to',
        message: 'is not a date of the calendar: 2025-02 has 28 days',
        value: '2025-02-29',
      });
      const [may] = await refusal('from=2026-04-01&to=2026-04-31');
      expect(may).to.include({ field: 'to', value: '2026-04-31' });
      expect(may!.message).to.equal('is not a date of the calendar: 2026-04 has 30 days');
      // The advice for a day that is a date, but not a month's last, names that month's last day.
      expect((await refusal('to=2025-02-27'))[0]!.message).to.contain('to=2025-02-28');
      expect((await refusal('to=2024-02-28'))[0]!.message).to.contain('to=2024-02-29');
    });

    it('sums kilograms to the microgram the hub keeps: four doses are not 0 kg', async () => {
      // A dose weighs 1e-7 kg (vocab), and the hub keeps and sums kilograms to 1e-9 (roundKg).
      const lsd: Doc = {
        ...march,
        _id: 's|KZ|lsd|2026-5|KZ|GREEN|',
        substance: 'lsd',
        month: 5,
        quantityKg: 4e-7,
        count: 1,
      };
      data[COLLECTIONS.statsMonthly]!.push(lsd);
      try {
        expect(await kg('from=2026-05&to=2026-05')).to.deep.equal([4e-7]);
      } finally {
        data[COLLECTIONS.statsMonthly]!.pop();
      }
    });

    it('counts a month asked as its first and last days, as the month itself, or as its year', async () => {
      expect(await kg('from=2026-03-01&to=2026-03-31')).to.deep.equal([100]);
      expect(await kg('from=2026-03&to=2026-03')).to.deep.equal([100]);
      expect(await kg('from=2026&to=2026')).to.deep.equal([100]);
      expect(await kg('from=2026-03-01T00:00:00Z&to=2026-03-31T23:59:59.999Z')).to.deep.equal([100]);
      expect(await kg('from=2026-04-01')).to.deep.equal([]);
      expect(await kg('to=2026-02-28')).to.deep.equal([]);
      expect(await kg('to=2024-02-29')).to.deep.equal([]);
    });

    it('refuses a period of annual returns that cuts a year, and takes whole years', async () => {
      const [from] = await refusal('source=annual&from=2024-06-01');
      expect(from).to.include({ field: 'from', value: '2024-06-01' });
      expect(from!.message).to.contain('kept per year');
      expect(from!.message).to.contain('from=2024');
      const [to] = await refusal('source=annual&to=2024-03');
      expect(to).to.include({ field: 'to', value: '2024-03' });
      expect(to!.message).to.contain('to=2024-12-31');
      expect(await kg('source=annual&from=2024&to=2024')).to.deep.equal([]);
      expect(await kg('source=annual&from=2024-01-01&to=2025-12-31')).to.deep.equal([]);
    });
  });
});
