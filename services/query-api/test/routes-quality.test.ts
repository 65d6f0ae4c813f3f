import { expect } from 'chai';
import { topicNames } from '@hub/kafka';
import { COLLECTIONS, type Store } from '@hub/store';
import { createAuditLog } from '../src/audit';
import type { Caller } from '../src/auth';
import { openApiChecker, type OpenApiDoc } from '../../../test/support/openapi';
import type { Clearance } from '../src/issuer';
import { openApiDocument } from '../src/openapi';
import {
  computeQuality,
  QUALITY_COUNTED,
  QUALITY_COUNTED_RED,
  QUALITY_FRESH_MS,
  qualityRoutes,
} from '../src/routes-quality';
import { memoryStore } from './memory-audit-store';
import { serveRouter, type ServedRouter } from './serve-router';

type Doc = Record<string, unknown>;

/** The value at a dotted path, as a MongoDB filter reads it. */
const at = (doc: Doc, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Doc)[k] : undefined), doc);

/** Whether `doc` matches `filter`: the operators the quality figures' reads use ($or, $and, $in, $exists, $ne). */
function matches(doc: Doc, filter: Doc): boolean {
  return Object.entries(filter).every(([key, cond]) => {
    if (key === '$or') return (cond as Doc[]).some((f) => matches(doc, f));
    if (key === '$and') return (cond as Doc[]).every((f) => matches(doc, f));
    const v = at(doc, key);
    const equals = (x: unknown) => (Array.isArray(v) ? v.includes(x) : v === x);
    if (cond && typeof cond === 'object' && !Array.isArray(cond)) {
      const c = cond as Doc;
      if ('$in' in c) return (c.$in as unknown[]).some(equals);
      if ('$exists' in c) return (v !== undefined) === c.$exists;
      if ('$ne' in c) return !equals(c.$ne);
      throw new Error(`operator not understood: ${JSON.stringify(c)}`);
    }
    return equals(cond);
  });
}

/** A store of collections in memory whose finds apply their filter. */
function storeOf(collections: Record<string, Doc[]>): Store {
  return {
    engine: 'ferretdb',
    collection: (name: string) => ({
      find: (filter: Doc = {}) =>
        (async function* () {
          yield* (collections[name] ?? []).filter((d) => matches(d, filter)).map((d) => structuredClone(d));
        })(),
    }),
  } as unknown as Store;
}

const names = topicNames('test');
const report = (id: string, originCountry: string, tlp: string, releasableCountries: string[] = []) => ({
  _id: id,
  originCountry,
  status: 'active',
  seizedAt: new Date('2026-03-01T00:00:00Z'),
  receivedAt: new Date('2026-03-02T00:00:00Z'),
  handling: { tlp, releasableCountries, releasableTo: releasableCountries, evaluation: null },
  report: {},
});
const envelope = (id: string, origin: string, subjectId: string) => ({ _id: id, origin, subjectId });

