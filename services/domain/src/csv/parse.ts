// RFC 4180 CSV: quoted fields, "" escapes, CRLF or LF, a UTF-8 BOM, ',' ';' or tab separators detected from
// the header line. Incremental (push chunks, get whole records back) so that a large file never sits in memory
// twice; each record keeps the 1-based line on which it starts, for error reports a person can find.

export type CsvSeparator = ',' | ';' | '\t';

export interface CsvRow {
  /** 1-based line of the file on which this record starts (a quoted field may span several lines). */
  line: number;
  fields: string[];
  /** A syntax problem in this record (unterminated quote, text after a closing quote); fields are best effort. */
  error?: string;
}

export interface CsvParseOptions {
  /** Force a separator; by default it is detected from the header line. */
  separator?: CsvSeparator;
}

const QUOTE = 34;
const CR = 13;
const LF = 10;

/** The separator the header line uses most often outside quotes: ';' or tab when they outnumber ','. */
export function detectSeparator(headerLine: string): CsvSeparator {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ',' || ch === ';' || ch === '\t')) counts[ch]++;
  }
  if (counts[';'] > counts[','] && counts[';'] >= counts['\t']) return ';';
  if (counts['\t'] > counts[','] && counts['\t'] > counts[';']) return '\t';
  return ',';
}

/**
 * An incremental parser: `push` text as it arrives, `end` once the input is over. Completely empty lines are
 * skipped (they are not records). Line numbers count every line break outside and inside quotes.
 */
export class CsvParser {
  private sep: number | undefined;
  private pending = '';
  private started = false;
  private line = 1;
  private recordLine = 1;
  private field = '';
  private fields: string[] = [];
  private state: 'start' | 'unquoted' | 'quoted' | 'quoteInQuoted' | 'afterQuoted' = 'start';
  private afterCr = false;
  private quotedCr = false;
  private problem: string | undefined;

  constructor(options: CsvParseOptions = {}) {
    if (options.separator) this.sep = options.separator.charCodeAt(0);
  }

  /** The separator in use (after the header line was seen when detecting). */
  get separator(): CsvSeparator | undefined {
    return this.sep === undefined ? undefined : (String.fromCharCode(this.sep) as CsvSeparator);
  }

  push(chunk: string): CsvRow[] {
    let text = chunk;
    if (!this.started) {
      text = this.pending + text;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (this.sep === undefined) {
        const eol = text.search(/\r|\n/);
        if (eol < 0) {
          this.pending = text;
          return [];
        }
        this.sep = detectSeparator(text.slice(0, eol)).charCodeAt(0);
      }
      this.pending = '';
      this.started = true;
    }
    const out: CsvRow[] = [];
    this.scan(text, out);
    return out;
  }

  end(): CsvRow[] {
    const out: CsvRow[] = [];
    if (!this.started) {
      const text = this.pending.charCodeAt(0) === 0xfeff ? this.pending.slice(1) : this.pending;
      this.sep ??= detectSeparator(text).charCodeAt(0);
      this.pending = '';
      this.started = true;
      this.scan(text, out);
    }
    if (this.state === 'quoted') this.problem ??= 'a quoted field is not closed before the end of the file';
    if (this.state !== 'start' || this.fields.length > 0 || this.field !== '') this.endRecord(out);
    return out;
  }

  private scan(text: string, out: CsvRow[]): void {
    const sep = this.sep as number;
    const n = text.length;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (this.afterCr) {
        this.afterCr = false;
        if (c === LF) {
          i++;
          continue;
        }
      }
      switch (this.state) {
        case 'quoted': {
          // Copy up to the next quote in one slice; count the line breaks inside.
          const q = text.indexOf('"', i);
          const end = q < 0 ? n : q;
          const part = text.slice(i, end);
          this.countQuotedLineBreaks(part);
          this.field += part;
          if (q < 0) {
            i = n;
            continue;
          }
          this.quotedCr = false;
          this.state = 'quoteInQuoted';
          i = q + 1;
          continue;
        }
        case 'quoteInQuoted':
          if (c === QUOTE) {
            this.field += '"';
            this.state = 'quoted';
            i++;
            continue;
          }
          this.state = 'afterQuoted';
          continue;
        case 'afterQuoted':
          if (c !== sep && c !== CR && c !== LF) {
            this.problem ??= 'text after the closing quote of a field (a quote inside a field is written "")';
            this.field += text[i];
            i++;
            continue;
          }
          break;
        case 'start':
          if (c === QUOTE) {
            this.state = 'quoted';
            i++;
            continue;
          }
          break;
        case 'unquoted':
          break;
      }
      // start, unquoted and afterQuoted at a separator or a line break
      if (c === sep) {
        this.fields.push(this.field);
        this.field = '';
        this.state = 'start';
        i++;
      } else if (c === CR || c === LF) {
        if (this.state === 'start' && this.fields.length === 0 && this.field === '') {
          // an empty line: not a record
        } else {
          this.endRecord(out);
        }
        this.line++;
        this.recordLine = this.line;
        this.afterCr = c === CR;
        i++;
      } else {
        // Unquoted text up to the next separator or line break, in one slice.
        let j = i + 1;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (d === sep || d === CR || d === LF) break;
          j++;
        }
        if (this.state === 'start' || this.state === 'unquoted') {
          const part = text.slice(i, j);
          this.field += part;
          this.state = 'unquoted';
        }
        i = j;
      }
    }
  }

  /** Line breaks inside a quoted field: CRLF, LF or CR each count once, even split across chunks. */
  private countQuotedLineBreaks(s: string): void {
    for (let k = 0; k < s.length; k++) {
      const c = s.charCodeAt(k);
      if (c === LF && !this.quotedCr) this.line++;
      else if (c === CR) this.line++;
      this.quotedCr = c === CR;
    }
  }

  private endRecord(out: CsvRow[]): void {
    this.fields.push(this.field);
    const row: CsvRow = { line: this.recordLine, fields: this.fields };
    if (this.problem) row.error = this.problem;
    out.push(row);
    this.fields = [];
    this.field = '';
    this.state = 'start';
    this.problem = undefined;
  }
}

export interface ParsedCsv {
  separator: CsvSeparator;
  /** The first record; undefined for an empty file. */
  header: CsvRow | undefined;
  rows: CsvRow[];
}

/** Parse a whole text: the first record is the header. */
export function parseCsv(text: string, options: CsvParseOptions = {}): ParsedCsv {
  const parser = new CsvParser(options);
  const all = parser.push(text);
  all.push(...parser.end());
  return { separator: parser.separator ?? ',', header: all[0], rows: all.slice(1) };
}

/** Parse a stream of text or UTF-8 bytes (e.g. fs.createReadStream), yielding records as they complete. */
export async function* parseCsvStream(
  source: AsyncIterable<string | Uint8Array>,
  options: CsvParseOptions = {},
): AsyncGenerator<CsvRow> {
  const parser = new CsvParser(options);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of source) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    yield* parser.push(text);
  }
  yield* parser.push(decoder.decode());
  yield* parser.end();
}

/** One field as RFC 4180 writes it: quoted when it holds the separator, a quote or a line break. */
export function csvField(value: unknown, separator: CsvSeparator = ','): string {
  const s = value === undefined || value === null ? '' : String(value);
  return s.includes(separator) || /["\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record, without the line break. */
export function csvLine(values: readonly unknown[], separator: CsvSeparator = ','): string {
  return values.map((v) => csvField(v, separator)).join(separator);
}
