// How long each text field of the messages a national node writes may be, in characters. One table for the three
// places that say it: the node's readers refuse longer input (FieldReader), the OpenAPI descriptions state the
// same (the dashboard's ask form reads its limits there), and the coordination node refuses a message holding a
// longer one (from a node writing straight to its topic), so that no field of a stored record, a feed record or an
// analyst's screen grows to what the brokers take.

/** A text field the table does not list: codes, ids and vocabulary terms (FieldReader's default too). */
export const DEFAULT_TEXT_MAX = 500;

/** The most countries and regions a record may be releasable to (every country of the world, and then some). */
export const RELEASABLE_MAX = 300;
/** The longest entry of a releasable-to list as a national node takes it: a country's longest name fits twice. */
export const RELEASABLE_ENTRY_MAX = 100;

/** By message type, then by the field's path in the message, a list's items written `[]`. */
export const TEXT_MAX = {
  SeizureReport: {
    'place.name': 200,
    'place.locationType': 100,
    'place.city': 200,
    'place.adminRegion': 200,
    'place.borderCrossingPoint': 200,
    agency: 100,
    agencyName: 200,
    caseReference: 100,
    'drugs[].substance': 200,
    'drugs[].substanceReported': 200,
    'drugs[].form': 100,
    'drugs[].unit': 30,
    'conveyance.mode': 50,
    'conveyance.vehicle': 100,
    'conveyance.identifiers[].kind': 40,
    'conveyance.identifiers[].value': 100,
    concealment: 200,
    detection: 200,
    'route[].place': 200,
    'links[].kind': 40,
    'links[].ref': 200,
    'handling.evaluation': 2,
    notes: 4000,
    source: 200,
  },
  SeizureRetraction: { reason: 1000 },
  RetentionRenewal: { reason: 1000 },
  TraffickingRoute: {
    name: 200,
    'legs[].mode': 60,
    'legs[].via': 200,
    'handling.evaluation': 2,
    description: 4000,
  },
  AnnualSeizureReturn: { 'rows[].drugGroup': 200, 'rows[].drugName': 300, source: 200 },
  InformationRequest: { subjectKind: 20, subjectRef: 200, purpose: 500, question: 4000, urgency: 20 },
  InformationResponse: { status: 20, answer: 20000 },
} as const satisfies Record<string, Readonly<Record<string, number>>>;

/** A field found too long: its path, and what to fix (the shape of @hub/errors' FieldError). */
export interface TextOverLimit {
  field: string;
  message: string;
}

/** Errors named beyond this many are counted in one more entry. */
const MAX_NAMED = 20;

/**
 * Every text field of a decoded message longer than its type's table allows (the default for a field it does not
 * list), named by its path (`drugs[3].form`) with its limit and length; none for a type the table does not list.
 * `skip`: top-level fields checked otherwise (a subject id must be a UUID, submittedBy a client name).
 */
export function textOverLimits(
  messageType: string,
  value: Record<string, unknown>,
  skip: ReadonlySet<string> = new Set(),
): TextOverLimit[] {
  const limits = (TEXT_MAX as Record<string, Readonly<Record<string, number>>>)[messageType];
  if (!limits) return [];
  const errors: TextOverLimit[] = [];
  let more = 0;
  const walk = (v: unknown, path: string, key: string): void => {
    if (typeof v === 'string') {
      const max = limits[key] ?? DEFAULT_TEXT_MAX;
      if (v.length <= max) return;
      if (errors.length < MAX_NAMED)
        errors.push({ field: path, message: `must be at most ${max} characters (got ${v.length})` });
      else more += 1;
    } else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`, `${key}[]`));
    else if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v))
      for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`, `${key}.${k}`);
  };
  for (const [k, x] of Object.entries(value)) if (!skip.has(k)) walk(x, k, k);
  if (more > 0) errors.push({ field: '(text)', message: `and ${more} more fields over their limits` });
  return errors;
}
