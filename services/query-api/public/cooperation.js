// The co-operation view: information requests between countries (GET /v1/requests; coordinators ask from here,
// ask.js), data quality per contributor
// and the envelopes the hub refused for coordinators (GET /v1/quality, GET /v1/quarantine) and who read the
// caller's country's records (GET /v1/reads). The API decides
// what each caller may see; this only renders it, and says so when the caller's role is refused.
import { createAskForm } from './ask.js';
import { byId, fill, h, tableHead } from './dom.js';
import { fmtDateTime, fmtNumber, fmtPercent, label, t } from './i18n.js';
import { countryName } from './reference.js';

/** Roles the quality and refusal views are for (the API refuses the others with 403 anyway). */
const QUALITY_ROLES = ['coordinator', 'admin'];

/** The per-field completeness figures of GET /v1/quality, in the order shown. */
export const QUALITY_FIELDS = [
  'coordinates',
  'locationType',
  'conveyance',
  'identifiers',
  'route',
  'concealment',
  'detection',
  'purity',
  'evaluation',
];

/**
 * When a figure is weak enough to be pointed out. Shares are 0..1, delays in hours: a report should reach the hub
 * within a week of the seizure (the share within 7 days is the same target seen per report).
 */
export const WEAK = {
  completenessScore: (x) => x < 0.6,
  field: (x) => x < 0.5,
  delayMedian: (x) => x !== null && x > 168,
  delayP90: (x) => x !== null && x > 336,
  within7Days: (x) => x !== null && x < 0.8,
  rejectionRate: (x) => x > 0.05,
};

const head = (keys) => tableHead(keys.map((k) => t(k)));

/** What to show instead of a list the caller may not have: the role's refusal, or the error. */
function failureNote(err) {
  if (err.status === 403)
    return h('p', {
      class: 'empty refused',
      'data-refused': 'true',
      text: `${t('FORBIDDEN')} (${err.message})`,
    });
  if (err.code === 'NETWORK') return h('p', { class: 'error', text: t('errNetwork') });
  return h('p', { class: 'error', text: `${t('errGeneric')} ${err.message}` });
}

// ---- information requests ----

/** The most pages of GET /v1/requests (500 requests each) read for the list; past them the list says it is cut. */
export const REQUEST_PAGES = 10;

/**
 * Every request the caller may see under `params`, soonest due first, page after page (nextCursor) up to `pages`
 * pages: `{ requests, cut }`, `cut` when more follow than were read (the requests due latest are left out).
 */
export async function fetchRequests(api, params, pages = REQUEST_PAGES) {
  const requests = [];
  let cursor;
  for (let i = 0; i < pages; i++) {
    const page = await api.get('/v1/requests', { ...params, limit: 500, cursor });
    requests.push(...(page.requests ?? []));
    cursor = page.nextCursor;
    if (!cursor) return { requests, cut: false };
  }
  return { requests, cut: true };
}

/** Overdue (and escalated) requests first, then by due time, soonest first. */
export function sortRequests(list) {
  return [...list].sort(
    (a, b) =>
      Number(Boolean(b.overdue)) - Number(Boolean(a.overdue)) ||
      new Date(a.dueAt).getTime() - new Date(b.dueAt).getTime() ||
      String(a.requestId).localeCompare(String(b.requestId)),
  );
}

/** Every answer a request has had, oldest first, as the API lists them (responses). */
export function answersOf(r) {
  return r.responses ?? [];
}

function answerCell(response) {
  const status = label('respStatus_', response.status);
  if (response.withheld) return [status, h('span', { class: 'sub', text: t('responseWithheld') })];
  return [
    status,
    response.answer ? h('span', { class: 'sub answer', text: response.answer }) : null,
    response.submittedBy ? h('span', { class: 'sub submitted-by', text: response.submittedBy }) : null,
  ];
}

/** Every answer, oldest first: after partial answers the requester needs them all, each said as given. */
function responseCell(r) {
  const answers = answersOf(r);
  if (answers.length <= 1) return answers.length ? answerCell(answers[0]) : '';
  return h(
    'ol',
    { class: 'answers' },
    answers.map((a) => h('li', { 'data-response-id': a.responseId }, answerCell(a))),
  );
}

