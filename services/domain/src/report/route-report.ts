// A trafficking route as an agency understands it (legs between countries, drugs, modes, period) from JSON → a
// validated TraffickingRoute.
import { randomUUID } from 'node:crypto';
import { ValidationError } from '@hub/errors';
import { loadVocabularies } from '../vocab/index';
import { FieldReader, jsonKind } from './fields';
import { isCalendarDate } from './dates';
import type { Normalised } from './seizure-report';
import { normaliseCountryCode, readHandling, resolveTermField, type HandlingRecord } from './terms';
import { TEXT_MAX, UUID } from '@hub/schemas';

export interface RouteReportRecord {
  routeId: string;
  version: number;
  reportedAt: number;
  country: string;
  name: string | null;
  substances: string[];
  legs: { from: string; to: string; mode: string | null; via: string | null }[];
  concealment: string[];
  periodFrom: number | null;
  periodTo: number | null;
  relatedReports: string[];
  description: string | null;
  handling: HandlingRecord;
  /** The agency system the national node authenticated (its token's client name); null when it asks for none. */
  submittedBy: string | null;
}

function day(r: FieldReader, value: unknown, field: string): number | null {
  if (value === undefined || value === null || value === '') return null;
  const t = typeof value === 'string' && isCalendarDate(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) {
    r.error(field, 'must be an ISO 8601 date like 2026-01-31', value);
    return null;
  }
  return t;
}

/** The most legs a trafficking route may have (a node's limit, and the coordinator's). */
export const ROUTE_MAX_LEGS = 50;
/** The most substances, and concealment methods, a route may name. */
export const ROUTE_MAX_TERMS = 20;
export function routeReportFromJson(
  input: unknown,
  ctx: {
    nodeCountry: string;
    now: number;
    versionOf: (id: string) => number;
    /** As ReportContext's: the id under which the node holds a route named in another letter case. */
    idOf?: (id: string) => string;
    regions: ReadonlySet<string>;
    /** The agency system that sent it, as the node authenticated it. */
    client?: string;
  },
): Normalised<RouteReportRecord> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ValidationError([
      { field: '(body)', message: 'must be a JSON object (one trafficking route)' },
    ]);
  const obj = input as Record<string, unknown>;
  const r = new FieldReader();
  const v = loadVocabularies();
  let routeId = r.string(obj, 'routeId', 'routeId');
  if (routeId && !UUID.test(routeId)) {
    r.error('routeId', 'must be a UUID (or left out, to have one generated)', routeId);
    routeId = null;
  }
  // One route whatever the case of its id: ids are taken in lower case (RFC 4122 output), but one held in another
  // spelling (sent before 2026-12-07) keeps it.
  const heldAs = routeId ? (ctx.idOf?.(routeId) ?? routeId.toLowerCase()) : null;
  if (routeId && heldAs !== routeId) {
    r.notes.push(`routeId '${routeId}' → ${heldAs}`);
    routeId = heldAs;
  }
  const legs = r.array(obj, 'legs', 'legs', { required: true, max: ROUTE_MAX_LEGS }).map((leg, i) => {
    const from = normaliseCountryCode(
      r,
      r.string(leg, 'from', `legs[${i}].from`, { required: true, max: 100 }),
      `legs[${i}].from`,
    );
    const to = normaliseCountryCode(
      r,
      r.string(leg, 'to', `legs[${i}].to`, { required: true, max: 100 }),
      `legs[${i}].to`,
    );
    if (from && to && from === to) r.error(`legs[${i}]`, 'a leg goes from one country to another', from);
    return {
      from: from ?? '',
      to: to ?? '',
      mode: resolveTermField(
        r,
        v.transportModes,
        r.string(leg, 'mode', `legs[${i}].mode`, { max: TEXT_MAX.TraffickingRoute['legs[].mode'] }),
        `legs[${i}].mode`,
      ),
      via: r.string(leg, 'via', `legs[${i}].via`, { max: TEXT_MAX.TraffickingRoute['legs[].via'] }),
    };
  });
  // Each entry a non-empty string: anything else is refused by its index, never read as '' (an empty term).
  const list = (key: string, max: number, what: string): (string | null)[] => {
    const raw = obj[key];
    if (raw === undefined || raw === null) return [];
    if (!Array.isArray(raw) || raw.length > max) {
      r.error(key, `must be a list of at most ${max} entries`);
      return [];
    }
    return raw.map((x: unknown, i) => {
      const s = typeof x === 'string' ? x.trim() : '';
      if (s) return s;
      r.error(
        `${key}[${i}]`,
        typeof x === 'string'
          ? `must not be empty: each entry is ${what}`
          : `must be a string: ${what} (got ${jsonKind(x)})`,
        x,
      );
      return null;
    });
  };
  const substances = list('substances', ROUTE_MAX_TERMS, 'a substance code or name').map(
    (s, i) => resolveTermField(r, v.substances, s, `substances[${i}]`) ?? '',
  );
  const concealment = list('concealment', ROUTE_MAX_TERMS, 'a concealment method').map(
    (c, i) => resolveTermField(r, v.concealment, c, `concealment[${i}]`) ?? '',
  );
  const relatedReports = list('relatedReports', 200, 'a report id (UUID)').map((id, i) => {
    if (id === null) return '';
    if (!UUID.test(id)) r.error(`relatedReports[${i}]`, 'must be a report id (UUID)', id);
    // As given: they name reports of any country, as the hub holds them (ids of before 2026-12-07 as sent).
    return id;
  });
  const periodFrom = day(r, obj.periodFrom, 'periodFrom');
  const periodTo = day(r, obj.periodTo, 'periodTo');
  if (periodFrom !== null && periodTo !== null && periodTo < periodFrom)
    r.error('periodTo', 'must not be before periodFrom', obj.periodTo);
  const countryIn = r.string(obj, 'country', 'country', { max: 100 });
  const country = countryIn ? normaliseCountryCode(r, countryIn, 'country') : ctx.nodeCountry;
  if (country && country !== ctx.nodeCountry)
    r.error(
      'country',
      `this node reports ${ctx.nodeCountry}'s routes; ${country}'s go through its own node`,
      countryIn,
    );
  const handling = readHandling(r, obj, ctx.regions);
  const name = r.string(obj, 'name', 'name', { max: TEXT_MAX.TraffickingRoute.name });
  const description = r.string(obj, 'description', 'description', {
    max: TEXT_MAX.TraffickingRoute.description,
  });
  if (r.errors.length) throw new ValidationError(r.errors, 'the trafficking route is not valid');
  const id = routeId ?? randomUUID();
  return {
    value: {
      routeId: id,
      version: ctx.versionOf(id),
      reportedAt: ctx.now,
      country: country as string,
      name,
      substances,
      legs,
      concealment,
      periodFrom,
      periodTo,
      relatedReports,
      description,
      handling,
      submittedBy: ctx.client ?? null,
    },
    normalisations: r.notes,
  };
}
