// GET /v1/stats and GET /v1/routes: from the read models only, summing the buckets the caller may see.
import { Router } from 'express';
import type { Filter } from 'mongodb';
import {
  drugAggregates,
  loadDrugGroups,
  roundKg,
  substancesOfDrug,
  type RouteReportRecord,
} from '@hub/domain';
import { ValidationError, type FieldError } from '@hub/errors';
import {
  COLLECTIONS,
  findBuckets,
  type RouteLegBucket,
  type StatsBucket,
  type Store,
  type StoredAnnualReturn,
} from '@hub/store';
import type { AuditLog } from './audit';
import type { Caller } from './auth';
import { readableFilter } from './handling';
import { drugCondition, parseParams, unknownDrug } from './params';
import { actorOf } from './routes-seizures';
import { annualItems, type StatItem } from './stats-annual';

const DIMENSIONS = ['country', 'drug', 'drugGroup', 'month', 'year'] as const;
type Dimension = (typeof DIMENSIONS)[number];

const STATS = {
  groupBy: { kind: 'list', values: DIMENSIONS },
  country: { kind: 'country' },
  drug: { kind: 'code' },
  drugGroup: { kind: 'code' },
  from: { kind: 'date' },
  to: { kind: 'date' },
  year: { kind: 'int', min: 1900, max: 2200 },
  source: { kind: 'enum', values: ['seizures', 'annual'] },
} as const;

/** A trafficking route as stored (the TraffickingRoute the node signed). */
type RouteRecord = Omit<RouteReportRecord, 'handling'>;

/**
 * GET /v1/routes's parameters. `reportedRoutes=omit` answers the legs alone: the route reports are then neither read
 * nor named in the audit log (the dashboard's map polls this way, which would otherwise fill every owner's view of who
 * read its records, GET /v1/reads, with reads nobody made).
 */
const ROUTES = {
  country: { kind: 'country' },
  drug: { kind: 'drug' },
  reportedRoutes: { kind: 'enum', values: ['include', 'omit'] },
} as const;

function valueOf(item: StatItem, d: Dimension): string | number {
  switch (d) {
    case 'month':
      return `${item.year}-${String(item.month ?? 0).padStart(2, '0')}`;
    case 'year':
      return item.year;
    default:
      return item[d];
  }
}

/**
 * The refusal of a `from` or `to` that falls inside the period the statistics are kept by (a month of seizures, a
 * year of annual returns): that whole period would be counted, which a range of a few days does not say. `raw` is the
 * query as sent, to echo the value back.
 */
function periodErrors(
  source: string,
  p: { from?: unknown; to?: unknown },
  raw: Record<string, unknown>,
): FieldError[] {
  const monthly = source !== 'annual';
  // The start of the period (month or year, UTC) holding `t`.
  const startOf = (t: number) => {
    const d = new Date(t);
    return Date.UTC(d.getUTCFullYear(), monthly ? d.getUTCMonth() : 0, 1);
  };
  const kept = monthly ? 'statistics of seizures are kept per month' : 'annual returns are kept per year';
  // A time of day given (to=2026-03-31T00:00:00Z is that instant, not the day): say so, or the example reads as what
  // was sent.
  const timed = (v: unknown) =>
    /T|\d:\d/.test(String(v))
      ? ' (give the day alone: a time of day is that instant, not the whole day)'
      : '';
  const errors: FieldError[] = [];
  const from = p.from as Date | undefined;
  if (from && startOf(from.getTime()) !== from.getTime()) {
    const y = from.getUTCFullYear();
    const m = String(from.getUTCMonth() + 1).padStart(2, '0');
    errors.push({
      field: 'from',
      message: monthly
        ? `${kept}: start on the first day of a month, e.g. from=${y}-${m}-01 (or from=${y}-${m}) to count the whole of ${y}-${m}${timed(raw.from)}`
        : `${kept}: start on 1 January, e.g. from=${y} (or from=${y}-01-01) to count the whole of ${y}${timed(raw.from)}`,
      value: String(raw.from).trim(),
    });
  }
  const to = p.to as Date | undefined;
  // The last millisecond of a period: the next one starts right after it (`to=2026-03` is read up to then).
  if (to && startOf(to.getTime() + 1) !== to.getTime() + 1) {
    const y = to.getUTCFullYear();
    const m = String(to.getUTCMonth() + 1).padStart(2, '0');
    const last = new Date(Date.UTC(y, to.getUTCMonth() + 1, 0)).getUTCDate();
    errors.push({
      field: 'to',
      message: monthly
        ? `${kept}: end on the last day of a month, e.g. to=${y}-${m}-${last} (or to=${y}-${m}) to count the whole of ${y}-${m}${timed(raw.to)}`
        : `${kept}: end on 31 December, e.g. to=${y} (or to=${y}-12-31) to count the whole of ${y}${timed(raw.to)}`,
      value: String(raw.to).trim(),
    });
  }
  return errors;
}

