// Strict query-parameter parsing: known names only, plain strings of a known shape, so that no MongoDB
// operator (country[$ne]=…, {"$gt":""}) can ever reach a filter.
import {
  drugSuggestions,
  isCalendarDate,
  loadVocabularies,
  resolveCountry,
  substancesOfDrug,
  suggestCountries,
  type Vocabulary,
} from '@hub/domain';
import { ValidationError, type FieldError } from '@hub/errors';
import express, { type Request } from 'express';
import type { Collection, Document, Filter } from 'mongodb';
import { findSorted, type StoreEngine } from '@hub/store';

type Kind = 'country' | 'code' | 'drug' | 'conveyance' | 'date' | 'int' | 'cursor' | 'enum' | 'list' | 'text';

export interface ParamSpec {
  kind: Kind;
  values?: readonly string[];
  min?: number;
  max?: number;
}

const SHAPES: Record<Exclude<Kind, 'enum' | 'list' | 'int' | 'date' | 'conveyance'>, RegExp> = {
  country: /^[A-Z]{2}$/,
  code: /^[a-z0-9][a-z0-9-]{0,60}$/,
  drug: /^[a-z0-9][a-z0-9-]{0,60}$/,
  cursor: /^[A-Za-z0-9_-]{1,200}$/,
  // A name as given (a token's subject): matched as a plain string, never as an operator.
  text: /^\P{Cc}{1,200}$/u,
};

