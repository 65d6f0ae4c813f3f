// The columns of an IDS-shaped seizure CSV: UNODC "Individual Drug Seizures" names, our own simple names and
// their aliases, matched whatever their case, spacing and punctuation ("DEPARTURE_COUNTRY" = "Departure country").
import type { CsvRow } from './parse';

export interface CsvError {
  /** 1-based line of the file; the header is usually line 1. */
  line: number;
  /** The column as the file names it (or the template's name when the file has no such column). */
  column: string;
  value: string;
  message: string;
}

interface ColumnSpec {
  /** The name the template uses. */
  title: string;
  aliases: string[];
  /** Drug-line columns may differ between the rows of one seizure; report columns may not. */
  level: 'report' | 'drug' | 'ignored';
}

/** Every column the importer understands, in template order. */
export const COLUMNS = {
  reference: {
    title: 'Seizure Reference',
    aliases: [
      'reference',
      'case',
      'case reference',
      'case number',
      'case no',
      'case id',
      'seizure id',
      'ref',
    ],
    level: 'report',
  },
  retraction: {
    title: 'Retraction Reason',
    aliases: [
      'retraction',
      'retract',
      'retracted because',
      'withdrawal reason',
      'withdraw',
      'причина отзыва',
    ],
    level: 'report',
  },
  date: {
    title: 'Seizure Date',
    aliases: ['date', 'seizedAt', 'seized at', 'date of seizure'],
    level: 'report',
  },
  time: { title: 'Seizure Time', aliases: ['time'], level: 'report' },
  countryName: {
    title: 'Country/Territory of Seizure',
    aliases: ['country', 'country of seizure', 'country territory'],
    level: 'report',
  },
  iso3: { title: 'ISO3', aliases: ['iso', 'iso2', 'country code', 'iso code'], level: 'report' },
  substance: {
    title: 'Drug/Substance',
    aliases: ['drug', 'substance', 'drug name', 'drug substance name'],
    level: 'drug',
  },
  quantity: { title: 'Quantity Seized', aliases: ['quantity', 'qty', 'amount'], level: 'drug' },
  unit: { title: 'Measurement Unit', aliases: ['unit', 'units', 'unit of measurement'], level: 'drug' },
  form: { title: 'Drug Form', aliases: ['form'], level: 'drug' },
  purity: { title: 'Purity %', aliases: ['purity', 'purityPct', 'purity percent'], level: 'drug' },
  packages: {
    title: 'Packages',
    aliases: ['package count', 'packageCount', 'number of packages'],
    level: 'drug',
  },
  placeName: {
    title: 'Place',
    aliases: ['place name', 'location', 'location name', 'seizure place'],
    level: 'report',
  },
  city: { title: 'City', aliases: ['town'], level: 'report' },
  adminRegion: {
    title: 'Administrative Region',
    aliases: ['admin region', 'adminRegion', 'province', 'oblast'],
    level: 'report',
  },
  locationType: {
    title: 'Physical Seizure Location',
    aliases: ['location type', 'locationType', 'place type'],
    level: 'report',
  },
  lat: { title: 'Latitude', aliases: ['lat'], level: 'report' },
  lon: { title: 'Longitude', aliases: ['lon', 'lng', 'long'], level: 'report' },
  borderCrossing: {
    title: 'Border Crossing Point',
    aliases: ['borderCrossingPoint', 'bcp', 'border crossing'],
    level: 'report',
  },
  direction: { title: 'Direction', aliases: [], level: 'report' },
  mode: {
    title: 'Trafficking Mode of Transportation',
    aliases: [
      'mode',
      'mode of transport',
      'mode of transportation',
      'transport mode',
      'conveyance',
      'conveyance mode',
    ],
    level: 'report',
  },
  vehicle: { title: 'Vehicle', aliases: ['vehicle type'], level: 'report' },
  plate: {
    title: 'Plate',
    aliases: ['vehicle plate', 'licence plate', 'license plate', 'registration plate'],
    level: 'report',
  },
  identifiers: { title: 'Identifiers', aliases: ['conveyance identifiers'], level: 'report' },
  concealment: { title: 'Concealment', aliases: ['concealment method'], level: 'report' },
  detection: { title: 'Detection', aliases: ['detection method'], level: 'report' },
  producing: {
    title: 'PRODUCING_COUNTRY',
    aliases: ['producing country', 'origin', 'origin country', 'country of origin'],
    level: 'report',
  },
  departure: {
    title: 'DEPARTURE_COUNTRY',
    aliases: ['departure', 'departure country', 'country of departure'],
    level: 'report',
  },
  transit: {
    title: 'TRANSIT_COUNTRY',
    aliases: ['transit', 'transit country', 'transit countries'],
    level: 'report',
  },
  destination: {
    title: 'DESTINATION_COUNTRY',
    aliases: ['destination', 'destination country', 'country of destination'],
    level: 'report',
  },
  arrested: { title: 'Arrested', aliases: ['arrests', 'persons arrested'], level: 'report' },
  agency: { title: 'Agency', aliases: ['seizing agency', 'agency type'], level: 'report' },
  agencyName: { title: 'Agency Name', aliases: [], level: 'report' },
  tlp: { title: 'TLP', aliases: ['tlp level', 'classification'], level: 'report' },
  releasableTo: { title: 'Releasable To', aliases: ['releasable', 'release to'], level: 'report' },
  evaluation: { title: 'Evaluation', aliases: ['grading', '4x4'], level: 'report' },
  notes: { title: 'Notes', aliases: ['remarks', 'comment', 'comments'], level: 'report' },
  source: { title: 'Source', aliases: [], level: 'report' },
  // IDS columns the hub derives itself (regions from the country, the channel from how the file arrived).
  subregion: { title: 'Subregion', aliases: ['sub region'], level: 'ignored' },
  region: { title: 'Region', aliases: [], level: 'ignored' },
  reportingChannel: { title: 'Reporting Channel', aliases: [], level: 'ignored' },
} satisfies Record<string, ColumnSpec>;

