// The analyst dashboard in headless Chromium against a real hub on the local stack: sign-in, map, charts,
// alerts, search with paging, record provenance and history, exports, Russian labels and live updates.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { COLLECTIONS, connectStore, type Store } from '@hub/store';
import { launchChromium } from '../support/browser';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, postJson, startTestHub, type TestHub, minimalReport } from '../support/hub';

const minimal = minimalReport();

/** A seizure report from the minimal example with what a test cares about changed. */
function report(
  country: string,
  seizedAt: string,
  substance: string,
  kg: number,
  route: string[],
  handling: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    ...minimal,
    country,
    seizedAt,
    drugs: [{ substance, quantity: kg, unit: 'kg', form: 'powder' }],
    route: route.map((c, i) => ({
      country: c,
      role: i === 0 ? 'origin' : i === route.length - 1 ? 'destination' : 'transit',
    })),
    conveyance: {
      mode: 'road',
      vehicle: 'truck',
      identifiers: [{ kind: 'plate', value: `${country}${seizedAt.slice(0, 10)}` }],
    },
    handling,
    ...extra,
  };
}

describe('analyst dashboard in a browser', function () {
  this.timeout(180000);
  let env: TestEnv;
  let hub: TestHub;
  let store: Store;
  let browser: Browser;
  const ids: Record<string, string> = {};
  // Every page a test opens reports its requests and console errors here; afterEach checks them.
  let opened: { context: BrowserContext; requests: string[]; errors: string[] }[] = [];

  const post = async (name: string, node: string, body: Record<string, unknown>) => {
    const r = await postJson(`${hub.nodes[node]!.url}/v1/seizures`, body);
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    ids[name] = r.body.reportId as string;
  };
  const analyst = () => hub.token('analyst', 'KZ', 'AMBER');

  before(async () => {
    browser = await launchChromium();
    env = createTestEnv('dashboard');
    hub = await startTestHub(env, ['KZ', 'UZ']);
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    await post(
      'kzHeroin',
      'KZ',
      report('KZ', '2025-11-10T08:00:00Z', 'heroin', 12.5, ['AF', 'TJ', 'KZ', 'RU'], { tlp: 'GREEN' }),
    );
    await post(
      'kzResin',
      'KZ',
      report('KZ', '2025-12-05T08:00:00Z', 'cannabis-resin', 40, ['AF', 'UZ', 'KZ'], {
        tlp: 'AMBER',
        releasableTo: ['UZ'],
      }),
    );
    const uzHeroin = report(
      'UZ',
      '2026-01-20T08:00:00Z',
      'heroin',
      5,
      ['AF', 'UZ'],
      { tlp: 'AMBER', releasableTo: ['central-asia'] },
      { place: { name: 'Termez', lat: 37.23, lon: 67.27, locationType: 'border-crossing' } },
    );
    await post('uzHeroin', 'UZ', uzHeroin);
    await post(
      'uzCocaine',
      'UZ',
      report('UZ', '2026-02-14T08:00:00Z', 'cocaine-hcl', 3, ['CO', 'ES', 'UZ'], { tlp: 'GREEN' }),
    );
    await post(
      'uzRed',
      'UZ',
      report('UZ', '2026-02-20T08:00:00Z', 'opium', 7, ['IR', 'TM', 'UZ'], { tlp: 'RED' }),
    );
    await post('kzSmall', 'KZ', report('KZ', '2026-01-03T08:00:00Z', 'heroin', 2, [], { tlp: 'CLEAR' }));
    await post(
      'kzMeth',
      'KZ',
      report('KZ', '2025-10-01T08:00:00Z', 'methamphetamine', 1.5, [], { tlp: 'CLEAR' }),
    );
    await waitUntil(
      'seven reports stored',
      async () => (await store.collection(COLLECTIONS.reports).countDocuments()) === 7 || undefined,
      60000,
    );
    // A second version of the Termez report, so that its record has a history.
    const v2 = await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, {
      ...uzHeroin,
      reportId: ids.uzHeroin,
      drugs: [{ substance: 'heroin', quantity: 6, unit: 'kg', form: 'powder' }],
    });
    expect(v2.status, JSON.stringify(v2.body)).to.equal(202);
    await waitUntil(
      'version 2 and the read models',
      async () => {
        const rec = await getJson(`${hub.apiUrl}/v1/seizures/${ids.uzHeroin}`, analyst());
        const routes = await getJson(`${hub.apiUrl}/v1/routes`, analyst());
        const stats = await getJson(`${hub.apiUrl}/v1/stats?groupBy=drug`, analyst());
        const heroin = (stats.body.rows as { key: string; quantityKg: number }[] | undefined)?.find(
          (r) => r.key === 'heroin',
        );
        return (
          rec.body.version === 2 &&
          (routes.body.legs as unknown[] | undefined)?.length === 7 &&
          heroin?.quantityKg === 20.5
        );
      },
      60000,
    );
    // The coordinator's correlation writes alerts; these are put where it would, to show them listed: one on the
    // shared plate, and sixty older ones an hour apart (the dashboard shows a page of 50 at a time).
    const alert = (alertId: string, createdAt: Date, over: Record<string, unknown>) => ({
      _id: alertId as never,
      alertId,
      matched: [
        { reportId: ids.kzHeroin, country: 'KZ', version: 1, evaluation: 'B2' },
        { reportId: ids.uzHeroin, country: 'UZ', version: 2, evaluation: 'B2' },
      ],
      countries: ['KZ', 'UZ'],
      createdAt, // a date, as the coordinator stores it
      ...over,
    });
    await store.collection(COLLECTIONS.alerts).insertMany([
      alert('alert-dashboard-1', new Date(), {
        rule: 'shared_identifier',
        identifierKind: 'plate',
        matchKeyPrefix: '3fa9c2',
        score: 0.82,
        reason: 'the same truck plate in reports of Kazakhstan and Uzbekistan',
      }),
      ...Array.from({ length: 60 }, (_, i) =>
        alert(`alert-older-${i}`, new Date(Date.now() - (i + 1) * 3_600_000), {
          rule: 'route_and_concealment',
          identifierKind: null,
          matchKeyPrefix: null,
          score: 0.5,
          reason: 'the same route and concealment',
        }),
      ),
    ]);
  });

  after(async () => {
    await browser?.close();
    await hub?.close();
    await store?.close();
    env?.cleanup();
  });

  afterEach(async () => {
    const seen = opened;
    opened = [];
    for (const o of seen) {
      await o.context.close();
      // Everything offline: the map libraries come from the hub, and no request goes to a CDN or other host.
      expect(o.requests).to.include(`${hub.apiUrl}/vendor/d3-geo.mjs`);
      for (const url of o.requests)
        expect(url.startsWith(`${hub.apiUrl}/`) || /^(blob|data):/.test(url), url).to.equal(true);
      // This includes any Content-Security-Policy violation, which Chromium reports on the console.
      expect(o.errors, 'console errors').to.deep.equal([]);
    }
  });

  async function open(path = '/', locale = 'en-GB'): Promise<Page> {
    const context = await browser.newContext({ locale, acceptDownloads: true });
    const page = await context.newPage();
    const probe = { context, requests: [] as string[], errors: [] as string[] };
    page.on('request', (r) => probe.requests.push(r.url()));
    page.on('pageerror', (e) => probe.errors.push(e.message));
    page.on('console', (m) => {
      // A refused token is an expected 401, which Chromium logs as a failed resource load.
      if (m.type() === 'error' && !/status of 401/.test(m.text())) probe.errors.push(m.text());
    });
    opened.push(probe);
    await page.goto(`${hub.apiUrl}${path}`);
    await page.waitForSelector('body[data-ready="true"]');
    return page;
  }

  async function signIn(page: Page, token = analyst()) {
    await page.fill('#token', token);
    await page.click('#signin-button');
    await page.waitForSelector('#app:not([hidden])');
    // The overview is loaded whichever view is open (hidden views still hold their content).
    await page.waitForSelector('svg.map path.flow', { state: 'attached' });
  }

  const texts = (page: Page, selector: string) => page.locator(selector).allTextContents();

  it('refuses a garbage, expired or forged token with a clear sign-in error and shows no data', async () => {
    const page = await open();
    const html = await fetch(`${hub.apiUrl}/`);
    expect(html.headers.get('content-security-policy')).to.match(
      /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/,
    );
    expect(await page.isVisible('#signin')).to.equal(true);
    expect(await page.isVisible('#signout')).to.equal(false);
    await page.fill('#token', 'hello, this is not a token');
    await page.click('#signin-button');
    expect(await page.textContent('#signin-error')).to.contain('This is not a JWT');
    await page.fill('#token', hub.token('analyst', 'KZ', 'AMBER', -300));
    await page.click('#signin-button');
    await page.waitForFunction(() =>
      /expired/.test(document.getElementById('signin-error')!.textContent ?? ''),
    );
    expect(await page.textContent('#signin-error')).to.contain('This token has expired');
    const [h, , sig] = analyst().split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ role: 'admin', country: 'KZ', clearance: 'RED' })).toString('base64url')}.${sig}`;
    await page.fill('#token', forged);
    await page.click('#signin-button');
    await page.waitForFunction(() =>
      /refused/.test(document.getElementById('signin-error')!.textContent ?? ''),
    );
    expect(await page.textContent('#signin-error')).to.contain('The hub refused this token');
    expect(await page.isHidden('#app')).to.equal(true);
    expect(await page.locator('path.flow').count()).to.equal(0);
    expect(await page.evaluate(() => window.sessionStorage.getItem('hub.token'))).to.equal(null);
  });

  it('signs in with a token kept in the tab, and signs out forgetting it and what was shown', async () => {
    const page = await open();
    await signIn(page);
    expect(await page.textContent('#who')).to.contain('analyst · Kazakhstan · clearance AMBER');
    expect(await page.evaluate(() => window.sessionStorage.getItem('hub.token'))).to.match(
      /^ey[\w-]+\.[\w-]+\.[\w-]+$/,
    );
    expect(await page.evaluate(() => window.localStorage.getItem('hub.token'))).to.equal(null);
    await page.reload();
    await page.waitForSelector('svg.map path.flow'); // still signed in within the tab
    await page.click('#signout');
    await page.waitForSelector('#signin:not([hidden])');
    expect(await page.evaluate(() => window.sessionStorage.getItem('hub.token'))).to.equal(null);
    expect(await page.locator('path.flow').count()).to.equal(0);
    expect(await page.isHidden('#app')).to.equal(true);
  });

  it('shows the next user in the tab none of what was loaded for the previous one, however late it comes', async () => {
    // The first user, a coordinator of Uzbekistan with RED clearance, sees the Uzbek RED report (its
    // IR→TM→UZ legs) and two alerts naming only Uzbekistan and Turkmenistan, the newest and the oldest of
    // all (on the second page of alerts); the next user, a Kazakh analyst with GREEN clearance, sees none.
    const first = hub.token('coordinator', 'UZ', 'RED');
    const next = hub.token('analyst', 'KZ', 'GREEN');
    const alerts = store.collection(COLLECTIONS.alerts);
    const firstOnly = (alertId: string, createdAt: Date) => ({
      _id: alertId as never,
      alertId,
      matched: [{ reportId: ids.uzRed, country: 'UZ', version: 1, evaluation: 'B2' }],
      countries: ['UZ', 'TM'],
      createdAt,
      rule: 'route_and_concealment',
      identifierKind: null,
      matchKeyPrefix: null,
      score: 0.5,
      reason: 'the same route and concealment',
    });
    await alerts.insertMany([
      firstOnly('alert-first-user-only', new Date()),
      firstOnly('alert-first-user-older', new Date(Date.now() - 100 * 3_600_000)),
    ]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    try {
      const page = await open('/?refresh=600'); // no polling: the test says when the dashboard reloads
      await signIn(page, first);
      await page.waitForSelector('path.flow[data-from="IR"][data-to="TM"]', { state: 'attached' });
      await page.waitForSelector('li.alert[data-alert-id="alert-first-user-only"]', { state: 'attached' });
      // The first user's API calls not yet answered (the feeds' streams stay open by design and are left out).
      const pending = new Set<Request>();
      page.on(
        'request',
        (r) =>
          /\/v1\/(?!feeds\/)/.test(r.url()) &&
          r.headers().authorization === `Bearer ${first}` &&
          pending.add(r),
      );
      page.on('requestfinished', (r) => pending.delete(r));
      page.on('requestfailed', (r) => pending.delete(r));
      // The network holds every answer to the first user's reload, older alerts and record until the next user is
      // signed in.
      const heldUrls: string[] = [];
      await page.route(/\/v1\/(routes|stats|alerts|seizures\/)/, async (route) => {
        if (route.request().headers().authorization === `Bearer ${first}`) {
          heldUrls.push(route.request().url());
          await held;
        }
        await route.continue().catch(() => undefined); // the page may be gone
      });
      await page.click('#refresh');
      await page.evaluate(() => (window.location.hash = '#/alerts'));
      await page.click('#alerts-older');
      await page.evaluate((id) => (window.location.hash = `#/record/${id}`), ids.uzRed!);
      await waitUntil(
        "the first user's reload, older alerts and record sent",
        () =>
          ['/v1/routes', '/v1/alerts', `/v1/seizures/${ids.uzRed}`].every((p) =>
            heldUrls.some((u) => new URL(u).pathname === p),
          ) && heldUrls.some((u) => new URL(u).searchParams.has('cursor')),
        10000,
      );
      await page.click('#signout');
      await page.waitForSelector('#signin:not([hidden])');
      // From here on, anything of the first user's added to the page (even for a moment) is noted.
      await page.evaluate(() => {
        const leaked: string[] = [];
        (window as unknown as { leaked: string[] }).leaked = leaked;
        const marks = [
          'path.flow[data-from="IR"]',
          'li.alert[data-alert-id="alert-first-user-only"]',
          'li.alert[data-alert-id="alert-first-user-older"]',
          '#verdict',
        ];
        new MutationObserver((records) => {
          for (const r of records)
            for (const n of Array.from(r.addedNodes))
              if (n instanceof Element)
                for (const m of marks) if (n.matches(m) || n.querySelector(m)) leaked.push(m);
        }).observe(document.body, { childList: true, subtree: true });
      });
      await page.fill('#token', next);
      await page.click('#signin-button');
      await page.waitForSelector('#app:not([hidden])');
      expect(await page.textContent('#who')).to.contain('analyst · Kazakhstan · clearance GREEN');
      // The next user's own reload runs at once, not after the first user's: AF→UZ is one report for
      // them (the Kazakh resin), two for the first user (the Uzbek heroin too).
      await page.waitForSelector('path.flow[data-from="AF"][data-to="UZ"][data-count="1"]', {
        state: 'attached',
        timeout: 15000,
      });
      await page.waitForSelector('li.alert[data-alert-id="alert-dashboard-1"]', { state: 'attached' });
      // Now the first user's answers arrive, after the next user's; the page must be done with all of them (what
      // the page itself leaves unread, such as the body of the sign-in's check, may never count as finished).
      release();
      let quiet = 0;
      await waitUntil(
        'every answer taken in and half a second without a call',
        () => (quiet = pending.size ? 0 : quiet + 1) >= 5,
        20000,
      );
      expect(await page.evaluate(() => (window as unknown as { leaked: string[] }).leaked)).to.deep.equal([]);
      expect(await page.locator('path.flow[data-from="IR"]').count()).to.equal(0);
      expect(await page.locator('li.alert[data-alert-id="alert-first-user-only"]').count()).to.equal(0);
      expect(await page.locator('li.alert[data-alert-id="alert-first-user-older"]').count()).to.equal(0);
      expect(await page.locator('#verdict').count()).to.equal(0);
      expect(
        await page.locator('path.flow[data-from="AF"][data-to="UZ"]').getAttribute('data-count'),
      ).to.equal('1');
      expect(await page.locator('li.alert[data-alert-id="alert-dashboard-1"]').count()).to.equal(1);
      // The next user's own read of the RED record is refused as absent (404), which Chromium logs: expected.
      const { errors } = opened[opened.length - 1]!;
      const refused = errors.findIndex((e) => /status of 404/.test(e));
      if (refused >= 0) errors.splice(refused, 1);
    } finally {
      release();
      await alerts.deleteMany({
        _id: { $in: ['alert-first-user-only', 'alert-first-user-older'] as never[] },
      });
    }
  });

  it('keeps the next user in the tab signed in when a request of the previous one is refused 401 late', async () => {
    const first = hub.token('coordinator', 'UZ', 'RED');
    const next = hub.token('analyst', 'KZ', 'GREEN');
    const page = await open('/?refresh=600');
    await signIn(page, first);
    // The first user's reload is held, then answered 401 (its token refused meanwhile) once the next user is in.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let refused = 0;
    await page.route(/\/v1\/(routes|stats|alerts)/, async (route) => {
      if (route.request().headers().authorization !== `Bearer ${first}`) return route.continue();
      await held;
      refused++;
      await route
        .fulfill({
          status: 401,
          contentType: 'application/json',
          body: JSON.stringify({ error: { code: 'TOKEN_EXPIRED', message: 'the bearer token expired' } }),
        })
        .catch(() => undefined);
    });
    try {
      await page.click('#refresh');
      await page.click('#signout');
      await page.waitForSelector('#signin:not([hidden])');
      await signIn(page, next);
      release();
      await waitUntil('the late refusals answered', () => refused > 0 || undefined);
      await new Promise((r) => setTimeout(r, 1000));
      expect(await page.isHidden('#app'), 'the next user signed out by a refusal of the first').to.equal(
        false,
      );
      expect(await page.textContent('#who')).to.contain('analyst · Kazakhstan · clearance GREEN');
    } finally {
      release();
    }
  });

  it('maps a flow line for every route leg the analyst may see, and none from a report they may not', async () => {
    const page = await open();
    await signIn(page);
    const legs = await page.$$eval('svg.map path.flow', (ps) =>
      ps.map((p) => `${p.getAttribute('data-from')}>${p.getAttribute('data-to')}`).sort(),
    );
    expect(legs).to.deep.equal(['AF>TJ', 'AF>UZ', 'CO>ES', 'ES>UZ', 'KZ>RU', 'TJ>KZ', 'UZ>KZ']);
    // The Uzbek RED report's legs (IR→TM→UZ) are not the Kazakh analyst's to see.
    expect(await page.locator('path.flow[data-from="IR"]').count()).to.equal(0);
    const afUz = page.locator('path.flow[data-from="AF"][data-to="UZ"]');
    expect(await afUz.getAttribute('data-count')).to.equal('2');
    expect(await afUz.getAttribute('d')).to.match(/^M[\d.]+,[\d.]+Q[\d.]+,[\d.]+ [\d.]+,[\d.]+$/);
    expect(await afUz.getAttribute('aria-label')).to.equal(
      'Afghanistan → Uzbekistan: 2 seizures (per substance), 46 kg (Cannabis resin (hashish), Heroin)',
    );
    // The widest line is the largest quantity (AF→UZ: 40 + 6 kg).
    const widths = await page.$$eval('svg.map path.flow', (ps) =>
      ps.map(
        (p) =>
          [
            `${p.getAttribute('data-from')}>${p.getAttribute('data-to')}`,
            Number(p.getAttribute('stroke-width')),
          ] as const,
      ),
    );
    expect([...widths].sort((a, b) => b[1] - a[1])[0]![0]).to.equal('AF>UZ');
    expect(await page.locator('svg.map path.country').count()).to.be.greaterThan(150);
    expect(await page.locator('svg.map path.country.involved[data-country="UZ"]').count()).to.equal(1);
    expect(await texts(page, 'svg.map g.place > title')).to.have.members([
      'Afghanistan',
      'Tajikistan',
      'Kazakhstan',
      'Russian Federation',
      'Uzbekistan',
      'Colombia',
      'Spain',
    ]);
    expect(await page.locator('svg.map g.place > text').count()).to.be.greaterThan(3);
  });

  it('charts the quantities by month, by drug and by country', async () => {
    const page = await open();
    await signIn(page);
    await page.waitForSelector('#chart-time path.series');
    // All seizures plus one line per drug.
    expect(await page.locator('#chart-time path.series').count()).to.equal(5);
    const months = await texts(page, '#chart-time details tbody th');
    expect(months).to.deep.equal(['Oct 2025', 'Nov 2025', 'Dec 2025', 'Jan 2026', 'Feb 2026']);
    const drugBars = await page.$$eval('#chart-drug rect.bar', (rs) =>
      rs.map((r) => r.getAttribute('data-key')),
    );
    expect(drugBars).to.deep.equal(['cannabis-resin', 'heroin', 'cocaine-hcl', 'methamphetamine']);
    const countryBars = await page.$$eval('#chart-country rect.bar', (rs) =>
      rs.map((r) => [r.getAttribute('data-key'), Number(r.getAttribute('width'))] as const),
    );
    expect(countryBars.map(([k]) => k)).to.deep.equal(['KZ', 'UZ']);
    expect(countryBars[0]![1]).to.be.greaterThan(countryBars[1]![1]);
    expect(await texts(page, '#chart-country details tbody td')).to.include.members(['56', '9']);
    await page.check('input[name="seriesBy"][value="country"]');
    await page.waitForFunction(
      () =>
        Array.from(document.querySelectorAll('#chart-time path.series'))
          .map((p) => p.getAttribute('data-series'))
          .join('|') === 'All seizures|Kazakhstan|Uzbekistan',
    );
  });

  it('lists the cross-border alerts visible to the analyst, linked to the matched records', async () => {
    const page = await open('/#/alerts');
    await signIn(page);
    await page.waitForSelector('#view-alerts:not([hidden]) li.alert');
    const alert = page.locator('li.alert[data-alert-id="alert-dashboard-1"]');
    expect(await alert.locator('h3').textContent()).to.contain('Shared conveyance identifier');
    expect(await alert.locator('.badge').textContent()).to.equal('score 82%');
    expect(await alert.locator('.reason').textContent()).to.equal(
      'the same truck plate in reports of Kazakhstan and Uzbekistan',
    );
    await alert.locator(`a[href="#/record/${ids.uzHeroin}"]`).click();
    await page.waitForSelector('#verdict');
    expect(await page.textContent('#record')).to.contain('Termez');
  });

  it('shows the alerts a page at a time, newest first, and the older ones on asking', async () => {
    const page = await open('/#/alerts');
    await signIn(page);
    await page.waitForSelector('#view-alerts:not([hidden]) li.alert');
    const shown = () => page.$$eval('li.alert', (ls) => ls.map((l) => l.getAttribute('data-alert-id')));
    const first = await shown();
    expect(first).to.have.length(50);
    expect(first.slice(0, 3)).to.deep.equal(['alert-dashboard-1', 'alert-older-0', 'alert-older-1']);
    await page.click('#alerts-older');
    await page.waitForFunction(() => document.querySelectorAll('li.alert').length === 61);
    const all = await shown();
    expect(all.slice(50)).to.deep.equal(Array.from({ length: 11 }, (_, i) => `alert-older-${49 + i}`));
    expect(await page.$('#alerts-older'), 'no older page left').to.equal(null);
  });

  it('searches with filters and pages through the results with the cursor', async () => {
    const page = await open('/#/search');
    await signIn(page);
    await page.selectOption('#f-country', 'UZ');
    await page.click('#search-button');
    await page.waitForSelector('#search-results tbody tr');
    const uz = await page.$$eval('#search-results tbody tr', (rs) =>
      rs.map((r) => r.getAttribute('data-report-id')),
    );
    expect(uz).to.deep.equal([ids.uzCocaine, ids.uzHeroin]); // newest first; the RED one is not visible
    expect(await texts(page, '#search-results tbody tr:first-child td')).to.include.members([
      'Uzbekistan',
      '3',
      'CO → ES → UZ',
    ]);
    // An aggregate of the World Drug Report stands for every substance it counts: cocaine is its hydrochloride here.
    expect(
      await page.$$eval('#f-drug optgroup', (gs) => gs.map((g) => g.getAttribute('label'))),
    ).to.deep.equal(['All of a kind', 'One substance']);
    expect(await page.textContent('#f-drug optgroup:nth-of-type(1) option[value="cocaine"]')).to.equal(
      'Cocaine (all forms, not coca leaf) (cocaine)',
    );
    await page.selectOption('#f-drug', 'cocaine');
    await page.click('#search-button');
    await page.waitForFunction(() => document.querySelectorAll('#search-results tbody tr').length === 1);
    expect(await page.getAttribute('#search-results tbody tr', 'data-report-id')).to.equal(ids.uzCocaine);
    await page.selectOption('#f-drug', 'heroin');
    await page.fill('#f-from', '2026-01-01');
    await page.fill('#f-to', '2026-01-20');
    await page.click('#search-button');
    // The one heroin report of those days, once the cocaine search's row has gone.
    await page.waitForFunction((id) => {
      const rows = document.querySelectorAll('#search-results tbody tr');
      return rows.length === 1 && rows[0]!.getAttribute('data-report-id') === id;
    }, ids.uzHeroin);
    await page.click('button[type="reset"]');
    await page.selectOption('#f-limit', '5');
    await page.fill('#f-to', '2026-02-28');
    await page.click('#search-button');
    await page.waitForSelector('#load-more');
    expect(await page.locator('#search-results tbody tr').count()).to.equal(5);
    expect(await page.textContent('#results-count')).to.equal('5 reports shown; more match');
    await page.click('#load-more');
    await page.waitForSelector('#load-more', { state: 'detached' });
    const all = await page.$$eval('#search-results tbody tr', (rs) =>
      rs.map((r) => r.getAttribute('data-report-id')),
    );
    expect(all).to.deep.equal([
      ids.uzCocaine,
      ids.uzHeroin,
      ids.kzSmall,
      ids.kzResin,
      ids.kzHeroin,
      ids.kzMeth,
    ]);
    expect(await page.textContent('#results-count')).to.equal('6 reports shown');
  });

  it('shows the latest search, not the answer to an earlier one that comes later', async () => {
    const page = await open('/#/search');
    await signIn(page);
    // The network holds the answer to the search for UZ until the search for KZ has been shown.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let heldSeen = false;
    await page.route(/\/v1\/seizures\?.*country=UZ/, async (route) => {
      heldSeen = true;
      await held;
      await route.continue().catch(() => undefined); // the dashboard may have let go of it
    });
    await page.selectOption('#f-country', 'UZ');
    await page.click('#search-button');
    await waitUntil('the UZ search sent', async () => heldSeen || undefined, 10000);
    await page.selectOption('#f-country', 'KZ');
    await page.click('#search-button');
    const kz = [ids.kzSmall, ids.kzResin, ids.kzHeroin, ids.kzMeth];
    const shown = () =>
      page.$$eval('#search-results tbody tr', (rs) => rs.map((r) => r.getAttribute('data-report-id')));
    await page.waitForFunction(
      (n) => document.querySelectorAll('#search-results tbody tr').length === n,
      kz.length,
    );
    expect(await shown()).to.have.members(kz);
    release();
    // Had the UZ answer been taken, its two reports would replace these; give it the time to arrive.
    await page.waitForTimeout(500);
    expect(await shown()).to.have.members(kz);
    expect(await page.textContent('#results-count')).to.equal('4 reports shown');
    expect(await page.textContent('#app-error')).to.equal('');
  });

  it('opens a record with its signature verified, its signer and certificate, and its version history', async () => {
    const page = await open('/#/search');
    await signIn(page);
    await page.selectOption('#f-country', 'UZ');
    await page.click('#search-button');
    await page.click(`#search-results tr[data-report-id="${ids.uzHeroin}"] a`);
    await page.waitForSelector('#verdict');
    expect(page.url()).to.contain(`#/record/${ids.uzHeroin}`);
    expect(await page.getAttribute('#verdict', 'data-verified')).to.equal('true');
    expect(await page.textContent('#verdict')).to.contain('Signature verified');
    const provenance = await page.textContent('.provenance');
    expect(provenance).to.contain('Uzbekistan (UZ)');
    expect(provenance).to.match(/Certificate fingerprint[0-9a-f:]{32,}/i);
    expect(provenance).to.match(/Certificate issued bySeizure Exchange Hub Root CA \([0-9a-f]{16}\)/);
    expect(await page.textContent('.provenance pre.pem')).to.contain('BEGIN CERTIFICATE');
    const history = await page.$$eval('.history tbody tr', (rs) =>
      rs.map((r) => Array.from(r.querySelectorAll('td'), (td) => td.textContent)),
    );
    expect(history.map((r) => r[0])).to.deep.equal(['1', '2']);
    expect(history[1]![3]).to.equal('current');
    expect(history[0]![3]).to.match(/UTC$/);
    expect(await page.textContent('#record')).to.contain('Afghanistan (origin) → Uzbekistan (destination)');
    await page.click('#back');
    await page.waitForSelector('#view-search:not([hidden]) #search-results tbody tr');
  });

  it('exports the filtered search as CSV and the routes as GeoJSON, each written to the audit log', async () => {
    expect((await getJson(`${hub.apiUrl}/v1/export/seizures.csv`)).status).to.equal(401);
    const page = await open('/#/search');
    await signIn(page);
    await page.selectOption('#f-country', 'UZ');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    expect(csv.suggestedFilename()).to.match(/^seizures-\d{8}\.csv$/);
    const lines = readFileSync((await csv.path())!, 'utf8')
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).to.match(/^reportId,version,seizedAt,country,/);
    expect(lines.slice(1).map((l) => l.split(',')[0])).to.deep.equal([ids.uzCocaine, ids.uzHeroin]);
    expect(lines[1]).to.contain('CO>ES>UZ');
    await page.waitForFunction(() =>
      /Downloaded seizures-/.test(document.getElementById('search-status')!.textContent ?? ''),
    );
    const [geo] = await Promise.all([page.waitForEvent('download'), page.click('#export-geojson')]);
    const collection = JSON.parse(readFileSync((await geo.path())!, 'utf8'));
    expect(collection.type).to.equal('FeatureCollection');
    const legs = collection.features.map((f: any) => `${f.properties.from}>${f.properties.to}`).sort();
    expect(legs).to.deep.equal(['AF>UZ', 'ES>UZ', 'UZ>KZ']);
    for (const f of collection.features) {
      expect(f.geometry.type).to.equal('LineString');
      expect(f.geometry.coordinates).to.have.length(2);
    }
    // An auditor cleared RED sees which reports were exported; one below RED only its own country's of them.
    const audit = await getJson(`${hub.apiUrl}/v1/audit`, hub.token('auditor', 'KZ', 'RED'));
    expect(audit.body.valid).to.equal(true);
    const exports = (audit.body.entries as any[]).filter((e) => e.action === 'export');
    const csvEntry = exports.find((e) => e.query.format === 'csv');
    expect(csvEntry.actor).to.deep.equal({ sub: 'analyst-KZ', role: 'analyst', country: 'KZ' });
    expect(csvEntry.query.country).to.equal('UZ');
    expect(csvEntry.reportIds).to.have.members([ids.uzCocaine, ids.uzHeroin]);
    expect(exports.some((e) => e.query.format === 'geojson' && e.count === 3)).to.equal(true);
    const below = await getJson(`${hub.apiUrl}/v1/audit`, hub.token('auditor', 'KZ'));
    const belowCsv = (below.body.entries as any[]).find((e) => e.seq === csvEntry.seq);
    expect(belowCsv.reportIds).to.deep.equal([]);
    expect(belowCsv.withheld.fields).to.include('reportIds');
  });

  it('shows a report once when the next page lists it again (its seizedAt corrected between the pages)', async () => {
    const page = await open('/#/search');
    await signIn(page);
    // The first page as the hub answers it; the next with one of the first page's reports again, as it comes when its
    // seizure date was corrected to one the paging has not reached yet.
    let firstPage: { reportId: string; seizedAt: string }[] = [];
    await page.route(/\/v1\/seizures\?/, async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { items: { reportId: string; seizedAt: string }[] };
      if (!route.request().url().includes('cursor=')) firstPage = body.items;
      else body.items = [{ ...firstPage[3]!, seizedAt: '2025-10-20T08:00:00Z' }, ...body.items];
      await route.fulfill({ response, json: body });
    });
    await page.selectOption('#f-limit', '5');
    await page.fill('#f-to', '2026-02-28');
    await page.click('#search-button');
    await page.waitForSelector('#load-more');
    expect(firstPage.map((i) => i.reportId)).to.deep.equal([
      ids.uzCocaine,
      ids.uzHeroin,
      ids.kzSmall,
      ids.kzResin,
      ids.kzHeroin,
    ]);
    await page.click('#load-more');
    await page.waitForSelector('#load-more', { state: 'detached' });
    const all = await page.$$eval('#search-results tbody tr', (rs) =>
      rs.map((r) => r.getAttribute('data-report-id')),
    );
    expect(all).to.deep.equal([...firstPage.map((i) => i.reportId), ids.kzMeth]);
    expect(await page.textContent('#results-count')).to.equal('6 reports shown');
  });

  it('says when a CSV export holds only the newest rows the API gives, and how to have the rest', async () => {
    const page = await open('/#/search');
    await signIn(page);
    // More matched than one file holds (10,000 rows, a store this test does not fill): the API says so in a header.
    const asked: { url: string; truncated: string | undefined }[] = [];
    await page.route(/\/v1\/export\/seizures\.csv\?/, async (route) => {
      const response = await route.fetch();
      asked.push({ url: route.request().url(), truncated: response.headers()['x-export-truncated'] });
      await route.fulfill({ response, headers: { ...response.headers(), 'x-export-truncated': 'true' } });
    });
    await page.selectOption('#f-country', 'UZ');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    // Asked for as many rows as the notice names; the hub had not cut this one (two reports).
    expect(new URL(asked[0]!.url).searchParams.get('limit')).to.equal('10000');
    expect(asked[0]!.truncated).to.equal('false');
    await page.waitForFunction(() =>
      /10,000/.test(document.getElementById('search-status')!.textContent ?? ''),
    );
    expect(await page.textContent('#search-status')).to.equal(
      `Downloaded ${csv.suggestedFilename()}: the newest 10,000 reports only, and more match. Narrow the dates (or country, drug) to export the rest.`,
    );
    // A whole export says only that it was downloaded.
    await page.unroute(/\/v1\/export\/seizures\.csv\?/);
    const [whole] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    await page.waitForFunction(
      (file) => document.getElementById('search-status')!.textContent === `Downloaded ${file}.`,
      whole.suggestedFilename(),
    );
  });

  it('shows an auditor the audit log a page at a time, by reader and action, and where the chain breaks', async () => {
    const reader = hub.token('analyst', 'UZ', 'AMBER');
    for (let i = 0; i < 60; i++)
      expect((await getJson(`${hub.apiUrl}/v1/alerts?limit=1`, reader)).status).to.equal(200);
    const page = await open('/#/audit');
    await page.fill('#token', hub.token('auditor', 'KZ'));
    await page.click('#signin-button');
    await page.waitForSelector('#audit-chain[data-valid="true"]');
    expect(await page.isVisible('#nav-audit')).to.equal(true);
    expect(await page.textContent('#audit-chain')).to.match(/^The chain holds: all [\d,]+ entries verified/);
    const rows = page.locator('table.audit tbody tr');
    expect(await rows.count()).to.equal(50);
    const newest = Number(await rows.first().getAttribute('data-seq'));
    await page.click('#audit-older');
    await page.waitForFunction(() => document.querySelectorAll('table.audit tbody tr').length > 50);
    const seqs = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-seq'))));
    // Newest first, each once, one after the other.
    expect(seqs).to.deep.equal(seqs.map((_, i) => newest - i));
    await page.fill('#audit-sub', 'analyst-UZ');
    await page.selectOption('#audit-action', 'alerts');
    await page.click('#audit-button');
    await page.waitForFunction(
      () =>
        document.querySelectorAll('table.audit tbody tr').length === 50 &&
        Array.from(document.querySelectorAll('table.audit tbody tr')).every(
          (tr) => tr.getAttribute('data-action') === 'alerts',
        ),
    );
    expect(new Set(await texts(page, 'table.audit td[data-col="readerUser"]'))).to.deep.equal(
      new Set(['analyst-UZ']),
    );
    expect(new Set(await texts(page, 'table.audit td[data-col="readerCountry"]'))).to.deep.equal(
      new Set(['Uzbekistan']),
    );
    await page.click('#audit-older');
    await page.waitForFunction(() => document.querySelectorAll('table.audit tbody tr').length === 60);
    expect(await page.isVisible('#audit-older')).to.equal(false);
    // An entry changed in the store: the next showing names it.
    const audit = store.collection<{ seq: number; count: number }>(COLLECTIONS.audit);
    const victim = (await audit.findOne({ seq: 2 }))!;
    await audit.updateOne({ seq: 2 }, { $set: { count: victim.count + 1 } });
    try {
      await page.click('#audit-button');
      await page.waitForSelector('#audit-chain[data-valid="false"]');
      expect(await page.textContent('#audit-chain')).to.equal(
        'The chain is broken at entry 2: entry content does not match its hash.',
      );
    } finally {
      await audit.updateOne({ seq: 2 }, { $set: { count: victim.count } });
    }
  });

  it('switches to Russian labels, country and substance names, and keeps the choice', async () => {
    const page = await open('/#/search');
    await signIn(page);
    await page.selectOption('#f-country', 'UZ');
    await page.click('#search-button');
    await page.waitForSelector('#search-results tbody tr');
    await page.selectOption('#lang', 'ru');
    expect(await page.getAttribute('html', 'lang')).to.equal('ru');
    // The audit log's tab is an auditor's: an analyst has none.
    expect(await texts(page, 'nav.tabs a:not([hidden])')).to.deep.equal([
      'Обзор',
      'Оповещения',
      'Поиск',
      'Сотрудничество',
    ]);
    expect(await page.textContent('#search-h')).to.equal('Поиск сообщений об изъятиях');
    expect(await page.textContent('#signout')).to.equal('Выйти');
    expect(await page.textContent('#who')).to.equal('аналитик · Казахстан · допуск AMBER');
    const row = await texts(page, `#search-results tr[data-report-id="${ids.uzHeroin}"] td`);
    expect(row).to.include.members(['Узбекистан', 'Героин']);
    expect(await page.textContent('#f-drug option[value="cannabis-resin"]')).to.equal(
      'Гашиш (cannabis-resin)',
    );
    await page.click(`#search-results tr[data-report-id="${ids.uzHeroin}"] a`);
    await page.waitForSelector('#verdict');
    expect(await page.textContent('#verdict')).to.contain('Подпись проверена');
    expect(await page.textContent('#record')).to.contain(
      'Афганистан (происхождение) → Узбекистан (назначение)',
    );
    expect(await page.textContent('#history-h')).to.equal('История версий');
    await page.click('nav.tabs a[data-view="overview"]');
    expect(await texts(page, 'svg.map g.place > title')).to.include.members(['Афганистан', 'Узбекистан']);
    expect(await page.getAttribute('path.flow[data-from="AF"][data-to="UZ"]', 'aria-label')).to.match(
      /^Афганистан → Узбекистан: изъятий 2 \(по каждому веществу\), 46 кг/,
    );
    await page.reload();
    await page.waitForSelector('svg.map path.flow');
    expect(await page.textContent('#overview-h')).to.equal('Маршруты и статистика');
    await page.selectOption('#lang', 'en');
    expect(await page.textContent('#overview-h')).to.equal('Route picture and statistics');
  });

  it('updates the map from the regional feed as soon as a new report arrives', async () => {
    const page = await open('/?refresh=600'); // no polling within the test: only the feed can update it
    await signIn(page);
    await page.waitForSelector('#live[data-state="on"]');
    // Each region's stream opens on its own; the label names the open ones in the configured order.
    const both = 'Live: Central Asia, Northern route';
    await page
      .waitForFunction((text) => document.querySelector('#live')?.textContent === text, both, {
        timeout: 15000,
      })
      .catch(() => undefined);
    expect(await page.textContent('#live')).to.equal(both);
    expect(await page.locator('path.flow[data-from="CN"]').count()).to.equal(0);
    await post(
      'kzLive',
      'KZ',
      report('KZ', '2026-03-01T08:00:00Z', 'heroin', 1, ['CN', 'KZ'], { tlp: 'CLEAR' }),
    );
    await page.waitForSelector('path.flow[data-from="CN"][data-to="KZ"]', {
      state: 'attached',
      timeout: 30000,
    });
  });

  it('falls back to polling for a caller with no regional feed', async () => {
    const page = await open('/?refresh=2');
    await signIn(page, hub.token('analyst', 'FR', 'GREEN'));
    expect(await page.getAttribute('#live', 'data-state')).to.equal('off');
    expect(await page.locator('path.flow[data-from="PK"]').count()).to.equal(0);
    await post(
      'kzPolled',
      'KZ',
      report('KZ', '2026-03-02T08:00:00Z', 'heroin', 1, ['PK', 'KZ'], { tlp: 'CLEAR' }),
    );
    await page.waitForSelector('path.flow[data-from="PK"][data-to="KZ"]', { timeout: 60000 });
    expect(await page.textContent('#updated')).to.match(/^Updated .+; refreshes every 2 s$/);
  });
});