export function parseParams<T extends Record<string, ParamSpec>>(
  query: Record<string, unknown>,
  specs: T,
): { [K in keyof T]?: string | number | Date } {
  const errors: FieldError[] = [];
  const out: Record<string, string | number | Date> = {};
  for (const [name, raw] of Object.entries(query)) {
    // Own properties only: `?constructor=1` would otherwise find Object's.
    const spec = Object.hasOwn(specs, name) ? specs[name] : undefined;
    if (!spec) {
      errors.push({ field: name, message: `unknown parameter; use one of ${Object.keys(specs).join(', ')}` });
      continue;
    }
    if (typeof raw !== 'string') {
      errors.push({ field: name, message: 'must be a single plain value (no brackets, no repeats)' });
      continue;
    }
    const v = raw.trim();
    switch (spec.kind) {
      case 'int': {
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < (spec.min ?? 0) || n > (spec.max ?? Number.MAX_SAFE_INTEGER))
          errors.push({
            field: name,
            message:
              spec.max === undefined
                ? `must be a whole number of at least ${spec.min ?? 0}`
                : `must be a whole number from ${spec.min ?? 0} to ${spec.max}`,
            value: v,
          });
        else out[name] = n;
        break;
      }
      case 'date': {
        // A query string reads an unencoded + as a space: 09:30:00+05:00 arrives as "09:30:00 05:00".
        const given = v.replace(/^(\d{4}-\d{2}-\d{2}T[\d:.]+) (\d{2}:\d{2})$/, '$1+$2');
        const t = /^\d{4}(-\d{2}(-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?)?)?$/.test(given)
          ? Date.parse(
              given.length === 4
                ? `${given}-01-01`
                : given.length === 7
                  ? `${given}-01`
                  : // A time without a zone is UTC, as days, months and years are (not the server's local time).
                    /T[\d:.]+$/.test(given)
                    ? `${given}Z`
                    : given,
            )
          : NaN;
        if (Number.isNaN(t))
          errors.push({
            field: name,
            message:
              'must be an ISO 8601 date like 2026-03-14 (or a month 2026-03, a year 2026, or a time 2026-03-14T09:30:00Z; a time zone offset with its + written %2B)',
            value: v,
          });
        // Date.parse moves a day its month does not have into the next month (to=2025-02-29 would be 1 March, and
        // to=2026-04-31 would take in 1 May): refused instead, as a node refuses such a date.
        else if (given.length > 4 && !isCalendarDate(given)) {
          const [year, month] = given.split('-').map(Number) as [number, number];
          const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
          errors.push({
            field: name,
            message: `is not a date of the calendar: ${given.slice(0, 7)} has ${days} days`,
            value: v,
          });
        } else if (name === 'to' && v.length <= 10) {
          // A year, month or day given as the end of a range includes the whole of it (UTC).
          const d = new Date(t);
          out[name] = new Date(
            v.length === 4
              ? Date.UTC(d.getUTCFullYear() + 1, 0, 1) - 1
              : v.length === 7
                ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - 1
                : Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) - 1,
          );
        } else out[name] = new Date(t);
        break;
      }
      case 'list': {
        const items = v.split(',').map((x) => x.trim());
        const bad = items.filter((x) => !spec.values?.includes(x));
        if (bad.length || new Set(items).size !== items.length)
          errors.push({
            field: name,
            message: `must be one or more of ${spec.values?.join(', ')}, comma-separated, each once`,
            value: v.slice(0, 100),
          });
        else out[name] = items.join(',');
        break;
      }
      case 'conveyance': {
        // Stored as the vocabulary's code (road, maritime, ...), as the node resolves what an agency writes: the
        // words it takes (truck, ship, поезд) are read the same way here, and one it does not know is refused, not
        // answered with nothing (which would read as "no seizures").
        const code = /^\P{Cc}{1,200}$/u.test(v) ? transportModes().resolve(v) : undefined;
        if (code) out[name] = code;
        else {
          const suggestions = /^\P{Cc}{1,200}$/u.test(v) ? transportModes().suggest(v, 3) : [];
          errors.push({
            field: name,
            message: `is not a mode of transport${suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : ''} (one of ${transportModes()
              .terms.map((t) => t.code)
              .join(', ')}, or a word for one, as a node takes it)`,
            value: v.slice(0, 60),
            ...(suggestions.length ? { suggestions } : {}),
          });
        }
        break;
      }
      case 'enum':
        if (!spec.values?.includes(v))
          errors.push({ field: name, message: `must be one of ${spec.values?.join(', ')}`, value: v });
        else out[name] = v;
        break;
      default: {
        // Codes are lower case (vocabulary ids, conveyance modes): `drug=Heroin` is heroin.
        const value =
          spec.kind === 'country'
            ? v.toUpperCase()
            : spec.kind === 'code' || spec.kind === 'drug'
              ? v.toLowerCase()
              : v;
        const notCountry = spec.kind === 'country' ? unknownCountry(name, v) : undefined;
        if (notCountry) errors.push(notCountry);
        else if (!SHAPES[spec.kind].test(value))
          errors.push({
            field: name,
            message:
              spec.kind === 'text'
                ? 'must be 1 to 200 characters, none of them control characters'
                : 'has characters that are not allowed',
            value: v.slice(0, 60),
          });
        else if (spec.kind === 'drug' && unknownDrug(name, value)) errors.push(unknownDrug(name, value)!);
        else out[name] = value;
      }
    }
  }
  if (errors.length) throw new ValidationError(errors, 'query parameters are not valid');
  return out as { [K in keyof T]?: string | number | Date };
}

/**
 * The refusal of a country filter that is not a country's ISO 3166-1 alpha-2 code (in any case): UK, EU and XX have its
 * shape but are no country, and would be answered with nothing, which reads as "no seizures". The code meant is
 * suggested when the value names a country (KAZ, Kazakhstan: KZ) or is near one's name (UK: GB).
 */
export function unknownCountry(field: string, country: string): FieldError | undefined {
  const code = country.toUpperCase();
  if (SHAPES.country.test(code) && resolveCountry(code) === code) return undefined;
  const meant = country.length <= 60 ? resolveCountry(country) : undefined;
  const suggestions = meant ? [meant] : country.length <= 60 ? suggestCountries(country, 3) : [];
  return {
    field,
    message: `must be an ISO 3166-1 alpha-2 country code like KZ${suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : ' (see /data/countries.json)'}`,
    value: country.slice(0, 60),
    ...(suggestions.length ? { suggestions } : {}),
  };
}

let modes: Vocabulary | undefined;
/** The modes of transport (schemas/vocab/transport-modes.json), read once. */
const transportModes = () => (modes ??= loadVocabularies().transportModes);

/**
 * The refusal of a `drug` filter that is neither a substance code (schemas/vocab/substances.json) nor an aggregate
 * of the World Drug Report (cocaine, opiates, ats, ...): an empty answer would look like "no seizures".
 */
