// IDS-shaped CSV rows → the JSON seizure reports that seizureReportFromJson reads. One row is one drug line;
// rows sharing a seizure reference are one report, with an id derived from (node country, reference) so that
// importing the same file again gives the same ids: the node answers unchanged reports as duplicates and sends
// changed ones as new versions.
import { createHash } from 'node:crypto';
import { TEXT_MAX } from '@hub/schemas';
import { resolveCountry } from '../vocab/countries';
import {
  COLUMNS,
  columnTitle,
  isAbsent,
  readIdsHeader,
  type ColumnKey,
  type CsvDefaults,
  type CsvError,
  type IdsHeader,
} from './columns';
import { isoSeizureDate, parseNumber, splitList } from './cells';
import { offsetRule, timeOfDayProblem, utcOffsetMinutes } from '../report/dates';
import type { CsvRow, CsvSeparator, ParsedCsv } from './parse';

/** What separates the countries and regions of a Releasable To cell (or of the CSV routes' releasableTo default). */
export const RELEASABLE_TO_SEPARATORS = /[\s,;|]+/;

/** Where a field of the JSON report came from, to point an error at the right cell. */
export interface CellSource {
  line: number;
  column: string;
  value: string;
  /**
   * How the cell is written, for a cell split into several fields (`Arrested` into nationality and count): an error of
   * one of those fields names it and adds this, so that "is required" says what the cell lacks.
   */
  form?: string;
}

/** How the cells split into several fields are written (docs/templates/README.md). */
export const CELL_FORMS = {
  arrested: 'write arrests as nationality:count pairs separated by ;, e.g. TJ:2; KZ:1',
  identifiers:
    'write identifiers as kind:value pairs separated by ;, e.g. flight:KC921; container:CSQU3054383',
} as const;

export interface IdsReport {
  reference: string | null;
  reportId: string;
  /** The line on which each of the report's rows starts, in file order. */
  lines: number[];
  body: Record<string, unknown>;
  /** JSON field path (as ValidationError names it, e.g. `drugs[1].quantity`) → CSV cell. */
  sources: Map<string, CellSource>;
  /** Problems found while mapping (conflicting values, unreadable cells, CSV syntax). */
  errors: CsvError[];
}

export interface IdsMappingOptions {
  nodeCountry: string;
  defaults?: CsvDefaults;
}

/** The hub's namespace for report ids derived from CSV references (a fixed, random UUID). */
const ID_NAMESPACE = Buffer.from('3c0f6a8e5d2b4f1c9a7e1b2d4c6f8a0e', 'hex');

