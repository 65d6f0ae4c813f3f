// GET /v1/quality: how complete and timely each contributor's reports are, for coordinators. Computed from the
// consolidated store (current reports, the envelope archive, the quarantine) as far as the caller's handling reaches,
// cached for a minute per handling (fresh=1: QUALITY_FRESH_MS), one computation at a time per handling.
import type { TopicNames } from '@hub/kafka';
import { Router } from 'express';
import type { Filter } from 'mongodb';
import { HubError } from '@hub/errors';
import {
  answersOf,
  COLLECTIONS,
  TLP_RANK,
  type Store,
  type StoredReport,
  type StoredRequest,
} from '@hub/store';
import type { AuditLog } from './audit';
import type { Caller } from './auth';
import { mayRead, readableFilter } from './handling';
import { parseParams } from './params';
import { actorOf } from './routes-seizures';

/** Distinct handlings whose figures are kept at once; the oldest is dropped beyond. */
const CACHED_HANDLINGS = 64;

/** How long the figures of a handling are given out as they are. */
export const QUALITY_CACHE_MS = 60000;

/**
 * How old figures may be and still be given to `fresh=1`: each computation reads whole collections with no time limit,
 * so asking again and again recomputes at most this often (computedAt tells when they were computed).
 */
export const QUALITY_FRESH_MS = 5000;

const QUALITY_PARAMS = { fresh: { kind: 'enum', values: ['1', 'true'] } } as const;

interface ReportShape {
  place?: { lat: number | null; lon: number | null; locationType: string | null } | null;
  conveyance?: { identifiers?: unknown[] } | null;
  route?: unknown[];
  concealment?: string | null;
  detection?: string | null;
  drugs?: { purityPct: number | null }[];
  handling?: { evaluation: string | null };
}

const FIELDS = {
  coordinates: (r: ReportShape) => r.place?.lat != null && r.place?.lon != null,
  locationType: (r: ReportShape) => Boolean(r.place?.locationType),
  conveyance: (r: ReportShape) => Boolean(r.conveyance),
  identifiers: (r: ReportShape) => (r.conveyance?.identifiers?.length ?? 0) > 0,
  route: (r: ReportShape) => (r.route?.length ?? 0) >= 2,
  concealment: (r: ReportShape) => Boolean(r.concealment),
  detection: (r: ReportShape) => Boolean(r.detection),
  purity: (r: ReportShape) => (r.drugs ?? []).some((d) => d.purityPct != null),
  evaluation: (r: ReportShape) => Boolean(r.handling?.evaluation),
} as const;

const COUNTED =
  "of what the caller may read: reports and accepted envelopes about records the caller's handling reaches (TLP, " +
  "releasable-to; its own country's always), and every refused envelope (never read, whatever it claimed to carry)";

/**
 * What the figures are taken from, told with every answer to a caller cleared below RED: the same words for each,
 * whatever there is that it may not read.
 */
export const QUALITY_COUNTED =
  `${COUNTED}; rejectionRate is null to a caller cleared below RED: of refusals, which are counted all, and accepted ` +
  'envelopes, which are counted only when readable, a rate would not be of one whole (1,000 accepted that the ' +
  'caller may not read and 10 refused would show 1), and of them all it would tell of those the caller may not read';

/** The same, to a caller cleared for RED, who is given the rate of every envelope. */
export const QUALITY_COUNTED_RED =
  `${COUNTED}; rejectionRate, to a caller cleared for RED, is rejected / (accepted + rejected) of every envelope of ` +
  'the country, also those accepted about records the caller may not read (not counted in accepted), 0 when there ' +
  'are none';

export interface ContributorQuality {
  country: string;
  reports: number;
  retracted: number;
  accepted: number;
  rejected: number;
  /**
   * To a caller cleared for RED, rejected / (accepted + rejected) of every envelope of the country (QUALITY_COUNTED_RED);
   * null below RED, whatever the figures (QUALITY_COUNTED).
   */
  rejectionRate: number | null;
  /** Hours from seizure to the coordinator's receipt of the current version. */
  delayHours: { median: number | null; p90: number | null };
  /** Share of reports received within 7 days of the seizure. */
  within7Days: number | null;
  /** Share of reports with each field filled, 0..1. */
  completeness: Record<keyof typeof FIELDS, number>;
  /** Mean of the completeness shares. */
  completenessScore: number;
}

/** Figures computed at `at` (milliseconds), for the callers of one handling. */
interface Figures {
  at: number;
  value: ContributorQuality[];
}

