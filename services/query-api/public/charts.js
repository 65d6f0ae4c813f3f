// Plain SVG charts: a line chart of quantities by month and horizontal bar charts; each with its data as a table.
import { h, refill, s, tableHead } from './dom.js';
import { fmtKg, fmtKgSum, fmtMonth, fmtNumber, kgLabel, t } from './i18n.js';

const COLOURS = 6;

/**
 * The heading of a count from GET /v1/stats or /v1/routes: seizure entries, a report once for each substance it names
 * (one of heroin and opium counts under both), not distinct reports, which the per-substance read models cannot give.
 */
export const seizureEntries = () => t('seizureEntries');

/** Round numbers for an axis from 0 to at least `max`. */
function ticks(max) {
  if (!(max > 0)) return [0, 1];
  const step0 = max / 4;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((v) => v >= step0);
  const out = [];
  for (let v = 0; v < max + step; v += step) out.push(Math.round(v * 1e9) / 1e9);
  return out;
}

/** The chart's data as a table, in a details kept open across refreshes (refill) by its key. */
function dataTable(head, rows) {
  return h(
    'details',
    { class: 'data-table', 'data-key': 'data-table' },
    h('summary', { text: t('chartTable') }),
    h(
      'table',
      {},
      tableHead(head),
      h(
        'tbody',
        {},
        rows.map((r) =>
          h(
            'tr',
            {},
            r.map((c, i) => h(i ? 'td' : 'th', i ? { class: 'num', text: c } : { scope: 'row', text: c })),
          ),
        ),
      ),
    ),
  );
}

/** Every month from the first to the last key ("2025-11" … "2026-02"), so gaps show as zero. */
export function monthRange(keys) {
  const sorted = [...keys].filter((k) => /^\d{4}-\d{2}$/.test(k) && !k.endsWith('-00')).sort();
  if (!sorted.length) return [];
  const [y0, m0] = sorted[0].split('-').map(Number);
  const [y1, m1] = sorted[sorted.length - 1].split('-').map(Number);
  const out = [];
  for (let y = y0, m = m0; y < y1 || (y === y1 && m <= m1); m === 12 ? ((m = 1), y++) : m++)
    out.push(`${y}-${String(m).padStart(2, '0')}`);
  return out;
}

/**
 * series: [{ label, rows: [{ key: '2026-01', quantityKg, count }] }]; one line per series over the months.
 */
export function renderLineChart(container, { series, labelledBy, width = 640 }) {
  const months = monthRange(series.flatMap((x) => x.rows.map((r) => r.key)));
  if (!months.length) return refill(container, h('p', { class: 'empty', text: t('chartEmpty') }));
  const W = width;
  const H = 300;
  const m = { l: 60, r: 40, t: 30, b: 40 };
  const values = series.map((x) => {
    const by = new Map(x.rows.map((r) => [r.key, r]));
    return months.map((k) => by.get(k) ?? { key: k, quantityKg: 0, count: 0 });
  });
  const yTicks = ticks(Math.max(0, ...values.flat().map((r) => r.quantityKg)));
  const yMax = yTicks[yTicks.length - 1];
  const x = (i) =>
    m.l + (months.length === 1 ? (W - m.l - m.r) / 2 : (i * (W - m.l - m.r)) / (months.length - 1));
  const y = (v) => H - m.b - (v / yMax) * (H - m.t - m.b);
  const every = Math.ceil(months.length / 8);
  const svg = s(
    'svg',
    { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': labelledBy },
    s(
      'g',
      { class: 'axis' },
      yTicks.map((v) => [
        s('line', { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v), class: 'gridline' }),
        s('text', { x: m.l - 8, y: y(v) + 4, 'text-anchor': 'end', text: fmtKg(v) }),
      ]),
      months.map((k, i) =>
        i % every === 0
          ? s('text', { x: x(i), y: H - m.b + 18, 'text-anchor': 'middle', text: fmtMonth(k) })
          : null,
      ),
      s('text', { x: m.l - 8, y: m.t - 14, 'text-anchor': 'end', class: 'unit', text: t('kg') }),
    ),
    values.map((rows, si) =>
      s(
        'g',
        { class: `c${si % COLOURS}` },
        s('path', {
          class: 'series',
          'data-series': series[si].label,
          d: rows.map((r, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(r.quantityKg).toFixed(1)}`).join(''),
        }),
        rows.map((r, i) =>
          s(
            'circle',
            { class: 'point', cx: x(i).toFixed(1), cy: y(r.quantityKg).toFixed(1), r: 3 },
            s('title', {
              text: `${series[si].label}, ${fmtMonth(r.key)}: ${kgLabel(r.quantityKg, r.count)} (${r.count})`,
            }),
          ),
        ),
      ),
    ),
  );
  const legend = h(
    'ul',
    { class: 'legend' },
    series.map((x, si) =>
      h('li', { class: `c${si % COLOURS}` }, h('span', { class: 'swatch', 'aria-hidden': 'true' }), x.label),
    ),
  );
  const table = dataTable(
    [t('month'), ...series.map((x) => `${x.label}, ${t('kg')}`)],
    months.map((k, i) => [fmtMonth(k), ...values.map((rows) => fmtKgSum(rows[i].quantityKg, rows[i].count))]),
  );
  return refill(container, svg, legend, table);
}

/** rows: [{ key, label, quantityKg, count }], drawn largest first. */
export function renderBarChart(container, { rows, labelledBy }) {
  if (!rows.length) return refill(container, h('p', { class: 'empty', text: t('chartEmpty') }));
  const sorted = [...rows].sort((a, b) => b.quantityKg - a.quantityKg);
  const W = 560;
  const bar = 22;
  const gap = 8;
  const m = { l: 180, r: 70, t: 8, b: 8 };
  const H = m.t + m.b + sorted.length * (bar + gap);
  const max = Math.max(1e-9, ...sorted.map((r) => r.quantityKg));
  const width = (v) => Math.max(1, (v / max) * (W - m.l - m.r));
  const svg = s(
    'svg',
    { class: 'chart bars', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': labelledBy },
    sorted.map((r, i) => {
      const top = m.t + i * (bar + gap);
      const label = `${r.label}: ${kgLabel(r.quantityKg, r.count)} (${r.count})`;
      return s(
        'g',
        { class: `c${i % COLOURS}` },
        s('text', { x: m.l - 8, y: top + bar / 2 + 4, 'text-anchor': 'end', class: 'label', text: r.label }),
        s(
          'rect',
          {
            class: 'bar',
            x: m.l,
            y: top,
            height: bar,
            width: width(r.quantityKg).toFixed(1),
            'data-key': r.key,
          },
          s('title', { text: label }),
        ),
        s('text', {
          x: m.l + width(r.quantityKg) + 6,
          y: top + bar / 2 + 4,
          class: 'value',
          text: fmtKgSum(r.quantityKg, r.count),
        }),
      );
    }),
  );
  const table = dataTable(
    ['', t('quantityKg'), seizureEntries()],
    sorted.map((r) => [r.label, fmtKgSum(r.quantityKg, r.count), fmtNumber(r.count, 0)]),
  );
  return refill(container, svg, table);
}