function requestRow(r) {
  return h(
    'tr',
    {
      'data-request-id': r.requestId,
      'data-status': r.status,
      'data-overdue': String(Boolean(r.overdue)),
      class: r.overdue ? 'overdue' : null,
    },
    h(
      'td',
      { 'data-col': 'requester' },
      countryName(r.requester),
      // The agency system that asked, as its node authenticated it (none: the node asks for no token).
      r.submittedBy ? h('span', { class: 'sub submitted-by', text: r.submittedBy }) : null,
    ),
    h('td', { 'data-col': 'addressee', text: countryName(r.addressee) }),
    h(
      'td',
      { 'data-col': 'subject' },
      label('subject_', r.subjectKind),
      r.subjectRef ? ': ' : '',
      // A request about a report links to it (the record page says so if the caller may not see it).
      r.subjectKind === 'report' && /^[0-9a-f-]{36}$/i.test(r.subjectRef ?? '')
        ? h('a', { href: `#/record/${r.subjectRef}`, 'data-report-id': r.subjectRef, text: r.subjectRef })
        : (r.subjectRef ?? ''),
      r.question ? h('span', { class: 'sub', text: r.question }) : null,
      r.withheld ? h('span', { class: 'sub muted', text: t('requestWithheld') }) : null,
    ),
    h('td', { 'data-col': 'urgency', class: `urgency-${r.urgency}`, text: label('urgency_', r.urgency) }),
    h('td', { 'data-col': 'dueAt', text: fmtDateTime(r.dueAt) }),
    h(
      'td',
      { 'data-col': 'status' },
      // In words: open, overdue, escalated, partly answered (partial) or answered.
      h('span', { class: `status status-${r.status}`, text: label('reqStatus_', r.status) }),
      r.overdue && r.status !== 'overdue'
        ? [' ', h('span', { class: 'badge', text: t('reqOverdue') })]
        : null,
      r.escalatedAt
        ? h('span', { class: 'sub', text: t('escalatedAt', { time: fmtDateTime(r.escalatedAt) }) })
        : null,
    ),
    h('td', { 'data-col': 'response' }, responseCell(r)),
  );
}

function renderRequests(box, data) {
  if (data.error) return fill(box, failureNote(data.error));
  const list = sortRequests(data.requests ?? []);
  const overdue = list.filter((r) => r.overdue).length;
  // A list cut short (more requests match than the pages read hold) is counted "n+": more match than are shown; a
  // status narrows it.
  const count = data.cut ? `${list.length}+` : list.length;
  return fill(
    box,
    h('p', {
      id: 'requests-count',
      role: 'status',
      'data-cut': String(Boolean(data.cut)),
      text: list.length ? t('requestsCount', { count, overdue }) : t('requestsNone'),
    }),
    list.length
      ? h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'requests' },
            h('caption', { class: 'sr-only', text: t('requestsTitle') }),
            head(['requester', 'addressee', 'subject', 'urgency', 'dueAt', 'status', 'response']),
            h('tbody', {}, list.map(requestRow)),
          ),
        )
      : null,
  );
}

// ---- data quality ----

function figure(metric, value, text, weak) {
  return h(
    'td',
    {
      class: weak ? 'num weak' : 'num',
      'data-metric': metric,
      'data-value': value === null || value === undefined ? '' : String(value),
      'data-weak': String(Boolean(weak)),
      title: weak ? t('weakFigure') : null,
    },
    text,
    weak ? h('span', { class: 'sr-only', text: ` (${t('weakFigure')})` }) : null,
  );
}

const hours = (x) => (x === null || x === undefined ? '—' : fmtNumber(x, 1));
const share = (x) => (x === null || x === undefined ? '—' : fmtPercent(x));

const countryCell = (c) => h('th', { scope: 'row', text: countryName(c.country) });

