// The due time of an information request as an agency writes it (ISO 8601) → UTC milliseconds, by the rules of a
// seizure's date (report/dates.ts): a time without a UTC offset is UTC, said in a note, never the server's zone.
import type { FieldReader } from '../report/fields';
import { isCalendarDate, offsetRule, utcOffsetMinutes } from '../report/dates';

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

const iso = (ms: number) => new Date(ms).toISOString();

/** The bounds of a due time, from the time the request is read (`now`). */
export interface DueAtRule {
  now: number;
  /** The least a due time may be ahead of `now`. */
  minAheadMs: number;
  /** The most a due time may be ahead of `now`. */
  maxAheadMs: number;
}

/** How long `ms` is in words: "1 s", "366 days". */
function span(ms: number): string {
  const DAY = 86400000;
  if (ms % DAY === 0) return `${ms / DAY} days`;
  if (ms % 3600000 === 0) return `${ms / 3600000} h`;
  return `${ms / 1000} s`;
}

/**
 * `value` (dueAt as given) in UTC milliseconds, or undefined with the error recorded in `r` (field dueAt, the value,
 * the rule). Without a UTC offset it is read as UTC (`Date.parse` would read it in the server's time zone, so the same
 * request would be due at different times on differently configured nodes), with a note saying so.
 */
export function parseDueAt(r: FieldReader, value: string, rule: DueAtRule): number | undefined {
  const m = ISO.exec(value.trim());
  if (!m) {
    r.error('dueAt', 'must be an ISO 8601 date-time, e.g. 2026-03-14T18:00:00+05:00', value);
    return undefined;
  }
  const zone = m[8];
  let offsetMinutes = 0;
  if (zone && zone !== 'Z') {
    const offset = utcOffsetMinutes(zone);
    if (offset === null) {
      r.error('dueAt', offsetRule(zone), value);
      return undefined;
    }
    offsetMinutes = offset;
  }
  const fraction = (m[7] ?? '.0').slice(1, 4).padEnd(3, '0');
  const local = Date.parse(
    m[4]
      ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}.${fraction}Z`
      : `${m[1]}-${m[2]}-${m[3]}T00:00:00.000Z`,
  );
  if (Number.isNaN(local) || !isCalendarDate(m[0])) {
    r.error('dueAt', 'is not a real calendar date', value);
    return undefined;
  }
  const ms = local - offsetMinutes * 60000;
  // Read as UTC, a local time east of Greenwich is hours later than meant: say so wherever it is refused or taken.
  const unzoned = zone
    ? ''
    : m[4]
      ? ' (a time without a UTC offset is read as UTC; add e.g. +05:00)'
      : ' (a date without a time is read as midnight UTC; give the time with its UTC offset, e.g. 2026-03-14T18:00:00+05:00)';
  if (ms < rule.now + rule.minAheadMs) {
    r.error(
      'dueAt',
      `${iso(ms)} must be at least ${span(rule.minAheadMs)} after the time the request is read (${iso(rule.now)})${unzoned}`,
      value,
    );
    return undefined;
  }
  if (ms > rule.now + rule.maxAheadMs) {
    r.error(
      'dueAt',
      `${iso(ms)} must be at most ${span(rule.maxAheadMs)} after the time the request is read (${iso(rule.now)}), i.e. no later than ${iso(rule.now + rule.maxAheadMs)}${unzoned}`,
      value,
    );
    return undefined;
  }
  if (!zone) r.notes.push(`dueAt ${value} → ${iso(ms)}${unzoned}`);
  return ms;
}
