// Times as agencies write them (ISO 8601, with or without a UTC offset) → UTC milliseconds plus the offset given, by
// one reading for every field (`readIsoTime`); a seizure's date here, with its own bounds (a request's due time:
// requests/due-at.ts).
import type { FieldReader } from './fields';

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

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

/** An ISO 8601 time read (`readIsoTime`): in UTC, with the offset it was given in. */
export interface IsoTime {
  /** UTC milliseconds (a fraction of a second to the millisecond; a date alone: its midnight). */
  ms: number;
  /** The UTC offset given, in minutes (0 for Z); null when none was given: the time was read as UTC. */
  offsetMinutes: number | null;
  /** A time of day was given, not only a date. */
  hasTime: boolean;
}

/** Why a time is refused: `rule`, what it breaks; none when it is not ISO 8601 at all (each field says what it asks). */
export interface IsoTimeRefused {
  error: true;
  rule?: string;
}

/**
 * Why `hh:mm[:ss[.fraction]]` is not a time of day, or null. Hours run 00-23, minutes and seconds 00-59; 24:00 (with
 * zero seconds) is ISO 8601's end of the day, which agency tools emit for "midnight at the end of this date", and is
 * taken as 00:00 of the next day. A leap second (:60) is refused: seizedAt is kept to the second, and a :60 would
 * have to be moved to another second (and, at 23:59:60, to another day); there have been 27 since 1972.
 */
export function timeOfDayProblem(
  hours: string,
  minutes: string,
  seconds?: string,
  fraction?: string,
): string | null {
  const [h, m, s] = [Number(hours), Number(minutes), Number(seconds ?? 0)];
  const endOfDay = h === 24 && m === 0 && s === 0 && !/[1-9]/.test(fraction ?? '');
  if (endOfDay || (h <= 23 && m <= 59 && s <= 59)) return null;
  const given = `${hours}:${minutes}${seconds === undefined ? '' : `:${seconds}`}`;
  return `is not a real time of day (${given}): hours run 00-23, minutes and seconds 00-59 (24:00 is taken as the end of the day; a leap second :60 is not)`;
}

/**
 * `value` (YYYY-MM-DD, with a time [T or space] hh:mm[:ss[.fraction]], with a UTC offset or Z, or without) in UTC, or
 * why it is refused: `rule` says what the value breaks (a UTC offset no zone has, a date the calendar does not have, a
 * time of day the clock does not have); none when it is not ISO 8601 at all (each field says what it expects). Without
 * an offset it is read as UTC (`Date.parse` would read it in the server's time zone: the same value a different time
 * on each node). 24:00 is the end of the day: 00:00 of the next.
 */
export function readIsoTime(value: string): IsoTime | IsoTimeRefused {
  const m = ISO.exec(value.trim());
  if (!m) return { error: true };
  const zone = m[8];
  let offsetMinutes: number | null = null;
  if (zone === 'Z') offsetMinutes = 0;
  else if (zone) {
    offsetMinutes = utcOffsetMinutes(zone);
    if (offsetMinutes === null) return { error: true, rule: offsetRule(zone) };
  }
  if (!isCalendarDate(m[0])) return { error: true, rule: 'is not a real calendar date' };
  const clock = m[4] === undefined ? null : timeOfDayProblem(m[4], m[5] as string, m[6], m[7]);
  if (clock) return { error: true, rule: clock };
  const fraction = (m[7] ?? '.0').slice(1, 4).padEnd(3, '0');
  // 24:00 is read as 00:00 and a day added (Date.parse's reading of hour 24 is not one the standard makes it give).
  const endOfDay = m[4] === '24';
  const local =
    Date.parse(
      m[4]
        ? `${m[1]}-${m[2]}-${m[3]}T${endOfDay ? '00' : m[4]}:${m[5]}:${m[6] ?? '00'}.${fraction}Z`
        : `${m[1]}-${m[2]}-${m[3]}T00:00:00.000Z`,
    ) + (endOfDay ? 86400000 : 0);
  if (Number.isNaN(local)) return { error: true, rule: 'is not a real calendar date' };
  return { ms: local - (offsetMinutes ?? 0) * 60000, offsetMinutes, hasTime: m[4] !== undefined };
}

/**
 * What a refusal or a note of a time read as UTC adds (none for one given with its offset): read as UTC, a local time
 * east of Greenwich is hours later than meant. `example`: a date-time with its offset, as the field would have it.
 */
export function readAsUtcNote(time: IsoTime, example: string): string {
  if (time.offsetMinutes !== null) return '';
  return time.hasTime
    ? ' (a time without a UTC offset is read as UTC; add e.g. +05:00)'
    : ` (a date without a time is read as midnight UTC; give the time with its UTC offset, e.g. ${example})`;
}

/**
 * How far past the clock a seizure's date without a time of day may lie: the date is already today somewhere on
 * Earth (Kiribati, UTC+14:00) while it is still yesterday in UTC. A node east of Greenwich writes today's date hours
 * before UTC midnight.
 */
export const DATE_ONLY_AHEAD_MS = MAX_OFFSET_MINUTES * 60000;

/** How far past the clock a seizure's time may lie: the clocks' skew. */
const SEIZED_AT_SKEW_MS = 5 * 60000;

/**
 * Whether a stored seizedAt (UTC ms, with the offset it was given in) may have been given as a date alone: midnight
 * UTC without an offset. What receives the record rather than the text (the coordinator) allows such a one
 * DATE_ONLY_AHEAD_MS past its clock, as the node that read it did.
 */
export function mayBeDateOnly(seizedAt: number, offsetMinutes: number | null): boolean {
  return offsetMinutes === null && seizedAt % 86400000 === 0;
}

export function parseSeizedAt(r: FieldReader, value: unknown, now: number): SeizedAt {
  if (value === undefined || value === null || value === '') {
    r.error('seizedAt', 'is required (ISO 8601, e.g. 2026-03-14T09:30:00+05:00)');
    return { utcMs: 0, offsetMinutes: null, notes: [] };
  }
  const time: IsoTime | IsoTimeRefused = typeof value === 'string' ? readIsoTime(value) : { error: true };
  if ('error' in time) {
    r.error(
      'seizedAt',
      time.rule ?? 'must be an ISO 8601 date or date-time, e.g. 2026-03-14T09:30:00+05:00',
      value,
    );
    return { utcMs: 0, offsetMinutes: null, notes: [] };
  }
  // To the second: a fraction given is not kept (offsets are whole minutes: the second is the one given).
  const utcMs = Math.floor(time.ms / 1000) * 1000;
  const { offsetMinutes } = time;
  // A date alone, in no zone: in the future only once no time zone has reached it yet (else a node east of UTC could
  // not report today's seizure by its date until UTC midnight). With an offset, the date is that zone's.
  const dateOnly = !time.hasTime && offsetMinutes === null;
  if (dateOnly && utcMs > now + DATE_ONLY_AHEAD_MS)
    r.error('seizedAt', 'must not be in the future: no time zone has reached that date yet', value);
  else if (!dateOnly && utcMs > now + SEIZED_AT_SKEW_MS)
    r.error(
      'seizedAt',
      `must not be in the future${readAsUtcNote(time, '2026-03-14T09:30:00+05:00')}`,
      value,
    );
  if (utcMs < Date.UTC(1970, 0, 1)) r.error('seizedAt', 'must be after 1970', value);
  const iso = new Date(utcMs).toISOString();
  const notes = typeof value === 'string' && value !== iso ? [`seizedAt ${value} → ${iso}`] : [];
  return { utcMs, offsetMinutes, notes };
}