/** A name-based (version 5, SHA-1) UUID for `name` in the hub's CSV namespace. */
export function uuidV5(name: string, namespace: Buffer = ID_NAMESPACE): string {
  const h = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** The stable report id of a seizure reference sent by a node. */
export function csvReportId(nodeCountry: string, reference: string): string {
  return uuidV5(`${nodeCountry.toUpperCase()}\nref\n${reference.trim()}`);
}

/** A trimmed cell, or null when empty or "Data not available". */
export function idsCell(header: IdsHeader, row: CsvRow, key: ColumnKey): string | null {
  const i = header.index[key];
  if (i === undefined) return null;
  const v = (row.fields[i] ?? '').trim();
  return isAbsent(v, key) ? null : v;
}

export interface RowGroup {
  reference: string | null;
  rows: CsvRow[];
}

/** Rows sharing a reference form one group (in order of first appearance); rows without one are alone. */
export function groupRows(header: IdsHeader, rows: readonly CsvRow[]): RowGroup[] {
  const groups: RowGroup[] = [];
  const byRef = new Map<string, RowGroup>();
  for (const row of rows) {
    if (row.fields.every((f) => f.trim() === '')) continue;
    const reference = idsCell(header, row, 'reference');
    if (reference === null) {
      groups.push({ reference, rows: [row] });
      continue;
    }
    const group = byRef.get(reference);
    if (group) group.rows.push(row);
    else {
      const g = { reference, rows: [row] };
      byRef.set(reference, g);
      groups.push(g);
    }
  }
  return groups;
}

/** Map every group of rows to a JSON report, keeping where each field came from. */
export function idsReports(
  parsed: ParsedCsv,
  options: IdsMappingOptions,
): { header: IdsHeader; reports: IdsReport[] } {
  const header = readIdsHeader(parsed.header, options.defaults);
  if (header.errors.length && header.keys.length === 0) return { header, reports: [] };
  const seen = new Map<string, number>();
  const reports = groupRows(header, parsed.rows).map((g) => {
    let reportId: string;
    if (g.reference !== null) reportId = csvReportId(options.nodeCountry, g.reference);
    else {
      // No reference: the row's content names it; identical rows in one file stay distinct reports.
      const content = rowContent(header, g.rows[0] as CsvRow);
      const n = (seen.get(content) ?? 0) + 1;
      seen.set(content, n);
      reportId = uuidV5(`${options.nodeCountry.toUpperCase()}\nrow\n${content}\n${n}`);
    }
    return mapGroup(header, g, reportId, options, parsed.separator);
  });
  return { header, reports };
}

/**
 * What names a row without a seizure reference: its non-empty cells by column. Identical rows share it, and are told
 * apart by their rank among the identical rows of the file (so they must be sent in one request: see planCsvImport).
 */
export function rowContent(header: IdsHeader, row: CsvRow): string {
  return header.keys
    .map((k, i) => [k ?? `?${i}`, (row.fields[i] ?? '').trim()] as const)
    .filter(([, v]) => v !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
}

function mapGroup(
  header: IdsHeader,
  group: RowGroup,
  reportId: string,
  options: IdsMappingOptions,
  separator: CsvSeparator,
): IdsReport {
  const first = group.rows[0] as CsvRow;
  const report: IdsReport = {
    reference: group.reference,
    reportId,
    lines: group.rows.map((r) => r.line),
    body: { reportId },
    sources: new Map(),
    errors: [],
  };
  const fail = (line: number, key: ColumnKey | '', value: string, message: string) =>
    report.errors.push({ line, column: key ? columnTitle(header, key) : '', value, message });
  for (const row of group.rows) {
    if (row.error) fail(row.line, '', '', row.error);
    if (row.fields.length > header.keys.length)
      fail(
        row.line,
        '',
        '',
        `has ${row.fields.length} fields but the header has ${header.keys.length}; quote a value that holds the separator '${separator}'`,
      );
  }

  // Report-level columns: the first row that gives a value decides; a different value later is an error.
  const value = (key: ColumnKey): { v: string; line: number } | null => {
    let found: { v: string; line: number } | null = null;
    for (const row of group.rows) {
      const v = idsCell(header, row, key);
      if (v === null) continue;
      if (!found) found = { v, line: row.line };
      else if (norm(v) !== norm(found.v))
        fail(
          row.line,
          key,
          v,
          `differs from line ${found.line} ('${found.v}') of the same seizure reference; one seizure has one ${COLUMNS[key].title}`,
        );
    }
    return found;
  };
  // `line`: where an absent cell is (a drug line's cells are its own row's; a seizure's, its first row's).
  const src = (
    path: string,
    key: ColumnKey,
    at: { v: string; line: number } | null,
    line = first.line,
    form?: string,
  ) =>
    report.sources.set(path, {
      line: at?.line ?? line,
      column: columnTitle(header, key),
      value: at?.v ?? '',
      ...(form !== undefined && { form }),
    });
  const text = (path: string, key: ColumnKey, at = value(key), line = first.line) => {
    src(path, key, at, line);
    return at?.v;
  };
  const num = (path: string, key: ColumnKey, at = value(key), line = first.line) => {
    src(path, key, at, line);
    return at ? parseNumber(at.v, separator) : undefined;
  };
  const body = report.body;
  const put = (obj: Record<string, unknown>, k: string, v: unknown) => {
    if (v !== undefined) obj[k] = v;
  };

  if (group.reference !== null) {
    src('caseReference', 'reference', { v: group.reference, line: first.line });
    body.caseReference = group.reference;
  }
  src('reportId', 'reference', null);
  // A filled retraction reason withdraws the report this reference made before: nothing else is read.
  const retraction = value('retraction');
  if (retraction) {
    src('retraction', 'retraction', retraction);
    body.retraction = retraction.v;
    if (group.reference === null)
      fail(
        retraction.line,
        'retraction',
        retraction.v,
        `needs the ${COLUMNS.reference.title} of the report to withdraw`,
      );
    const max = TEXT_MAX.SeizureRetraction.reason;
    if (retraction.v.length > max)
      fail(
        retraction.line,
        'retraction',
        retraction.v.slice(0, 100),
        `must be at most ${max} characters (got ${retraction.v.length})`,
      );
    return report;
  }
  const date = value('date');
  let time = value('time');
  // A time cell is checked on its own, so that a bad time is not blamed on the date it would be joined to.
  const timeProblem = time ? seizureTimeProblem(time.v) : null;
  if (time && timeProblem) {
    fail(time.line, 'time', time.v, timeProblem);
    time = null;
  }
  src('seizedAt', 'date', date ?? time);
  if (date) body.seizedAt = isoSeizureDate(date.v, time?.v ?? null);
  body.country = mapCountry(header, value('iso3'), value('countryName'), options.nodeCountry, report);

  const place: Record<string, unknown> = {};
  put(place, 'name', text('place.name', 'placeName'));
  put(place, 'city', text('place.city', 'city'));
  put(place, 'adminRegion', text('place.adminRegion', 'adminRegion'));
  put(place, 'locationType', text('place.locationType', 'locationType'));
  put(place, 'lat', num('place.lat', 'lat'));
  put(place, 'lon', num('place.lon', 'lon'));
  report.sources.set('place', report.sources.get('place.lat') as CellSource);
  put(place, 'borderCrossingPoint', text('place.borderCrossingPoint', 'borderCrossing'));
  put(place, 'direction', text('place.direction', 'direction')?.toLowerCase());
  if (Object.keys(place).length) body.place = place;

  const agency = value('agency');
  if (agency) body.agency = text('agency', 'agency', agency);
  else if (options.defaults?.agency) body.agency = options.defaults.agency;
  else src('agency', 'agency', null);
  put(body, 'agencyName', text('agencyName', 'agencyName'));

  body.drugs = group.rows.map((row, i) => {
    const at = (key: ColumnKey) => {
      const v = idsCell(header, row, key);
      return v === null ? null : { v, line: row.line };
    };
    const p = `drugs[${i}]`;
    const drug: Record<string, unknown> = {};
    put(drug, 'substance', text(`${p}.substance`, 'substance', at('substance'), row.line));
    put(drug, 'quantity', num(`${p}.quantity`, 'quantity', at('quantity'), row.line));
    put(drug, 'unit', text(`${p}.unit`, 'unit', at('unit'), row.line));
    put(drug, 'form', text(`${p}.form`, 'form', at('form'), row.line));
    put(drug, 'purityPct', num(`${p}.purityPct`, 'purity', at('purity'), row.line));
    put(drug, 'packageCount', num(`${p}.packageCount`, 'packages', at('packages'), row.line));
    report.sources.set(p, { line: row.line, column: columnTitle(header, 'substance'), value: '' });
    return drug;
  });
  report.sources.set('drugs', {
    line: first.line,
    column: columnTitle(header, 'substance'),
    value: '',
  });

  const conveyance: Record<string, unknown> = {};
  put(conveyance, 'mode', text('conveyance.mode', 'mode'));
  put(conveyance, 'vehicle', text('conveyance.vehicle', 'vehicle'));
  const identifiers: { kind: string; value: string }[] = [];
  const plate = value('plate');
  if (plate) {
    src(`conveyance.identifiers[${identifiers.length}]`, 'plate', plate);
    identifiers.push({ kind: 'plate', value: plate.v });
  }
  const ids = value('identifiers');
  for (const item of ids ? splitList(ids.v, /[;|\n]/) : []) {
    const colon = item.indexOf(':');
    if (colon <= 0) {
      fail(ids?.line ?? first.line, 'identifiers', item, CELL_FORMS.identifiers);
      continue;
    }
    src(
      `conveyance.identifiers[${identifiers.length}]`,
      'identifiers',
      ids,
      first.line,
      CELL_FORMS.identifiers,
    );
    identifiers.push({ kind: item.slice(0, colon).trim(), value: item.slice(colon + 1).trim() });
  }
  if (identifiers.length) conveyance.identifiers = identifiers;
  if (Object.keys(conveyance).length) body.conveyance = conveyance;

  put(body, 'concealment', text('concealment', 'concealment'));
  put(body, 'detection', text('detection', 'detection'));

  const route: { country: string; role: string }[] = [];
  const leg = (key: ColumnKey, role: string, split: RegExp | null) => {
    const at = value(key);
    for (const country of at ? (split ? splitList(at.v, split) : [at.v]) : []) {
      // The leg, and its country by name: an unknown country is the cell's error, with no field name to add.
      src(`route[${route.length}]`, key, at);
      src(`route[${route.length}].country`, key, at);
      route.push({ country, role });
    }
  };
  leg('producing', 'origin', null);
  leg('departure', 'departure', null);
  leg('transit', 'transit', /[;|]/);
  leg('destination', 'destination', null);
  if (route.length) body.route = route;

  const arrested = value('arrested');
  if (arrested) {
    body.arrested = splitList(arrested.v, /[;|,]/).map((item, i) => {
      src(`arrested[${i}]`, 'arrested', arrested, first.line, CELL_FORMS.arrested);
      const m = /^(.*?)[\s:=x×]*(\d+)$/.exec(item);
      return m ? { nationality: (m[1] ?? '').trim(), count: Number(m[2]) } : { nationality: item, count: 1 };
    });
  }

  const handling: Record<string, unknown> = {};
  const tlp = value('tlp');
  handling.tlp = tlp ? text('handling.tlp', 'tlp', tlp) : options.defaults?.tlp;
  if (!tlp) src('handling.tlp', 'tlp', null);
  const releasable = value('releasableTo');
  const releasableText = releasable ? text('handling.releasableTo', 'releasableTo', releasable) : undefined;
  const releasableList = releasableText ?? options.defaults?.releasableTo;
  if (releasableList) handling.releasableTo = splitList(releasableList, RELEASABLE_TO_SEPARATORS);
  put(handling, 'evaluation', text('handling.evaluation', 'evaluation') ?? options.defaults?.evaluation);
  body.handling = handling;

  put(body, 'notes', text('notes', 'notes'));
  put(body, 'source', text('source', 'source'));
  return report;
}

const TIME = /^(\d{1,2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Why a Seizure Time cell cannot be read, or null: HH:MM (24-hour), optional seconds and UTC offset; 24:00 is the end
 * of the seizure's date, as in a date-time (readIsoTime).
 */
export function seizureTimeProblem(cell: string): string | null {
  const m = TIME.exec(cell.trim());
  const rule =
    'must be a 24-hour time HH:MM, optionally with seconds and a UTC offset (e.g. 09:30, 21:05:30, 09:30+05:00)';
  if (!m || timeOfDayProblem((m[1] as string).padStart(2, '0'), m[2] as string, m[3], m[4])) return rule;
  const zone = m[5];
  if (zone && zone !== 'Z' && utcOffsetMinutes(zone) === null) return offsetRule(zone);
  return null;
}

const norm = (v: string) => v.replace(/\s+/g, ' ').toLowerCase();

/** The seizing country: ISO3 (or any code) first, else the name, else the node's own; both must agree. */
function mapCountry(
  header: IdsHeader,
  code: { v: string; line: number } | null,
  name: { v: string; line: number } | null,
  nodeCountry: string,
  report: IdsReport,
): string {
  const at = code ?? name;
  const key: ColumnKey = code ? 'iso3' : 'countryName';
  report.sources.set('country', {
    line: at?.line ?? (report.lines[0] as number),
    column: columnTitle(header, key),
    value: at?.v ?? '',
  });
  if (code && name) {
    const a = resolveCountry(code.v);
    const b = resolveCountry(name.v);
    if (a && b && a !== b)
      report.errors.push({
        line: name.line,
        column: columnTitle(header, 'countryName'),
        value: name.v,
        message: `is ${b}, but the ${columnTitle(header, 'iso3')} column says ${code.v} (${a})`,
      });
  }
  return at?.v ?? nodeCountry;
}
