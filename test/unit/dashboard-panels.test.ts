// Unit tier: the dashboard's live panels (services/query-api/public/overview.js) are loaded each on its own, so that a
// call that fails costs its own panel only; sign-in (signin.js) proves a token with a call that reads no records; and
// a panel's rebuild keeps the keyboard focus (focus.js). Only the network and the document are replaced.
import { expect } from 'chai';
import { dashboardModule } from './dashboard-support';
import { installDom, type StandInDocument, type StandInElement } from './dom-stand-in';

type Outcome = { value: unknown } | { error: { status: number; code: string; message: string } };
type Panels = Record<'map' | 'time' | 'byDrug' | 'byCountry' | 'alerts', Outcome>;
interface Api {
  get(path: string, params?: Record<string, unknown>): Promise<unknown>;
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** The query API's answers, but a page of alerts times out (504 QUERY_TIMEOUT), as it can for a caller who may read
 * none of the newest; every URL asked is kept in `asked`. */
function hubWhereAlertsTimeOut(asked: URL[]) {
  return (async (input: string | URL) => {
    const url = new URL(String(input), 'http://hub.test');
    asked.push(url);
    const groupBy = url.searchParams.get('groupBy');
    switch (url.pathname) {
      case '/v1/alerts':
        return json(504, {
          error: { code: 'QUERY_TIMEOUT', message: 'the query took longer than 10000 ms; narrow it' },
        });
      case '/v1/routes':
        return json(200, {
          legs: [{ from: 'AF', to: 'TJ', count: 1, quantityKg: 2, substances: ['heroin'] }],
        });
      case '/v1/stats':
        return json(200, {
          rows:
            groupBy === 'month'
              ? [{ key: '2026-03', quantityKg: 2, count: 1 }]
              : [{ key: groupBy === 'drug' ? 'heroin' : 'TJ', quantityKg: 2, count: 1 }],
        });
      case '/v1/requests':
        return json(200, { requests: [], nextCursor: null });
      case '/v1/session':
        return json(200, {
          sub: 'analyst-TJ',
          role: 'analyst',
          country: 'TJ',
          clearance: 'AMBER',
          regions: ['central-asia'],
          expiresAt: null,
        });
      default:
        return json(404, { error: { code: 'NOT_FOUND', message: url.pathname } });
    }
  }) as typeof fetch;
}

describe('dashboard live panels', () => {
  const realFetch = globalThis.fetch;
  let loadPanels: (
    api: Api,
    o: { seriesBy: string; alertsLimit: number; current: () => boolean },
  ) => Promise<Panels | null>;
  let showPanels: (
    panels: Panels,
    render: Record<string, (value: unknown) => void>,
    failed: (name: string, error: { code: string }) => void,
  ) => void;
  let createApi: (o: { token: () => string; onUnauthorized: () => void }) => Api;
  before(async () => {
    ({ loadPanels, showPanels } = await dashboardModule<{
      loadPanels: typeof loadPanels;
      showPanels: typeof showPanels;
    }>('overview.js'));
    ({ createApi } = await dashboardModule<{ createApi: typeof createApi }>('api.js'));
  });
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it('shows every other panel when only the alerts time out, and the timeout in the alerts panel', async () => {
    const asked: URL[] = [];
    globalThis.fetch = hubWhereAlertsTimeOut(asked);
    const api = createApi({ token: () => 't', onUnauthorized: () => undefined });
    const panels = await loadPanels(api, { seriesBy: 'drug', alertsLimit: 50, current: () => true });
    expect(panels).to.not.equal(null);
    const shown: Record<string, unknown> = {};
    const failed: Record<string, string> = {};
    const draw = (name: string) => (value: unknown) => (shown[name] = value);
    showPanels(
      panels!,
      {
        map: draw('map'),
        time: draw('time'),
        byDrug: draw('byDrug'),
        byCountry: draw('byCountry'),
        alerts: draw('alerts'),
      },
      (name, error) => (failed[name] = error.code),
    );
    expect(failed).to.deep.equal({ alerts: 'QUERY_TIMEOUT' });
    expect(Object.keys(shown).sort()).to.deep.equal(['byCountry', 'byDrug', 'map', 'time']);
    expect(shown.map).to.deep.equal([
      { from: 'AF', to: 'TJ', count: 1, quantityKg: 2, substances: ['heroin'] },
    ]);
    expect(shown.time).to.deep.equal({
      total: [{ key: '2026-03', quantityKg: 2, count: 1 }],
      series: [{ dimension: 'drug', key: 'heroin', rows: [{ key: '2026-03', quantityKg: 2, count: 1 }] }],
    });
    // The map asks for the legs alone: the route reports are neither read nor audited as read for it.
    const routes = asked.filter((u) => u.pathname === '/v1/routes');
    expect(routes.map((u) => u.searchParams.get('reportedRoutes'))).to.deep.equal(['omit']);
  });

  it('fails the chart over time alone when one of its lines cannot be read', async () => {
    const hub = hubWhereAlertsTimeOut([]);
    globalThis.fetch = (async (input: string | URL) => {
      const url = new URL(String(input), 'http://hub.test');
      if (url.searchParams.get('drug') === 'heroin')
        return json(503, { error: { code: 'STORE_UNAVAILABLE', message: 'the store is not answering' } });
      return hub(input);
    }) as typeof fetch;
    const api = createApi({ token: () => 't', onUnauthorized: () => undefined });
    const panels = (await loadPanels(api, { seriesBy: 'drug', alertsLimit: 50, current: () => true }))!;
    expect('error' in panels.time && panels.time.error.code).to.equal('STORE_UNAVAILABLE');
    for (const name of ['map', 'byDrug', 'byCountry'] as const)
      expect(panels[name], name).to.have.property('value');
  });

  it('sends no more calls once the session that asked has ended', async () => {
    const asked: URL[] = [];
    globalThis.fetch = hubWhereAlertsTimeOut(asked);
    const api = createApi({ token: () => 't', onUnauthorized: () => undefined });
    const panels = await loadPanels(api, { seriesBy: 'drug', alertsLimit: 50, current: () => false });
    expect(panels).to.equal(null);
    // The five of the first round only: no line of the chart over time was asked for.
    expect(asked).to.have.length(5);
  });
});

describe('dashboard sign-in', () => {
  type Refusal = { code: string; message: string } | null;
  let tokenRefusal: (token: string, fetchFn: typeof fetch) => Promise<Refusal>;
  before(async () => {
    ({ tokenRefusal } = await dashboardModule<{ tokenRefusal: typeof tokenRefusal }>('signin.js'));
  });
  const answering = (status: number, body: unknown, asked: string[] = []) =>
    (async (input: string | URL) => {
      asked.push(String(input));
      return status === 0 ? new Response('bad gateway', { status: 502 }) : json(status, body);
    }) as typeof fetch;

  it('takes a valid token though the newest alerts would time out for its caller', async () => {
    const asked: URL[] = [];
    expect(await tokenRefusal('a.b.c', hubWhereAlertsTimeOut(asked))).to.equal(null);
    expect(asked.map((u) => u.pathname)).to.deep.equal(['/v1/session']);
  });

  it('takes a token the API accepted though it answered the load (429, 504)', async () => {
    for (const [status, code] of [
      [429, 'TOO_MANY_REQUESTS'],
      [504, 'QUERY_TIMEOUT'],
    ] as const)
      expect(
        await tokenRefusal('a.b.c', answering(status, { error: { code, message: 'x' } })),
        code,
      ).to.equal(null);
  });

  it('refuses a token the API refuses, or when no answer of the API came', async () => {
    expect(
      await tokenRefusal(
        'a.b.c',
        answering(401, {
          error: { code: 'TOKEN_EXPIRED', message: 'the bearer token was refused: jwt expired' },
        }),
      ),
    ).to.deep.equal({ code: 'TOKEN_EXPIRED', message: 'the bearer token was refused: jwt expired' });
    expect((await tokenRefusal('a.b.c', answering(0, null)))?.code).to.equal('HTTP_502');
    const down = (async () => {
      throw new TypeError('fetch failed');
    }) as typeof fetch;
    expect(await tokenRefusal('a.b.c', down)).to.deep.equal({ code: 'NETWORK', message: 'fetch failed' });
  });
});

describe('dashboard focus across a rebuild', () => {
  type KeepFocus = (
    container: StandInElement,
    render: () => void,
    o?: { fallback?: StandInElement; doc?: StandInDocument },
  ) => void;
  let keepFocus: KeepFocus;
  let h: (tag: string, attrs: Record<string, unknown>, ...children: unknown[]) => StandInElement;
  let fill: (el: StandInElement, ...children: unknown[]) => void;
  let dom: ReturnType<typeof installDom>;
  let doc: StandInDocument;
  before(async () => {
    ({ keepFocus } = await dashboardModule<{ keepFocus: KeepFocus }>('focus.js'));
    ({ h, fill } = await dashboardModule<{ h: typeof h; fill: typeof fill }>('dom.js'));
  });
  beforeEach(() => {
    dom = installDom();
    doc = dom.document;
  });
  afterEach(() => dom.restore());

  /** A map panel of flows, drawn anew by each call, as renderMap does (each with its key: focus.js finds it by that). */
  const drawFlows = (box: StandInElement, legs: [string, string][]) =>
    fill(
      box,
      legs.map(([from, to]) =>
        h('path', {
          class: 'flow',
          'data-from': from,
          'data-to': to,
          'data-focus-key': `flow:${from}>${to}`,
          tabindex: 0,
        }),
      ),
      h('button', { type: 'button', id: 'alerts-older', text: 'Show older alerts' }),
    );
  const flow = (box: StandInElement, from: string) => box.querySelector(`path[data-from="${from}"]`)!;

  it('gives the focus back to the same flow, rebuilt, and to a button by its id', () => {
    const heading = h('h2', { id: 'overview-h', tabindex: -1 });
    const box = h('div', { id: 'map' });
    doc.body.append(heading, box);
    drawFlows(box, [
      ['AF', 'TJ'],
      ['TJ', 'KZ'],
    ]);
    flow(box, 'TJ').focus();
    const before = doc.activeElement;
    keepFocus(box, () =>
      drawFlows(box, [
        ['CN', 'KZ'],
        ['AF', 'TJ'],
        ['TJ', 'KZ'],
      ]),
    );
    expect(doc.activeElement).to.not.equal(before);
    expect(doc.activeElement).to.equal(flow(box, 'TJ'));
    expect(doc.activeElement.isConnected).to.equal(true);

    doc.getElementById('alerts-older')!.focus();
    keepFocus(box, () => drawFlows(box, [['AF', 'TJ']]), { fallback: heading });
    expect(doc.activeElement).to.equal(doc.getElementById('alerts-older'));
  });

  it('gives it to the fallback when the element is gone, and leaves a focus outside the panel where it is', () => {
    const heading = h('h2', { id: 'overview-h', tabindex: -1 });
    const box = h('div', { id: 'map' });
    const search = h('input', { id: 'f-from' });
    doc.body.append(heading, box, search);
    drawFlows(box, [['AF', 'TJ']]);
    flow(box, 'AF').focus();
    keepFocus(box, () => fill(box, h('p', { class: 'error', text: 'the store is not answering' })), {
      fallback: heading,
    });
    expect(doc.activeElement).to.equal(heading);

    search.focus();
    keepFocus(box, () => drawFlows(box, [['AF', 'TJ']]), { fallback: heading });
    expect(doc.activeElement).to.equal(search);
  });
});
