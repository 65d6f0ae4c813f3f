// GET /v1/stats and GET /v1/routes: from the read models only, summing the buckets the caller may see.
import { Router } from 'express';
import type { Filter } from 'mongodb';
import { COLLECTIONS, type RouteLegBucket, type StatsBucket, type Store } from '@hub/store';
import type { AuditLog } from './audit';
import { readableFilter } from './handling';
import { parseParams } from './params';
import { actorOf } from './routes-seizures';

const STATS = {
  groupBy: { kind: 'enum', values: ['country', 'drug', 'drugGroup', 'month', 'year'] },
  country: { kind: 'country' },
  drug: { kind: 'code' },
  drugGroup: { kind: 'code' },
  from: { kind: 'date' },
  to: { kind: 'date' },
  source: { kind: 'enum', values: ['seizures', 'annual'] },
} as const;

const ROUTES = { country: { kind: 'country' }, drug: { kind: 'code' } } as const;

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

export function statsRoutes(deps: { store: Store; audit: AuditLog }): Router {
  const router = Router();
  router.get('/v1/stats', async (req, res) => {
    const p = parseParams(req.query as Record<string, unknown>, STATS);
    const caller = req.caller!;
    const source = (p.source as string | undefined) ?? 'seizures';
    const and: Filter<StatsBucket>[] = [
      { source: source as StatsBucket['source'] },
      readableFilter(caller, '', 'originCountry') as Filter<StatsBucket>,
    ];
    if (p.country) and.push({ country: p.country as string });
    if (p.drug) and.push({ $or: [{ substance: p.drug as string }, { aggregates: p.drug as string }] });
    if (p.drugGroup) and.push({ drugGroup: p.drugGroup as string });
    if (p.from) and.push({ year: { $gte: (p.from as Date).getUTCFullYear() } });
    if (p.to) and.push({ year: { $lte: (p.to as Date).getUTCFullYear() } });
    const buckets = await deps.store
      .collection<StatsBucket>(COLLECTIONS.statsMonthly)
      .find({ $and: and }, { projection: { members: 0 } })
      .toArray();
    const from = p.from as Date | undefined;
    const to = p.to as Date | undefined;
    const inRange = (b: StatsBucket) => {
      const start = Date.UTC(b.year, (b.month ?? 1) - 1, 1);
      const end = b.month ? Date.UTC(b.year, b.month, 1) : Date.UTC(b.year + 1, 0, 1);
      return (!from || end > from.getTime()) && (!to || start <= to.getTime());
    };
    const groupBy = (p.groupBy as string | undefined) ?? 'country';
    const keyOf = (b: StatsBucket): string =>
      groupBy === 'drug'
        ? b.substance
        : groupBy === 'drugGroup'
          ? b.drugGroup
          : groupBy === 'month'
            ? `${b.year}-${String(b.month ?? 0).padStart(2, '0')}`
            : groupBy === 'year'
              ? String(b.year)
              : b.country;
    const groups = new Map<string, { key: string; quantityKg: number; count: number }>();
    for (const b of buckets.filter(inRange)) {
      const k = keyOf(b);
      const g = groups.get(k) ?? { key: k, quantityKg: 0, count: 0 };
      g.quantityKg += b.quantityKg;
      g.count += b.count;
      groups.set(k, g);
    }
    const rows = [...groups.values()]
      .map((g) => ({ ...g, quantityKg: round(g.quantityKg) }))
      .sort((a, b) => a.key.localeCompare(b.key));
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'stats',
      query: { ...p },
      count: rows.length,
      reportIds: [],
    });
    res.json({ source, groupBy, unit: 'kg', rows });
  });

  router.get('/v1/routes', async (req, res) => {
    const p = parseParams(req.query as Record<string, unknown>, ROUTES);
    const caller = req.caller!;
    const and: Filter<RouteLegBucket>[] = [
      readableFilter(caller, '', 'originCountry') as Filter<RouteLegBucket>,
    ];
    if (p.country) and.push({ $or: [{ from: p.country as string }, { to: p.country as string }] });
    if (p.drug) and.push({ substance: p.drug as string });
    const buckets = await deps.store
      .collection<RouteLegBucket>(COLLECTIONS.routeLegs)
      .find({ $and: and }, { projection: { members: 0 } })
      .toArray();
    const legs = new Map<
      string,
      {
        from: string;
        to: string;
        count: number;
        quantityKg: number;
        lastSeenAt: Date;
        substances: Set<string>;
      }
    >();
    for (const b of buckets) {
      const k = `${b.from}>${b.to}`;
      const l = legs.get(k) ?? {
        from: b.from,
        to: b.to,
        count: 0,
        quantityKg: 0,
        lastSeenAt: b.lastSeenAt,
        substances: new Set<string>(),
      };
      l.count += b.count;
      l.quantityKg += b.quantityKg;
      l.substances.add(b.substance);
      if (b.lastSeenAt > l.lastSeenAt) l.lastSeenAt = b.lastSeenAt;
      legs.set(k, l);
    }
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'routes',
      query: { ...p },
      count: legs.size,
      reportIds: [],
    });
    res.json({
      legs: [...legs.values()].map((l) => ({
        ...l,
        quantityKg: round(l.quantityKg),
        substances: [...l.substances].sort(),
      })),
    });
  });
  return router;
}
