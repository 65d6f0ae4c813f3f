// A CSV of seizures → validated reports, with every problem named by line, column, value and reason.
import type { FieldError } from '@hub/errors';
import { ValidationError } from '@hub/errors';
import {
  seizureReportFromJson,
  type Normalised,
  type ReportContext,
  type SeizureReportRecord,
} from '../report/seizure-report';
import type { CsvDefaults, CsvError } from './columns';
import { idsReports, type IdsReport } from './ids';
import { csvLine, parseCsv, type ParsedCsv } from './parse';
import { SuggestionBudget } from '../vocab/text';

interface OutcomeBase {
  reference: string | null;
  reportId: string;
  lines: number[];
}

export type CsvReportOutcome =
  | (OutcomeBase & { ok: true; report: Normalised<SeizureReportRecord>; retraction?: undefined })
  | (OutcomeBase & { ok: true; retraction: { reason: string }; report?: undefined })
  | (OutcomeBase & { ok: false; errors: CsvError[] });

export interface CsvValidation {
  reports: CsvReportOutcome[];
  /** Every problem of the file, by line: header problems first, then each refused report's. */
  errors: CsvError[];
  /** Header names the importer does not know (left out of the reports). */
  ignoredColumns: string[];
  /** Data rows read (blank lines not counted). */
  rows: number;
}

/** Parent of a field path: `drugs[1].quantity` → `drugs[1]` → `drugs`. */
function parentPath(path: string): string {
  return path.replace(/(\.[^.[\]]+|\[\d+\])$/, '');
}

/**
 * The field a path names below `found`, the path of the cell it was read from: `nationality` for
 * `arrested[0].nationality` read from `arrested[0]`; '' for none or a list index (`handling.releasableTo[1]`).
 */
function leafBelow(path: string, found: string): string {
  if (path === found) return '';
  return /\.([^.[\]]+)$/.exec(path.slice(found.length))?.[1] ?? '';
}

/** A ValidationError's field errors, pointed at the cells they came from. */
export function fieldErrorsToCsv(report: IdsReport, errors: readonly FieldError[]): CsvError[] {
  return errors.map((e) => {
    let path = e.field;
    let source = report.sources.get(path);
    while (!source && path.includes('.')) {
      path = parentPath(path);
      source = report.sources.get(path);
    }
    while (!source && /\[\d+\]$/.test(path)) {
      path = parentPath(path);
      source = report.sources.get(path);
    }
    let message = e.message;
    if (e.field === 'seizedAt' && message.startsWith('must be an ISO 8601'))
      message =
        'must be a date: YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY, or a date-time such as 2026-03-14T09:30:00+05:00';
    // A cell read into several fields (Arrested: nationality and count): the message names the field the cell lacks
    // or got wrong, and how the cell is written ("3" is a count without its nationality).
    const leaf = source ? leafBelow(e.field, path) : '';
    if (leaf) message = /^(is|must) /.test(message) ? `${leaf} ${message}` : `${leaf}: ${message}`;
    if (leaf && source?.form) message = `${message} (${source.form})`;
    const value = source?.value || (e.value === undefined ? '' : String(e.value));
    return {
      line: source?.line ?? (report.lines[0] as number),
      column: source?.column ?? e.field,
      value,
      message: source ? message : `${e.field} ${message}`,
    };
  });
}

const byLine = (a: CsvError, b: CsvError) => a.line - b.line;

/**
 * Read a CSV of IDS-shaped rows and run each report through seizureReportFromJson. A report with any problem
 * is refused as a whole (its rows are one seizure); the others are returned validated, with their versions
 * taken from `ctx.versionOf` (so call this once per import).
 */
export function validateCsvReports(
  input: string | ParsedCsv,
  ctx: ReportContext,
  options: { defaults?: CsvDefaults } = {},
): CsvValidation {
  const parsed = typeof input === 'string' ? parseCsv(input) : input;
  // The whole file is one request: a misspelling on every row must not cost a vocabulary pass each.
  const shared: ReportContext = ctx.suggestions ? ctx : { ...ctx, suggestions: new SuggestionBudget() };
  const { header, reports } = idsReports(parsed, {
    nodeCountry: ctx.nodeCountry,
    defaults: options.defaults,
  });
  const rows = reports.reduce((n, r) => n + r.lines.length, 0);
  if (header.errors.length) {
    return {
      reports: reports.map((r) => ({ ...base(r), ok: false, errors: header.errors })),
      errors: [...header.errors],
      ignoredColumns: header.ignored,
      rows,
    };
  }
  if (reports.length === 0) {
    const none = { line: header.line, column: '', value: '', message: 'no seizure rows after the header' };
    return { reports: [], errors: [none], ignoredColumns: header.ignored, rows };
  }
  const outcomes = reports.map((r): CsvReportOutcome => {
    // A report already refused while mapping must not reserve a version: validate it against a dry context.
    if (typeof r.body.retraction === 'string') {
      if (r.errors.length) return { ...base(r), ok: false, errors: [...r.errors].sort(byLine) };
      return { ...base(r), ok: true, retraction: { reason: r.body.retraction } };
    }
    const context = r.errors.length ? { ...shared, versionOf: () => 0 } : shared;
    try {
      const report = seizureReportFromJson(r.body, context);
      if (r.errors.length === 0) return { ...base(r), ok: true, report };
      return { ...base(r), ok: false, errors: [...r.errors].sort(byLine) };
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const errors = [...r.errors, ...fieldErrorsToCsv(r, err.errors)].sort(byLine);
      return { ...base(r), ok: false, errors };
    }
  });
  return {
    reports: outcomes,
    errors: outcomes.flatMap((o) => (o.ok ? [] : o.errors)),
    ignoredColumns: header.ignored,
    rows,
  };
}

function base(r: IdsReport): OutcomeBase {
  return { reference: r.reference, reportId: r.reportId, lines: r.lines };
}

export const ERROR_REPORT_HEADER = ['line', 'column', 'value', 'message'] as const;

/** The error report a person opens in a spreadsheet: `line,column,value,message`, one problem a line. */
export function csvErrorReport(errors: readonly CsvError[]): string {
  const lines = [csvLine(ERROR_REPORT_HEADER)];
  for (const e of [...errors].sort(byLine)) lines.push(csvLine([e.line, e.column, e.value, e.message]));
  return `${lines.join('\r\n')}\r\n`;
}