/** Whether `caller` is given rejection rates: cleared for RED (QUALITY_COUNTED_RED). */
const mayRate = (caller: Pick<Caller, 'clearance'>) => TLP_RANK[caller.clearance] >= TLP_RANK.RED;

/** rejected / (accepted + rejected), to three places; 0 when there are none. */
const rateOf = (rejected: number, accepted: number) =>
  accepted + rejected ? Math.round((rejected / (accepted + rejected)) * 1000) / 1000 : 0;

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number) * 10) / 10;
}

/**
 * The ids of the records besides reports that `caller` may read (annual returns, trafficking routes, information
 * requests and their responses): an accepted envelope counts only when its subject is one of them or a readable report.
 */
async function readableSubjects(
  store: Store,
  caller: Pick<Caller, 'country' | 'clearance'>,
  whole: { maxTimeMS: number },
): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const name of [COLLECTIONS.annualReturns, COLLECTIONS.routes])
    for await (const d of store
      .collection<{ _id: string }>(name)
      .find(readableFilter(caller) as Filter<{ _id: string }>, { projection: { _id: 1 }, ...whole }))
      ids.add(d._id);
  // A request and its response carry a handling each, their originators in fields of their own.
  for await (const r of store.collection<StoredRequest>(COLLECTIONS.requests).find(
    {},
    {
      projection: {
        requester: 1,
        handling: 1,
        'response.responseId': 1,
        'response.from': 1,
        'response.handling': 1,
        // Whole: a projection into an array's documents is not one every store reads; rare and small.
        earlierResponses: 1,
      },
      ...whole,
    },
  )) {
    if (mayRead(caller, { ...r.handling, originCountry: r.requester })) ids.add(r._id);
    // Every answer: a partial one before the latest was accepted as much as the latest.
    for (const a of answersOf(r))
      if (mayRead(caller, { ...a.handling, originCountry: a.from })) ids.add(a.responseId);
  }
  return ids;
}

/**
 * The figures per contributor from what `caller` may read: its readable reports, and the envelopes about records it
 * may read. Refusals are counted whatever they claimed to carry (they were never read; GET /v1/quarantine lists them
 * all to a coordinator). The rejection rate only to a caller cleared for RED, of every envelope (QUALITY_COUNTED_RED).
 */
export async function computeQuality(
  store: Store,
  names: TopicNames,
  caller: Pick<Caller, 'country' | 'clearance'>,
): Promise<ContributorQuality[]> {
  const by = new Map<
    string,
    {
      reports: number;
      retracted: number;
      delays: number[];
      filled: Record<string, number>;
      accepted: number;
      rejected: number;
    }
  >();
  const get = (cc: string) => {
    let q = by.get(cc);
    if (!q) by.set(cc, (q = { reports: 0, retracted: 0, delays: [], filled: {}, accepted: 0, rejected: 0 }));
    return q;
  };
  // Whole collections read on purpose, for coordinators only and at most once per handling at a time (once a minute,
  // or every QUALITY_FRESH_MS asked with fresh=1, qualityRoutes): not bounded by HUB_QUERY_TIMEOUT_S (maxTimeMS 0),
  // which is for what any analyst can ask as often as they like.
  const whole = { maxTimeMS: 0 };
  const reports = store
    .collection<StoredReport>(COLLECTIONS.reports)
    .find(readableFilter(caller) as Filter<StoredReport>, {
      projection: { originCountry: 1, status: 1, seizedAt: 1, receivedAt: 1, report: 1 },
      ...whole,
    });
  const readable = await readableSubjects(store, caller, whole);
  for await (const r of reports) {
    readable.add(r._id);
    const q = get(r.originCountry);
    if (r.status !== 'active') {
      q.retracted++;
      continue;
    }
    q.reports++;
    q.delays.push((new Date(r.receivedAt).getTime() - new Date(r.seizedAt).getTime()) / 3600000);
    for (const [name, test] of Object.entries(FIELDS))
      if (test(r.report as ReportShape)) q.filled[name] = (q.filled[name] ?? 0) + 1;
  }
  // An envelope about a record the caller may not read is passed over: not counted, and nothing else of the answer
  // (a country listed) may tell that there was one. Only the rate given to a caller cleared for RED counts it: that
  // rate is of every envelope, readable or not.
  const red = mayRate(caller);
  const acceptedAll = new Map<string, number>();
  for await (const e of store
    .collection<{ origin: string; subjectId: string }>(COLLECTIONS.envelopes)
    .find({}, { projection: { origin: 1, subjectId: 1 }, ...whole })) {
    if (!/^[A-Z]{2}$/.test(e.origin)) continue;
    if (readable.has(e.subjectId)) get(e.origin).accepted++;
    if (red) acceptedAll.set(e.origin, (acceptedAll.get(e.origin) ?? 0) + 1);
  }
  // A refused envelope counts against the country whose topic it came in on (only that node may write there),
  // also when it was too broken to name its origin; once, however often it was taken again and refused again, and
  // not when it was taken again and accepted (then it counts as accepted, once).
  for await (const q of store
    .collection<{ origin: string | null; topic: string }>(COLLECTIONS.quarantine)
    .find(
      { redriveOf: { $exists: false }, 'redrive.outcome': { $ne: 'accepted' } },
      { projection: { origin: 1, topic: 1 }, ...whole },
    )) {
    const country = names.countryOf(q.topic ?? '') ?? q.origin;
    if (country && /^[A-Z]{2}$/.test(country)) get(country).rejected++;
  }
  return [...by]
    .map(([country, q]) => {
      const delays = q.delays.sort((a, b) => a - b);
      const completeness = Object.fromEntries(
        Object.keys(FIELDS).map((f) => [
          f,
          q.reports ? Math.round(((q.filled[f] ?? 0) / q.reports) * 1000) / 1000 : 0,
        ]),
      ) as Record<keyof typeof FIELDS, number>;
      const shares = Object.values(completeness);
      return {
        country,
        reports: q.reports,
        retracted: q.retracted,
        accepted: q.accepted,
        rejected: q.rejected,
        // Below RED, null for every country whatever the figures: a constant tells nothing.
        rejectionRate: red ? rateOf(q.rejected, acceptedAll.get(country) ?? 0) : null,
        delayHours: { median: quantile(delays, 0.5), p90: quantile(delays, 0.9) },
        within7Days: delays.length
          ? Math.round((delays.filter((d) => d <= 168).length / delays.length) * 1000) / 1000
          : null,
        completeness,
        completenessScore: shares.length
          ? Math.round((shares.reduce((s, x) => s + x, 0) / shares.length) * 1000) / 1000
          : 0,
      };
    })
    .sort((a, b) => a.country.localeCompare(b.country));
}

