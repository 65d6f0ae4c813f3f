// Reference data served by the query API without a token: country names and centroids, substance labels, and the
// labels of the coded vocabularies (concealment, detection, transport mode, location type, drug form…).
import { getLang } from './i18n.js';

let countries = {};
let substances = new Map();
let regions = [];
let vocab = {};

export async function loadReference() {
  const [c, sub, reg, voc] = await Promise.all([
    fetch('/data/countries.json').then((r) => r.json()),
    fetch('/data/substances.json').then((r) => r.json()),
    fetch('/data/regions.json').then((r) => r.json()),
    // Without the vocabularies the dashboard still works: it shows the codes.
    fetch('/data/vocab.json')
      .then((r) => (r.ok ? r.json() : {}))
      .catch(() => ({})),
  ]);
  countries = c;
  substances = new Map(sub.map((x) => [x.code, x]));
  regions = reg;
  vocab = voc ?? {};
}

/**
 * The label of `code` in vocabulary `name` (a file name of schemas/vocab: 'concealment-methods', 'detection-methods',
 * 'transport-modes', 'location-types', 'drug-forms', …) in the current language, else in English, else the code.
 */
export function termLabel(name, code) {
  if (code === undefined || code === null || code === '') return '';
  const labels = vocab[name]?.[code];
  return (labels && (labels[getLang()] || labels.en)) || String(code);
}

/** Every country of the hub's regions, by code. */
export function memberCountries() {
  return [...new Set(regions.flatMap((r) => r.members))];
}

/** Ids of the regions `country` belongs to (every region when `all`). */
export function regionsOf(country, all = false) {
  return regions.filter((r) => all || r.members.includes(country)).map((r) => r.id);
}

export function regionName(id) {
  const r = regions.find((x) => x.id === id);
  return (r && (r[getLang()] || r.en)) || id;
}

/** The coordination node, which asks countries too (requester HUB). */
const HUB_NAME = { en: 'Coordination centre', ru: 'Координационный центр' };

/** The country's name in the current language, or its code when unknown. */
export function countryName(code) {
  if (code === 'HUB') return HUB_NAME[getLang()] || HUB_NAME.en;
  const c = countries[code];
  return (c && (c[getLang()] || c.en)) || code;
}

export function centroidOf(code) {
  return countries[code]?.centroid ?? null;
}

/** ISO alpha-2 for the numeric id world-atlas gives its features. */
export function alpha2OfNumeric() {
  const map = new Map();
  for (const [a2, c] of Object.entries(countries)) if (c.numeric) map.set(c.numeric, a2);
  return map;
}

export function countryCodes() {
  return Object.keys(countries);
}

export function substanceName(code) {
  const x = substances.get(code);
  return (x && (x[getLang()] || x.en)) || code;
}

/** Codes of the substances (not the aggregates). */
export function substanceCodes() {
  return [...substances.values()].filter((x) => !x.aggregate).map((x) => x.code);
}

/** Codes of the World Drug Report aggregates a drug filter also takes (cocaine: every cocaine form). */
export function aggregateCodes() {
  return [...substances.values()].filter((x) => x.aggregate).map((x) => x.code);
}

/** Options sorted by their label in the current language. */
export function sortedByLabel(codes, label) {
  const collator = new Intl.Collator(getLang());
  return codes
    .map((code) => ({ code, label: label(code) }))
    .sort((a, b) => collator.compare(a.label, b.label));
}
