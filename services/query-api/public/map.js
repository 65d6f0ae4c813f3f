// The route picture: countries from world-atlas drawn with d3-geo, and one curved, arrowed line per route leg
// between the countries' centroids, wider for larger quantities. A table below says the same for screen readers.
import { geoCentroid, geoEqualEarth, geoGraticule10, geoPath } from 'd3-geo';
import { feature } from 'topojson-client';
import { h, refill, s, tableHead } from './dom.js';
import { seizureEntries } from './charts.js';
import { fmtDate, fmtKgSum, fmtNumber, kgLabel, t } from './i18n.js';
import { alpha2OfNumeric, centroidOf, countryName, substanceName } from './reference.js';

const W = 960;
const MAX_H = 540;
const MIN_H = 300;
const PAD = 40;
const MAX_SCALE = 1200;
let world = [];

/** Load the 1:110m country outlines once, each tagged with its ISO alpha-2 code. */
export async function loadWorld() {
  const topo = await fetch('/vendor/countries-110m.json').then((r) => r.json());
  const a2 = alpha2OfNumeric();
  world = feature(topo, topo.objects.countries).features.map((f) => ({
    ...f,
    properties: { ...f.properties, a2: a2.get(f.id) ?? (f.properties.name === 'Kosovo' ? 'XK' : null) },
  }));
}

/**
 * A projection centred on the countries the legs touch (or the whole world when there are none), and the height
 * that shows them without empty bands above and below.
 */
function projectionFor(codes) {
  const focus = world.filter((f) => codes.has(f.properties.a2));
  const points = [...codes].map(centroidOf).filter(Boolean);
  const projection = geoEqualEarth();
  const target =
    focus.length || points.length
      ? {
          type: 'FeatureCollection',
          features: [
            ...focus,
            ...points.map((c) => ({ type: 'Feature', geometry: { type: 'Point', coordinates: c } })),
          ],
        }
      : { type: 'Sphere' };
  // Rotating to the region's longitude keeps its shapes true (Equal Earth is exact only on the central meridian).
  if (target.type !== 'Sphere') projection.rotate([-geoCentroid(target)[0], 0]);
  projection.fitExtent(
    [
      [PAD, PAD],
      [W - PAD, MAX_H - PAD],
    ],
    target,
  );
  // Two neighbours alone would fill the frame; keep enough around them to recognise the region.
  if (projection.scale() > MAX_SCALE) {
    projection.scale(MAX_SCALE);
    const [cx, cy] = projection(geoCentroid(target));
    const [tx, ty] = projection.translate();
    projection.translate([tx + W / 2 - cx, ty + MAX_H / 2 - cy]);
  }
  const [[, y0], [, y1]] = geoPath(projection).bounds(target);
  const height = Math.min(MAX_H, Math.max(MIN_H, Math.ceil(y1 - y0 + 2 * PAD)));
  const [tx, ty] = projection.translate();
  projection.translate([tx, ty - (y0 + y1) / 2 + height / 2]);
  return { projection, height };
}

/** Place labels largest flow first; a label that would overlap one already placed tries the other corners. */
function placeLabels(places) {
  const boxes = [];
  const overlaps = (b) => boxes.some((o) => b.x0 < o.x1 && b.x1 > o.x0 && b.y0 < o.y1 && b.y1 > o.y0);
  return places.map(({ code, p }) => {
    const text = countryName(code);
    const w = text.length * 7.2;
    for (const [dx, dy, anchor] of [
      [6, -6, 'start'],
      [6, 15, 'start'],
      [-6, -6, 'end'],
      [-6, 15, 'end'],
    ]) {
      const x = p[0] + dx;
      const box = {
        x0: anchor === 'start' ? x : x - w,
        x1: anchor === 'start' ? x + w : x,
        y0: p[1] + dy - 12,
        y1: p[1] + dy + 2,
      };
      if (!overlaps(box)) {
        boxes.push(box);
        return { code, p, text, x, y: p[1] + dy, anchor };
      }
    }
    return { code, p, text, x: null };
  });
}

function legLabel(l) {
  return t('legTitle', {
    from: countryName(l.from),
    to: countryName(l.to),
    count: l.count,
    quantity: kgLabel(l.quantityKg, l.count),
    substances: l.substances.map(substanceName).join(', '),
  });
}

/**
 * A quadratic curve bending to the left of the direction of travel, so A→B and B→A stay apart; it stops short of
 * the destination's dot so that the arrowhead shows.
 */
function curve([x0, y0], [x1, y1]) {
  const cx = (x0 + x1) / 2 - (y1 - y0) * 0.18;
  const cy = (y0 + y1) / 2 + (x1 - x0) * 0.18;
  const len = Math.hypot(x1 - cx, y1 - cy) || 1;
  const ex = x1 - ((x1 - cx) / len) * 5;
  const ey = y1 - ((y1 - cy) / len) * 5;
  const r = (n) => Math.round(n * 10) / 10;
  return `M${r(x0)},${r(y0)}Q${r(cx)},${r(cy)} ${r(ex)},${r(ey)}`;
}

