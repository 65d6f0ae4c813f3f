// Checks of a verified, decoded message's content that the schema cannot express.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLIENT_NAME } from '@hub/config';
import {
  annualReturnId,
  DATE_ONLY_AHEAD_MS,
  loadVocabularies,
  mayBeDateOnly,
  MAX_ANNUAL_ROWS,
  QUANTITY_LIMIT_COUNT,
  QUANTITY_LIMIT_KG,
  ROUTE_MAX_LEGS,
  ROUTE_MAX_TERMS,
  SEIZURE_REPORT_MAX,
  toKg,
  unitHasMass,
} from '@hub/domain';
import type { FieldError } from '@hub/errors';
import { AVRO_DIR, UUID } from '@hub/schemas';
import type { Flag } from './outcome';

/** A list longer than `max` named, with its length. */
function atMost(field: string, list: unknown, max: number): FieldError[] {
  return Array.isArray(list) && list.length > max
    ? [{ field, message: `must list at most ${max} (as a national node takes them)`, value: list.length }]
    : [];
}

/**
 * The earliest time a record may carry: a national node takes no seizure before 1970 (parseSeizedAt in @hub/domain),
 * and stamps its records with its own clock. A time stored as a date outside what one holds (about ±273,790 years)
 * would be read back as 1970-01-01, silently.
 */
const EARLIEST = Date.UTC(1970, 0, 1);
/** How far ahead of the coordinator's clock a node's may run: as for an envelope's signedAt (the verifier's skew). */
export const CLOCK_SKEW_MS = 5 * 60000;

/** A time as an error shows it: ISO 8601 where it is a date, else the number sent. */
export const shownTime = (t: number) =>
  Number.isFinite(t) && Math.abs(t) <= 8.64e15 ? new Date(t).toISOString() : String(t);

/** What a node whose clock runs ahead is told to do. */
const SET_CLOCK = "set the node's clock right";

/**
 * `field`, a time (ms since 1970) a node stamped with its own clock, not in the future: no further ahead of the
 * coordinator's clock (`now`) than the clocks' skew allows. The refusal names the time, the hub's clock, the skew
 * allowed and what to do (`fix`): a node whose clock runs ahead has every message refused until it is set right.
 */
export function notAhead(field: string, t: number, now: number, fix = SET_CLOCK): FieldError[] {
  return t > now + CLOCK_SKEW_MS
    ? [
        {
          field,
          message: `${shownTime(t)} is ahead of the hub's clock (${shownTime(now)}) by more than the ${CLOCK_SKEW_MS / 60000} minutes allowed for clock skew: ${fix}`,
          value: t,
        },
      ]
    : [];
}

/**
 * A seizure's date given without a time of day (midnight UTC, no offset) may lie up to DATE_ONLY_AHEAD_MS past the
 * clock, as the node that read it allows (parseSeizedAt): it is already that date east of Greenwich.
 */
function seizedAtInRange(value: Record<string, unknown>, now: number): FieldError[] {
  const t = value.seizedAt;
  const offset = value.seizedAtOffsetMinutes;
  if (
    typeof t === 'number' &&
    t >= EARLIEST &&
    mayBeDateOnly(t, typeof offset === 'number' ? offset : null)
  ) {
    return t > now + DATE_ONLY_AHEAD_MS
      ? [
          {
            field: 'seizedAt',
            message: `${shownTime(t)} is a date no time zone has reached yet by the hub's clock (${shownTime(now)}): check the seizure's date, and the node's clock`,
            value: t,
          },
        ]
      : [];
  }
  // Given by the agency, not stamped by the node: the time given is the likelier error.
  return timeInRange(
    value,
    'seizedAt',
    now,
    "check the seizure's date, time and UTC offset, and the node's clock",
  );
}

/**
 * `field` (ms since 1970) no earlier than a national node takes, and not in the future (but for the clocks' skew).
 * `fix`: what to do about a time ahead of the hub's clock (the node's clock, unless the time is one an agency gave).
 */
