// GET /v1/alerts: the cross-border alerts concerning the caller (a coordinator: any; anyone else: those naming their
// country), newest first, filtered by rule, by another country they name and by date, in pages. An alert is a
// hit/no-hit notice: each caller is shown of it only the matched reports it may read now, under each report's current
// handling and status (alertView); the others are left out, with their countries, and counted in the reason without
// saying whose. A report whose current version no longer has the identifier, link or route the alert is on (the
// coordinator marks it `left`) is no match any more: left out as if never named (standingAlert). The feed stream's
// alert events show the same views (feed-stream.ts).
import { Router } from 'express';
import type { Filter } from 'mongodb';
import { HubError } from '@hub/errors';
import {
  alertScore,
  COLLECTIONS,
  mayRead,
  withholdFromAlert,
  type AlertShape,
  type CollectionName,
  type Store,
  type StoredHandling,
} from '@hub/store';
import type { AuditLog } from './audit';
import type { Caller } from './auth';
import { dateRange, encodeCursor, findPage, parseParams } from './params';
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

/** A stored record as it is now: its current document's originator, status (reports) and handling. */
export interface CurrentDoc {
  _id: string;
  originCountry: string;
  status?: string;
  handling?: StoredHandling;
  /** Of a stored alert (which has no originator nor handling): the reports that have left its key (standingAlert). */
  left?: string[];
}

/** What a caller is shown of an alert, and the reports of other countries that shows it (its reads, for the audit). */
export interface AlertView<A extends AlertShape> {
  alert: A;
  reads: { reportId: string; origin: string }[];
}

/**
 * `alert` as it stands now: without the reports that have left its key since (`left`, marked by the coordinator's
 * correlation: their current version no longer has the identifier, the link, or the route and concealment), as if it
 * had never named them. Their countries are left out of `countries` (unless a report still named is of that
 * country), their evaluations out of the score, and the reason counts the reports still named. They are not counted
 * as withheld: they are no match, not a match the reader may not read. Undefined when fewer than two countries are
 * named then: no cross-border match any more, for anyone. The alert itself when it has no `left`; otherwise never
 * with it (the store's bookkeeping, as `published` is).
 */
export function standingAlert<A extends AlertShape & { left?: string[] }>(alert: A): A | undefined {
  if (alert.left === undefined) return alert;
  const { left, ...rest } = alert;
  const gone = new Set(left);
  const matched = alert.matched.filter((m) => !gone.has(m.reportId));
  if (matched.length === alert.matched.length) return rest as A;
  const countries = [...new Set(matched.map((m) => m.country))].sort();
  if (countries.length < 2) return undefined;
  // The rule's sentence starts with the number of reports named (the coordinator's REASON).
  const was = `${alert.matched.length} `;
  return {
    ...rest,
    matched,
    countries,
    score: alertScore(
      alert.rule,
      matched.map((m) => m.evaluation),
    ),
    reason: alert.reason.startsWith(was)
      ? `${matched.length} ${alert.reason.slice(was.length)}`
      : alert.reason,
  } as A;
}

/**
 * What `caller` is shown of `alert`, judged by the matched reports' current documents (`current`, by report id): of
 * the alert as it stands (standingAlert: none, when too few reports are still matched on its key), a report is shown
 * when it stands (neither withdrawn nor erased) and the caller may read it under its current handling (mayRead, the
 * one rule: a coordinator reads as its country and clearance, as anyone does). The others are left out of `matched`,
 * their countries out of `countries` (unless the caller's own, or named by a report shown), their evaluations out of
 * the score (counted as unevaluated), and the reason says how many are withheld; the caller's own reports withdrawn
 * or erased since are left out without a count (withholdFromAlert, as the coordinator's copies are). Undefined when
 * the alert is not the caller's to see: one not naming its country, for anyone but a coordinator; for a coordinator,
 * one of which it may read nothing. An alert naming the caller's country is shown even when nothing but its own
 * reports may be read (its owner may then ask the others through an information request).
 */
export function alertView<A extends AlertShape & { left?: string[] }>(
  caller: Pick<Caller, 'role' | 'country' | 'clearance'>,
  whole: A,
  current: ReadonlyMap<string, CurrentDoc>,
): AlertView<A> | undefined {
  const alert = standingAlert(whole);
  if (!alert) return undefined;
  const view = withholdFromAlert(
    alert,
    (m) => {
      const doc = current.get(m.reportId);
      // A report's document always holds its handling.
      return (
        doc?.status === 'active' && mayRead(caller, { ...doc.handling!, originCountry: doc.originCountry })
      );
    },
    caller.country,
  );
  const named = alert.countries.includes(caller.country);
  if (!named && !(caller.role === 'coordinator' && view.matched.length > 0)) return undefined;
  const reads = view.matched
    .filter((m) => m.country !== caller.country)
    .map((m) => ({ reportId: m.reportId, origin: m.country }));
  return { alert: view, reads };
}

/**
 * The current documents of `ids` in `collection`: one `$in` read for them all (on FerretDB every filter reads the
 * whole collection, so one read for a page of alerts or a batch of feed events rather than one look-up per record).
 */
