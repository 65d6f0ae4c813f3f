// GET /v1/alerts: the cross-border alerts concerning the caller (a coordinator: any; anyone else: those naming their
// country), newest first, filtered by rule, by another country they name and by date, in pages. An alert is a
// hit/no-hit notice: each caller is shown of it only the matched reports it may read now, under each report's current
// handling and status (alertView); the others are left out, with their countries, and counted in the reason without
// saying whose. The feed stream's alert events show the same views (feed-stream.ts).
import { Router } from 'express';
import type { Filter } from 'mongodb';
import {
  alertScore,
  COLLECTIONS,
  mayRead,
  withheldReason,
  type Store,
  type StoredHandling,
} from '@hub/store';
import type { AuditLog } from './audit';
import type { Caller } from './auth';
import { dateRange, findPage, parseParams } from './params';
import { actorOf } from './routes-seizures';

/** The correlation rules an alert may name (CrossBorderAlert's AlertRule, without its `unknown` default). */
export const ALERT_RULES = ['shared_identifier', 'linked_case', 'route_and_concealment'] as const;

const ALERTS = {
  rule: { kind: 'enum', values: ALERT_RULES },
  country: { kind: 'country' },
  from: { kind: 'date' },
  to: { kind: 'date' },
  limit: { kind: 'int', min: 1, max: 500 },
  cursor: { kind: 'cursor' },
} as const;

/** What every alert holds, stored or read from a feed (CrossBorderAlert v1). */
export interface AlertShape {
  rule: string;
  matched: { reportId: string; country: string; version: number; evaluation: string | null }[];
  countries: string[];
  score: number;
  reason: string;
}

/** A matched report as the store holds it now: its current version's handling and status. */
export interface CurrentReport {
  _id: string;
  originCountry: string;
  status: string;
  handling: StoredHandling;
}

/** What a caller is shown of an alert, and the reports of other countries that shows it (its reads, for the audit). */
export interface AlertView<A extends AlertShape> {
  alert: A;
  reads: { reportId: string; origin: string }[];
}

/**
 * What `caller` is shown of `alert`, judged by the matched reports' current documents (`current`, by report id): a
 * report is shown when it stands (neither withdrawn nor erased) and the caller may read it under its current
 * handling (mayRead, the one rule: a coordinator reads as its country and clearance, as anyone does). The others are
 * left out of `matched`, their countries out of `countries` (unless the caller's own, or named by a report shown),
 * their evaluations out of the score (counted as unevaluated), and the reason says how many are withheld; the
 * caller's own reports withdrawn or erased since are left out without a count. Undefined when the alert is not the
 * caller's to see: one not naming its country, for anyone but a coordinator; for a coordinator, one of which it may
 * read nothing. An alert naming the caller's country is shown even when nothing but its own reports may be read (its
 * owner may then ask the others through an information request).
 */
export function alertView<A extends AlertShape>(
  caller: Pick<Caller, 'role' | 'country' | 'clearance'>,
  alert: A,
  current: ReadonlyMap<string, CurrentReport>,
): AlertView<A> | undefined {
  const shown: A['matched'] = [];
  let withheld = 0;
  for (const m of alert.matched) {
    const doc = current.get(m.reportId);
    const stands = doc !== undefined && doc.status === 'active';
    if (stands && mayRead(caller, { ...doc.handling, originCountry: doc.originCountry })) shown.push(m);
    else if (m.country !== caller.country) withheld += 1;
  }
  const named = alert.countries.includes(caller.country);
  if (!named && !(caller.role === 'coordinator' && shown.length > 0)) return undefined;
  const reads = shown
    .filter((m) => m.country !== caller.country)
    .map((m) => ({ reportId: m.reportId, origin: m.country }));
  if (shown.length === alert.matched.length) return { alert, reads };
  const ids = new Set(shown.map((m) => m.reportId));
  return {
    alert: {
      ...alert,
      matched: shown,
      countries: [...new Set([...shown.map((m) => m.country), ...(named ? [caller.country] : [])])].sort(),
      // Without the evaluations withheld: with those shown, the whole alert's score would tell them.
      score:
        withheld === 0
          ? alert.score
          : alertScore(
              alert.rule,
              alert.matched.map((m) =>
                ids.has(m.reportId) || m.country === caller.country ? m.evaluation : null,
              ),
            ),
      reason: withheldReason(
        alert.reason,
        withheld,
        shown.every((m) => m.country === caller.country),
      ),
    },
    reads,
  };
}

/**
 * The current documents of the reports `alerts` name, by id: one read of the reports for them all (on FerretDB every
 * filter reads the whole collection, so one `$in` for a page rather than one look-up per report).
 */
export async function currentReports(
  store: Store,
  alerts: readonly Pick<AlertShape, 'matched'>[],
): Promise<Map<string, CurrentReport>> {
  const ids = [...new Set(alerts.flatMap((a) => a.matched.map((m) => m.reportId)))];
  if (ids.length === 0) return new Map();
  const docs = await store
    .collection<CurrentReport>(COLLECTIONS.reports)
    .find({ _id: { $in: ids } }, { projection: { originCountry: 1, status: 1, handling: 1 } })
    .toArray();
  return new Map(docs.map((d) => [d._id, d]));
}

interface StoredAlert extends AlertShape {
  _id: string;
  createdAt: Date;
  published?: boolean;
}

export function alertRoutes(deps: { store: Store; audit: AuditLog }): Router {
  const router = Router();
  router.get('/v1/alerts', async (req, res) => {
    const p = parseParams(req.query as Record<string, unknown>, ALERTS);
    const caller = req.caller!;
    const country = p.country as string | undefined;
    // `country`: alerts that also name that country (a coordinator: alerts naming it). The store is asked for the
    // alerts naming it at all; of those, a caller is shown the ones whose view still names it (below), so that a
    // country withheld from the caller is not found by filtering on it.
    const countries = [
      ...(caller.role === 'coordinator' ? [] : [caller.country]),
      ...(country ? [country] : []),
    ];
    const and: Filter<StoredAlert>[] = [];
    if (countries.length) and.push({ countries: { $all: countries } });
    if (p.rule) and.push({ rule: p.rule as string });
    and.push(...dateRange<StoredAlert>('createdAt', p));
    const { page, nextCursor } = await findPage(
      deps.store.collection<StoredAlert>(COLLECTIONS.alerts),
      and,
      'createdAt',
      p.cursor as string | undefined,
      (p.limit as number | undefined) ?? 500,
      { engine: deps.store.engine },
    );
    // A page may show fewer alerts than it read (those the caller may see nothing of): the cursor goes on after the
    // last one read all the same.
    const current = await currentReports(deps.store, page);
    const views = page.flatMap((a) => {
      const view = alertView(caller, a, current);
      return view && (!country || view.alert.countries.includes(country)) ? [view] : [];
    });
    // The reports of other countries shown are reads of them: their owners see who was shown them (GET /v1/reads).
    const read = new Map(views.flatMap((v) => v.reads.map((r) => [r.reportId, r.origin] as const)));
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'alerts',
      query: { ...p },
      count: views.length,
      reportIds: [...read.keys()],
      reportOrigins: [...read.values()],
    });
    res.json({
      // Internal bookkeeping (the store's _id, whether it was sent) stays inside.
      alerts: views.map(({ alert: { _id, published, ...a } }) => (void _id, void published, a)),
      nextCursor,
    });
  });
  return router;
}