function timeInRange(
  value: Record<string, unknown>,
  field: string,
  now: number,
  fix = SET_CLOCK,
): FieldError[] {
  const t = value[field];
  if (typeof t !== 'number') return [];
  if (t < EARLIEST)
    return [
      {
        field,
        message: `must not be before 1970-01-01, as a national node takes it (got ${shownTime(t)})`,
        value: t,
      },
    ];
  return notAhead(field, t, now, fix);
}

export function checkSeizureReport(
  value: Record<string, unknown>,
  origin: string,
  now: number,
): FieldError[] {
  const errors: FieldError[] = [];
  if (value.country !== origin)
    errors.push({
      field: 'country',
      message: `a node of ${origin} may only report seizures in ${origin}`,
      value: value.country,
    });
  errors.push(...seizedAtInRange(value, now), ...timeInRange(value, 'reportedAt', now));
  if (typeof value.version !== 'number' || value.version < 1)
    errors.push({ field: 'version', message: 'must be 1 or more' });
  const drugs = Array.isArray(value.drugs) ? (value.drugs as Record<string, unknown>[]) : [];
  if (drugs.length === 0) errors.push({ field: 'drugs', message: 'must list at least one drug' });
  // No more than a node takes from its agencies: each drug, leg and identifier becomes documents and read-model
  // entries of its own, and a node writing straight to its topic could send thousands.
  const conveyance = value.conveyance as { identifiers?: unknown } | null | undefined;
  errors.push(
    ...atMost('drugs', drugs, SEIZURE_REPORT_MAX.drugs),
    ...atMost('route', value.route, SEIZURE_REPORT_MAX.route),
    ...atMost('conveyance.identifiers', conveyance?.identifiers, SEIZURE_REPORT_MAX.identifiers),
    ...atMost('arrested', value.arrested, SEIZURE_REPORT_MAX.arrested),
    ...atMost('links', value.links, SEIZURE_REPORT_MAX.links),
  );
  if (drugs.length > SEIZURE_REPORT_MAX.drugs) return errors;
  drugs.forEach((d, i) => {
    if (typeof d.quantity !== 'number' || !(d.quantity > 0))
      errors.push({ field: `drugs[${i}].quantity`, message: 'must be positive', value: d.quantity });
    const kgErrors = checkQuantityKg(d, i);
    errors.push(...kgErrors);
    if (kgErrors.length === 0 && typeof d.quantityKg === 'number' && d.quantityKg > QUANTITY_LIMIT_KG) {
      errors.push({
        field: `drugs[${i}].quantity`,
        message: `${d.quantityKg} kg is implausible for one seizure; check the unit`,
        value: d.quantity,
      });
    }
    // A count (plants), which has no kilograms to bound it: as a national node bounds it.
    if (
      typeof d.quantity === 'number' &&
      d.quantity > QUANTITY_LIMIT_COUNT &&
      typeof d.unit === 'string' &&
      loadVocabularies().units.get(d.unit) !== undefined &&
      !unitHasMass(loadVocabularies(), d.unit)
    )
      errors.push({
        field: `drugs[${i}].quantity`,
        message: `must be at most ${QUANTITY_LIMIT_COUNT} ${d.unit}, as a national node takes it`,
        value: d.quantity,
      });
  });
  return errors;
}

/**
 * How far a drug line's kilograms may be from its quantity converted by the hub: the rounding a node applies
 * (roundKg, to the microgram), and a float's own for the largest amounts.
 */
const KG_TOLERANCE = (kg: number) => Math.max(1e-9, Math.abs(kg) * 1e-12);

/**
 * A drug line's `quantityKg` (null, or kilograms), which the statistics and route legs every country reads sum as
 * sent: not negative nor NaN nor infinite (a NaN would make its bucket NaN for good, since a withdrawal subtracts it
 * again), and, where its unit converts by mass (kg, g, t, lb, l... in the hub's vocabulary), its quantity so
 * converted (toKg, as a national node computes it). Tablets and doses are left as sent: their kilograms come from a
 * substance's unit mass, which a node's vocabulary may hold otherwise.
 */