/** The headline figures of one contributor: volume, overall completeness, timeliness, rejections. */
function qualityRow(c) {
  const median = c.delayHours?.median ?? null;
  const p90 = c.delayHours?.p90 ?? null;
  return h(
    'tr',
    { 'data-country': c.country },
    countryCell(c),
    h('td', {
      class: 'num',
      'data-metric': 'reports',
      'data-value': String(c.reports),
      text: fmtNumber(c.reports, 0),
    }),
    figure(
      'completenessScore',
      c.completenessScore,
      share(c.completenessScore),
      WEAK.completenessScore(c.completenessScore),
    ),
    figure('delayMedian', median, hours(median), WEAK.delayMedian(median)),
    figure('delayP90', p90, hours(p90), WEAK.delayP90(p90)),
    figure('within7Days', c.within7Days, share(c.within7Days), WEAK.within7Days(c.within7Days)),
    figure('rejectionRate', c.rejectionRate, share(c.rejectionRate), WEAK.rejectionRate(c.rejectionRate)),
  );
}

/** The share of a contributor's reports with each field filled. */
function fieldsRow(c) {
  return h(
    'tr',
    { 'data-country': c.country },
    countryCell(c),
    QUALITY_FIELDS.map((f) => {
      const x = c.completeness?.[f] ?? 0;
      return figure(`completeness.${f}`, x, share(x), c.reports > 0 && WEAK.field(x));
    }),
  );
}

function qualityTable(id, caption, columns, rows) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'quality', id },
      h('caption', { text: caption }),
      tableHead(columns),
      h('tbody', {}, rows),
    ),
  );
}

function renderQuality(box, data) {
  if (data.error) return fill(box, failureNote(data.error));
  const list = data.contributors ?? [];
  if (!list.length) return fill(box, h('p', { class: 'empty', text: t('qualityNone') }));
  return fill(
    box,
    h('p', {
      class: 'muted',
      id: 'quality-computed',
      text: t('computedAt', { time: fmtDateTime(data.computedAt) }),
    }),
    qualityTable(
      'quality-table',
      t('qualityFigures'),
      [
        t('contributor'),
        t('reports'),
        t('completenessScore'),
        t('delayMedian'),
        t('delayP90'),
        t('within7Days'),
        t('rejectionRate'),
      ],
      list.map(qualityRow),
    ),
    qualityTable(
      'quality-fields',
      t('completenessByField'),
      [t('contributor'), ...QUALITY_FIELDS.map((f) => t(`qf_${f}`))],
      list.map(fieldsRow),
    ),
    h(
      'p',
      { class: 'muted legend-weak' },
      h('span', { class: 'weak-swatch', 'aria-hidden': 'true' }),
      t('weakLegend'),
    ),
  );
}

// ---- envelopes the hub refused ----

/**
 * What came of taking an entry again, or that it waits for the coordinator; and for a coordinator, a button to take
 * it again (`redrive(id)`) when that may still change something.
 */
function redriveCell(q, redrive) {
  const r = q.redrive;
  // Who asked is not shown to a node's operator (null): a coordinator did.
  const who = (by) => by ?? t('redriveByCoordinator');
  const said = q.redrivePending
    ? t('redrivePending', { by: who(q.redrivePending.requestedBy) })
    : q.redriveNotSent
      ? t('redriveNotSent', {
          by: who(q.redriveNotSent.requestedBy),
          time: fmtDateTime(q.redriveNotSent.at),
          message: q.redriveNotSent.message,
        })
      : r
        ? r.outcome === 'accepted'
          ? t('redriveAccepted', { by: who(r.requestedBy), time: fmtDateTime(r.at) })
          : t('redriveRefused', { reason: r.reason, by: who(r.requestedBy), time: fmtDateTime(r.at) })
        : q.redriveOf
          ? t('redriveOf', { id: q.redriveOf })
          : q.originalLength !== undefined
            ? t('redriveNever', { bytes: fmtNumber(q.originalLength, 0) })
            : '';
  const may =
    redrive &&
    !q.redrivePending &&
    !q.redriveOf &&
    q.originalLength === undefined &&
    r?.outcome !== 'accepted';
  return [
    said ? h('span', { class: `redrive-state${r?.outcome === 'accepted' ? ' ok' : ''}`, text: said }) : null,
    may
      ? h('button', {
          type: 'button',
          class: 'secondary redrive',
          'data-redrive': q.id,
          text: t('redriveButton'),
          onclick: () => redrive(q.id),
        })
      : null,
  ];
}

