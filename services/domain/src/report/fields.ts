// Small field readers that collect every problem instead of stopping at the first one.
import { ValidationError, type FieldError } from '@hub/errors';
import { DEFAULT_TEXT_MAX } from '@hub/schemas';
import { SuggestionBudget } from '../vocab/text';

/** A number written in decimal notation, with an optional sign, fraction and exponent. */
export const DECIMAL_NUMBER = /^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i;

/**
 * Why a text is not well-formed Unicode, or null: JSON may escape half of a surrogate pair alone ("\ud800"), which
 * decodes to a string that is no text (String.prototype.isWellFormed is false), has no UTF-8 form, and would be signed
 * and stored as U+FFFD or refused by whoever reads it next. The first such place is named, counted from 1.
 * (`\p{Cs}` with the `u` flag matches a surrogate only when it is unpaired: isWellFormed's test, with its position.)
 */
export function unpairedSurrogateProblem(text: string): string | null {
  const at = text.search(/\p{Cs}/u);
  if (at < 0) return null;
  const code = text.charCodeAt(at).toString(16).padStart(4, '0');
  const character = [...text.slice(0, at)].length + 1;
  return `must be well-formed Unicode text: character ${character} is half of a UTF-16 surrogate pair (\\u${code}) without its other half; send the character itself in UTF-8, or both halves of its pair escaped (e.g. \\ud83d\\ude00)`;
}

/** What a JSON value is, for a message: null, a list, or its typeof. */
export function jsonKind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
}

export class FieldReader {
  readonly errors: FieldError[] = [];
  readonly notes: string[] = [];

  /**
   * `suggestions`: what the request may spend on "did you mean" for unknown terms; a request of many reports (a
   * batch, a CSV) hands each of their readers the same one.
   */
  constructor(readonly suggestions: SuggestionBudget = new SuggestionBudget()) {}

  error(field: string, message: string, value?: unknown): void {
    const short =
      typeof value === 'string'
        ? value.slice(0, 100)
        : typeof value === 'number' || typeof value === 'boolean'
          ? value
          : undefined;
    this.errors.push(short === undefined ? { field, message } : { field, message, value: short });
  }

  string(
    obj: Record<string, unknown>,
    key: string,
    path: string,
    opts: { required?: boolean; max?: number } = {},
  ): string | null {
    const v = obj[key];
    if (v === undefined || v === null || v === '') {
      if (opts.required) this.error(path, 'is required');
      return null;
    }
    if (typeof v !== 'string') {
      this.error(path, `must be a string, got ${typeof v}`, v);
      return null;
    }
    const max = opts.max ?? DEFAULT_TEXT_MAX;
    if (v.length > max) {
      this.error(path, `must be at most ${max} characters (got ${v.length})`);
      return null;
    }
    const broken = unpairedSurrogateProblem(v);
    if (broken) {
      this.error(path, broken, v.replace(/\p{Cs}/gu, '\uFFFD'));
      return null;
    }
    // Blank is missing: "  " must not pass for a required value (an identifier of spaces would match every other).
    const trimmed = v.trim();
    if (opts.required && trimmed === '') {
      this.error(path, 'is required', v);
      return null;
    }
    return trimmed;
  }

  number(
    obj: Record<string, unknown>,
    key: string,
    path: string,
    opts: { required?: boolean; min?: number; max?: number; positive?: boolean; integer?: boolean } = {},
  ): number | null {
    const v = obj[key];
    if (v === undefined || v === null || v === '') {
      if (opts.required) this.error(path, 'is required');
      return null;
    }
    // A number given as text is read only in decimal notation (Number() takes "0x10" for 16, "0b11" for 3).
    const n = typeof v === 'string' ? (DECIMAL_NUMBER.test(v.trim()) ? Number(v) : NaN) : v;
    // 1e400 is a number, but beyond what one holds: JSON.parse makes it Infinity, which JSON cannot echo back, so a
    // number given as such is named in words (its text is gone); one given as text is echoed.
    if (n === Infinity || n === -Infinity) {
      this.error(
        path,
        `is out of range: a number too large${typeof v === 'string' ? '' : ' (beyond ±1.8e308)'}`,
        typeof v === 'string' ? v : undefined,
      );
      return null;
    }
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      this.error(path, 'must be a finite number', v);
      return null;
    }
    if (opts.integer && !Number.isInteger(n)) this.error(path, 'must be a whole number', n);
    else if (opts.positive && n <= 0) this.error(path, 'must be greater than 0', n);
    else if (opts.min !== undefined && n < opts.min) this.error(path, `must be at least ${opts.min}`, n);
    else if (opts.max !== undefined && n > opts.max) this.error(path, `must be at most ${opts.max}`, n);
    else return n;
    return null;
  }

  object(
    obj: Record<string, unknown>,
    key: string,
    path: string,
    required = false,
  ): Record<string, unknown> | null {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (required) this.error(path, 'is required');
      return null;
    }
    if (typeof v !== 'object' || Array.isArray(v)) {
      this.error(path, `must be an object, got ${jsonKind(v)}`, v);
      return null;
    }
    return v as Record<string, unknown>;
  }

  array(
    obj: Record<string, unknown>,
    key: string,
    path: string,
    opts: { required?: boolean; max?: number } = {},
  ): Record<string, unknown>[] {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (opts.required) this.error(path, 'is required (a non-empty list)');
      return [];
    }
    if (!Array.isArray(v)) {
      this.error(path, `must be a list, got ${jsonKind(v)}`, v);
      return [];
    }
    if (opts.required && v.length === 0) this.error(path, 'must not be empty');
    if (v.length > (opts.max ?? 200)) {
      this.error(path, `must have at most ${opts.max ?? 200} entries`);
      return [];
    }
    return v.map((item, i) => {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        this.error(`${path}[${i}]`, `must be an object, got ${jsonKind(item)}`, item);
        return {};
      }
      return item as Record<string, unknown>;
    });
  }
}

/**
 * The `reason` of a request body that withdraws or keeps a record (a retraction, a renewal): required, trimmed, and
 * at most `max` characters (refused beyond, never cut: the reason is signed and kept with the record).
 */
export function readReason(body: unknown, max: number, why: string): string {
  const raw = (body as { reason?: unknown } | null | undefined)?.reason;
  // A reason of another type was given, not forgotten: say so, as the other fields do, rather than "is required".
  if (raw !== undefined && raw !== null && typeof raw !== 'string') {
    const value = typeof raw === 'number' || typeof raw === 'boolean' ? raw : undefined;
    throw new ValidationError([
      {
        field: 'reason',
        message: `must be a string, got ${jsonKind(raw)}`,
        ...(value !== undefined && { value }),
      },
    ]);
  }
  const reason = typeof raw === 'string' ? raw.trim() : '';
  if (!reason) throw new ValidationError([{ field: 'reason', message: `is required: ${why}` }]);
  const broken = unpairedSurrogateProblem(reason);
  if (broken) throw new ValidationError([{ field: 'reason', message: broken }]);
  if (reason.length > max)
    throw new ValidationError([
      { field: 'reason', message: `must be at most ${max} characters (got ${reason.length})` },
    ]);
  return reason;
}
