// Demo seizure reports along the region's real trafficking routes, in the minimal JSON of CONTRACT.md.
import { createRng } from './random';

interface Place {
  name: string;
  lat: number;
  lon: number;
  locationType: string;
}

/** Real border crossings, airports and cities of the demo countries. */
const PLACES: Record<string, Place[]> = {
  KZ: [
    { name: 'Khorgos border crossing', lat: 44.21, lon: 80.41, locationType: 'border-crossing' },
    { name: 'Almaty International Airport', lat: 43.35, lon: 77.04, locationType: 'airport' },
    { name: 'Zhibek Zholy checkpoint', lat: 41.63, lon: 69.32, locationType: 'border-crossing' },
    { name: 'Shymkent', lat: 42.32, lon: 69.59, locationType: 'road' },
    { name: 'Aktau seaport', lat: 43.6, lon: 51.2, locationType: 'seaport' },
  ],
  KG: [
    { name: 'Osh', lat: 40.51, lon: 72.8, locationType: 'road' },
    { name: 'Manas International Airport', lat: 43.06, lon: 74.48, locationType: 'airport' },
    { name: 'Kyzyl-Kiya checkpoint', lat: 40.26, lon: 72.13, locationType: 'border-crossing' },
  ],
  TJ: [
    { name: 'Nizhny Panj border crossing', lat: 37.2, lon: 68.6, locationType: 'border-crossing' },
    { name: 'Dushanbe International Airport', lat: 38.54, lon: 68.82, locationType: 'airport' },
    { name: 'Khorog', lat: 37.49, lon: 71.55, locationType: 'road' },
  ],
  UZ: [
    { name: 'Termez (Hairatan bridge)', lat: 37.23, lon: 67.27, locationType: 'border-crossing' },
    { name: 'Tashkent International Airport', lat: 41.26, lon: 69.28, locationType: 'airport' },
    { name: 'Samarkand', lat: 39.65, lon: 66.96, locationType: 'road' },
  ],
  TM: [
    { name: 'Serhetabat border crossing', lat: 35.28, lon: 62.35, locationType: 'border-crossing' },
    { name: 'Turkmenbashi seaport', lat: 40.02, lon: 52.97, locationType: 'seaport' },
    { name: 'Ashgabat International Airport', lat: 37.99, lon: 58.36, locationType: 'airport' },
  ],
};

/** Routes seen in UNODC reporting for the Northern route and its branches. */
const ROUTES: string[][] = [
  ['AF', 'TJ', 'KG', 'KZ', 'RU'],
  ['AF', 'TJ', 'UZ', 'KZ', 'RU'],
  ['AF', 'UZ', 'KZ', 'RU'],
  ['AF', 'TM', 'KZ', 'RU'],
  ['AF', 'TM', 'AZ', 'GE', 'TR'],
  ['IR', 'TM', 'UZ', 'KZ'],
  ['CN', 'KZ', 'RU'],
  ['KG', 'KZ', 'RU'],
];

const DRUGS = [
  { substance: 'heroin', form: 'powder', min: 0.5, max: 60, unit: 'kg' },
  { substance: 'opium', form: 'resin', min: 1, max: 120, unit: 'kg' },
  { substance: 'cannabis-resin', form: 'resin', min: 0.5, max: 400, unit: 'kg' },
  { substance: 'cannabis-herb', form: 'herb', min: 1, max: 900, unit: 'kg' },
  { substance: 'methamphetamine', form: 'crystal', min: 0.1, max: 30, unit: 'kg' },
  { substance: 'mephedrone', form: 'powder', min: 0.05, max: 15, unit: 'kg' },
  { substance: 'acetic-anhydride', form: 'liquid', min: 50, max: 4000, unit: 'l' },
];

const CONCEALMENT = [
  'false floor',
  'hidden compartment',
  'fuel tank',
  'mixed with legitimate cargo',
  'luggage',
  'body carry',
];
const DETECTION = ['x-ray', 'canine', 'risk profiling', 'intelligence', 'random check'];
const AGENCY = ['customs', 'police', 'border-guard', 'drug-control-agency'];
const TLP = ['GREEN', 'GREEN', 'AMBER', 'AMBER', 'CLEAR', 'AMBER+STRICT', 'RED'];

/** A plate that two countries both see, so that the demo raises cross-border alerts. */
const SHARED_PLATES = ['777ABC02', '01KG123ABC', '4455TJ01'];

export interface DemoReport {
  node: string;
  body: Record<string, unknown>;
}

/** `count` reports spread over the last 18 months, each to be posted to the node of its country of seizure. */
export function demoReports(
  countries: string[],
  count: number,
  now = Date.now(),
  seed = 20260314,
): DemoReport[] {
  const rng = createRng(seed);
  const out: DemoReport[] = [];
  const nodes = countries.filter((c) => PLACES[c]);
  for (let i = 0; i < count; i++) {
    const route = rng.pick(ROUTES.filter((r) => r.some((c) => nodes.includes(c))));
    const country = rng.pick(route.filter((c) => nodes.includes(c)));
    const place = rng.pick(PLACES[country] ?? []);
    const drug = rng.pick(DRUGS);
    const quantity = Math.round((drug.min + rng.next() * (drug.max - drug.min)) * 100) / 100;
    const seizedAt = new Date(now - rng.int(1, 540) * 86400000 - rng.int(0, 86399) * 1000);
    const plate = rng.chance(0.04)
      ? rng.pick(SHARED_PLATES)
      : `${rng.int(100, 999)}${rng.pick(['ABC', 'KZA', 'TRK', 'XYZ'])}${rng.int(10, 99)}`;
    const tlp = rng.pick(TLP);
    out.push({
      node: country,
      body: {
        seizedAt: seizedAt.toISOString(),
        country,
        place,
        agency: rng.pick(AGENCY),
        drugs: [{ substance: drug.substance, quantity, unit: drug.unit, form: drug.form }],
        conveyance: {
          mode: 'road',
          vehicle: rng.pick(['truck', 'car', 'bus']),
          identifiers: [{ kind: 'plate', value: plate }],
        },
        concealment: rng.pick(CONCEALMENT),
        detection: rng.pick(DETECTION),
        route: route.map((c, idx) => ({
          country: c,
          role: idx === 0 ? 'origin' : idx === route.length - 1 ? 'destination' : 'transit',
        })),
        arrested: rng.chance(0.7) ? [{ nationality: rng.pick(route), count: rng.int(1, 4) }] : [],
        handling: {
          tlp,
          releasableTo: tlp === 'CLEAR' || tlp === 'GREEN' ? [] : ['central-asia'],
          evaluation: `${rng.pick(['A', 'B', 'C'])}${rng.int(1, 3)}`,
        },
        notes: 'demo data',
      },
    });
  }
  return out;
}