export function qualityRoutes(
  deps: { store: Store; audit: AuditLog; names: TopicNames; clock?: () => number },
  cacheMs = QUALITY_CACHE_MS,
  freshMs = QUALITY_FRESH_MS,
): Router {
  const router = Router();
  const clock = deps.clock ?? Date.now;
  // One answer per distinct handling filter and whether rates are given: callers who may read the same records share
  // it (cleared for RED or not: AMBER+STRICT reads what RED does), no one sees another's.
  const cache = new Map<string, Figures>();
  // The computation under way per key: callers asking meanwhile wait for it rather than read everything again.
  const computing = new Map<string, Promise<Figures>>();
  const remember = (key: string, figures: Figures) => {
    cache.delete(key);
    cache.set(key, figures);
    for (const oldest of cache.keys()) {
      if (cache.size <= CACHED_HANDLINGS) break;
      cache.delete(oldest);
    }
  };
  /** The figures of `key`: those cached when young enough, else the computation under way, else a new one. */
  const figuresOf = (key: string, caller: Caller, fresh: boolean): Figures | Promise<Figures> => {
    const cached = cache.get(key);
    if (cached && clock() - cached.at <= (fresh ? freshMs : cacheMs)) return cached;
    let pending = computing.get(key);
    if (!pending) {
      pending = (async () => {
        try {
          const at = clock();
          const figures = { at, value: await computeQuality(deps.store, deps.names, caller) };
          remember(key, figures);
          return figures;
        } finally {
          computing.delete(key);
        }
      })();
      computing.set(key, pending);
    }
    return pending;
  };
  router.get('/v1/quality', async (req, res) => {
    const caller = req.caller!;
    if (!['coordinator', 'admin'].includes(caller.role))
      throw new HubError('FORBIDDEN', 'the data-quality view is for coordinators');
    const p = parseParams(req.query as Record<string, unknown>, QUALITY_PARAMS);
    const key = JSON.stringify([readableFilter(caller), mayRate(caller)]);
    const figures = await figuresOf(key, caller, p.fresh !== undefined);
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'quality',
      query: {},
      count: figures.value.length,
      reportIds: [],
    });
    res.json({
      computedAt: new Date(figures.at).toISOString(),
      counted: mayRate(caller) ? QUALITY_COUNTED_RED : QUALITY_COUNTED,
      contributors: figures.value,
    });
  });
  return router;
}