function refusedRow(q, redrive) {
  return h(
    'tr',
    { 'data-id': q.id, 'data-reason': q.reason, 'data-origin': q.origin ?? '' },
    h('td', { 'data-col': 'at', text: fmtDateTime(q.quarantinedAt) }),
    h('td', { 'data-col': 'origin', text: q.origin ? countryName(q.origin) : t('refusedUnknownOrigin') }),
    h('td', { 'data-col': 'reason' }, h('code', { text: q.reason })),
    h('td', { 'data-col': 'detail', text: q.detail.length > 200 ? `${q.detail.slice(0, 200)}…` : q.detail }),
    h('td', { 'data-col': 'where' }, h('code', { text: `${q.topic} ${q.partition} ${q.offset}` })),
    h('td', { 'data-col': 'redrive' }, redriveCell(q, redrive)),
  );
}

/**
 * A list in a table under a line that counts it, or a note when there is nothing (or it could not be had); the words
 * are `${words}None`, `${words}Count` and `${words}Title`.
 */
function countedTable(box, { error, list, id, words, columns, row }) {
  if (error) return fill(box, failureNote(error));
  const emptyText = t(`${words}None`);
  const countText = t(`${words}Count`, { count: list.length });
  if (!list.length) return fill(box, h('p', { class: 'empty', id, text: emptyText }));
  return fill(
    box,
    h('p', { id, role: 'status', text: countText }),
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: words },
        h('caption', { class: 'sr-only', text: t(`${words}Title`) }),
        head(columns),
        h('tbody', {}, list.map(row)),
      ),
    ),
  );
}

/** `redrive(id)`: take an entry again (coordinators only; absent for the others). */
function renderRefused(box, data, redrive) {
  return countedTable(box, {
    error: data.error,
    list: data.quarantined ?? [],
    id: 'refused-count',
    words: 'refused',
    columns: [
      'refusedAt',
      'refusedOrigin',
      'refusedReason',
      'refusedDetail',
      'refusedWhere',
      'refusedRedrive',
    ],
    row: (q) => refusedRow(q, redrive),
  });
}

// ---- what coordinators asked here and the hub has not stored ----

/** A row of the asks' table: its cells, each named by its column. */
function askRow(a) {
  const cells = {
    at: fmtDateTime(a.askedAt),
    addressee: countryName(a.to),
    subject: [
      label('subject_', a.subjectKind),
      a.subjectRef ? `: ${a.subjectRef}` : '',
      a.purpose ? h('span', { class: 'sub', text: a.purpose }) : null,
    ],
    askedBy: h('code', { text: a.askedBy?.sub ?? '' }),
    state: [
      h('span', { class: `status ask-${a.state}`, text: label('askState_', a.state) }),
      a.error ? h('span', { class: 'sub', text: a.error.message }) : null,
    ],
  };
  return h(
    'tr',
    { 'data-request-id': a.requestId, 'data-state': a.state },
    Object.entries(cells).map(([col, content]) => h('td', { 'data-col': col }, content)),
  );
}

/**
 * The asks not stored at the hub (yet, or ever: refused), so that one refused or still queued after its form was
 * closed is seen; the section's title counts them while it is folded.
 */
function renderAsks(box, badge, data) {
  const list = (data.asks ?? []).filter((a) => a.state !== 'stored');
  const refused = list.filter((a) => a.state === 'refused').length;
  badge.textContent = list.length
    ? ` (${t('askWaitingCount', { count: list.length - refused, refused })})`
    : '';
  return countedTable(box, {
    error: data.error,
    list,
    id: 'ask-list-count',
    words: 'askList',
    columns: ['askedAt', 'addressee', 'subject', 'askedBy', 'status'],
    row: askRow,
  });
}

// ---- who read our records ----

/** The most entries of GET /v1/reads read for the view (the API's own default): the latest, newest first. */
export const READS_SHOWN = 200;

