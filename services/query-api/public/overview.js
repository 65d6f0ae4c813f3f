// The live panels' data (the overview's map and charts, and the alerts), read panel by panel: a call that fails (a
// QUERY_TIMEOUT, a refusal, the network) costs its own panel only, which then shows why, and the others are shown.
// Their reloads run one at a time (oneReloadAtATime).

/** The panels, in the order they are shown. */
export const PANELS = ['map', 'time', 'byDrug', 'byCountry', 'alerts'];

/** A call's outcome: `{ value }`, or `{ error }` (an ApiError). */
const settle = (promise) =>
  promise.then(
    (value) => ({ value }),
    (error) => ({ error }),
  );

/** The outcome of `outcome`'s value put through `fn`, or its error as it is. */
const mapped = (outcome, fn) => ('error' in outcome ? outcome : { value: fn(outcome.value) });

/**
 * Every live panel's data, each `{ value }` or `{ error }`: `map` (the route legs), `byDrug` and `byCountry` (stats
 * rows), `time` (`{ total, series }`: the total by month and a line for each of the five largest drugs or countries,
 * `seriesBy`) and `alerts` (`{ alerts, nextCursor }`, `alertsLimit` of them). The map asks for the legs alone: the
 * route reports are neither read nor audited as read for it. `current()` says whether the session that asked is still
 * signed in; once it is not, no more calls go out (they would carry the next user's token) and null is returned.
 */
export async function loadPanels(api, { seriesBy, alertsLimit, current }) {
  const [alerts, routes, byDrug, byCountry, byMonth] = await Promise.all(
    [
      api.get('/v1/alerts', { limit: alertsLimit }),
      api.get('/v1/routes', { reportedRoutes: 'omit' }),
      api.get('/v1/stats', { groupBy: 'drug' }),
      api.get('/v1/stats', { groupBy: 'country' }),
      api.get('/v1/stats', { groupBy: 'month' }),
    ].map(settle),
  );
  if (!current()) return null;
  const time = await timeSeries(api, seriesBy, seriesBy === 'drug' ? byDrug : byCountry, byMonth);
  if (!current()) return null;
  return {
    map: mapped(routes, (r) => r.legs),
    time,
    byDrug: mapped(byDrug, (r) => r.rows),
    byCountry: mapped(byCountry, (r) => r.rows),
    alerts: mapped(alerts, (r) => ({ alerts: r.alerts, nextCursor: r.nextCursor })),
  };
}

/**
 * The chart over time: the total by month, and the five largest of `source` (by drug or by country) each as its own
 * line. Without the total, or any line of the five, the chart fails as a whole rather than draw fewer lines than it says.
 */
async function timeSeries(api, dimension, source, byMonth) {
  if ('error' in byMonth) return byMonth;
  if ('error' in source) return source;
  const top = [...source.value.rows].sort((a, b) => b.quantityKg - a.quantityKg).slice(0, 5);
  const lines = await Promise.all(
    top.map((r) => settle(api.get('/v1/stats', { groupBy: 'month', [dimension]: r.key }))),
  );
  const failed = lines.find((l) => 'error' in l);
  if (failed) return failed;
  return {
    value: {
      total: byMonth.value.rows,
      series: top.map((r, i) => ({ dimension, key: r.key, rows: lines[i].value.rows })),
    },
  };
}

/**
 * Show each panel of `panels` (from loadPanels): `render[name](value)` for one that loaded, `failed(name, error)` for
 * one that did not. A panel not in `render` is left as it is.
 */
export function showPanels(panels, render, failed) {
  for (const name of PANELS) {
    const panel = panels?.[name];
    if (!panel || !render[name]) continue;
    if ('error' in panel) failed(name, panel.error);
    else render[name](panel.value);
  }
}

/**
 * The live panels reloaded one at a time. `request(options)` starts `reload(options)`; while a reload of the current
 * `session()` is under way it has it run once more when that one ends instead (however many ask meanwhile: their
 * options put together by `merge(queued, next)`). Either way the promise returned settles when the reload that answers
 * the request has ended, so that whoever paces reloads (live.js paceRefresh) counts from one that ran. A reload left
 * over from an earlier session neither holds up the current one's nor runs the one asked for during it. `onEnd()` is
 * called as each reload of the current session ends, before the one asked for meanwhile starts; `running()` says
 * whether a reload of the current session is under way.
 */
export function oneReloadAtATime(
  reload,
  { session = () => 0, merge = (_queued, next) => next, onEnd = () => {} } = {},
) {
  /** The session whose reload is under way (null: none). */
  let running = null;
  /** The reload asked for during one under way: `{ session, options, resolve, reject, promise }`, or null. */
  let queued = null;
  /** The reload asked for is not run (its session has ended): its asks settle. */
  const forget = () => {
    const q = queued;
    queued = null;
    q?.resolve();
  };
  const start = async (options) => {
    const mine = (running = session());
    if (queued && queued.session !== mine) forget();
    try {
      return await reload(options);
    } finally {
      // A later session's reload, under way or asked for, is its own business.
      if (mine === session()) {
        running = null;
        onEnd();
        const next = queued;
        queued = null;
        if (next) start(next.options).then(next.resolve, next.reject);
      } else if (queued?.session === mine) forget();
    }
  };
  return {
    request(options) {
      if (running !== session()) return start(options);
      if (queued) queued.options = merge(queued.options, options);
      else {
        let resolve;
        let reject;
        const promise = new Promise((yes, no) => {
          resolve = yes;
          reject = no;
        });
        queued = { session: running, options, resolve, reject, promise };
      }
      return queued.promise;
    },
    running: () => running !== null && running === session(),
  };
}
