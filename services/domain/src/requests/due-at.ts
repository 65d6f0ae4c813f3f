// The due time of an information request as an agency writes it (ISO 8601) → UTC milliseconds, read as a seizure's
// date is (report/dates.ts: a time without a UTC offset is UTC, said in a note, never the server's zone), within the
// bounds of a due time.
import type { FieldReader } from '../report/fields';
import { readAsUtcNote, readIsoTime } from '../report/dates';

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
 * `value` with an hour-only UTC offset (ISO 8601's `±hh`, as in 2026-03-20T18:00+05) written out as `±hh:00`, which
 * readIsoTime reads; anything else as given. Only after a time of day: a date alone ends in `-dd` too.
 */
const HOUR_ONLY_OFFSET = /([T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*[+-]\d{2})$/;
const withOffsetMinutes = (value: string) => value.trim().replace(HOUR_ONLY_OFFSET, '$1:00');

/**
 * `value` (dueAt as given) in UTC milliseconds, or undefined with the error recorded in `r` (field dueAt, the value,
 * the rule). Without a UTC offset it is read as UTC (`Date.parse` would read it in the server's time zone, so the same
 * request would be due at different times on differently configured nodes), with a note saying so. A date alone is
 * refused: read as its midnight UTC it would fall due, and escalate, up to a day before the person who wrote it meant
 * (the end of that date, where they are); only they know the time and the zone.
 */
export function parseDueAt(r: FieldReader, value: string, rule: DueAtRule): number | undefined {
  const time = readIsoTime(withOffsetMinutes(value));
  if ('error' in time) {
    r.error('dueAt', time.rule ?? 'must be an ISO 8601 date-time, e.g. 2026-03-14T18:00:00+05:00', value);
    return undefined;
  }
  if (!time.hasTime) {
    // The example: the date given, with a time and the offset given if any (2026-03-20Z → 2026-03-20T18:00Z).
    const given = value.trim();
    const date = given.slice(0, 10);
    const offset = given.slice(10).trim() || '+05:00';
    r.error(
      'dueAt',
      `${given} has no time: give the date and time it falls due with its UTC offset, e.g. ${date}T18:00${offset} (a date alone would be read as midnight UTC, up to a day early)`,
      value,
    );
    return undefined;
  }
  const { ms } = time;
  const unzoned = readAsUtcNote(time, '2026-03-14T18:00:00+05:00');
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
  if (time.offsetMinutes === null) r.notes.push(`dueAt ${value} → ${iso(ms)}${unzoned}`);
  return ms;
}
