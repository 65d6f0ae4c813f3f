// The national node's JSON seizure report (CONTRACT.md's minimal report and more) → a validated SeizureReport.
import { randomUUID } from 'node:crypto';
import { ValidationError } from '@hub/errors';
import { FieldReader } from './fields';
import { parseSeizedAt } from './dates';
import {
  loadVocabularies,
  normaliseIdentifier,
  normaliseLink,
  toKg,
  unitHasMass,
  type SuggestionBudget,
} from '../vocab/index';
import { normaliseCountryCode, readHandling, resolveTermField } from './terms';
import { TEXT_MAX, UUID } from '@hub/schemas';

export interface SeizureReportRecord {
  reportId: string;
  version: number;
  supersedesVersion: number | null;
  reportedAt: number;
  seizedAt: number;
  seizedAtOffsetMinutes: number | null;
  country: string;
  place: {
    name: string | null;
    lat: number | null;
    lon: number | null;
    locationType: string | null;
    city: string | null;
    adminRegion: string | null;
    borderCrossingPoint: string | null;
    direction: 'import' | 'export' | 'transit' | 'domestic' | 'unknown';
  };
  agency: string;
  agencyName: string | null;
  caseReference: string | null;
  drugs: {
    substance: string;
    substanceReported: string | null;
    form: string | null;
    quantity: number;
    unit: string;
    quantityKg: number | null;
    purityPct: number | null;
    packageCount: number | null;
  }[];
  conveyance: { mode: string; vehicle: string | null; identifiers: { kind: string; value: string }[] } | null;
  concealment: string | null;
  detection: string | null;
  route: {
    country: string;
    role: 'origin' | 'departure' | 'transit' | 'destination' | 'seizure' | 'unknown';
    place: string | null;
  }[];
  arrested: { nationality: string; count: number }[];
  links: { kind: string; ref: string }[];
  handling: {
    tlp: 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER_STRICT' | 'RED';
    releasableTo: string[];
    evaluation: string | null;
  };
  notes: string | null;
  source: string | null;
  reportingChannel: string | null;
  /** The agency system the national node authenticated (its token's client name); null when it asks for none. */
  submittedBy: string | null;
}

export interface Normalised<T> {
  value: T;
  /** What was changed on the way in, for the receipt. */
  normalisations: string[];
}

const ROLES = new Set(['origin', 'departure', 'transit', 'destination', 'seizure', 'unknown']);
const DIRECTIONS = new Set(['import', 'export', 'transit', 'domestic', 'unknown']);

export interface ReportContext {
  /** The node's own country: a node reports seizures it made. */
  nodeCountry: string;
  now: number;
  /** Version to assign (the node knows the latest version of each of its reports). */
  versionOf: (reportId: string) => number;
  /**
   * The id under which the node holds a record whose id is this one but for letter case (ids were kept as given
   * until 2026-12-07, and the hub holds those so), so that its next version names the same record. Default: the id
   * in lower case, as every id is taken now.
   */
  idOf?: (id: string) => string;
  /** Region ids that releasableTo may name. */
  regions: ReadonlySet<string>;
  /** How the report arrived: api, csv, inbox. */
  channel?: string;
  /** The agency system that sent it, as the node authenticated it (HUB_NODE_TOKEN_FILE's client name). */
  client?: string;
  /** What the request may spend on suggestions for unknown terms, shared by its reports (default: one per report). */
  suggestions?: SuggestionBudget;
}

/**
 * The most of each list a report may hold: what a node takes from its agencies, and what the coordinator takes from
 * a node (a node writing straight to its topic could send more). Text fields: TEXT_MAX.
 */
export const SEIZURE_REPORT_MAX = {
  drugs: 50,
  identifiers: 20,
  route: 30,
  arrested: 50,
  links: 50,
} as const;

/**
 * The most one drug line of a seizure may weigh: more than any single seizure on record, so more is a unit mistake.
 * A node refuses it from its agencies, and the coordinator from a node.
 */
