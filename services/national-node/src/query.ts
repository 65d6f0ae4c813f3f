// Reading a list route's query parameters at the node: unknown names and values outside their vocabulary are
// collected, each naming its parameter, and refused together (400) by `check()`.
import { ValidationError, type FieldError } from '@hub/errors';

export function queryReader(query: Record<string, unknown>, known: readonly string[]) {
  const errors: FieldError[] = [];
  const use = known.length > 1 ? `${known.slice(0, -1).join(', ')} or ${known[known.length - 1]}` : known[0];
  for (const name of Object.keys(query))
    if (!known.includes(name)) errors.push({ field: name, message: `unknown parameter; use ${use}` });
  /** The parameter's value when it is one string (a repeated parameter is not). */
  const text = (name: string) => (typeof query[name] === 'string' ? (query[name] as string) : undefined);
  return {
    text,
    /** Refuse a value the parameter does not take, saying what it does. */
    refuse(name: string, message: string) {
      errors.push({ field: name, message, value: text(name)?.slice(0, 60) });
    },
    /** One of `allowed`, or undefined when absent (refused when it is something else). */
    pick<T extends string>(name: string, allowed: readonly T[]): T | undefined {
      if (query[name] === undefined) return undefined;
      const v = text(name);
      if (v !== undefined && (allowed as readonly string[]).includes(v)) return v as T;
      this.refuse(name, `must be one of ${allowed.join(', ')}`);
      return undefined;
    },
    /**
     * `limit` (1 to `max`, `defaultLimit` when absent) and `cursor`, a position in a list that only grows (`length`
     * items now, read newest first): the page ends before `end`, so items added since do not shift the next page.
     */
    page(length: number, defaultLimit = 100, max = 500): { limit: number; end: number } {
      const limit = query.limit === undefined ? defaultLimit : Number(text('limit'));
      if (!Number.isInteger(limit) || limit < 1 || limit > max)
        this.refuse('limit', `must be a whole number from 1 to ${max}`);
      let end = length;
      if (query.cursor !== undefined) {
        const position = /^p([0-9]{1,12})$/.exec(Buffer.from(text('cursor') ?? '', 'base64url').toString());
        if (position && Number(position[1]) <= length) end = Number(position[1]);
        else
          this.refuse(
            'cursor',
            'is not a cursor this node gave: pass nextCursor from the previous page unchanged',
          );
      }
      return { limit, end };
    },
    /** Throws the refusals collected so far, if any. */
    check() {
      if (errors.length) throw new ValidationError(errors, 'query parameters are not valid');
    },
  };
}

/** The cursor of the page that ends before `position` (see `page`). */
export function positionCursor(position: number): string {
  return Buffer.from(`p${position}`).toString('base64url');
}

/**
 * Newest first, the items before `end` that `keep`, at most `limit` of them, and the cursor of the next page when
 * more are kept before the last one given.
 */
export function newestFirst<T>(
  items: readonly T[],
  { limit, end }: { limit: number; end: number },
  keep: (item: T) => boolean = () => true,
): { page: T[]; nextCursor?: string } {
  const page: T[] = [];
  for (let i = Math.min(end, items.length) - 1; i >= 0; i--) {
    if (!keep(items[i]!)) continue;
    if (page.length === limit) return { page, nextCursor: positionCursor(i + 1) };
    page.push(items[i]!);
  }
  return { page };
}
