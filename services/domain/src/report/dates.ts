// Seizure dates: ISO 8601 with or without a UTC offset → UTC milliseconds plus the offset the agency gave.
import type { FieldReader } from './fields';

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

export interface SeizedAt {
  utcMs: number;
  offsetMinutes: number | null;
  notes: string[];
}

/**
 * Whether the date a text begins with (YYYY-MM-DD, or YYYY-MM) is one of the calendar: `Date.parse` takes
 * 2026-02-30 for 2026-03-02 instead of refusing it.
 */
export function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?/.exec(text.trim());
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), m[3] === undefined ? 1 : Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** The furthest from UTC any time zone is (Kiribati's +14:00), in minutes. */
const MAX_OFFSET_MINUTES = 14 * 60;

/** A UTC offset (`+05:00`, `-0330`) in minutes, or null when out of range (minutes of 60 or more, beyond ±14:00). */
export function utcOffsetMinutes(zone: string): number | null {
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const [hours, minutes] = [Number(digits.slice(0, 2)), Number(digits.slice(2))];
  if (minutes >= 60 || hours * 60 + minutes > MAX_OFFSET_MINUTES) return null;
  return sign * (hours * 60 + minutes);
}

/** Why an out-of-range UTC offset is refused. */
export function offsetRule(zone: string): string {
  return `has UTC offset ${zone}, which no time zone has: an offset is at most ±14:00, its minutes under 60 (e.g. +05:00, -03:30)`;
}

export function parseSeizedAt(r: FieldReader, value: unknown, now: number): SeizedAt {
  if (value === undefined || value === null || value === '') {
    r.error('seizedAt', 'is required (ISO 8601, e.g. 2026-03-14T09:30:00+05:00)');
    return { utcMs: 0, offsetMinutes: null, notes: [] };
  }
  const m = typeof value === 'string' ? ISO.exec(value.trim()) : null;
  if (!m) {
    r.error('seizedAt', 'must be an ISO 8601 date or date-time, e.g. 2026-03-14T09:30:00+05:00', value);
    return { utcMs: 0, offsetMinutes: null, notes: [] };
  }
  const zone = m[7];
  let offsetMinutes: number | null = null;
  if (zone && zone !== 'Z') {
    offsetMinutes = utcOffsetMinutes(zone);
    if (offsetMinutes === null) {
      r.error('seizedAt', offsetRule(zone), value);
      return { utcMs: 0, offsetMinutes: null, notes: [] };
    }
  } else if (zone === 'Z') {
    offsetMinutes = 0;
  }
  const ms = Date.parse(
    m[4] ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}Z` : `${m[1]}-${m[2]}-${m[3]}T00:00:00Z`,
  );
  if (Number.isNaN(ms) || !isCalendarDate(m[0])) {
    r.error('seizedAt', 'is not a real calendar date', value);
    return { utcMs: 0, offsetMinutes: null, notes: [] };
  }
  const utcMs = ms - (offsetMinutes ?? 0) * 60000;
  // Read as UTC, a local time east of Greenwich is hours later than meant: say so when that may be why.
  const unzoned = zone
    ? ''
    : m[4]
      ? ' (a time without a UTC offset is read as UTC; add e.g. +05:00)'
      : ' (a date without a time is read as midnight UTC; give the time with its UTC offset, e.g. 2026-03-14T09:30:00+05:00)';
  if (utcMs > now + 5 * 60000) r.error('seizedAt', `must not be in the future${unzoned}`, value);
  if (utcMs < Date.UTC(1970, 0, 1)) r.error('seizedAt', 'must be after 1970', value);
  const iso = new Date(utcMs).toISOString();
  const notes = typeof value === 'string' && value !== iso ? [`seizedAt ${value} → ${iso}`] : [];
  return { utcMs, offsetMinutes, notes };
}
