import { expect } from 'chai';
import express from 'express';
import type { Server } from 'node:http';
import { topicNames } from '@hub/kafka';
import { COLLECTIONS, type Store } from '@hub/store';
import { createAuditLog } from '../src/audit';
import { computeQuality, QUALITY_COUNTED, qualityRoutes } from '../src/routes-quality';
import { memoryStore } from './memory-audit-store';

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

  it('gives a coordinator the rejection rate of what it may read, whether or not there is more it may not', async () => {
    const without = await computeQuality(storeOf(readable()), names, tjGreen);
    const uz = without.find((c) => c.country === 'UZ');
    expect(uz).to.include({ reports: 2, accepted: 2, rejected: 1, rejectionRate: 0.333 });
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
    // Whom it may read them all counts them: UZ itself.
    const own = await computeQuality(storeOf(more), names, { country: 'UZ', clearance: 'GREEN' });
    expect(own.find((c) => c.country === 'UZ')).to.include({ reports: 4, accepted: 4, rejectionRate: 0.2 });
  });

  it('answers a coordinator the same, labelled as of what it may read, whatever there is that it may not', async () => {
    const answer = async (collections: Record<string, Doc[]>) => {
      const app = express();
      app.use((req, _res, next) => {
        req.caller = { sub: 'coordinator-TJ', role: 'coordinator', regions: [], ...tjGreen };
        next();
      });
      const audit = createAuditLog(memoryStore().store);
      app.use(qualityRoutes({ store: storeOf(collections), audit, names }));
      const server = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      try {
        const r = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/v1/quality`);
        expect(r.status).to.equal(200);
        const { computedAt, ...body } = (await r.json()) as { computedAt: string };
        void computedAt;
        return body;
      } finally {
        await new Promise((r) => server.close(r));
      }
    };
    const more = readable();
    more[COLLECTIONS.reports]!.push(report('uz-red', 'UZ', 'RED'));
    more[COLLECTIONS.envelopes]!.push(envelope('m-3', 'UZ', 'uz-red'));
    const plain = await answer(readable());
    expect(await answer(more)).to.deep.equal(plain);
    expect(plain).to.deep.include({ counted: QUALITY_COUNTED });
  });
});
