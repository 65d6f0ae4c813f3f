// Reading the World Drug Report annex 7.1 table (region,country,iso3,drug_group,drug_name,year,kilograms) into
// one annual-return body per country and year, with a per-line error list for what cannot be read.
import countries from 'i18n-iso-countries';
import { parseNumber } from '../csv/cells';
import { detectSeparator, type CsvSeparator } from '../csv/parse';

export interface AnnexError {
  line: number;
  column: string;
  value: string;
  message: string;
}

export interface AnnexReturn {
  country: string;
  year: number;
  /** The JSON body for POST /v1/annual-returns (handling added by the caller). */
  rows: { drugGroup: string; drugName: string; kilograms: number }[];
  lines: number[];
}

const COLUMNS = ['iso3', 'drug_group', 'drug_name', 'year', 'kilograms'] as const;

/** Split CSV text into records (RFC 4180: quoted fields, doubled quotes, CRLF), with each record's line number. */
export function csvRecords(text: string, separator = ','): { line: number; fields: string[] }[] {
  const out: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field === '') quoted = true;
    else if (c === separator) {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      fields.push(field);
      if (fields.length > 1 || fields[0] !== '') out.push({ line: start, fields });
      fields = [];
      field = '';
      line++;
      start = line;
    } else field += c;
  }
  if (field !== '' || fields.length) {
    fields.push(field);
    out.push({ line: start, fields });
  }
  return out;
}

/**
 * Group the annex's rows by country (ISO alpha-2) and year. Rows that cannot be read are reported, not dropped
 * silently. The file is read as `hub import` reads one: ',' ';' or tab, whichever the header line uses most, and
 * kilograms with either decimal mark ("422.48", "422,48" in a ';' file), in decimal notation only: a comma in a ',' or
 * tab file is refused (a decimal mark, or a thousands separator?). A header without the annex's columns is `header`
 * (and the only error): nothing else is read.
 */
export function readWdrAnnex(text: string): {
  returns: AnnexReturn[];
  errors: AnnexError[];
  rows: number;
  header?: AnnexError;
} {
  const separator: CsvSeparator = detectSeparator(/^\uFEFF?([^\r\n]*)/.exec(text)?.[1] ?? '');
  const records = csvRecords(text, separator);
  const errors: AnnexError[] = [];
  const header = (records.shift()?.fields ?? []).map((h) => h.trim().toLowerCase());
  const index = Object.fromEntries(COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<
    (typeof COLUMNS)[number],
    number
  >;
  const missing = COLUMNS.filter((c) => index[c] < 0);
  if (missing.length) {
    const problem: AnnexError = {
      line: 1,
      column: missing.join(','),
      value: header.join(separator),
      message: `the header must name ${COLUMNS.join(', ')} (World Drug Report annex 7.1 shape); ${missing.join(', ')} not found among the ${header.length} columns read with the separator ${separator === '\t' ? 'tab' : `'${separator}'`}`,
    };
    return { returns: [], errors: [problem], rows: records.length, header: problem };
  }
  const byKey = new Map<string, AnnexReturn>();
  for (const { line, fields } of records) {
    const get = (c: (typeof COLUMNS)[number]) => (fields[index[c]] ?? '').trim();
    const iso3 = get('iso3').toUpperCase();
    const country = countries.alpha3ToAlpha2(iso3);
    const year = Number(get('year'));
    const kgText = get('kilograms');
    // Outside a ';' file a comma may be a decimal mark or a thousands separator ("0,500": half a kilo, or 500?):
    // refused rather than guessed.
    const ambiguousComma = separator !== ';' && kgText.includes(',');
    const kilograms = kgText === '' || ambiguousComma ? NaN : parseNumber(kgText, separator);
    const problems: AnnexError[] = [];
    if (!country)
      problems.push({ line, column: 'iso3', value: iso3, message: 'is not an ISO 3166-1 alpha-3 code' });
    if (!/^\d{4}$/.test(get('year')))
      problems.push({ line, column: 'year', value: get('year'), message: 'must be a four-digit year' });
    if (ambiguousComma)
      problems.push({
        line,
        column: 'kilograms',
        value: kgText,
        message: `must not hold a comma in a ${separator === '\t' ? 'tab' : "','"}-separated file: a decimal comma only in ';'-separated files, and no thousands separator; write 0.5 for half a kilogram, 1250 for one thousand two hundred and fifty`,
      });
    else if (typeof kilograms !== 'number' || !Number.isFinite(kilograms) || kilograms < 0)
      problems.push({
        line,
        column: 'kilograms',
        value: kgText,
        message: `must be a number of kilograms in decimal notation (like 422.48${separator === ';' ? ' or 422,48' : ''}), 0 or more (leave the row out when not reported)`,
      });
    if (!get('drug_name')) problems.push({ line, column: 'drug_name', value: '', message: 'is required' });
    if (problems.length) {
      errors.push(...problems);
      continue;
    }
    const key = `${country}|${year}`;
    let ret = byKey.get(key);
    if (!ret) byKey.set(key, (ret = { country: country as string, year, rows: [], lines: [] }));
    ret.rows.push({
      drugGroup: get('drug_group'),
      drugName: get('drug_name'),
      kilograms: kilograms as number,
    });
    ret.lines.push(line);
  }
  return { returns: [...byKey.values()], errors, rows: records.length };
}
