// Search over GET /v1/seizures with filters and cursor paging, and the exports of the same filters.
import { byId, fill, focusAfterPaging, h, tableHead } from './dom.js';
import { fmtDate, fmtKg, fmtNumber, t } from './i18n.js';
import {
  aggregateCodes,
  countryCodes,
  countryName,
  sortedByLabel,
  substanceCodes,
  substanceName,
  termLabel,
} from './reference.js';

function options(select, codes, label) {
  const value = select.value;
  fill(
    select,
    h('option', { value: '', text: t('any') }),
    sortedByLabel(codes, label).map((o) => h('option', { value: o.code, text: `${o.label} (${o.code})` })),
  );
  select.value = value;
}

/** The drug filter: every substance, and first the aggregates that stand for all of a kind (cocaine: every form). */
function drugOptions(select) {
  const value = select.value;
  const group = (label, codes) =>
    h(
      'optgroup',
      { label },
      sortedByLabel(codes, substanceName).map((o) =>
        h('option', { value: o.code, text: `${o.label} (${o.code})` }),
      ),
    );
  fill(
    select,
    h('option', { value: '', text: t('any') }),
    group(t('drugsAllOfAKind'), aggregateCodes()),
    group(t('drugsOneSubstance'), substanceCodes()),
  );
  select.value = value;
}

/** The most rows the CSV export asks for (the API's most, and its default): past them the file is cut. */
export const EXPORT_ROWS = 10000;

/**
 * `items` with those of the next page that are not among them already, in order. A report whose seizedAt is corrected
 * between pages can cross the cursor and come again (GET /v1/seizures): shown once, and counted once.
 */
export function appendPage(items, next) {
  const shown = new Set(items.map((i) => i.reportId));
  return [...items, ...next.filter((i) => !shown.has(i.reportId))];
}

/**
 * What the status line says of a download: its name, and when the API cut it (more matched than `rows`), that it holds
 * only the newest `rows` and how to have the rest.
 */
export function downloadNotice({ name, truncated }, rows = EXPORT_ROWS) {
  return truncated
    ? t('exportedTruncated', { file: name, count: fmtNumber(rows, 0) })
    : t('exported', { file: name });
}

/** The search's filters (of GET /v1/seizures), with the form's label of each. */
const SEARCH_FILTERS = {
  country: 'country',
  drug: 'drug',
  routeCountry: 'routeCountry',
  from: 'dateFrom',
  to: 'dateTo',
};

/**
 * The filters each export takes: the CSV those of the search; the routes (GeoJSON) only country and drug, as route
 * legs are kept by country, drug and month, and its `country` is a leg's either end, not the country of seizure.
 */
const EXPORT_FILTERS = { csv: Object.keys(SEARCH_FILTERS), geojson: ['country', 'drug'] };

/**
 * Of the search filters in `params` (those of the search shown), the ones the export `format` (csv, geojson) applies,
 * as its query parameters, and the names of those it cannot apply, which the user is told of rather than given a file
 * of more than they searched for.
 */
export function exportFilters(format, params) {
  const takes = EXPORT_FILTERS[format];
  const given = Object.entries(params ?? {}).filter(
    ([k, v]) => k in SEARCH_FILTERS && v !== undefined && v !== null && v !== '',
  );
  return {
    applied: Object.fromEntries(given.filter(([k]) => takes.includes(k))),
    ignored: given.map(([k]) => k).filter((k) => !takes.includes(k)),
  };
}

