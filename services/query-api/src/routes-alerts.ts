// GET /v1/alerts: the cross-border alerts visible to the caller (a coordinator: all; anyone else: those naming their
// country), newest first, filtered by rule, by another country they name and by date, in pages.
import { Router } from 'express';
import type { Filter } from 'mongodb';
import { COLLECTIONS, type Store } from '@hub/store';
import type { AuditLog } from './audit';
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

/** Who sees an alert: every coordinator, and anyone of a country it names (the filter below, for one alert). */
export function mayReadAlert(
  caller: { role: string; country: string },
  countries: readonly string[],
): boolean {
  return caller.role === 'coordinator' || countries.includes(caller.country);
}

interface StoredAlert {
  _id: string;
  countries: string[];
  createdAt: Date;
  rule: string;
  published?: boolean;
}

export function alertRoutes(deps: { store: Store; audit: AuditLog }): Router {
  const router = Router();
  router.get('/v1/alerts', async (req, res) => {
    const p = parseParams(req.query as Record<string, unknown>, ALERTS);
    const caller = req.caller!;
    // `country`: alerts that also name that country (a coordinator: alerts naming it).
    const countries = [
      ...(caller.role === 'coordinator' ? [] : [caller.country]),
      ...(p.country ? [p.country as string] : []),
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
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'alerts',
      query: { ...p },
      count: page.length,
      reportIds: [],
    });
    res.json({
      // Internal bookkeeping (the store's _id, whether it was sent) stays inside.
      alerts: page.map(({ _id, published, ...a }) => (void _id, void published, a)),
      nextCursor,
    });
  });
  return router;
}