/** The route-leg buckets the caller may see, filtered by country (either end) and drug. */
export async function routeLegBuckets(
  store: Store,
  caller: Caller,
  p: { country?: unknown; drug?: unknown },
): Promise<RouteLegBucket[]> {
  const and: Filter<RouteLegBucket>[] = [
    readableFilter(caller, '', 'originCountry') as Filter<RouteLegBucket>,
  ];
  if (p.country) and.push({ $or: [{ from: p.country as string }, { to: p.country as string }] });
  if (p.drug) and.push({ substance: drugCondition(p.drug as string) });
  // Each bucket as it stands (its latest version; see @hub/store buckets.ts).
  return findBuckets(store.collection<RouteLegBucket>(COLLECTIONS.routeLegs), { $and: and });
}

/** The routes agencies reported (TraffickingRoute) that the caller may see, filtered by country (on a leg) and drug. */
async function reportedRoutes(store: Store, caller: Caller, p: { country?: unknown; drug?: unknown }) {
  // A reported route names substance codes: an aggregate (drug=cocaine) stands for every substance it counts, as it
  // does for the legs (drugCondition).
  const drug = p.drug as string | undefined;
  const substances = drug ? (substancesOfDrug(drug) ?? [drug]) : undefined;
  const docs = await store
    .collection<{ _id: string; originCountry: string; version: number; route: RouteRecord }>(
      COLLECTIONS.routes,
    )
    .find(readableFilter(caller) as Filter<{ _id: string }>)
    .toArray();
  return docs.filter(
    (d) =>
      (!p.country || d.route.legs.some((l) => l.from === p.country || l.to === p.country)) &&
      (!substances || d.route.substances.some((s) => substances.includes(s))),
  );
}

