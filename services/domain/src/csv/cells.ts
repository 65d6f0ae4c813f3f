// Reading single cells the way agencies write them: numbers with either decimal mark, day-first dates, lists.
import { DECIMAL_NUMBER } from '../report/fields';
import type { CsvSeparator } from './parse';

/**
 * A number as agencies write it: "1 250,5", "1,250.5", "12,5" (decimal comma in ';' files), "0.45". Outside a ';'
 * file a lone comma before three digits is a thousands separator ("1,250"), unless the digits before it are "0":
 * "0,500" is half, never 500 (no one writes a thousands group after a leading zero).
 */
export function parseNumber(raw: string, separator: CsvSeparator = ','): number | string {
  let s = raw.replace(/[\s\u00a0\u202f']/g, '');
  const comma = s.lastIndexOf(',');
  const dot = s.lastIndexOf('.');
  if (comma >= 0 && dot >= 0) s = comma > dot ? s.replace(/\./g, '').replace(',', '.') : s.replace(/,/g, '');
  else if (comma >= 0)
    s =
      separator !== ';' && /^[-+]?[1-9]\d{0,2}(,\d{3})+$/.test(s) ? s.replace(/,/g, '') : s.replace(',', '.');
  // Decimal notation only: Number() takes "0x10" for 16.
  const n = DECIMAL_NUMBER.test(s) ? Number(s) : NaN;
  return Number.isFinite(n) ? n : raw;
}

/** "14.03.2026", "14/03/2026", "2026/03/14" → "2026-03-14"; ISO text unchanged; a separate time appended. */
export function isoSeizureDate(date: string, time: string | null): string {
  let d = date.trim();
  const dmy = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4})(.*)$/.exec(d);
  const ymd = /^(\d{4})[/.](\d{1,2})[/.](\d{1,2})(.*)$/.exec(d);
  if (dmy) d = `${dmy[3]}-${dmy[2]?.padStart(2, '0')}-${dmy[1]?.padStart(2, '0')}${dmy[4]}`;
  else if (ymd) d = `${ymd[1]}-${ymd[2]?.padStart(2, '0')}-${ymd[3]?.padStart(2, '0')}${ymd[4]}`;
  if (time && /^\d{4}-\d{2}-\d{2}$/.test(d)) {
    const t = time.trim().replace(/^\d:/, '0$&');
    return `${d}T${/^\d{2}:\d{2}$/.test(t) ? `${t}:00` : t}`;
  }
  return d;
}

/** The non-empty, trimmed items of a list cell. */
export const splitList = (v: string, split: RegExp) =>
  v
    .split(split)
    .map((s) => s.trim())
    .filter(Boolean);
