// Search over GET /v1/seizures with filters and cursor paging, and the exports of the same filters.
import { byId, fill, h, tableHead } from './dom.js';
import { fmtDate, fmtNumber, t } from './i18n.js';
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

function resultRow(item) {
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
    h('td', { class: 'num', text: fmtNumber(item.totalKg) }),
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
      state.params = params;
      state.items = more ? appendPage(state.items, page.items) : page.items;
      state.nextCursor = page.nextCursor;
      render();
    } catch (err) {
      if (mine === current && err.code !== 'ABORTED') report(err);
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

  async function download(path, params, name) {
    try {
      say(downloadNotice(await api.download(path, params, name)));
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
    download('/v1/export/seizures.csv', { ...filters(form), limit: EXPORT_ROWS }, 'seizures.csv'),
  );
  byId('export-geojson').addEventListener('click', () => {
    const { country, drug } = filters(form);
    download('/v1/export/routes.geojson', { country, drug }, 'routes.geojson');
  });

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
