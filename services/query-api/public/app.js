// The dashboard's wiring: sign-in, views by URL hash, loading and periodic refresh, language switch.
import { createApi } from './api.js';
import { renderAlerts } from './alerts.js';
import { createAudit } from './audit.js';
import { renderBarChart, renderLineChart } from './charts.js';
import { createCooperation } from './cooperation.js';
import { byId, fill, h } from './dom.js';
import { keepFocus } from './focus.js';
import { applyStatic, errorText, fmtTime, getLang, has, LANGS, setLang, t } from './i18n.js';
import { followFeeds, paceRefresh } from './live.js';
import { loadWorld, renderMap } from './map.js';
import { loadPanels, oneReloadAtATime, showPanels } from './overview.js';
import { renderRecord } from './record.js';
import { countryName, loadReference, regionName, regionsOf, substanceName } from './reference.js';
import { createSearch } from './search.js';
import { tokenRefusal } from './signin.js';

const TOKEN_KEY = 'hub.token';
const LANG_KEY = 'hub.lang';
const VIEWS = ['overview', 'alerts', 'search', 'cooperation', 'audit', 'record'];
// ?refresh=<seconds> sets the live-update period (at least 2 s; default 30 s).
const REFRESH_S = Math.max(2, Number(new URLSearchParams(window.location.search).get('refresh')) || 30);
// The least time between two refreshes that feed events ask for: each costs a dozen requests and audit entries.
const FEED_GAP_MS = 5000;

const state = {
  /** The overview's panels as last loaded (overview.js loadPanels: each `{ value }` or `{ error }`). */
  overview: null,
  alerts: null,
  /** Why the latest reload of the alerts failed (shown in their place), or null. */
  alertsError: null,
  /** The cursor of the next older page of alerts, or null. */
  alertsNext: null,
  record: null,
  seriesBy: 'drug',
  updatedAt: null,
  lastList: '#/search',
};
let timer = null;
// Who is signed in changes within a tab: every sign-in and sign-out starts a new session, and an answer to a
// request sent in an earlier one is dropped, so that no one is shown what was loaded for the previous user.
let session = 0;
let feeds = null;
/** Paces the refreshes the feeds' events ask for (live.js paceRefresh). */
let feedRefresh = null;
const liveRegions = new Set();
/** The regions followed, in their configured order: the label names the live ones in it, whichever opened first. */
let followedRegions = [];

const api = createApi({
  token: () => window.sessionStorage.getItem(TOKEN_KEY),
  onUnauthorized: (err) => signOut(err),
});
const search = createSearch({
  api,
  report: showError,
  say: (text) => (byId('search-status').textContent = text),
});

const cooperation = createCooperation({
  api,
  claims: () => claimsOf(window.sessionStorage.getItem(TOKEN_KEY)),
});
const audit = createAudit({
  api,
  claims: () => claimsOf(window.sessionStorage.getItem(TOKEN_KEY)),
  report: showError,
});

/** An API error in words (i18n.js errorText); `where`: the panel it is shown in. */
const messageOf = (err, where) => errorText(err, where);

function showError(err, where) {
  byId('app-error').textContent = messageOf(err, where);
}

/** The claims of a JWT, read without verifying (the API verifies; this is only for display). */
function claimsOf(token) {
  if (!token) return {};
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(window.atob(part), (c) => c.charCodeAt(0))));
  } catch {
    return {};
  }
}

function renderWho() {
  const token = window.sessionStorage.getItem(TOKEN_KEY);
  const who = byId('who');
  if (!token) return (who.hidden = true);
  const c = claimsOf(token);
  who.textContent = t('signedInAs', {
    role: has(`role_${c.role}`) ? t(`role_${c.role}`) : (c.role ?? '?'),
    country: c.country ? countryName(c.country) : '?',
    clearance: c.clearance ?? '?',
  });
  if (c.exp) who.title = t('expires', { time: new Date(c.exp * 1000).toLocaleString(getLang()) });
  who.hidden = false;
}

// ---- overview: routes, statistics, charts ----

/** Where each panel is drawn. */
const PANEL_BOX = { map: 'map', time: 'chart-time', byDrug: 'chart-drug', byCountry: 'chart-country' };

