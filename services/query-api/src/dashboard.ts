// The analyst dashboard at `/`: static files from public/, browser builds of the map libraries straight from
// node_modules (no bundler, no CDN), and the reference data the browser needs (countries, substances, regions and
// the labels of the coded vocabularies).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { geoArea, geoCentroid } from 'd3-geo';
import express, { Router, type Response } from 'express';
import countries from 'i18n-iso-countries';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import type { Feature, Geometry, Polygon } from 'geojson';
import { countryName, drugAggregateTerms, loadVocabularies, VOCAB_DIR } from '@hub/domain';
import { loadRegions } from '@hub/schemas';

const require = createRequire(import.meta.url);
export const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');

/** One country as the dashboard and the GeoJSON export need it. */
export interface CountryInfo {
  /** ISO 3166-1 numeric code, as world-atlas uses for its feature ids. */
  numeric: string | null;
  en: string;
  ru: string;
  /** [lon, lat] of the country's largest polygon (so France is not placed in the Atlantic), or null. */
  centroid: [number, number] | null;
}

/** world-atlas features without an ISO numeric id that the hub may still name. */
const UNNUMBERED: Record<string, string> = { Kosovo: 'XK' };

function mainCentroid(geometry: Geometry | null): [number, number] | null {
  if (!geometry) return null;
  let shape: Geometry = geometry;
  if (geometry.type === 'MultiPolygon') {
    const parts: Polygon[] = geometry.coordinates.map((coordinates) => ({ type: 'Polygon', coordinates }));
    shape = parts.reduce((a, b) => (geoArea(b) > geoArea(a) ? b : a));
  }
  const [lon, lat] = geoCentroid(shape);
  return Number.isFinite(lon) ? [Math.round(lon * 1e3) / 1e3, Math.round(lat * 1e3) / 1e3] : null;
}

let countryCache: Record<string, CountryInfo> | undefined;

/** Every ISO alpha-2 code with its numeric code, English and Russian names and centroid (built once). */
export function countryTable(): Record<string, CountryInfo> {
  if (countryCache) return countryCache;
  // The 1:50m set has the small states the 1:110m drawing leaves out, so legs to them still get an end point.
  const world = require('world-atlas/countries-50m.json') as Topology<{ countries: GeometryCollection }>;
  const centroids = new Map<string, [number, number] | null>();
  for (const f of feature(world, world.objects.countries).features as Feature[]) {
    const name = String((f.properties as { name?: string } | null)?.name ?? '');
    const a2 = f.id !== undefined ? countries.numericToAlpha2(String(f.id)) : UNNUMBERED[name];
    if (a2 && !centroids.has(a2)) centroids.set(a2, mainCentroid(f.geometry));
  }
  const table: Record<string, CountryInfo> = {};
  for (const a2 of [...Object.keys(countries.getAlpha2Codes()), 'XK'].sort()) {
    table[a2] = {
      numeric: countries.alpha2ToNumeric(a2) ?? null,
      en: a2 === 'XK' ? 'Kosovo' : countryName(a2, 'en'),
      ru: a2 === 'XK' ? 'Косово' : countryName(a2, 'ru'),
      centroid: centroids.get(a2) ?? null,
    };
  }
  return (countryCache = table);
}

/** Substance codes with their group and English and Russian labels (schemas/vocab/substances.json). */
/** The substances, then the World Drug Report aggregates a drug filter also takes (aggregate: true, with the substances
 * each one counts). */
export function substanceLabels(): ({ code: string; group: string | null; en: string; ru: string } & (
  { aggregate?: undefined } | { aggregate: true; substances: string[] }
))[] {
  return [
    ...loadVocabularies().substances.terms.map((t) => ({
      code: t.code,
      group: t.group,
      en: t.labels.en ?? t.code,
      ru: t.labels.ru ?? t.labels.en ?? t.code,
    })),
    ...drugAggregateTerms().map((a) => ({
      code: a.code,
      group: null,
      en: a.labels.en!,
      ru: a.labels.ru!,
      aggregate: true as const,
      substances: a.substances,
    })),
  ];
}

/** The vocabularies the dashboard labels codes with, by the name of their file in schemas/vocab. */
export const DASHBOARD_VOCABULARIES = [
  'concealment-methods',
  'detection-methods',
  'transport-modes',
  'location-types',
  'drug-forms',
  'drug-groups',
  'agency-types',
  'identifier-kinds',
  // A drug line's unit (kg, g, tablets, plants…): the record shows its label, the search the counted units by it.
  'units',
] as const;