/**
 * The latest reads of the caller's country's records, READS_SHOWN at most: the answer of GET /v1/reads with the
 * `limit` it was asked with, so that a full list is said to be the latest so many rather than all of them.
 */
export async function fetchReads(api) {
  return { ...(await api.get('/v1/reads', { limit: READS_SHOWN })), limit: READS_SHOWN };
}

function readRow(r) {
  return h(
    'tr',
    { 'data-seq': r.seq, 'data-action': r.action, 'data-cut': String(Boolean(r.cut)) },
    h('td', { 'data-col': 'readerCountry', text: countryName(r.reader?.country) }),
    h('td', { 'data-col': 'readerRole', text: label('role_', r.reader?.role) }),
    h('td', { 'data-col': 'readerUser' }, h('code', { text: r.reader?.user ?? '' })),
    h('td', { 'data-col': 'action', text: label('action_', r.action) }),
    h('td', { 'data-col': 'at', text: fmtDateTime(r.at) }),
    h(
      'td',
      { 'data-col': 'records' },
      (r.reportIds ?? []).map((id, i) => [
        i ? ', ' : '',
        h(
          'a',
          { href: `#/record/${id}`, 'data-report-id': id, title: id },
          h('code', { text: id.slice(0, 8) }),
        ),
      ]),
      // The entry keeps the ids of the first records it read only: it read more of this country's than are listed.
      r.cut ? h('span', { class: 'sub cut', 'data-cut': 'true', text: t('readsCut') }) : null,
    ),
  );
}

/**
 * Who read the caller's country's records (`data` from fetchReads): a list as long as the limit asked for is said to
 * be the latest so many (older reads are not shown), not every read there was.
 */
export function renderReads(box, data) {
  if (data.error) return fill(box, failureNote(data.error));
  const list = data.reads ?? [];
  const country = countryName(data.country);
  const latest = data.limit !== undefined && list.length >= data.limit;
  return fill(
    box,
    h('p', {
      id: 'reads-count',
      role: 'status',
      class: list.length ? null : 'empty',
      'data-latest': String(latest),
      text: !list.length
        ? t('readsNone', { country })
        : latest
          ? t('readsLatest', { count: list.length, country })
          : t('readsCount', { count: list.length, country }),
    }),
    list.length
      ? h(
          'div',
          { class: 'table-wrap' },
          h(
            'table',
            { class: 'reads' },
            h('caption', { class: 'sr-only', text: t('readsTitle') }),
            head(['readerCountry', 'readerRole', 'readerUser', 'action', 'readAt', 'records']),
            h('tbody', {}, list.map(readRow)),
          ),
        )
      : null,
  );
}

// ---- the view ----