/** Rebuild a panel of the view `view` keeping the keyboard focus in it (focus.js); its heading takes it otherwise. */
function redraw(id, view, render) {
  keepFocus(byId(id), render, { fallback: byId(`${view}-h`) });
}

/** Why the panel `where` could not be loaded, in its place. */
function panelFailure(err, where) {
  return h('p', { class: 'error panel-error', 'data-code': err.code ?? '', text: messageOf(err, where) });
}

function renderOverview() {
  const o = state.overview;
  if (!o) return;
  const label = (x) => (x.dimension === 'drug' ? substanceName(x.key) : countryName(x.key));
  const overview = (name, render) => (value) => redraw(PANEL_BOX[name], 'overview', () => render(value));
  showPanels(
    o,
    {
      map: overview('map', (legs) => renderMap(byId('map'), legs)),
      time: overview('time', ({ total, series }) =>
        renderLineChart(byId('chart-time'), {
          labelledBy: 'chart-time-title',
          width: 1100,
          series: [
            { label: t('total'), rows: total },
            ...series.map((x) => ({ label: label(x), rows: x.rows })),
          ],
        }),
      ),
      byDrug: overview('byDrug', (rows) =>
        renderBarChart(byId('chart-drug'), {
          labelledBy: 'chart-drug-title',
          rows: rows.map((r) => ({ ...r, label: substanceName(r.key) })),
        }),
      ),
      byCountry: overview('byCountry', (rows) =>
        renderBarChart(byId('chart-country'), {
          labelledBy: 'chart-country-title',
          rows: rows.map((r) => ({ ...r, label: countryName(r.key) })),
        }),
      ),
    },
    (name, err) =>
      redraw(PANEL_BOX[name], 'overview', () => fill(byId(PANEL_BOX[name]), panelFailure(err, name))),
  );
  if (state.updatedAt) byId('updated').textContent = updatedText();
}

const updatedText = () => t('updatedAt', { time: fmtTime(state.updatedAt), seconds: REFRESH_S });

/** Alerts shown a page at a time; a live reload keeps as many as were shown (up to the API's 500). */
const ALERTS_PAGE = 50;
const alertsShown = () => Math.min(500, Math.max(ALERTS_PAGE, state.alerts?.length ?? 0));

function renderAllAlerts() {
  if (state.alertsError)
    redraw('alerts', 'alerts', () => fill(byId('alerts'), panelFailure(state.alertsError, 'alerts')));
  else if (state.alerts)
    redraw('alerts', 'alerts', () =>
      renderAlerts(byId('alerts'), state.alerts, state.alertsNext ? loadOlderAlerts : undefined),
    );
}

async function loadOlderAlerts() {
  const mine = session;
  try {
    const page = await api.get('/v1/alerts', { limit: ALERTS_PAGE, cursor: state.alertsNext });
    if (mine !== session) return; // signed out meanwhile: these were the previous user's
    const known = new Set(state.alerts.map((a) => a.alertId));
    state.alerts = [...state.alerts, ...page.alerts.filter((a) => !known.has(a.alertId))];
    state.alertsNext = page.nextCursor;
    renderAllAlerts();
  } catch (err) {
    if (mine === session && err.status !== 401) showError(err, 'alerts');
  }
}

/**
 * Reload the live parts (routes, statistics, alerts), each panel on its own: one that fails shows why in its place,
 * and the others are shown. A call during a reload makes it run once more, and settles when that has ended
 * (overview.js oneReloadAtATime). A reload left over from an earlier session neither holds up the current one's nor
 * is shown. `byHand`: asked for with the Refresh button, which is then told (the status line) when it is done; the
 * periodic and live reloads say nothing.
 */
async function refresh({ byHand = false } = {}) {
  if (!window.sessionStorage.getItem(TOKEN_KEY)) return;
  await reloads.request({ byHand });
}

const reloads = oneReloadAtATime(reload, {
  session: () => session,
  // One asked for by hand among those a reload answers: it says so when done.
  merge: (queued, next) => ({ byHand: queued.byHand || next.byHand }),
  // The feeds' refreshes count their gap from every reload's end (live.js paceRefresh).
  onEnd: () => feedRefresh?.ended(),
});

