// Synthetic but realistic stored reports for the query benchmark: agency JSON normalised by the domain exactly as a
// node does, stored with the coordinator's own reportDocument, and the read-model buckets they count in.
import { createHash } from 'node:crypto';
import type { Accepted } from '@hub/coordinator';
import { contributionsOf } from '@hub/coordinator';
import { reportDocument } from '@hub/coordinator/documents';
import { seizureReportFromJson } from '@hub/domain';
import type { Region } from '@hub/schemas';
import type { StoredReport } from '@hub/store';

/** Deterministic generator (mulberry32), so that two runs fill the same data. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Weighted<T> = [T, number][];

function pick<T>(rnd: () => number, items: Weighted<T>): T {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = rnd() * total;
  for (const [item, w] of items) if ((x -= w) < 0) return item;
  return (items[items.length - 1] as [T, number])[0];
}

// Central Asia reports most, its neighbours on the northern and Balkan routes the rest.
const COUNTRIES: Weighted<string> = [
  ['KZ', 22],
  ['UZ', 14],
  ['TJ', 14],
  ['KG', 10],
  ['TM', 5],
  ['AF', 6],
  ['RU', 10],
  ['IR', 8],
  ['AZ', 3],
  ['GE', 3],
  ['TR', 5],
];
const SUBSTANCES: Weighted<[string, string, string]> = [
  [['heroin', 'powder', 'kg'], 24],
  [['opium', 'paste', 'kg'], 10],
  [['cannabis-resin', 'resin', 'kg'], 14],
  [['cannabis-herb', 'herb', 'kg'], 14],
  [['methamphetamine', 'crystal', 'kg'], 8],
  [['mephedrone', 'powder', 'g'], 6],
  [['alpha-pvp', 'crystal', 'g'], 4],
  [['tramadol', 'tablet', 'tablets'], 5],
  [['pregabalin', 'capsule', 'tablets'], 3],
  [['cocaine-hcl', 'powder', 'kg'], 3],
  [['mdma', 'tablet', 'tablets'], 2],
  [['acetic-anhydride', 'liquid', 'l'], 3],
  [['synthetic-cannabinoids', 'herb', 'g'], 3],
  [['fentanyl', 'powder', 'g'], 1],
];
const ROUTES: string[][] = [
  ['AF', 'TJ', 'KZ', 'RU'],
  ['AF', 'TJ', 'KG', 'KZ', 'RU'],
  ['AF', 'UZ', 'KZ', 'RU'],
  ['AF', 'TM', 'IR', 'TR'],
  ['AF', 'IR', 'TR'],
  ['AF', 'IR', 'AZ', 'GE'],
  ['CN', 'KZ', 'RU'],
  ['RU', 'KZ'],
  ['KG', 'KZ'],
  ['UZ', 'KZ', 'RU'],
];
const TLPS: Weighted<{ tlp: string; releasableTo: string[] }> = [
  [{ tlp: 'CLEAR', releasableTo: [] }, 8],
  [{ tlp: 'GREEN', releasableTo: [] }, 35],
  [{ tlp: 'AMBER', releasableTo: ['central-asia'] }, 22],
  [{ tlp: 'AMBER', releasableTo: ['northern-route'] }, 10],
  [{ tlp: 'AMBER', releasableTo: ['KZ', 'KG', 'UZ'] }, 8],
  [{ tlp: 'AMBER+STRICT', releasableTo: ['KZ', 'TJ'] }, 10],
  [{ tlp: 'RED', releasableTo: [] }, 7],
];
const MODES: Weighted<[string, string, string]> = [
  [['road', 'truck', 'plate'], 45],
  [['road', 'car', 'plate'], 20],
  [['rail', 'freight wagon', 'container'], 10],
  [['air', 'passenger', 'flight'], 8],
  [['mail', 'parcel', 'parcel-tracking'], 10],
  [['pedestrian', 'on foot', 'phone'], 7],
];
const AGENCIES: Weighted<string> = [
  ['customs', 35],
  ['police', 30],
  ['border-guard', 20],
  ['drug-control-agency', 15],
];
const CONCEALMENT = [
  'false-floor',
  'hidden-compartment',
  'fuel-tank',
  'cargo',
  'luggage',
  'body-carry',
  'none',
];
const DETECTION = ['x-ray', 'canine', 'risk-profiling', 'intelligence', 'random-check', 'physical-search'];
const DAY = 86400000;

/** A UUID-shaped id from the seed and index, so that report ids are stable across runs. */
function uuidOf(seed: number, i: number): string {
  const h = createHash('sha1').update(`${seed}:${i}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface JsonOptions {
  now: number;
  /** Seizure dates spread over this many years before `now`. */
  years: number;
  /** Every report from this country (one node's traffic); otherwise drawn from the region. */
  country?: string;
  /** Seed of the report ids (different seeds, different reports). */
  idSeed?: number;
}

/** The agency JSON of report `i`, varied as the field sends it. */
export function agencyJson(rnd: () => number, i: number, o: JsonOptions): Record<string, unknown> {
  const country = o.country ?? pick(rnd, COUNTRIES);
  const drugCount = rnd() < 0.2 ? 2 : 1;
  const drugs = Array.from({ length: drugCount }, () => {
    const [substance, form, unit] = pick(rnd, SUBSTANCES);
    const scale = unit === 'kg' || unit === 'l' ? 1 : unit === 'g' ? 1000 : 5000;
    return {
      substance,
      quantity: Math.round(Math.exp(rnd() * 6) * scale * 10) / 100,
      unit,
      form,
      ...(rnd() < 0.4 ? { purityPct: Math.round(rnd() * 90) } : {}),
    };
  });
  const [mode, vehicle, kind] = pick(rnd, MODES);
  const route = ROUTES[Math.floor(rnd() * ROUTES.length)] as string[];
  const handling = pick(rnd, TLPS);
  const seizedAt = new Date(o.now - Math.floor(rnd() * o.years * 365 * DAY) - 5 * DAY).toISOString();
  return {
    reportId: uuidOf(o.idSeed ?? 0xbe4c, i),
    seizedAt,
    country,
    place: { name: `checkpoint ${Math.floor(rnd() * 40)}`, direction: rnd() < 0.6 ? 'import' : 'transit' },
    agency: pick(rnd, AGENCIES),
    caseReference: `${country}-${i}`,
    drugs,
    conveyance: {
      mode,
      vehicle,
      identifiers: [{ kind, value: `${kind.slice(0, 2).toUpperCase()}${Math.floor(rnd() * 1e7)}` }],
    },
    concealment: CONCEALMENT[Math.floor(rnd() * CONCEALMENT.length)],
    detection: DETECTION[Math.floor(rnd() * DETECTION.length)],
    route: route.map((c, j) => ({
      country: c,
      role: j === 0 ? 'origin' : j === route.length - 1 ? 'destination' : 'transit',
    })),
    ...(rnd() < 0.5 ? { arrested: [{ nationality: route[0], count: 1 + Math.floor(rnd() * 3) }] } : {}),
    handling: { ...handling, evaluation: 'B2' },
    notes: rnd() < 0.3 ? 'found during a scheduled inspection; courier detained' : undefined,
  };
}

/** Report `i` as the coordinator stores it (origin = country of seizure: each node reports its own seizures). */
export function storedReport(
  rnd: () => number,
  i: number,
  ctx: { now: number; years: number; regions: Region[] },
): StoredReport {
  const json = agencyJson(rnd, i, ctx);
  const country = json.country as string;
  // Reported within days of the seizure, received a few seconds later.
  const reportedAt = Date.parse(json.seizedAt as string) + Math.floor(rnd() * 5 * DAY);
  const { value } = seizureReportFromJson(json, {
    nodeCountry: country,
    now: reportedAt,
    versionOf: () => 1,
    regions: new Set(ctx.regions.map((r) => r.id)),
  });
  const reportId = value.reportId;
  const accepted = {
    value: value as unknown as Record<string, unknown>,
    subjectId: reportId,
    envelope: { origin: country, messageId: uuidOf(0x3e55, i) },
    signer: { fingerprint: createHash('sha256').update(country).digest('hex') },
  } as unknown as Accepted;
  return reportDocument(accepted, ctx.regions, new Date(reportedAt + 2000 + Math.floor(rnd() * 8000)));
}

interface BucketSum {
  fields: Record<string, unknown>;
  kg: number;
  count: number;
  lastSeenAt: Date;
}

/** The read-model buckets (stats_monthly and route_legs) of the reports added, summed in memory. */
export class BucketTotals {
  private readonly buckets = new Map<string, BucketSum>();

  add(report: StoredReport): void {
    for (const c of contributionsOf(report)) {
      let b = this.buckets.get(c.bucket);
      if (!b) this.buckets.set(c.bucket, (b = { fields: c.fields, kg: 0, count: 0, lastSeenAt: c.seizedAt }));
      b.kg += c.kg;
      b.count += 1;
      if (c.seizedAt > b.lastSeenAt) b.lastSeenAt = c.seizedAt;
    }
  }

  /** Bucket documents as updateReadModels writes them, split by collection. */
  documents(): { stats: Record<string, unknown>[]; legs: Record<string, unknown>[] } {
    const stats: Record<string, unknown>[] = [];
    const legs: Record<string, unknown>[] = [];
    for (const [id, b] of this.buckets) {
      const doc = {
        ...b.fields,
        _id: id,
        rev: 1,
        quantityKg: Math.round(b.kg * 1e9) / 1e9,
        count: b.count,
      };
      if (id.startsWith('s|')) stats.push(doc);
      else legs.push({ ...doc, lastSeenAt: b.lastSeenAt });
    }
    return { stats, legs };
  }
}