export function unknownDrug(field: string, drug: string): FieldError | undefined {
  if (substancesOfDrug(drug)) return undefined;
  const suggestions = drugSuggestions(drug);
  return {
    field,
    message: `is not a substance code or a World Drug Report aggregate${suggestions.length ? `; did you mean ${suggestions.join(', ')}?` : '; see /data/substances.json'}`,
    value: drug.slice(0, 60),
    ...(suggestions.length ? { suggestions } : {}),
  };
}

/**
 * The filter of the `from` and `to` parameters (both inclusive) on `field`, as one condition or none; `as` stores the
 * dates another way (`getTime` for milliseconds).
 */
export function dateRange<T>(
  field: keyof T & string,
  p: { from?: unknown; to?: unknown },
  as: (d: Date) => Date | number = (d) => d,
): Filter<T>[] {
  const range: { $gte?: Date | number; $lte?: Date | number } = {};
  if (p.from) range.$gte = as(p.from as Date);
  if (p.to) range.$lte = as(p.to as Date);
  return range.$gte === undefined && range.$lte === undefined ? [] : [{ [field]: range } as Filter<T>];
}

/** The filter on a list of substance codes for a known `drug`: the substance, or every one its aggregate counts. */
export function drugCondition(drug: string): string | { $in: string[] } {
  const substances = substancesOfDrug(drug) ?? [drug];
  return substances.length === 1 ? substances[0]! : { $in: substances };
}

/** A page's end: the sort value (a date) and the _id of its last document. */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.getTime()}|${id}`).toString('base64url');
}

export function decodeCursor(cursor: string): { at: Date; id: string } {
  const [ms, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (!ms || !id || !/^\d+$/.test(ms))
    throw new ValidationError([{ field: 'cursor', message: 'is not a cursor this API returned' }]);
  return { at: new Date(Number(ms)), id };
}

/**
 * One page of the documents matching `and`, newest `by` first (ties by _id), after the `cursor` of the previous page;
 * `nextCursor` is null on the last page. Reads one document more than the page to know whether another follows.
 * `by` holds a Date, or with `millis` a number of milliseconds (as the Avro records stored as they are have it);
 * `projection` leaves out what the answer does not show; `engine` is the store's (FerretDB's sorted reads stream,
 * sorted.ts).
 */
export async function findPage<T extends { _id: string }>(
  collection: Collection<T>,
  and: Filter<T>[],
  by: keyof T & string,
  cursor: string | undefined,
  limit: number,
  options: { engine: StoreEngine; millis?: boolean; projection?: Document },
): Promise<{ page: T[]; nextCursor: string | null }> {
  const { engine, millis = false, projection } = options;
  const conditions = [...and];
  if (cursor) {
    const c = decodeCursor(cursor);
    const at = millis ? c.at.getTime() : c.at;
    conditions.push({
      $or: [{ [by]: { $lt: at } }, { [by]: at, _id: { $lt: c.id } }],
    } as Filter<T>);
  }
  const docs = await findSorted(
    engine,
    collection,
    conditions.length ? ({ $and: conditions } as Filter<T>) : {},
    { sort: { [by]: -1, _id: -1 }, limit: limit + 1, ...(projection && { projection }) },
  );
  const page = docs.slice(0, limit);
  const last = page[page.length - 1];
  return {
    page,
    nextCursor:
      docs.length > limit && last
        ? encodeCursor(millis ? new Date(last[by] as number) : (last[by] as Date), last._id)
        : null,
  };
}

/** A JSON body of up to 64 kB (larger: 413 BODY_TOO_LARGE; unreadable: 400 MALFORMED_JSON, in app.ts). */
export const readJson = express.json({ limit: '64kb' });

/** The body `readJson` read; a body sent as another content type is refused, saying how to send it. */
export function jsonBody(req: Request): unknown {
  if (req.body === undefined && req.headers['content-length'] !== undefined)
    throw new ValidationError([
      {
        field: '(body)',
        message: `send the request as JSON, with content-type: application/json (got ${String(req.headers['content-type'] ?? 'none').slice(0, 80)})`,
      },
    ]);
  return req.body;
}