async function reload({ byHand }) {
  const mine = session;
  try {
    const panels = await loadPanels(api, {
      seriesBy: state.seriesBy,
      alertsLimit: alertsShown(),
      current: () => mine === session,
    });
    // Signed out (and perhaps in as someone else) meanwhile: show nothing.
    if (!panels || mine !== session) return;
    state.overview = panels;
    if ('error' in panels.alerts) state.alertsError = panels.alerts.error;
    else {
      state.alertsError = null;
      state.alerts = panels.alerts.value.alerts;
      state.alertsNext = panels.alerts.value.nextCursor;
    }
    state.updatedAt = Date.now();
    byId('app-error').textContent = '';
    renderOverview();
    renderAllAlerts();
    // Asked for by hand: said when done, with why any panel could not be loaded (shown in its place).
    if (byHand)
      announce(
        [
          updatedText(),
          ...new Set(
            Object.entries(panels).flatMap(([name, p]) => ('error' in p ? [messageOf(p.error, name)] : [])),
          ),
        ].join(' '),
      );
    if (!byId('view-cooperation').hidden) await cooperation.load();
  } catch (err) {
    if (mine === session && err.status !== 401) showError(err);
  }
}

/**
 * Say `text` to screen readers, once (the status line). The visible "Updated …" line changes at every reload, every
 * 30 s: as a live region it would interrupt whoever is reading, so it is not one, and only a reload asked for by hand
 * is announced.
 */
function announce(text) {
  byId('refresh-said').textContent = text;
}

/** The status line the reloads asked for by hand are announced in, beside the visible "Updated …" (no live region). */
function setupStatus() {
  const updated = byId('updated');
  updated.removeAttribute('role');
  if (!byId('refresh-said'))
    updated.after(h('span', { id: 'refresh-said', role: 'status', class: 'sr-only' }));
}

// ---- live feeds: events on a regional feed trigger a refresh (paced, live.js); polling remains the fallback ----

function renderLive() {
  const el = byId('live');
  el.dataset.state = liveRegions.size ? 'on' : 'off';
  el.textContent = liveRegions.size
    ? t('liveOn', {
        regions: followedRegions
          .filter((r) => liveRegions.has(r))
          .map(regionName)
          .join(', '),
      })
    : '';
}

function startFeeds() {
  const c = claimsOf(window.sessionStorage.getItem(TOKEN_KEY));
  feeds?.stop();
  feedRefresh?.stop();
  liveRegions.clear();
  followedRegions = regionsOf(c.country, ['coordinator', 'admin'].includes(c.role));
  // Records come in bursts (a batch at a node); one refresh for a burst is enough, and one every few seconds at most.
  feedRefresh = paceRefresh(() => refresh(), {
    settleMs: 300,
    gapMs: FEED_GAP_MS,
    busy: () => reloads.running(),
  });
  feeds = followFeeds({
    regions: followedRegions,
    token: () => window.sessionStorage.getItem(TOKEN_KEY),
    onEvent: () => feedRefresh.poke(),
    onState: (region, status) => {
      if (status === 'on') liveRegions.add(region);
      else liveRegions.delete(region);
      renderLive();
    },
  });
}

// ---- views ----

async function showRecord(id) {
  const mine = session;
  fill(byId('record'), t('loading'));
  try {
    const record = await api.get(`/v1/seizures/${encodeURIComponent(id)}`);
    if (mine !== session) return; // the previous user's record: the next one may not be allowed to see it
    state.record = record;
    renderRecord(byId('record'), state.record);
  } catch (err) {
    if (mine !== session) return;
    state.record = null;
    fill(byId('record'));
    showError(err);
  }
}