describe('data quality per contributor (computeQuality)', () => {
  // UZ sent two GREEN reports and had one envelope refused on its topic.
  const readable = () => ({
    [COLLECTIONS.reports]: [report('uz-1', 'UZ', 'GREEN'), report('uz-2', 'UZ', 'GREEN')],
    [COLLECTIONS.envelopes]: [envelope('m-1', 'UZ', 'uz-1'), envelope('m-2', 'UZ', 'uz-2')],
    [COLLECTIONS.quarantine]: [{ _id: 'q-1', origin: null, topic: names.nodeOut('UZ') }],
  });
  const tjGreen = { country: 'TJ', clearance: 'GREEN' as const };
  const tjCoordinator: Caller = { sub: 'coordinator-TJ', role: 'coordinator', regions: [], ...tjGreen };

  it('gives a coordinator below RED the figures of what it may read, whether or not there is more it may not', async () => {
    const without = await computeQuality(storeOf(readable()), names, tjGreen);
    const uz = without.find((c) => c.country === 'UZ');
    expect(uz).to.include({ reports: 2, accepted: 2, rejected: 1, rejectionRate: null });
    // UZ's RED record, and one of its for KZ alone: TJ may read neither. Its answer is as if they were not there.
    const more = readable();
    more[COLLECTIONS.reports]!.push(report('uz-red', 'UZ', 'RED'), report('uz-kz', 'UZ', 'AMBER', ['KZ']));
    more[COLLECTIONS.envelopes]!.push(envelope('m-3', 'UZ', 'uz-red'), envelope('m-4', 'UZ', 'uz-kz'));
    expect(await computeQuality(storeOf(more), names, tjGreen)).to.deep.equal(without);
    // A country whose only records TJ may not read is not listed either.
    const kzOnly = readable();
    kzOnly[COLLECTIONS.reports]!.push(report('kz-red', 'KZ', 'RED'));
    kzOnly[COLLECTIONS.envelopes]!.push(envelope('m-5', 'KZ', 'kz-red'));
    expect(await computeQuality(storeOf(kzOnly), names, tjGreen)).to.deep.equal(without);
    // Whom it may read them all counts them: UZ itself, with no rate below RED either.
    const own = await computeQuality(storeOf(more), names, { country: 'UZ', clearance: 'GREEN' });
    expect(own.find((c) => c.country === 'UZ')).to.include({ reports: 4, accepted: 4, rejectionRate: null });
  });

  it('gives no rejection rate below RED, whatever the figures: accepted counts only what it may read, refusals all', async () => {
    // 1,000 accepted envelopes of UZ's for KZ alone, and 10 refused: to TJ, below RED, 0 accepted and 10 rejected.
    const many: Record<string, Doc[]> = {
      [COLLECTIONS.reports]: [],
      [COLLECTIONS.envelopes]: [],
      [COLLECTIONS.quarantine]: [],
    };
    for (let i = 0; i < 1000; i++) {
      many[COLLECTIONS.reports]!.push(report(`uz-kz-${i}`, 'UZ', 'AMBER', ['KZ']));
      many[COLLECTIONS.envelopes]!.push(envelope(`m-${i}`, 'UZ', `uz-kz-${i}`));
    }
    for (let i = 0; i < 10; i++)
      many[COLLECTIONS.quarantine]!.push({ _id: `q-${i}`, origin: 'UZ', topic: names.nodeOut('UZ') });
    for (const clearance of ['CLEAR', 'GREEN', 'AMBER', 'AMBER+STRICT'] as const)
      for (const collections of [many, readable()])
        for (const c of await computeQuality(storeOf(collections), names, { country: 'TJ', clearance }))
          expect(c.rejectionRate, `${clearance} ${c.country}`).to.equal(null);
    const tj = await computeQuality(storeOf(many), names, tjGreen);
    expect(tj.find((c) => c.country === 'UZ')).to.include({ accepted: 0, rejected: 10 });
    // Cleared for RED: the rate of every envelope, also those it may not read (not counted in accepted).
    const red = await computeQuality(storeOf(many), names, { country: 'TJ', clearance: 'RED' });
    expect(red.find((c) => c.country === 'UZ')).to.include({
      accepted: 0,
      rejected: 10,
      rejectionRate: 0.01,
    });
    const plain = await computeQuality(storeOf(readable()), names, { country: 'TJ', clearance: 'RED' });
    expect(plain.find((c) => c.country === 'UZ')).to.include({
      accepted: 2,
      rejected: 1,
      rejectionRate: 0.333,
    });
  });

  it('answers a coordinator the same, labelled as of what it may read, whatever there is that it may not', async () => {
    const answer = async (collections: Record<string, Doc[]>) => {
      const audit = createAuditLog(memoryStore().store);
      const api = await serveRouter(
        qualityRoutes({ store: storeOf(collections), audit, names }),
        tjCoordinator,
      );
      try {
        const r = await api.get<{ computedAt: string }>('/v1/quality');
        expect(r.status).to.equal(200);
        const { computedAt, ...body } = r.body;
        void computedAt;
        return body;
      } finally {
        await api.close();
      }
    };
    const more = readable();
    more[COLLECTIONS.reports]!.push(report('uz-red', 'UZ', 'RED'));
    more[COLLECTIONS.envelopes]!.push(envelope('m-3', 'UZ', 'uz-red'));
    const plain = await answer(readable());
    expect(await answer(more)).to.deep.equal(plain);
    expect(plain).to.deep.include({ counted: QUALITY_COUNTED });
  });

  it('keeps the answer to a caller cleared for RED apart from one who reads the same records below RED', async () => {
    let clearance: Clearance = 'RED';
    const served = await serveRouter(
      qualityRoutes({ store: storeOf(readable()), audit: createAuditLog(memoryStore().store), names }),
      () => ({ ...tjCoordinator, clearance }),
    );
    const api = openApiChecker(openApiDocument() as unknown as OpenApiDoc);
    const quality = async () => {
      const { status, body } = await served.get<{ counted: string; contributors: { country: string }[] }>(
        '/v1/quality',
      );
      api.check('/v1/quality', 'get', status, body);
      return { counted: body.counted, uz: body.contributors.find((c) => c.country === 'UZ') };
    };
    try {
      const red = await quality();
      expect(red.counted).to.equal(QUALITY_COUNTED_RED);
      expect(red.uz).to.include({ accepted: 2, rejected: 1, rejectionRate: 0.333 });
      // AMBER+STRICT reads what RED reads: within the same minute, not the answer made for RED.
      clearance = 'AMBER+STRICT';
      const strict = await quality();
      expect(strict.counted).to.equal(QUALITY_COUNTED);
      expect(strict.uz).to.include({ accepted: 2, rejected: 1, rejectionRate: null });
    } finally {
      await served.close();
    }
  });

  describe('GET /v1/quality: asked again and again', () => {
    let now = 1_000_000;
    /** How many times the figures were computed (each reads the reports once), and a gate that holds those reads. */
    let computed = 0;
    let gate: Promise<void> = Promise.resolve();
    let api: ServedRouter;
    before(async () => {
      const plain = storeOf(readable());
      const store = {
        engine: 'ferretdb',
        collection: (name: Parameters<Store['collection']>[0]) => {
          const c = plain.collection(name) as unknown as { find: (f: Doc) => AsyncIterable<Doc> };
          if (name !== COLLECTIONS.reports) return c;
          return {
            find: (filter: Doc) =>
              (async function* () {
                computed++;
                await gate;
                yield* c.find(filter);
              })(),
          };
        },
      } as unknown as Store;
      const audit = createAuditLog(memoryStore().store);
      api = await serveRouter(qualityRoutes({ store, audit, names, clock: () => now }), tjCoordinator);
    });
    after(() => api.close());

    const quality = (query = '') => api.get(`/v1/quality${query}`);
    const computedAt = async (query = '') => {
      const r = await quality(query);
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      return r.body.computedAt as string;
    };

    it('recomputes for fresh=1 only figures older than a few seconds, and says when they were computed', async () => {
      const first = await computedAt();
      expect(first).to.equal(new Date(now).toISOString());
      expect(computed).to.equal(1);
      // Asked again at once, fresh or not: the figures just computed, as computedAt says.
      now += 1000;
      expect(await computedAt('?fresh=1')).to.equal(first);
      expect(await computedAt('?fresh=true')).to.equal(first);
      expect(await computedAt()).to.equal(first);
      expect(computed).to.equal(1);
      // Older than QUALITY_FRESH_MS: fresh=1 computes them again, and the cache gives out the new ones.
      now += QUALITY_FRESH_MS;
      const again = await computedAt('?fresh=1');
      expect(again).to.equal(new Date(now).toISOString());
      expect(computed).to.equal(2);
      expect(await computedAt()).to.equal(again);
      now += QUALITY_FRESH_MS + 1;
      expect(await computedAt('?fresh=true')).to.equal(new Date(now).toISOString());
      expect(computed).to.equal(3);
    });

    it('computes once for requests that come while the figures are being computed', async () => {
      now += 120_000;
      let open!: () => void;
      gate = new Promise<void>((resolve) => (open = resolve));
      const asked = [quality('?fresh=1'), quality(), quality('?fresh=1'), quality('?fresh=true'), quality()];
      // All five have come in while the first computation waits on its read.
      await new Promise((resolve) => setTimeout(resolve, 200));
      open();
      const answers = await Promise.all(asked);
      expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200, 200, 200]);
      expect(new Set(answers.map((a) => a.body.computedAt)).size).to.equal(1);
      expect(computed, 'computations').to.equal(4);
    });

    it('refuses a fresh it does not know, and any other parameter, naming it', async () => {
      const before = computed;
      const yes = await quality('?fresh=yes');
      expect(yes.status).to.equal(400);
      expect(yes.body.errors).to.deep.equal([
        { field: 'fresh', message: 'must be one of 1, true', value: 'yes' },
      ]);
      const country = await quality('?country=KZ');
      expect(country.status).to.equal(400);
      const [e, ...more] = country.body.errors as { field: string; message: string }[];
      expect(more).to.deep.equal([]);
      expect(e).to.include({ field: 'country' });
      expect(e!.message).to.match(/^unknown parameter; use one of fresh$/);
      expect(computed, 'nothing computed for a refused request').to.equal(before);
    });
  });
});