/** Labels per language of one term; the languages are those its file gives (en and ru, some kk, ky, tg, uz). */
export type TermLabels = Record<string, string>;

/**
 * Every term of the dashboard's vocabularies as `{ vocabulary: { code: { en, ru, … } } }`, read from
 * schemas/vocab/*.json when asked (so an edited vocabulary is served without a rebuild). A missing file gives an
 * empty vocabulary; the browser then shows the codes.
 */
export function vocabularyLabels(dir = VOCAB_DIR): Record<string, Record<string, TermLabels>> {
  const out: Record<string, Record<string, TermLabels>> = {};
  for (const name of DASHBOARD_VOCABULARIES) {
    const file = join(dir, `${name}.json`);
    const terms = existsSync(file)
      ? ((JSON.parse(readFileSync(file, 'utf8')) as { terms?: { code: string; labels?: TermLabels }[] })
          .terms ?? [])
      : [];
    out[name] = Object.fromEntries(
      terms.map((t) => [
        t.code,
        Object.fromEntries(
          Object.entries(t.labels ?? {}).filter(([, v]) => typeof v === 'string' && v.length > 0),
        ),
      ]),
    );
  }
  return out;
}

/** Regions with their members and English and Russian names (schemas/vocab/regions.json), for the live feeds. */
export function regionLabels(): { id: string; en: string; ru: string; members: string[] }[] {
  return loadRegions().map((r) => ({
    id: r.id,
    en: r.labels.en ?? r.id,
    ru: r.labels.ru ?? r.labels.en ?? r.id,
    members: r.members,
  }));
}

/** The page's policy: only this origin's scripts plus the one inline import map, pinned by its hash. */
function contentSecurityPolicy(indexHtml: string): string {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(indexHtml)?.[1] ?? '';
  const hash = createHash('sha256').update(importMap).digest('base64');
  return [
    "default-src 'self'",
    `script-src 'self' 'sha256-${hash}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');
}

/** Static dashboard, vendored browser modules and reference data; all public (the data needs a token). */
export function dashboardRouter(publicDir = PUBLIC_DIR): Router {
  const router = Router();
  const csp = contentSecurityPolicy(readFileSync(join(publicDir, 'index.html'), 'utf8'));
  const vendor = (res: Response) => {
    res.setHeader('cache-control', 'public, max-age=86400');
    res.setHeader('x-content-type-options', 'nosniff');
  };
  const sendModule = (path: string) => (_req: unknown, res: Response) => {
    vendor(res);
    res.type('text/javascript').sendFile(path);
  };
  const d3Geo = require.resolve('d3-geo');
  router.get('/vendor/d3-geo.mjs', sendModule(d3Geo));
  router.get('/vendor/d3-array.mjs', sendModule(createRequire(d3Geo).resolve('d3-array')));
  // topojson-client ships its ES modules as src/*.js with relative imports, which a browser loads as they are.
  router.use(
    '/vendor/topojson-client',
    express.static(join(dirname(require.resolve('topojson-client')), '..', 'src'), {
      setHeaders: vendor,
      index: false,
    }),
  );
  router.get('/vendor/countries-110m.json', (_req, res) => {
    vendor(res);
    res.sendFile(require.resolve('world-atlas/countries-110m.json'));
  });
  router.get('/data/countries.json', (_req, res) => {
    res.setHeader('cache-control', 'public, max-age=3600');
    res.json(countryTable());
  });
  router.get('/data/substances.json', (_req, res) => {
    res.setHeader('cache-control', 'public, max-age=3600');
    res.json(substanceLabels());
  });
  router.get('/data/vocab.json', (_req, res) => {
    res.setHeader('cache-control', 'public, max-age=3600');
    res.json(vocabularyLabels());
  });
  router.get('/data/regions.json', (_req, res) => {
    res.setHeader('cache-control', 'public, max-age=3600');
    res.json(regionLabels());
  });
  router.use(
    express.static(publicDir, {
      index: 'index.html',
      setHeaders(res, path) {
        res.setHeader('x-content-type-options', 'nosniff');
        res.setHeader('cache-control', 'no-cache');
        if (path.endsWith('.html')) {
          res.setHeader('content-security-policy', csp);
          res.setHeader('referrer-policy', 'no-referrer');
        }
      },
    }),
  );
  return router;
}
