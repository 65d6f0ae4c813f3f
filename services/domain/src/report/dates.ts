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
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    offsetMinutes = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2)));
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
  if (utcMs > now + 5 * 60000) r.error('seizedAt', 'must not be in the future', value);
  if (utcMs < Date.UTC(1970, 0, 1)) r.error('seizedAt', 'must be after 1970', value);
  const iso = new Date(utcMs).toISOString();
  const notes = typeof value === 'string' && value !== iso ? [`seizedAt ${value} → ${iso}`] : [];
  return { utcMs, offsetMinutes, notes };
}