/** `claims()` gives the signed-in token's claims (read, not verified: the API verifies). */
export function createCooperation({ api, claims }) {
  const state = { requests: null, quality: null, refused: null, reads: null, asks: null };
  let generation = 0;
  const status = () => byId('requests-status');
  const mayQuality = () => QUALITY_ROLES.includes(claims().role);
  const mayAsk = () => claims().role === 'coordinator';

  // Coordinators ask countries from here; a request once stored or refused reloads the lists.
  const ask = createAskForm({ api, claims, onAsked: () => load() });

  // A refused role (403) and other failures are shown in their section; a 401 has already signed the user out.
  const settle = (promise) => promise.catch((error) => (error.status === 401 ? null : { error }));

  let inflight = null;

  /** Load all three lists; a call while the same load is under way (entering the view, then a refresh) joins it. */
  function load({ fresh = false } = {}) {
    const key = JSON.stringify([status().value, mayQuality(), fresh]);
    if (inflight?.key === key) return inflight.promise;
    const promise = loadNow(fresh).finally(() => {
      if (inflight?.promise === promise) inflight = null;
    });
    inflight = { key, promise };
    return promise;
  }

  async function loadNow(fresh) {
    const mine = ++generation;
    const quality = mayQuality();
    showCoordinatorSections(quality);
    ask.render();
    for (const id of ['requests', 'reads', ...(quality ? ['quality', 'refused'] : [])])
      if (!byId(id).hasChildNodes()) fill(byId(id), h('p', { class: 'muted', text: t('loading') }));
    const [requests, qualityData, refused, reads, asks] = await Promise.all([
      settle(fetchRequests(api, { status: status().value })),
      quality ? settle(api.get('/v1/quality', { fresh: fresh ? 1 : undefined })) : null,
      quality ? settle(api.get('/v1/quarantine', { limit: 50 })) : null,
      settle(fetchReads(api)),
      mayAsk() ? settle(api.get('/v1/requests/asked')) : null,
    ]);
    if (mine !== generation) return; // a newer load (or a sign-out) came in meanwhile
    Object.assign(state, { requests, quality: qualityData, refused, reads, asks });
    render();
  }

  function showCoordinatorSections(shown) {
    for (const id of ['quality-section', 'refused-section']) byId(id).hidden = !shown;
  }

  function render() {
    showCoordinatorSections(mayQuality());
    ask.render();
    if (state.requests) renderRequests(byId('requests'), state.requests);
    if (state.quality && mayQuality()) renderQuality(byId('quality'), state.quality);
    if (state.refused && mayQuality())
      renderRefused(byId('refused'), state.refused, mayAsk() ? redrive : undefined);
    if (state.reads) renderReads(byId('reads'), state.reads);
    if (state.asks && mayAsk()) renderAsks(byId('ask-list'), byId('ask-waiting'), state.asks);
    settleRedrive();
  }

  // The re-drive this page asked for and waits to see taken ({ id, redriveId }), whichever read of the list shows it
  // (the loop below, or the view's own refresh); `redriveRun` ends a loop on a newer one or a sign-out.
  let watching = null;
  let redriveRun = 0;

  /** Once the list shows what came of the re-drive waited for (or that it was not sent), the note that it was sent goes. */
  function settleRedrive() {
    if (!watching || !state.refused?.quarantined) return;
    const row = state.refused.quarantined.find((q) => q.id === watching.id);
    const shown =
      row?.redrive?.redriveId === watching.redriveId || row?.redriveNotSent?.redriveId === watching.redriveId;
    if (row && !shown) return;
    watching = null;
    byId('refused-status').textContent = '';
  }

  /**
   * A coordinator takes a refused entry again: the coordinator signs and sends it; the list is read again until it
   * shows what came of it (a minute at most; the view's own refresh goes on after that).
   */
  async function redrive(id) {
    const mine = ++redriveRun;
    const note = byId('refused-status');
    try {
      const { redrives } = await api.post('/v1/quarantine/redrive', { ids: [id] });
      if (mine !== redriveRun) return;
      const asked = redrives.find((r) => r.id === id) ?? redrives[0];
      watching = { id: asked.id, redriveId: asked.redriveId };
      note.className = 'muted';
      note.textContent = t('redriveQueued');
      const until = Date.now() + 60000;
      while (mine === redriveRun && watching && Date.now() < until) {
        const refused = await settle(api.get('/v1/quarantine', { limit: 50 }));
        if (mine !== redriveRun || !refused) return;
        state.refused = refused;
        render();
        if (watching) await new Promise((r) => setTimeout(r, 1000));
      }
      if (mine === redriveRun && watching) {
        watching = null;
        note.textContent = t('redriveStillQueued');
      }
    } catch (err) {
      if (err.status === 401 || mine !== redriveRun) return;
      note.className = 'error';
      note.textContent = err.errors?.length
        ? err.errors.map((e) => e.message).join('; ')
        : `${t('errGeneric')} ${err.message}`;
    }
  }

  status().addEventListener('change', () => load());
  byId('coop-refresh').addEventListener('click', () => load({ fresh: true }));

  return {
    load,
    /** Re-label what is shown (language change). */
    render,
    clear() {
      generation++;
      redriveRun++;
      watching = null;
      inflight = null;
      Object.assign(state, { requests: null, quality: null, refused: null, reads: null, asks: null });
      status().value = '';
      ask.clear();
      for (const id of [
        'requests',
        'quality',
        'refused',
        'refused-status',
        'reads',
        'ask-list',
        'ask-waiting',
      ])
        fill(byId(id));
      showCoordinatorSections(false);
    },
  };
}