function checkQuantityKg(d: Record<string, unknown>, i: number): FieldError[] {
  const kg = d.quantityKg;
  if (kg === null || kg === undefined) return [];
  const field = `drugs[${i}].quantityKg`;
  if (typeof kg !== 'number' || !Number.isFinite(kg) || kg < 0)
    return [
      { field, message: `must be a finite number of kilograms, 0 or more (got ${String(kg)})`, value: kg },
    ];
  if (typeof d.quantity !== 'number' || !(d.quantity > 0) || typeof d.unit !== 'string') return [];
  const vocab = loadVocabularies();
  if (vocab.units.get(d.unit)?.toKg === undefined) return [];
  const expected = toKg(vocab, d.quantity, d.unit, typeof d.substance === 'string' ? d.substance : undefined);
  if (expected === null || Math.abs(kg - expected) <= KG_TOLERANCE(expected)) return [];
  return [
    {
      field,
      message: `must be the quantity in kilograms: ${d.quantity} ${d.unit} is ${expected} kg, not ${kg}`,
      value: kg,
    },
  ];
}

/**
 * The subject's id (`field`: reportId, routeId, requestId...), a UUID in every message (nodes make them so). It keys
 * the records written about the subject (receipts, feed records, notices) and is its documents' `_id`: one of 900 kB
 * would make them larger than the brokers take.
 */
export function checkSubjectId(value: Record<string, unknown>, field: string): FieldError[] {
  const id = String(value[field]);
  return UUID.test(id) ? [] : [{ field, message: 'must be a UUID', value: id.slice(0, 100) }];
}

/**
 * `submittedBy` (SeizureReport v3; the other messages a node writes for its agencies, v2), when set, is a client name
 * of the node's token file. Checked by the intake for every message type alike.
 */
export function checkSubmittedBy(value: Record<string, unknown>): FieldError[] {
  const v = value.submittedBy;
  return v == null || (typeof v === 'string' && CLIENT_NAME.test(v))
    ? []
    : [
        {
          field: 'submittedBy',
          message:
            'must be a client name of the node (letters, digits, dots, dashes and underscores; 64 at most)',
          value: v,
        },
      ];
}

export function checkAnnualReturn(value: Record<string, unknown>, origin: string, now: number): FieldError[] {
  const errors: FieldError[] = [];
  if (value.country !== origin)
    errors.push({
      field: 'country',
      message: `a node of ${origin} may only send ${origin}'s annual returns`,
      value: value.country,
    });
  const year = value.year as number;
  if (!Number.isInteger(year) || year < 1950 || year > new Date(now).getUTCFullYear())
    errors.push({ field: 'year', message: 'must be a past or current year', value: year });
  // One return per country and year, under the id both give (a node's API derives it): another id would let a country
  // take the id of another's return for a year before it is sent, and so the version numbers its own would claim.
  else if (typeof value.country === 'string' && value.returnId !== annualReturnId(value.country, year))
    errors.push({
      field: 'returnId',
      message: `must be ${annualReturnId(value.country, year)}, the id of ${value.country}'s return for ${year} (one return per country and year)`,
      value: value.returnId,
    });
  errors.push(...timeInRange(value, 'reportedAt', now));
  if (typeof value.version !== 'number' || value.version < 1)
    errors.push({ field: 'version', message: 'must be 1 or more' });
  const rows = Array.isArray(value.rows) ? (value.rows as Record<string, unknown>[]) : [];
  if (rows.length === 0) errors.push({ field: 'rows', message: 'must list at least one drug' });
  errors.push(...atMost('rows', rows, MAX_ANNUAL_ROWS));
  if (rows.length > MAX_ANNUAL_ROWS) return errors;
  rows.forEach((r, i) => {
    if (typeof r.kilograms !== 'number' || !Number.isFinite(r.kilograms) || r.kilograms < 0)
      errors.push({ field: `rows[${i}].kilograms`, message: 'must be 0 or more', value: r.kilograms });
    if (typeof r.drugName !== 'string' || r.drugName.trim() === '')
      errors.push({ field: `rows[${i}].drugName`, message: 'is required' });
  });
  return errors;
}