export const QUANTITY_LIMIT_KG = 500_000;

/**
 * The most one drug line may count in a unit without a mass (plants), which QUANTITY_LIMIT_KG cannot bound: a hundred
 * million plants is more than the largest eradication in a single operation on record, so more is a typing mistake.
 */
export const QUANTITY_LIMIT_COUNT = 100_000_000;

/**
 * The least one drug line may weigh: a microgram, the precision to which the hub keeps and sums kilograms (roundKg).
 * Less would be kept as 0 kg, a seizure of nothing; no seizure is weighed finer than a milligram.
 */
export const QUANTITY_MIN_KG = 1e-9;

const T = TEXT_MAX.SeizureReport;

/** Why an identifier or a link of no letter or digit is refused: it would match every other placeholder. */
const NAMES_NOTHING =
  'must contain a letter or a digit (a placeholder such as "-" names nothing; leave an unknown identifier out)';

/** Validate and normalise; throws ValidationError listing every field problem. */
export function seizureReportFromJson(input: unknown, ctx: ReportContext): Normalised<SeizureReportRecord> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ValidationError([{ field: '(body)', message: 'must be a JSON object (one seizure report)' }]);
  }
  const obj = input as Record<string, unknown>;
  const r = new FieldReader(ctx.suggestions);
  const v = loadVocabularies();
  let reportId = r.string(obj, 'reportId', 'reportId');
  if (reportId && !UUID.test(reportId)) {
    r.error('reportId', 'must be a UUID (or left out, to have one generated)', reportId);
    reportId = null;
  }
  // One report whatever the case of its id: ids are taken in lower case (RFC 4122 output), but one held in another
  // spelling (sent before 2026-12-07) keeps it.
  const heldAs = reportId ? (ctx.idOf?.(reportId) ?? reportId.toLowerCase()) : null;
  if (reportId && heldAs !== reportId) {
    r.notes.push(`reportId '${reportId}' → ${heldAs}`);
    reportId = heldAs;
  }
  if (!reportId) reportId = randomUUID();
  const country = normaliseCountryCode(r, r.string(obj, 'country', 'country', { required: true }), 'country');
  if (country && country !== ctx.nodeCountry)
    r.error('country', `a ${ctx.nodeCountry} node reports seizures made in ${ctx.nodeCountry}`, country);
  const seized = parseSeizedAt(r, obj.seizedAt, ctx.now);
  const placeIn = r.object(obj, 'place', 'place') ?? {};
  const lat = r.number(placeIn, 'lat', 'place.lat', { min: -90, max: 90 });
  const lon = r.number(placeIn, 'lon', 'place.lon', { min: -180, max: 180 });
  // Whether each was given, not whether it was read: a latitude out of range is its own error, not a lone longitude.
  const given = (x: unknown) => x !== undefined && x !== null && x !== '';
  if (given(placeIn.lat) !== given(placeIn.lon)) r.error('place', 'lat and lon go together');
  const direction = r.string(placeIn, 'direction', 'place.direction') ?? 'unknown';
  if (!DIRECTIONS.has(direction))
    r.error('place.direction', `must be one of ${[...DIRECTIONS].join(', ')}`, direction);
  const drugs = r
    .array(obj, 'drugs', 'drugs', { required: true, max: SEIZURE_REPORT_MAX.drugs })
    .map((d, i) => {
      const p = `drugs[${i}]`;
      const reported = r.string(d, 'substance', `${p}.substance`, {
        required: true,
        max: T['drugs[].substance'],
      });
      const substance = resolveTermField(r, v.substances, reported, `${p}.substance`) ?? '';
      const quantity = r.number(d, 'quantity', `${p}.quantity`, { required: true, positive: true }) ?? 0;
      const unit =
        resolveTermField(
          r,
          v.units,
          r.string(d, 'unit', `${p}.unit`, { required: true, max: T['drugs[].unit'] }),
          `${p}.unit`,
        ) ?? '';
      const quantityKg = unit && substance ? toKg(v, quantity, unit, substance) : null;
      if (quantityKg !== null && !(quantityKg <= QUANTITY_LIMIT_KG))
        r.error(
          `${p}.quantity`,
          `must come to at most ${QUANTITY_LIMIT_KG} kg, more than any single seizure on record (${quantity} ${unit} is ${Number.isFinite(quantityKg) ? `${quantityKg} kg` : 'more kilograms than a number holds'}); check the unit`,
          quantity,
        );
      else if (quantityKg === 0 && quantity > 0)
        r.error(
          `${p}.quantity`,
          `must come to at least 1 µg (${QUANTITY_MIN_KG.toFixed(9)} kg), the least the hub keeps (${quantity} ${unit} would be kept as 0 kg); check the quantity and unit`,
          quantity,
        );
      else if (quantityKg !== null && unit !== 'kg')
        r.notes.push(`${p}: ${quantity} ${unit} → ${quantityKg} kg`);
      if (unit && !unitHasMass(v, unit) && quantity > QUANTITY_LIMIT_COUNT)
        r.error(
          `${p}.quantity`,
          `must be at most ${QUANTITY_LIMIT_COUNT} ${unit}, more than any single seizure on record (got ${quantity}); check the quantity and unit`,
          quantity,
        );
      return {
        substance,
        substanceReported: reported !== substance ? reported : null,
        form: resolveTermField(
          r,
          v.drugForms,
          r.string(d, 'form', `${p}.form`, { max: T['drugs[].form'] }),
          `${p}.form`,
        ),
        quantity,
        unit,
        quantityKg,
        purityPct: r.number(d, 'purityPct', `${p}.purityPct`, { min: 0, max: 100 }),
        packageCount: r.number(d, 'packageCount', `${p}.packageCount`, {
          min: 0,
          max: 10_000_000,
          integer: true,
        }),
      };
    });
  const conv = r.object(obj, 'conveyance', 'conveyance');
  const conveyance = conv
    ? {
        mode:
          resolveTermField(
            r,
            v.transportModes,
            r.string(conv, 'mode', 'conveyance.mode', { required: true, max: T['conveyance.mode'] }),
            'conveyance.mode',
          ) ?? '',
        vehicle: r.string(conv, 'vehicle', 'conveyance.vehicle', { max: T['conveyance.vehicle'] }),
        identifiers: r
          .array(conv, 'identifiers', 'conveyance.identifiers', { max: SEIZURE_REPORT_MAX.identifiers })
          .map((id, i) => {
            const kind =
              resolveTermField(
                r,
                v.identifierKinds,
                r.string(id, 'kind', `conveyance.identifiers[${i}].kind`, {
                  required: true,
                  max: T['conveyance.identifiers[].kind'],
                }),
                `conveyance.identifiers[${i}].kind`,
              ) ?? '';
            const value =
              r.string(id, 'value', `conveyance.identifiers[${i}].value`, {
                required: true,
                max: T['conveyance.identifiers[].value'],
              }) ?? '';
            if (value && normaliseIdentifier(kind, value) === null)
              r.error(`conveyance.identifiers[${i}].value`, NAMES_NOTHING, value);
            return { kind, value };
          }),
      }
    : null;
  const route = r.array(obj, 'route', 'route', { max: SEIZURE_REPORT_MAX.route }).map((leg, i) => {
    const role = r.string(leg, 'role', `route[${i}].role`) ?? 'unknown';
    if (!ROLES.has(role)) r.error(`route[${i}].role`, `must be one of ${[...ROLES].join(', ')}`, role);
    return {
      country:
        normaliseCountryCode(
          r,
          r.string(leg, 'country', `route[${i}].country`, { required: true }),
          `route[${i}].country`,
        ) ?? '',
      role: (ROLES.has(role) ? role : 'unknown') as SeizureReportRecord['route'][number]['role'],
      place: r.string(leg, 'place', `route[${i}].place`, { max: T['route[].place'] }),
    };
  });
  const arrested = r.array(obj, 'arrested', 'arrested', { max: SEIZURE_REPORT_MAX.arrested }).map((a, i) => ({
    nationality:
      normaliseCountryCode(
        r,
        r.string(a, 'nationality', `arrested[${i}].nationality`, { required: true }),
        `arrested[${i}].nationality`,
      ) ?? '',
    count:
      r.number(a, 'count', `arrested[${i}].count`, { required: true, min: 1, max: 10000, integer: true }) ??
      0,
  }));
  const links = r.array(obj, 'links', 'links', { max: SEIZURE_REPORT_MAX.links }).map((l, i) => {
    const kind = r.string(l, 'kind', `links[${i}].kind`, { required: true, max: T['links[].kind'] }) ?? '';
    const ref = r.string(l, 'ref', `links[${i}].ref`, { required: true, max: T['links[].ref'] }) ?? '';
    if (ref && normaliseLink(kind, ref) === null) r.error(`links[${i}].ref`, NAMES_NOTHING, ref);
    return { kind, ref };
  });
  const handling = readHandling(r, obj, ctx.regions);
  const agencyIn = r.string(obj, 'agency', 'agency', { required: true, max: T.agency });
  // The agency is a type from the vocabulary; a name we do not know is kept as agencyName under 'other'.
  const agencyType = agencyIn ? v.agencyTypes.resolve(agencyIn) : undefined;
  const agency = agencyType ?? (agencyIn ? 'other' : '');
  if (agencyIn && !agencyType)
    r.notes.push(`agency '${agencyIn}' is not an agency type; kept as agencyName, type 'other'`);
  const value: SeizureReportRecord = {
    reportId,
    version: 0,
    supersedesVersion: null,
    reportedAt: ctx.now,
    seizedAt: seized.utcMs,
    seizedAtOffsetMinutes: seized.offsetMinutes,
    country: country ?? '',
    place: {
      name: r.string(placeIn, 'name', 'place.name', { max: T['place.name'] }),
      lat,
      lon,
      locationType: resolveTermField(
        r,
        v.locationTypes,
        r.string(placeIn, 'locationType', 'place.locationType', { max: T['place.locationType'] }),
        'place.locationType',
      ),
      city: r.string(placeIn, 'city', 'place.city', { max: T['place.city'] }),
      adminRegion: r.string(placeIn, 'adminRegion', 'place.adminRegion', { max: T['place.adminRegion'] }),
      borderCrossingPoint: r.string(placeIn, 'borderCrossingPoint', 'place.borderCrossingPoint', {
        max: T['place.borderCrossingPoint'],
      }),
      direction: direction as SeizureReportRecord['place']['direction'],
    },
    agency,
    agencyName:
      r.string(obj, 'agencyName', 'agencyName', { max: T.agencyName }) ??
      (agencyIn && !agencyType ? agencyIn : null),
    caseReference: r.string(obj, 'caseReference', 'caseReference', { max: T.caseReference }),
    drugs,
    conveyance,
    concealment: resolveTermField(
      r,
      v.concealment,
      r.string(obj, 'concealment', 'concealment', { max: T.concealment }),
      'concealment',
    ),
    detection: resolveTermField(
      r,
      v.detection,
      r.string(obj, 'detection', 'detection', { max: T.detection }),
      'detection',
    ),
    route,
    arrested,
    links,
    handling,
    notes: r.string(obj, 'notes', 'notes', { max: T.notes }),
    source: r.string(obj, 'source', 'source', { max: T.source }),
    reportingChannel: ctx.channel ?? 'api',
    submittedBy: ctx.client ?? null,
  };
  // Every field is read before deciding, so the sender gets all problems at once.
  if (r.errors.length > 0) throw new ValidationError(r.errors, 'the seizure report is not valid');
  value.version = ctx.versionOf(reportId);
  value.supersedesVersion = value.version > 1 ? value.version - 1 : null;
  return { value, normalisations: [...seized.notes, ...r.notes] };
}