function route() {
  // Views live under #/; other fragments (the skip link's #main) are in-page anchors.
  if (!window.sessionStorage.getItem(TOKEN_KEY) || /^#(?!\/)./.test(window.location.hash)) return;
  const [, name = 'overview', id] = /^#\/([a-z]+)(?:\/(.+))?$/.exec(window.location.hash) ?? [];
  const view = VIEWS.includes(name) ? name : 'overview';
  if (view !== 'record') state.lastList = `#/${view}`;
  for (const v of VIEWS) byId(`view-${v}`).hidden = v !== view;
  for (const a of document.querySelectorAll('.tabs a')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  byId('app-error').textContent = '';
  if (view === 'record' && id) showRecord(id);
  if (view === 'cooperation') cooperation.load();
  if (view === 'audit') audit.load();
  byId(`${view}-h`).focus({ preventScroll: true });
}

// ---- sign-in ----

function showSignIn(message = '') {
  byId('app').hidden = true;
  byId('signout').hidden = true;
  byId('signin').hidden = false;
  byId('signin-error').textContent = message;
  renderWho();
}

async function enter() {
  byId('signin').hidden = true;
  byId('app').hidden = false;
  byId('signout').hidden = false;
  renderWho();
  audit.render();
  const mine = session;
  route();
  startFeeds();
  await refresh();
  if (mine !== session) return; // signed out during the first load: no polling for a user who has gone
  clearInterval(timer);
  timer = setInterval(() => document.visibilityState === 'visible' && refresh(), REFRESH_S * 1000);
}

/** Forget the token and everything shown with it. */
function signOut(err) {
  session++;
  clearInterval(timer);
  feedRefresh?.stop();
  feedRefresh = null;
  feeds?.stop();
  feeds = null;
  liveRegions.clear();
  renderLive();
  window.sessionStorage.removeItem(TOKEN_KEY);
  Object.assign(state, { overview: null, alerts: null, alertsError: null, alertsNext: null, record: null });
  for (const id of ['map', 'chart-time', 'chart-drug', 'chart-country', 'alerts', 'record']) fill(byId(id));
  search.clear();
  cooperation.clear();
  audit.clear();
  byId('refresh-said')?.replaceChildren();
  showSignIn(err ? `${t('sessionEnded')} ${messageOf(err)}` : '');
}

async function signIn(event) {
  event.preventDefault();
  const token = byId('token')
    .value.trim()
    .replace(/^Bearer\s+/i, '');
  const error = byId('signin-error');
  if (!token) return (error.textContent = t('errEmpty'));
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token))
    return (error.textContent = t('errNotJwt'));
  error.textContent = t('signingIn');
  // One cheap call proves the token before anything is shown (signin.js says which, and why).
  const refused = await tokenRefusal(token);
  if (refused) return (error.textContent = messageOf(refused));
  session++;
  window.sessionStorage.setItem(TOKEN_KEY, token);
  byId('token').value = '';
  error.textContent = '';
  await enter();
}

// ---- language ----

function relabel() {
  applyStatic();
  renderWho();
  renderLive();
  search.render();
  renderOverview();
  renderAllAlerts();
  cooperation.render();
  audit.render();
  if (state.record && !byId('view-record').hidden) renderRecord(byId('record'), state.record);
}

async function start() {
  const saved = window.localStorage.getItem(LANG_KEY);
  setLang(LANGS.includes(saved) ? saved : (navigator.language ?? '').startsWith('ru') ? 'ru' : 'en');
  byId('lang').value = getLang();
  applyStatic();
  await loadReference();
  await loadWorld(); // needs the numeric codes of the reference data
  search.render();
  audit.setup();
  setupStatus();
  byId('lang').addEventListener('change', (e) => {
    setLang(e.target.value);
    window.localStorage.setItem(LANG_KEY, getLang());
    relabel();
  });
  byId('signin-form').addEventListener('submit', signIn);
  byId('signout').addEventListener('click', () => signOut());
  byId('refresh').addEventListener('click', () => refresh({ byHand: true }));
  byId('back').addEventListener('click', (e) => {
    e.preventDefault();
    window.location.hash = state.lastList;
  });
  for (const radio of document.querySelectorAll('input[name="seriesBy"]'))
    radio.addEventListener('change', (e) => {
      state.seriesBy = e.target.value;
      refresh();
    });
  window.addEventListener('hashchange', route);
  document.body.dataset.ready = 'true';
  if (window.sessionStorage.getItem(TOKEN_KEY)) await enter();
  else showSignIn();
}

start().catch((err) => {
  showSignIn(`${t('errGeneric')} ${err.message}`);
});