export function statsRoutes(deps: { store: Store; audit: AuditLog }): Router {
  const router = Router();
  const aggregates = drugAggregates();
  router.get('/v1/stats', async (req, res) => {
    const p = parseParams(req.query as Record<string, unknown>, STATS);
    const caller = req.caller!;
    const source = (p.source as string | undefined) ?? 'seizures';
    const groupBy = ((p.groupBy as string | undefined) ?? 'country').split(',') as Dimension[];
    if (source === 'annual' && groupBy.includes('month'))
      throw new ValidationError([
        { field: 'groupBy', message: 'annual returns are yearly: group by year, not month', value: 'month' },
      ]);
    const drug = p.drug as string | undefined;
    const drugGroup = p.drugGroup as string | undefined;
    // Refused rather than answered empty, which would read as "no seizures". Annual returns also have drugs of their
    // own (the annex's names outside the taxonomy), so their drug filter is not checked against it.
    const unknown = [
      source === 'seizures' && drug ? unknownDrug('drug', drug) : undefined,
      drugGroup && !loadDrugGroups().get(drugGroup)
        ? {
            field: 'drugGroup',
            message: `must be one of ${loadDrugGroups()
              .terms.map((t) => t.code)
              .join(', ')}`,
            value: drugGroup,
          }
        : undefined,
    ].filter((e) => e !== undefined);
    if (unknown.length) throw new ValidationError(unknown, 'query parameters are not valid');
    const cut = periodErrors(source, p, req.query as Record<string, unknown>);
    if (cut.length) throw new ValidationError(cut, 'query parameters are not valid');
    const fromYear = (p.year as number | undefined) ?? (p.from as Date | undefined)?.getUTCFullYear();
    const toYear = (p.year as number | undefined) ?? (p.to as Date | undefined)?.getUTCFullYear();
    const years: Record<string, number> = {};
    if (fromYear !== undefined) years.$gte = fromYear;
    if (toYear !== undefined) years.$lte = toYear;
    let items: StatItem[];
    if (source === 'annual') {
      const and: Filter<StoredAnnualReturn>[] = [readableFilter(caller) as Filter<StoredAnnualReturn>];
      if (p.country) and.push({ country: p.country as string });
      if (Object.keys(years).length) and.push({ year: years });
      const docs = await deps.store
        .collection<StoredAnnualReturn>(COLLECTIONS.annualReturns)
        .find({ $and: and }, { projection: { country: 1, year: 1, cells: 1 } })
        .toArray();
      const query = { drug, drugGroup, byDrug: groupBy.includes('drug'), aggregates };
      items = docs.flatMap((d) => annualItems(d, query));
    } else {
      const and: Filter<StatsBucket>[] = [
        { source: 'seizures' },
        readableFilter(caller, '', 'originCountry') as Filter<StatsBucket>,
      ];
      if (p.country) and.push({ country: p.country as string });
      if (drug) and.push({ $or: [{ substance: drug }, { aggregates: drug }] });
      if (drugGroup) and.push({ drugGroup });
      if (Object.keys(years).length) and.push({ year: years });
      const buckets = await findBuckets(deps.store.collection<StatsBucket>(COLLECTIONS.statsMonthly), {
        $and: and,
      });
      const from = p.year === undefined ? (p.from as Date | undefined) : undefined;
      const to = p.year === undefined ? (p.to as Date | undefined) : undefined;
      items = buckets
        .filter((b) => {
          const start = Date.UTC(b.year, (b.month ?? 1) - 1, 1);
          const end = b.month ? Date.UTC(b.year, b.month, 1) : Date.UTC(b.year + 1, 0, 1);
          return (!from || end > from.getTime()) && (!to || start <= to.getTime());
        })
        .map((b) => ({
          country: b.country,
          year: b.year,
          month: b.month,
          drug: drug && aggregates.has(drug) ? drug : b.substance,
          drugGroup: b.drugGroup ?? 'other',
          kg: b.quantityKg,
          count: b.count,
        }));
    }
    const groups = new Map<
      string,
      Record<string, unknown> & { key: string; quantityKg: number; count: number }
    >();
    for (const item of items) {
      const values = groupBy.map((d) => valueOf(item, d));
      const key = values.join('|');
      const g = groups.get(key) ?? {
        key,
        ...Object.fromEntries(groupBy.map((d, i) => [d, values[i]])),
        quantityKg: 0,
        count: 0,
      };
      g.quantityKg += item.kg;
      // Seizure entries, not distinct reports: a report of two substances counts in each one's bucket, so twice in a
      // row that sums them (the buckets cannot tell; the OpenAPI document says so of `count`).
      g.count += item.count;
      groups.set(key, g);
    }
    const rows = [...groups.values()]
      .map((g) => ({ ...g, quantityKg: roundKg(g.quantityKg) }))
      .sort((a, b) => a.key.localeCompare(b.key));
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'stats',
      query: { ...p },
      count: rows.length,
      reportIds: [],
    });
    res.json({ source, groupBy: groupBy.join(','), unit: 'kg', rows });
  });

  router.get('/v1/routes', async (req, res) => {
    const p = parseParams(req.query as Record<string, unknown>, ROUTES);
    const caller = req.caller!;
    const buckets = await routeLegBuckets(deps.store, caller, p);
    const legs = legsOf(buckets);
    const omit = p.reportedRoutes === 'omit';
    const reported = omit ? [] : await reportedRoutes(deps.store, caller, p);
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'routes',
      query: { ...p },
      count: legs.length + reported.length,
      reportIds: reported.map((d) => d._id),
      ...(!omit && { reportOrigins: reported.map((d) => d.originCountry) }),
    });
    res.json({
      legs: legs.map((l) => ({
        ...l,
        quantityKg: roundKg(l.quantityKg),
        substances: [...l.substances].sort(),
      })),
      ...(!omit && {
        reportedRoutes: reported.map((d) => ({
          routeId: d._id,
          version: d.version,
          originCountry: d.originCountry,
          name: d.route.name,
          substances: d.route.substances,
          legs: d.route.legs,
          concealment: d.route.concealment,
          periodFrom: d.route.periodFrom === null ? null : new Date(Number(d.route.periodFrom)).toISOString(),
          periodTo: d.route.periodTo === null ? null : new Date(Number(d.route.periodTo)).toISOString(),
          relatedReports: d.route.relatedReports,
          description: d.route.description,
          // The agency system that sent it to its node (null: its node asks for no token).
          submittedBy: d.route.submittedBy ?? null,
        })),
      }),
    });
  });
  return router;
}

/**
 * Route legs summed over the buckets the caller may see (GET /v1/routes, and the dashboard's export). A leg's count is
 * of seizure entries: a report of two substances counts once in each substance's bucket, so twice on its legs.
 */
export function legsOf(buckets: RouteLegBucket[]) {
  const legs = new Map<
    string,
    { from: string; to: string; count: number; quantityKg: number; lastSeenAt: Date; substances: Set<string> }
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
  return [...legs.values()];
}
