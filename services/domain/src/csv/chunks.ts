// Splitting a large CSV into requests of whole reports (every row of a seizure reference in the same request),
// with the map from each request's line numbers back to the file's, so that error reports name file lines.
import { readIdsHeader, type CsvDefaults, type CsvError, type IdsHeader } from './columns';
import { groupRows, rowContent, type RowGroup } from './ids';
import { csvLine, type CsvRow, type CsvSeparator, type ParsedCsv } from './parse';

export interface CsvChunk {
  /** A complete CSV: the header, then the rows of whole reports. */
  text: string;
  /** lineMap[chunk line] = file line, for every line on which a record starts (the header included). */
  lineMap: number[];
  reports: number;
  rows: number;
}

export interface CsvImportPlan {
  separator: CsvSeparator;
  chunks: CsvChunk[];
  /** Reports refused before sending: the whole file when its header is unusable, or CSV syntax problems. */
  refused: { lines: number[]; errors: CsvError[] }[];
  /** Header problems (also in `refused`); when present nothing is sent. */
  headerErrors: CsvError[];
  ignoredColumns: string[];
  reports: number;
  rows: number;
}

export interface CsvPlanOptions {
  defaults?: CsvDefaults;
  /**
   * Reports per request (default 500). Identical rows without a reference are never split (their ids count them), so
   * a chunk holding them may have more.
   */
  maxReports?: number;
  /** Characters per request, roughly (default 4 MB; a report is never split). */
  maxChars?: number;
}

const lineBreaks = (s: string) => s.match(/\r\n|\r|\n/g)?.length ?? 0;

/**
 * The reports in the units a chunk takes whole: a report alone, except that identical rows without a reference go
 * together. The node tells them apart by their rank among the identical rows of its request, so split over two
 * requests both would be rank 1, get the same report id, and the second would overwrite the first.
 */
function packingUnits(header: IdsHeader, groups: readonly RowGroup[]): RowGroup[][] {
  const units: RowGroup[][] = [];
  const identical = new Map<string, RowGroup[]>();
  for (const g of groups) {
    if (g.reference !== null) {
      units.push([g]);
      continue;
    }
    const content = rowContent(header, g.rows[0] as CsvRow);
    const unit = identical.get(content);
    if (unit) unit.push(g);
    else {
      const u = [g];
      identical.set(content, u);
      units.push(u);
    }
  }
  return units;
}

/** Plan an import: group rows into reports and pack whole reports into chunks. */
export function planCsvImport(parsed: ParsedCsv, options: CsvPlanOptions = {}): CsvImportPlan {
  const maxReports = options.maxReports ?? 500;
  const maxChars = options.maxChars ?? 4 * 1024 * 1024;
  const header = readIdsHeader(parsed.header, options.defaults);
  const groups = header.keys.length ? groupRows(header, parsed.rows) : [];
  const plan: CsvImportPlan = {
    separator: parsed.separator,
    chunks: [],
    refused: [],
    headerErrors: header.errors,
    ignoredColumns: header.ignored,
    reports: groups.length,
    rows: groups.reduce((n, g) => n + g.rows.length, 0),
  };
  if (header.errors.length || !parsed.header) {
    plan.refused = groups.map((g) => ({ lines: g.rows.map((r) => r.line), errors: [] }));
    return plan;
  }
  const headerText = `${csvLine(parsed.header.fields, parsed.separator)}\r\n`;
  const headerLine = parsed.header.line;
  const fresh = () => ({
    parts: [headerText],
    chars: headerText.length,
    lineMap: [0, headerLine],
    line: 2,
    reports: 0,
    rows: 0,
  });
  let chunk = fresh();
  const flush = () => {
    if (chunk.reports === 0) return;
    const { parts, lineMap, reports, rows } = chunk;
    plan.chunks.push({ text: parts.join(''), lineMap, reports, rows });
    chunk = fresh();
  };
  for (const unit of packingUnits(header, groups)) {
    const sent: RowGroup[] = [];
    for (const g of unit) {
      const broken = g.rows.filter((r) => r.error);
      if (!broken.length) {
        sent.push(g);
        continue;
      }
      const errors = broken.map((r) => ({ line: r.line, column: '', value: '', message: r.error as string }));
      plan.refused.push({ lines: g.rows.map((r) => r.line), errors });
    }
    if (!sent.length) continue;
    const texts = sent.map((g) => g.rows.map((r) => `${csvLine(r.fields, parsed.separator)}\r\n`));
    const chars = texts.flat().reduce((n, t) => n + t.length, 0);
    if (chunk.reports > 0 && (chunk.reports + sent.length > maxReports || chunk.chars + chars > maxChars))
      flush();
    sent.forEach((g, i) =>
      g.rows.forEach((r, j) => {
        const t = texts[i]?.[j] as string;
        chunk.lineMap[chunk.line] = r.line;
        chunk.line += lineBreaks(t);
        chunk.parts.push(t);
      }),
    );
    chunk.chars += chars;
    chunk.reports += sent.length;
    chunk.rows += sent.reduce((n, g) => n + g.rows.length, 0);
  }
  flush();
  return plan;
}

/** Errors a node reported for a chunk, with the file's line numbers. */
export function toFileLines(chunk: CsvChunk, errors: readonly CsvError[]): CsvError[] {
  return errors.map((e) => ({ ...e, line: chunk.lineMap[e.line] ?? e.line }));
}
