// The one error hierarchy of the hub: every error has a stable code, says whether a retry can help,
// and keeps its cause. Consumers decide retry-or-quarantine from `retriable` alone.

export interface HubErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  /** Structured details a person or program can act on (field, value, rule, ...). Never payloads or keys. */
  details?: Record<string, unknown>;
}

export class HubError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly details: Record<string, unknown>;

  constructor(code: string, message: string, options: HubErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HubError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details ?? {};
  }
}

/** One problem with one field of an input, in the shape the HTTP APIs return: `{ field, message }`. */
export interface FieldError {
  field: string;
  message: string;
  /** The offending value, when it is short and safe to echo back. */
  value?: unknown;
  /** Valid values close to the offending one, for vocabulary fields. */
  suggestions?: string[];
}

/** Input that failed validation; carries every field error found, not just the first. */
export class ValidationError extends HubError {
  readonly errors: FieldError[];
  constructor(errors: FieldError[], message = 'input is not valid') {
    super('VALIDATION_FAILED', `${message}: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, {
      details: { errors },
    });
    this.name = 'ValidationError';
    this.errors = errors;
  }
}

export function isRetriable(err: unknown): boolean {
  return err instanceof HubError ? err.retriable : false;
}