/** The legs as a table, in a details kept open across refreshes (refill) by its key. */
function legsTable(legs, drawn) {
  return h(
    'details',
    { class: 'data-table', 'data-key': 'legs-table' },
    h('summary', { text: t('legsTable') }),
    h(
      'table',
      {},
      tableHead([t('from'), t('to'), seizureEntries(), t('quantityKg'), t('substances'), t('lastSeen')]),
      h(
        'tbody',
        {},
        legs.map((l) =>
          h(
            'tr',
            {},
            h('td', { text: countryName(l.from) }),
            h(
              'td',
              {},
              countryName(l.to),
              drawn.has(l) ? null : h('span', { class: 'muted', text: ` (${t('notOnMap')})` }),
            ),
            h('td', { class: 'num', text: fmtNumber(l.count, 0) }),
            h('td', { class: 'num', text: fmtKgSum(l.quantityKg, l.count) }),
            h('td', { text: l.substances.map(substanceName).join(', ') }),
            h('td', { text: fmtDate(l.lastSeenAt) }),
          ),
        ),
      ),
    ),
  );
}

/** Draw `legs` (from GET /v1/routes) into `container`. */
export function renderMap(container, legs) {
  const codes = new Set(legs.flatMap((l) => [l.from, l.to]));
  const { projection, height } = projectionFor(codes);
  const path = geoPath(projection);
  const maxKg = Math.max(1e-9, ...legs.map((l) => l.quantityKg));
  const drawn = new Set();
  const flows = [];
  for (const l of [...legs].sort((a, b) => b.quantityKg - a.quantityKg)) {
    const a = centroidOf(l.from);
    const b = centroidOf(l.to);
    const pa = a && projection(a);
    const pb = b && projection(b);
    if (!pa || !pb) continue;
    drawn.add(l);
    const label = legLabel(l);
    flows.push(
      s(
        'path',
        {
          class: 'flow',
          d: curve(pa, pb),
          'stroke-width': (1.5 + 7 * Math.sqrt(l.quantityKg / maxKg)).toFixed(1),
          'marker-end': 'url(#flow-arrow)',
          'data-from': l.from,
          'data-to': l.to,
          'data-count': l.count,
          // The legs are one per pair of countries (GET /v1/routes): the focus finds the flow again by them (focus.js).
          'data-focus-key': `flow:${l.from}>${l.to}`,
          tabindex: 0,
          role: 'img',
          'aria-label': label,
        },
        s('title', { text: label }),
      ),
    );
  }
  // Countries carrying the most weight get their labels first.
  const weight = new Map();
  for (const l of legs) for (const c of [l.from, l.to]) weight.set(c, (weight.get(c) ?? 0) + l.quantityKg);
  const places = [...codes]
    .map((code) => ({ code, p: centroidOf(code) && projection(centroidOf(code)) }))
    .filter((x) => x.p)
    .sort((a, b) => weight.get(b.code) - weight.get(a.code));
  const marks = placeLabels(places).map((m) =>
    s(
      'g',
      { class: 'place', 'data-country': m.code },
      s('title', { text: m.text }),
      s('circle', { cx: m.p[0].toFixed(1), cy: m.p[1].toFixed(1), r: 3.5 }),
      m.x === null
        ? null
        : s('text', { x: m.x.toFixed(1), y: m.y.toFixed(1), 'text-anchor': m.anchor, text: m.text }),
    ),
  );
  const svg = s(
    'svg',
    {
      class: 'map',
      viewBox: `0 0 ${W} ${height}`,
      role: 'group',
      'aria-labelledby': 'map-title',
      'aria-describedby': 'map-desc',
    },
    s(
      'defs',
      {},
      s(
        'marker',
        {
          id: 'flow-arrow',
          viewBox: '0 0 10 10',
          refX: 8,
          refY: 5,
          markerWidth: 9,
          markerHeight: 9,
          markerUnits: 'userSpaceOnUse',
          orient: 'auto',
        },
        s('path', { d: 'M0,0L10,5L0,10z', class: 'arrow' }),
      ),
    ),
    s('path', { class: 'sphere', d: path({ type: 'Sphere' }) }),
    s('path', { class: 'graticule', d: path(geoGraticule10()) }),
    s(
      'g',
      { class: 'countries', 'aria-hidden': 'true' },
      world.map((f) =>
        s(
          'path',
          {
            class: codes.has(f.properties.a2) ? 'country involved' : 'country',
            d: path(f),
            'data-country': f.properties.a2 ?? '',
          },
          s('title', { text: f.properties.a2 ? countryName(f.properties.a2) : f.properties.name }),
        ),
      ),
    ),
    s('g', { class: 'flows' }, flows),
    s('g', { class: 'places', 'aria-hidden': 'true' }, marks),
  );
  refill(
    container,
    svg,
    legs.length ? null : h('p', { class: 'empty', text: t('mapEmpty') }),
    legs.length ? legsTable(legs, drawn) : null,
  );
}
