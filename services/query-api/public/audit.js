// The audit log for auditors (GET /v1/audit): who read what and when, newest first, filtered by reader, action and
// date, a page at a time; with whether the hash chain holds from its first entry (walked by the API for the first
// page; older pages are checked on their own: each entry against its hash and the one before it).
import { apiDescription } from './api.js';
import { byId, fill, focusAfterPaging, h, tableHead } from './dom.js';
import { fmtDateTime, fmtNumber, label, t } from './i18n.js';
import { countryName } from './reference.js';

const PAGE = 50;
/** The actions an entry may name, as the API describes its `action` filter (/openapi.json); loaded once. */
let actions = [];
async function loadActions() {
  const spec = await apiDescription();
  actions = spec.paths['/v1/audit'].get.parameters.find((p) => p.name === 'action').schema.enum;
}

/** The query an entry records, briefly: its parameters as name=value. */
function querySummary(q) {
  return Object.entries(q ?? {})
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(' ')
    .slice(0, 200);
}

/**
 * Whether `field` of entry `e` is withheld from the caller: GET /v1/audit names each one. Below RED every entry
 * withholds some (its hashes at least), so an entry with `withheld` may still show its count and query.
 */
const isWithheld = (e, field) => Boolean(e.withheld?.fields?.includes(field));

/** One entry of the log as a row of the table. */
export function entryRow(e) {
  return h(
    'tr',
    { 'data-seq': e.seq, 'data-action': e.action },
    h('td', { 'data-col': 'seq', text: e.seq }),
    h('td', { 'data-col': 'at', text: fmtDateTime(e.at) }),
    h('td', { 'data-col': 'readerCountry', text: countryName(e.actor?.country) }),
    h('td', { 'data-col': 'readerRole', text: label('role_', e.actor?.role) }),
    h('td', { 'data-col': 'readerUser' }, h('code', { text: e.actor?.sub ?? '' })),
    h('td', { 'data-col': 'action', text: label('action_', e.action) }),
    // An entry of another country, shown to a caller below RED, has its count and query withheld (not 0, not none);
    // one of its own country its query when it names another country's record.
    h('td', {
      'data-col': 'count',
      class: 'num',
      text: isWithheld(e, 'count') ? t('auditWithheld') : fmtNumber(e.count ?? 0, 0),
    }),
    h(
      'td',
      { 'data-col': 'query' },
      isWithheld(e, 'query') ? t('auditWithheld') : h('code', { text: querySummary(e.query) }),
    ),
  );
}

/** The chain's state: as the API walked it for the first page, and any older page that does not hold. */
function chainNote(state) {
  const v = state.verification;
  if (!v) return null;
  const broken = !v.valid
    ? t('auditChainBroken', { seq: v.brokenAt, reason: v.reason ?? '' })
    : state.brokenPage
      ? t('auditPageBroken', { seq: state.brokenPage.brokenAt, reason: state.brokenPage.reason ?? '' })
      : null;
  return h('p', {
    id: 'audit-chain',
    role: 'status',
    class: broken ? 'error' : 'ok',
    'data-valid': String(!broken),
    text: broken ?? t('auditChainHolds', { count: fmtNumber(v.checked, 0) }),
  });
}

/** `claims()` gives the signed-in token's claims; only auditors and admins are shown the view's tab. */
export function createAudit({ api, claims, report }) {
  const empty = () => ({
    entries: [],
    next: null,
    verification: null,
    brokenPage: null,
    filters: {},
    loading: false,
  });
  const state = empty();
  let generation = 0;
  const mayAudit = () => ['auditor', 'admin'].includes(claims().role);

  function render() {
    byId('nav-audit').hidden = !mayAudit();
    const box = byId('audit-entries');
    if (!box) return;
    const n = state.entries.length;
    fill(
      box,
      chainNote(state),
      h('p', {
        id: 'audit-count',
        role: 'status',
        class: n ? null : 'empty',
        text: state.loading
          ? t('loading')
          : n
            ? t(state.next ? 'auditCountMore' : 'auditCount', { count: n })
            : t('auditNone'),
      }),
      n
        ? h(
            'div',
            { class: 'table-wrap' },
            h(
              'table',
              { class: 'audit' },
              h('caption', { class: 'sr-only', text: t('auditTitle') }),
              tableHead(
                [
                  'auditSeq',
                  'readAt',
                  'readerCountry',
                  'readerRole',
                  'readerUser',
                  'action',
                  'auditCount_',
                  'auditQuery',
                ].map((k) => t(k)),
              ),
              h('tbody', {}, state.entries.map(entryRow)),
            ),
          )
        : null,
      state.next
        ? h('button', { type: 'button', id: 'audit-older', text: t('auditOlder'), onclick: older })
        : null,
    );
  }

  function filtersOf(form) {
    const data = new FormData(form);
    const text = (name) => String(data.get(name) ?? '').trim() || undefined;
    return {
      sub: text('sub'),
      country: text('country')?.toUpperCase(),
      action: text('action'),
      from: text('from'),
      to: text('to'),
    };
  }

  /** The first page of the current filters, with the whole chain walked by the API. */
  async function load() {
    if (!mayAudit()) return;
    const mine = ++generation;
    state.loading = true;
    render();
    try {
      const page = await api.get('/v1/audit', { ...state.filters, limit: PAGE });
      if (mine !== generation) return;
      Object.assign(state, {
        entries: page.entries,
        next: page.next,
        verification: {
          valid: page.valid,
          checked: page.checked,
          brokenAt: page.brokenAt,
          reason: page.reason,
        },
        brokenPage: null,
      });
    } catch (err) {
      if (err.status !== 401) report(err);
    } finally {
      if (mine === generation) state.loading = false;
      render();
    }
  }

  /** The next older page, checked on its own (the chain was walked for the first). */
  async function older() {
    const mine = generation;
    try {
      const page = await api.get('/v1/audit', {
        ...state.filters,
        limit: PAGE,
        before: state.next,
        verify: false,
      });
      if (mine !== generation) return;
      const before = state.entries.length;
      state.entries = [...state.entries, ...page.entries];
      state.next = page.next;
      if (!page.intact && !state.brokenPage) state.brokenPage = page;
      render();
      focusAfterPaging('audit-older', byId('audit-entries').querySelectorAll('table.audit tbody tr')[before]);
    } catch (err) {
      if (err.status !== 401) report(err);
    }
  }

  /** The actions to filter by, in the current language, keeping the one chosen. */
  function fillActions() {
    const select = byId('audit-action');
    const chosen = select.value;
    fill(
      select,
      h('option', { value: '', text: t('auditAnyAction') }),
      actions.map((a) => h('option', { value: a, text: label('action_', a), selected: a === chosen })),
    );
  }

  function setup() {
    fillActions();
    loadActions()
      .then(fillActions)
      .catch((err) => report(err));
    byId('audit-form').addEventListener('submit', (event) => {
      event.preventDefault();
      state.filters = filtersOf(event.target);
      load();
    });
    byId('audit-form').addEventListener('reset', () => {
      state.filters = {};
      setTimeout(load, 0);
    });
  }

  return {
    setup,
    load,
    render() {
      fillActions();
      render();
    },
    clear() {
      generation++;
      Object.assign(state, empty());
      fill(byId('audit-entries'));
    },
  };
}
