// Writes schemas/vocab/country-bbox.json: each country's bounding box (ISO alpha-2 → [west, south, east, north]),
// computed from Natural Earth's 1:50m geometry in the world-atlas package. The coordinator flags a seizure whose
// coordinates fall outside the stated country's box. Re-run after upgrading world-atlas:
//   node --import tsx scripts/src/tools/make-country-bbox.ts && npx prettier --write schemas/vocab/country-bbox.json
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { geoBounds } from 'd3-geo';
import countries from 'i18n-iso-countries';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import { AVRO_DIR } from '@hub/schemas';

const require = createRequire(import.meta.url);
const topology = JSON.parse(
  readFileSync(require.resolve('world-atlas/countries-50m.json'), 'utf8'),
) as Topology;
const collection = feature(topology, topology.objects.countries as GeometryCollection);
const out: Record<string, [number, number, number, number]> = {};
for (const f of collection.features) {
  const code = f.id === undefined ? undefined : countries.numericToAlpha2(String(f.id).padStart(3, '0'));
  if (!code) continue;
  const [[w, s], [e, n]] = geoBounds(f);
  const r = (x: number) => Math.round(x * 1000) / 1000;
  out[code] = [r(w), r(s), r(e), r(n)];
}
const boxes = Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
const source =
  'Natural Earth 1:50m via world-atlas; [west, south, east, north] in degrees; west > east crosses the antimeridian';
writeFileSync(
  join(AVRO_DIR, '..', 'vocab', 'country-bbox.json'),
  `${JSON.stringify({ source, boxes }, null, 1)}\n`,
);
console.log(`${Object.keys(boxes).length} countries`);
