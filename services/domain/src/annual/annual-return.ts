// A country's annual seizure totals (World Drug Report annex shape) from JSON → a validated AnnualSeizureReturn.
import { createHash } from 'node:crypto';
import { ValidationError } from '@hub/errors';
import { TEXT_MAX } from '@hub/schemas';
import { FieldReader } from '../report/fields';
import { normaliseCountryCode, readHandling, type HandlingRecord } from '../report/terms';
import type { Normalised } from '../report/seizure-report';
import { annualDrugKey, groupOfSubstance, isTotalRowName, loadDrugGroups } from './drug-groups';

export interface AnnualRowRecord {
  drugGroup: string;
  drugName: string;
  substance: string | null;
  kilograms: number;
  isTotal: boolean;
}

export interface AnnualReturnRecord {
  returnId: string;
  version: number;
  country: string;
  year: number;
  reportedAt: number;
  rows: AnnualRowRecord[];
  source: string | null;
  handling: Omit<HandlingRecord, 'evaluation'>;
  /** The agency system the national node authenticated (its token's client name); null when it asks for none. */
  submittedBy: string | null;
}

export interface AnnualContext {
  nodeCountry: string;
  now: number;
  versionOf: (returnId: string) => number;
  regions: ReadonlySet<string>;
  /** The agency system that sent it, as the node authenticated it. */
  client?: string;
}

/** One return per country and year: its id is derived from both, so a resubmission is its next version. */
export function annualReturnId(country: string, year: number): string {
  const h = createHash('sha256').update(`annual-return|${country}|${year}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

export const MAX_ANNUAL_ROWS = 2000;

export function annualReturnFromJson(input: unknown, ctx: AnnualContext): Normalised<AnnualReturnRecord> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ValidationError([{ field: '(body)', message: 'must be a JSON object (one annual return)' }]);
  const obj = input as Record<string, unknown>;
  const r = new FieldReader();
  const groups = loadDrugGroups();
  const thisYear = new Date(ctx.now).getUTCFullYear();
  const year = r.number(obj, 'year', 'year', { required: true, min: 1950, max: thisYear });
  if (year !== null && !Number.isInteger(year)) r.error('year', 'must be a whole year like 2023', year);
  const countryIn = r.string(obj, 'country', 'country', { max: 100 });
  const country = countryIn ? normaliseCountryCode(r, countryIn, 'country') : ctx.nodeCountry;
  if (country && country !== ctx.nodeCountry)
    r.error(
      'country',
      `this node reports for ${ctx.nodeCountry}; send ${country}'s return through ${country}'s node`,
      countryIn,
    );
  // A drug not reported is left out, never sent as 0: missing means "not reported".
  const rowsIn = r.array(obj, 'rows', 'rows', { required: true, max: MAX_ANNUAL_ROWS });
  const rows: AnnualRowRecord[] = rowsIn.map((row, i) => {
    const path = `rows[${i}]`;
    const drugName =
      r.string(row, 'drugName', `${path}.drugName`, {
        required: true,
        max: TEXT_MAX.AnnualSeizureReturn['rows[].drugName'],
      }) ?? '';
    const groupIn = r.string(row, 'drugGroup', `${path}.drugGroup`, {
      max: TEXT_MAX.AnnualSeizureReturn['rows[].drugGroup'],
    });
    let group = groupIn ? groups.resolve(groupIn) : undefined;
    if (groupIn && !group) {
      const suggestions = groups.suggest(groupIn, 3, r.suggestions);
      r.error(
        `${path}.drugGroup`,
        `unknown drug group; use a World Drug Report group or its code (${suggestions.join(', ') || 'see schemas/vocab/drug-groups.json'})`,
        groupIn,
      );
    }
    const { substance } = drugName ? annualDrugKey(drugName, group ?? null) : { substance: null };
    if (!group && !groupIn && substance) group = groupOfSubstance(substance) ?? undefined;
    if (!group && !groupIn && drugName)
      r.error(
        `${path}.drugGroup`,
        `is required: '${drugName}' is not in the taxonomy, so its group is not known`,
      );
    const kilograms = r.number(row, 'kilograms', `${path}.kilograms`, { required: true, min: 0, max: 1e10 });
    return {
      drugGroup: group ? (groups.get(group)?.wdrName ?? group) : '',
      drugName,
      substance,
      kilograms: kilograms ?? 0,
      isTotal: isTotalRowName(drugName),
    };
  });
  const handling = readHandling(r, obj, ctx.regions);
  const source = r.string(obj, 'source', 'source', { max: TEXT_MAX.AnnualSeizureReturn.source });
  if (r.errors.length > 0) throw new ValidationError(r.errors, 'the annual return is not valid');
  const returnId = annualReturnId(country as string, year as number);
  const notes = [...r.notes];
  const mapped = rows.filter((x) => x.substance).length;
  if (mapped < rows.length)
    notes.push(
      `${rows.length - mapped} of ${rows.length} rows name drugs outside the taxonomy; kept by their annex names`,
    );
  return {
    value: {
      returnId,
      version: ctx.versionOf(returnId),
      country: country as string,
      year: year as number,
      reportedAt: ctx.now,
      rows,
      source,
      handling: { tlp: handling.tlp, releasableTo: handling.releasableTo },
      submittedBy: ctx.client ?? null,
    },
    normalisations: notes,
  };
}