export async function currentDocs(
  store: Store,
  collection: CollectionName,
  ids: string[],
): Promise<CurrentDoc[]> {
  return store
    .collection<CurrentDoc>(collection)
    .find(
      { _id: { $in: ids } },
      // A stored alert is read for the reports that have left it; a record for its originator, status and handling.
      {
        projection:
          collection === COLLECTIONS.alerts ? { left: 1 } : { originCountry: 1, status: 1, handling: 1 },
      },
    )
    .toArray();
}

/** The current documents of the reports `alerts` name, by id (currentDocs). */
export async function currentReports(
  store: Store,
  alerts: readonly Pick<AlertShape, 'matched'>[],
): Promise<Map<string, CurrentDoc>> {
  const ids = [...new Set(alerts.flatMap((a) => a.matched.map((m) => m.reportId)))];
  if (ids.length === 0) return new Map();
  return new Map((await currentDocs(store, COLLECTIONS.reports, ids)).map((d) => [d._id, d]));
}

interface StoredAlert extends AlertShape {
  _id: string;
  createdAt: Date;
  published?: boolean;
  /** The reports that have left its key since (the coordinator's correlation): see standingAlert. */
  left?: string[];
}

/** Alerts asked of the store at a time once the first read (`limit` + 1) did not fill the page. */
const READ_BATCH = 1000;
/**
 * How many alerts not shown to the caller one request looks through before it stops: each read of the store is a scan
 * on FerretDB, so a caller who may see nothing of most alerts does not make one request read them all.
 */
export const WITHHELD_READ_MAX = 5000;

/**
 * The first `limit` alerts matching `and` after `cursor`, newest first, that `caller` is shown (with `country`: whose
 * view still names it), and whether the page ends before the store does. It is read until `limit` are shown and one
 * more is found to show (so that a cursor always leads to something), or the store has no more: a page made of fewer
 * than it could show, or a cursor made of an alert read and not shown, would count the alerts withheld from the
 * caller and place them in time. After the first read (`limit` + 1, all that a caller shown every alert needs),
 * READ_BATCH at a time: on FerretDB every read is a scan. Alerts not shown are looked through up to `withheldReadMax`;
 * then the page ends at the last one shown, as when another follows (`more`), whatever the store holds beyond.
 */
async function shownAlerts(
  store: Store,
  caller: Caller,
  and: Filter<StoredAlert>[],
  options: {
    country: string | undefined;
    cursor: string | undefined;
    limit: number;
    withheldReadMax: number;
  },
): Promise<{ shown: AlertView<StoredAlert>[]; more: boolean }> {
  const { country, limit, withheldReadMax } = options;
  const shown: AlertView<StoredAlert>[] = [];
  let withheld = 0;
  let after = options.cursor;
  let batch = limit + 1;
  for (;;) {
    const { page, nextCursor } = await findPage(
      store.collection<StoredAlert>(COLLECTIONS.alerts),
      and,
      'createdAt',
      after,
      batch,
      { engine: store.engine },
    );
    const current = await currentReports(store, page);
    for (const a of page) {
      const view = alertView(caller, a, current);
      if (view && (!country || view.alert.countries.includes(country))) {
        if (shown.length === limit) return { shown, more: true };
        shown.push(view);
      } else if (++withheld >= withheldReadMax) return { shown, more: true };
    }
    if (!nextCursor) return { shown, more: false };
    after = nextCursor;
    batch = READ_BATCH;
  }
}

export function alertRoutes(deps: {
  store: Store;
  audit: AuditLog;
  /** How many alerts the caller may see nothing of one request looks through (default WITHHELD_READ_MAX). */
  withheldReadMax?: number;
}): Router {
  const router = Router();
  const withheldReadMax = deps.withheldReadMax ?? WITHHELD_READ_MAX;
  router.get('/v1/alerts', async (req, res) => {
    const p = parseParams(req.query as Record<string, unknown>, ALERTS);
    const caller = req.caller!;
    const country = p.country as string | undefined;
    const limit = (p.limit as number | undefined) ?? 500;
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
    const { shown, more } = await shownAlerts(deps.store, caller, and, {
      country,
      cursor: p.cursor as string | undefined,
      limit,
      withheldReadMax,
    });
    const last = shown[shown.length - 1]?.alert;
    // Only with nothing shown: no alert to make a cursor of, and the one given (the last shown before) would lead
    // here again. Said without how many were looked through: a constant, whatever the store holds.
    if (more && !last)
      throw new HubError(
        'QUERY_TIMEOUT',
        `no alert you may see is among the ${withheldReadMax} that one request looks through (after the cursor, or from the newest): narrow the dates (from, to) to look further back`,
      );
    // The reports of other countries shown are reads of them: their owners see who was shown them (GET /v1/reads).
    const read = new Map(shown.flatMap((v) => v.reads.map((r) => [r.reportId, r.origin] as const)));
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'alerts',
      query: { ...p },
      count: shown.length,
      reportIds: [...read.keys()],
      reportOrigins: [...read.values()],
    });
    res.json({
      // Internal bookkeeping (the store's _id, whether it was sent, the reports that left it) stays inside.
      alerts: shown.map(
        ({ alert: { _id, published, left, ...a } }) => (void _id, void published, void left, a),
      ),
      nextCursor: more && last ? encodeCursor(last.createdAt, last._id) : null,
    });
  });
  return router;
}