/** What the status line adds to an export's notice: the filters it did not apply, and what its country means. */
export function exportFiltersNotice(format, params) {
  const { applied, ignored } = exportFilters(format, params);
  return [
    ignored.length
      ? t('exportNotApplied', { filters: ignored.map((k) => t(SEARCH_FILTERS[k])).join(', ') })
      : '',
    format === 'geojson' && applied.country
      ? t('exportCountryEitherEnd', { country: countryName(applied.country) })
      : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * A result's kilograms: the weighed total (null when no line was weighed: it is not 0 kg), and the quantities counted,
 * not weighed (a unit without mass, plants: quantityKg null), summed by unit, which the total leaves out.
 */
export function reportQuantity(item) {
  const drugs = item.report?.drugs ?? [];
  const counted = new Map();
  for (const d of drugs)
    if (typeof d.quantityKg !== 'number') counted.set(d.unit, (counted.get(d.unit) ?? 0) + (d.quantity ?? 0));
  const weighed = drugs.length === 0 || drugs.some((d) => typeof d.quantityKg === 'number');
  return {
    kg: weighed ? (item.totalKg ?? null) : null,
    counted: [...counted].map(([unit, quantity]) => ({ unit, quantity })),
  };
}

function quantityCell(item) {
  const { kg, counted } = reportQuantity(item);
  const items = counted.map((c) => `${termLabel('units', c.unit)}: ${fmtNumber(c.quantity, 3)}`).join(', ');
  return h(
    'td',
    { class: 'num', 'data-col': 'totalKg', 'data-counted': counted.length ? 'true' : null },
    fmtKg(kg),
    counted.length
      ? h('span', { class: 'sub', text: kg === null ? items : t('plusCounted', { items }) })
      : null,
  );
}

/** The form's filters as query parameters; `to` includes the whole day it names. */
function filters(form) {
  const f = Object.fromEntries(new FormData(form));
  return {
    country: f.country || undefined,
    drug: f.drug || undefined,
    routeCountry: f.routeCountry || undefined,
    from: f.from || undefined,
    to: f.to ? `${f.to}T23:59:59.999Z` : undefined,
  };
}

/** One result as a row of the table. */
export function resultRow(item) {
  const route = (item.report?.route ?? []).map((p) => p.country).join(' → ');
  const place = item.report?.place;
  return h(
    'tr',
    { 'data-report-id': item.reportId },
    h('td', {}, h('a', { href: `#/record/${item.reportId}`, text: fmtDate(item.seizedAt) })),
    h('td', { text: countryName(item.country) }),
    h(
      'td',
      { 'data-col': 'place' },
      item.report?.place?.name ?? '',
      place?.locationType
        ? h('span', { class: 'sub', text: termLabel('location-types', place.locationType) })
        : null,
    ),
    h('td', { text: item.substances.map(substanceName).join(', ') }),
    quantityCell(item),
    h('td', { 'data-col': 'conveyance', text: termLabel('transport-modes', item.report?.conveyance?.mode) }),
    h('td', { 'data-col': 'concealment', text: termLabel('concealment-methods', item.report?.concealment) }),
    h('td', { 'data-col': 'detection', text: termLabel('detection-methods', item.report?.detection) }),
    h('td', { text: route }),
    h(
      'td',
      {},
      h('span', {
        class: `tlp tlp-${item.handling.tlp.replace('+', '-').toLowerCase()}`,
        text: `TLP:${item.handling.tlp}`,
      }),
    ),
  );
}

/** Wire the search form; `report(error)` shows a failure, `say(text)` a status line. */
export function createSearch({ api, report, say }) {
  const form = byId('search-form');
  const state = { params: null, items: [], nextCursor: null };
  // The search under way: a newer one (or a reset) supersedes it, so that a slow answer to an earlier search never
  // replaces the results of a later one. The hub finishes the superseded search's reads regardless.
  let current = null;

  async function run(more) {
    const params = more ? state.params : { ...filters(form), limit: form.elements.limit.value };
    current?.abort();
    const mine = (current = new AbortController());
    try {
      const page = await api.get(
        '/v1/seizures',
        { ...params, cursor: more ? state.nextCursor : undefined },
        { signal: mine.signal },
      );
      if (mine !== current) return;
      const before = state.items.length;
      state.params = params;
      state.items = more ? appendPage(state.items, page.items) : page.items;
      state.nextCursor = page.nextCursor;
      render();
      // The button clicked is gone (drawn anew, or none left): the focus goes on from where the reader was.
      if (more) focusAfterPaging('load-more', byId('search-results').querySelectorAll('tbody tr')[before]);
    } catch (err) {
      if (mine !== current || err.code === 'ABORTED') return;
      // The results of the search before, under a form changed since, would read as this one's: gone with it.
      if (!more) {
        Object.assign(state, { params: null, items: [], nextCursor: null });
        render();
      }
      report(err);
    } finally {
      if (mine === current) current = null;
    }
  }

  function render() {
    const box = byId('search-results');
    if (!state.params) return fill(box);
    const n = state.items.length;
    fill(
      box,
      h('p', {
        id: 'results-count',
        role: 'status',
        text: n ? t(state.nextCursor ? 'resultsMore' : 'resultsCount', { count: n }) : t('resultsNone'),
      }),
      n
        ? h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'results' },
              h('caption', { class: 'sr-only', text: t('searchTitle') }),
              tableHead(
                [
                  'seizedAt',
                  'country',
                  'place',
                  'substances',
                  'totalKg',
                  'conveyance',
                  'concealment',
                  'detection',
                  'route',
                  'tlp',
                ].map((k) => t(k)),
              ),
              h('tbody', {}, state.items.map(resultRow)),
            ),
          )
        : null,
      state.nextCursor
        ? h('button', { type: 'button', id: 'load-more', text: t('loadMore'), onclick: () => run(true) })
        : null,
    );
  }

  /** Download `format` of the search shown (the form's filters, when none is shown), saying what it did not apply. */
  async function download(path, format, name, extra = {}) {
    const params = state.params ?? filters(form);
    try {
      const file = await api.download(path, { ...exportFilters(format, params).applied, ...extra }, name);
      say([downloadNotice(file), exportFiltersNotice(format, params)].filter(Boolean).join(' '));
    } catch (err) {
      report(err);
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(false);
  });
  form.addEventListener('reset', () => {
    current?.abort();
    current = null;
    Object.assign(state, { params: null, items: [], nextCursor: null });
    render();
  });
  byId('export-csv').addEventListener('click', () =>
    // The row limit asked for, so that a cut file's notice names the number it holds.
    download('/v1/export/seizures.csv', 'csv', 'seizures.csv', { limit: EXPORT_ROWS }),
  );
  byId('export-geojson').addEventListener('click', () =>
    download('/v1/export/routes.geojson', 'geojson', 'routes.geojson'),
  );

  return {
    /** Re-label the selects and the results (language change). */
    render() {
      options(form.elements.country, countryCodes(), countryName);
      options(form.elements.routeCountry, countryCodes(), countryName);
      drugOptions(form.elements.drug);
      render();
    },
    clear() {
      form.reset();
    },
  };
}
