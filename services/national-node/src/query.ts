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
    /** Throws the refusals collected so far, if any. */
    check() {
      if (errors.length) throw new ValidationError(errors, 'query parameters are not valid');
    },
  };
}