export type ColumnKey = keyof typeof COLUMNS;

/** The template's header, in order (the ignored IDS columns are accepted but not part of it). */
export const TEMPLATE_COLUMNS: ColumnKey[] = (Object.keys(COLUMNS) as ColumnKey[]).filter(
  // Withdrawals are a file of their own (reference and reason), not a column of the seizure template.
  (k) => COLUMNS[k].level !== 'ignored' && k !== 'retraction',
);

/** A header name's key for matching: case, spaces and punctuation do not matter. */
export function headerKey(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

const BY_KEY = new Map<string, ColumnKey>();
for (const key of Object.keys(COLUMNS) as ColumnKey[]) {
  const spec: ColumnSpec = COLUMNS[key];
  for (const name of [key, spec.title, ...spec.aliases]) {
    const other = BY_KEY.get(headerKey(name));
    if (other && other !== key) throw new Error(`CSV column alias '${name}' names both ${other} and ${key}`);
    BY_KEY.set(headerKey(name), key);
  }
}

/** The column a header name stands for, or undefined for a column the importer does not know. */
export function columnFor(name: string): ColumnKey | undefined {
  return BY_KEY.get(headerKey(name));
}

/** Values that mean "nothing here" in IDS exports. */
const ABSENT = new Set(['', 'data not available', 'not available', 'n/a']);
/** Route columns of older IDS exports also say "Unknown" and "Other". */
const ABSENT_COUNTRY = new Set([...ABSENT, 'unknown', 'other']);

export function isAbsent(value: string, key?: ColumnKey): boolean {
  const v = value.trim().toLowerCase();
  const route = key === 'producing' || key === 'departure' || key === 'transit' || key === 'destination';
  return (route ? ABSENT_COUNTRY : ABSENT).has(v);
}

/** Defaults for columns a file does not carry (IDS workbooks have no agency or TLP). */
export interface CsvDefaults {
  agency?: string;
  tlp?: string;
  releasableTo?: string;
  evaluation?: string;
}

export interface IdsHeader {
  line: number;
  /** The column key of each position (undefined: not ours). */
  keys: (ColumnKey | undefined)[];
  /** Position of each known column. */
  index: Partial<Record<ColumnKey, number>>;
  /** The file's own spelling of each known column. */
  titles: Partial<Record<ColumnKey, string>>;
  /** Columns the importer does not know: kept out of the reports, listed so that a typo is noticed. */
  ignored: string[];
  /** Problems that make every row unreadable (missing or repeated columns). */
  errors: CsvError[];
}

/** Columns without which no report can be valid, unless a default stands in. */
const REQUIRED: { keys: ColumnKey[]; default?: keyof CsvDefaults }[] = [
  { keys: ['date'] },
  { keys: ['substance'] },
  { keys: ['quantity'] },
  { keys: ['unit'] },
  { keys: ['agency'], default: 'agency' },
  { keys: ['tlp'], default: 'tlp' },
];

/** Read the header record: which column is which, and what is missing or ambiguous. */
export function readIdsHeader(header: CsvRow | undefined, defaults: CsvDefaults = {}): IdsHeader {
  const result: IdsHeader = {
    line: header?.line ?? 1,
    keys: [],
    index: {},
    titles: {},
    ignored: [],
    errors: [],
  };
  const fail = (column: string, value: string, message: string) =>
    result.errors.push({ line: result.line, column, value, message });
  if (!header || header.fields.every((f) => f.trim() === '')) {
    fail('', '', 'the file is empty: expected a header line, then one line per drug seized');
    return result;
  }
  if (header.error) fail('', '', header.error);
  header.fields.forEach((raw, i) => {
    const name = raw.trim();
    const key = columnFor(name);
    result.keys.push(key);
    if (!key) {
      if (name) result.ignored.push(name);
      return;
    }
    const earlier = result.titles[key];
    if (earlier !== undefined) {
      fail(name, name, `repeats column '${earlier}' (both are ${COLUMNS[key].title}); keep one`);
      return;
    }
    result.index[key] = i;
    result.titles[key] = name;
  });
  // A file of withdrawals only needs the references and the reasons.
  const withdrawalsOnly =
    result.index.retraction !== undefined &&
    result.index.reference !== undefined &&
    result.index.substance === undefined;
  for (const need of withdrawalsOnly ? [] : REQUIRED) {
    if (need.keys.some((k) => result.index[k] !== undefined)) continue;
    if (need.default && defaults[need.default]) continue;
    const title = COLUMNS[need.keys[0] as ColumnKey].title;
    fail(
      title,
      '',
      `the column '${title}' is missing${need.default ? ` (or give a default ${need.default} for the whole file)` : ''}; see docs/templates/README.md`,
    );
  }
  return result;
}

/** The column name to show for a key: the file's spelling, or the template's. */
export function columnTitle(header: IdsHeader, key: ColumnKey): string {
  return header.titles[key] ?? COLUMNS[key].title;
}