type Box = [number, number, number, number];
let boxes: Record<string, Box> | undefined;

/** Countries' bounding boxes (schemas/vocab/country-bbox.json, from Natural Earth via world-atlas). */
function countryBox(country: string): Box | undefined {
  boxes ??= (
    JSON.parse(readFileSync(join(AVRO_DIR, '..', 'vocab', 'country-bbox.json'), 'utf8')) as {
      boxes: Record<string, Box>;
    }
  ).boxes;
  return boxes[country];
}

/** Half a degree of slack: borders, coastal waters and the boxes' rounding. */
const BOX_MARGIN = 0.5;

export function insideBox(box: Box, lat: number, lon: number): boolean {
  const [w, s, e, n] = box;
  if (lat < s - BOX_MARGIN || lat > n + BOX_MARGIN) return false;
  // A box whose west edge is east of its east edge crosses the antimeridian (Russia, the United States, Fiji).
  return w <= e
    ? lon >= w - BOX_MARGIN && lon <= e + BOX_MARGIN
    : lon >= w - BOX_MARGIN || lon <= e + BOX_MARGIN;
}

/** What is accepted but flagged for a second look: coordinates outside the stated country's bounding box. */
export function flagSeizureReport(value: Record<string, unknown>): Flag[] {
  const place = value.place as { lat: number | null; lon: number | null } | null;
  const country = value.country as string;
  if (!place || place.lat === null || place.lon === null) return [];
  const box = countryBox(country);
  if (!box || insideBox(box, place.lat, place.lon)) return [];
  return [
    {
      code: 'coordinates-outside-country',
      field: 'place',
      message: `${place.lat}, ${place.lon} lies outside ${country}'s bounding box; accepted and flagged for review (check the sign of longitude and the order of lat/lon)`,
    },
  ];
}

export function checkRenewal(value: Record<string, unknown>): FieldError[] {
  const errors: FieldError[] = [];
  // The kinds the hub keeps under a retention policy (retention.ts CATEGORY), each reviewed and so renewable.
  if (!['SeizureReport', 'AnnualSeizureReturn', 'TraffickingRoute'].includes(String(value.subjectType)))
    errors.push({
      field: 'subjectType',
      message: 'must be SeizureReport, AnnualSeizureReturn or TraffickingRoute',
      value: value.subjectType,
    });
  if (typeof value.reason !== 'string' || value.reason.trim() === '')
    errors.push({ field: 'reason', message: 'is required: say why the record is still needed' });
  return errors;
}

export function checkRoute(value: Record<string, unknown>, origin: string): FieldError[] {
  const errors: FieldError[] = [];
  if (value.country !== origin)
    errors.push({
      field: 'country',
      message: `a node of ${origin} may only report ${origin}'s routes`,
      value: value.country,
    });
  const legs = Array.isArray(value.legs) ? (value.legs as { from: string; to: string }[]) : [];
  if (legs.length === 0) errors.push({ field: 'legs', message: 'must list at least one leg' });
  errors.push(
    ...atMost('legs', legs, ROUTE_MAX_LEGS),
    ...atMost('substances', value.substances, ROUTE_MAX_TERMS),
    ...atMost('concealment', value.concealment, ROUTE_MAX_TERMS),
  );
  if (legs.length > ROUTE_MAX_LEGS) return errors;
  legs.forEach((l, i) => {
    if (l.from === l.to)
      errors.push({ field: `legs[${i}]`, message: 'a leg goes from one country to another', value: l.from });
  });
  return errors;
}
