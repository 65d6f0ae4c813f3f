// Builders for the OpenAPI 3.0 schemas of the hub's HTTP services (the national node, the query API), and the shape
// of every error they answer (HubError and ValidationError as JSON).
import { RELEASABLE_ENTRY_MAX, RELEASABLE_MAX, TEXT_MAX } from '@hub/schemas';

export type Schema = Record<string, unknown>;

const described = (s: Schema, description?: string): Schema => (description ? { ...s, description } : s);
export const str = (description?: string): Schema => described({ type: 'string' }, description);
export const int = (description?: string): Schema => described({ type: 'integer' }, description);
export const num = (description?: string): Schema => described({ type: 'number' }, description);
export const bool: Schema = { type: 'boolean' };
/** A number greater than `min` (OpenAPI 3.0 says so with a boolean exclusiveMinimum beside minimum). */
export const above = (min: number, description?: string): Schema =>
  described({ type: 'number', minimum: min, exclusiveMinimum: true }, description);
export const nullable = (s: Schema): Schema => ({ ...s, nullable: true });
export const dateTime = (description?: string): Schema => ({ ...str(description), format: 'date-time' });
export const uuid: Schema = { type: 'string', format: 'uuid' };
export const oneOf = (values: readonly string[], description?: string): Schema =>
  described({ type: 'string', enum: [...values] }, description);
export const country: Schema = { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' };
export const list = (items: Schema = { type: 'string' }, maxItems?: number): Schema => ({
  type: 'array',
  items,
  ...(maxItems === undefined ? {} : { maxItems }),
});
export const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
/** Every property in `properties` is always present (null where its schema allows); `optional` ones may be absent. */
export const object = (
  properties: Record<string, Schema>,
  optional: Record<string, Schema> = {},
  extra: Schema = {},
): Schema => ({
  type: 'object',
  required: Object.keys(properties),
  properties: { ...properties, ...optional },
  ...extra,
});
/** A JSON answer of this schema. */
export const jsonContent = (schema: Schema) => ({ 'application/json': { schema } });

/** Every error answer: a stable code and what to do; a ValidationError also lists each field's problem. */
export const ERROR_SCHEMA: Schema = object(
  {
    error: object({
      code: str(
        'stable (docs/errors.md), e.g. VALIDATION_FAILED, TOKEN_MISSING, NOT_FOUND, TOO_MANY_REQUESTS',
      ),
      message: str('what went wrong and what to do about it'),
    }),
  },
  {
    errors: list(
      object(
        { field: str('the field, as a path: drugs[0].quantity'), message: str('the rule it breaks') },
        { value: { description: 'the value sent, when short' }, suggestions: list(str(), 10) },
      ),
    ),
  },
);

/** GET /healthz of every service: 200 when every check passes, 503 (degraded) otherwise. */
export const HEALTH_SCHEMA: Schema = object({
  status: oneOf(['ok', 'degraded']),
  checks: { type: 'object', additionalProperties: object({ ok: bool }, { detail: {} }) },
});

/** A string of at most `max` characters (the node's limit; an empty string counts as absent). */
export const text = (max: number, description?: string): Schema => ({ ...str(description), maxLength: max });
export const countryIn: Schema = {
  ...text(100),
  description: 'ISO 3166-1 alpha-2 (alpha-3 and English names are normalised to it)',
};
export const optionalObject = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  ...(required.length ? { required } : {}),
  properties,
});

/** A request's handling as a sender gives it. */
export const HandlingIn = optionalObject(
  {
    tlp: { ...text(20), description: 'TLP 2.0: CLEAR, GREEN, AMBER, AMBER+STRICT or RED' },
    releasableTo: list(
      { ...text(RELEASABLE_ENTRY_MAX), description: 'a country code or a region id (central-asia)' },
      RELEASABLE_MAX,
    ),
    evaluation: {
      ...str(),
      pattern: '^[A-EXa-ex][1-4]$',
      description: '4x4: source A-E or X, information 1-4',
    },
  },
  ['tlp'],
);

/** An information request as a national node (from an agency) or the query API (from a coordinator) takes it. */
export const INFORMATION_REQUEST_IN: Schema = optionalObject(
  {
    requestId: { ...uuid, description: 'left out: generated' },
    to: { ...countryIn, description: 'the country asked (addressee is taken too)' },
    subjectKind: oneOf(['report', 'identifier', 'route', 'other'], 'default other'),
    subjectRef: text(
      TEXT_MAX.InformationRequest.subjectRef,
      'required unless subjectKind is other: a report id, an identifier, a route',
    ),
    purpose: text(TEXT_MAX.InformationRequest.purpose),
    question: text(TEXT_MAX.InformationRequest.question),
    urgency: oneOf(['routine', 'urgent', 'immediate'], 'default routine; sets the default due time'),
    dueAt: text(40, 'ISO 8601 date-time; default by urgency'),
    handling: HandlingIn,
  },
  ['to', 'purpose', 'question', 'handling'],
);

/**
 * `value` (a document, or a schema of one) with its OpenAPI 3.0 schemas as JSON Schema draft 7 reads them, for a
 * validator such as Ajv: 3.0's boolean exclusiveMinimum and exclusiveMaximum, which make minimum and maximum exclusive,
 * become the bound itself (true) or go (false). Everything else is left as it is.
 */
export function asJsonSchema<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => asJsonSchema(v)) as T;
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = asJsonSchema(v);
  for (const [exclusive, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[exclusive] !== 'boolean') continue;
    if (out[exclusive] && typeof out[bound] === 'number') {
      out[exclusive] = out[bound];
      delete out[bound];
    } else delete out[exclusive];
  }
  return out as T;
}
