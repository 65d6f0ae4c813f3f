// The dashboard's co-operation view in headless Chromium against a real hub on the local stack: information
// requests (overdue ones first and highlighted, filtered by status; the coordination node's shown as the
// coordination centre's), data quality per contributor for coordinators only, who read a country's records, and
// vocabulary labels (concealment, detection, mode…) in English and Russian.
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { askAsCoordinator } from '@hub/coordinator';
import { createKafka, topicNames } from '@hub/kafka';
import { TEXT_MAX } from '@hub/schemas';
import { COLLECTIONS, connectStore, type Store } from '@hub/store';
import { launchChromium } from '../support/browser';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, minimalReport, postJson, produceRaw, startTestHub, type TestHub } from '../support/hub';

const HOUR = 3600000;
const ago = (hours: number) => new Date(Date.now() - hours * HOUR).toISOString();

const minimal = minimalReport();

type ApiRequest = { requestId: string; status: string; overdue: boolean };
type Quality = {
  country: string;
  reports: number;
  completenessScore: number;
  completeness: Record<string, number>;
  delayHours: { median: number | null; p90: number | null };
  within7Days: number | null;
  rejectionRate: number;
};

describe('dashboard: co-operation view and vocabulary labels', function () {
  this.timeout(240000);
  let env: TestEnv;
  let hub: TestHub;
  let store: Store;
  let browser: Browser;
  const ids: Record<string, string> = {};
  const req: Record<string, string> = {};
  let quality: Quality[] = [];
  // Every page a test opens reports its requests and console errors here; afterEach checks them.
  let opened: { context: BrowserContext; requests: string[]; errors: string[] }[] = [];

  const post = async (name: string, node: string, body: Record<string, unknown>) => {
    const r = await postJson(`${hub.nodes[node]!.url}/v1/seizures`, body);
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    ids[name] = r.body.reportId as string;
  };
  const ask = async (body: Record<string, unknown>) => {
    const r = await postJson(`${hub.nodes.KZ!.url}/v1/requests`, {
      to: 'UZ',
      purpose: 'criminal investigation 2026/204',
      question: 'Was this truck seen at your border before?',
      handling: { tlp: 'AMBER', releasableTo: ['UZ'] },
      ...body,
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    return r.body.requestId as string;
  };
  const coordinator = () => hub.token('coordinator', 'TJ', 'RED');
  const uzCoordinator = () => hub.token('coordinator', 'UZ', 'RED');
  const kzAnalyst = () => hub.token('analyst', 'KZ', 'AMBER');
  const uzAnalyst = () => hub.token('analyst', 'UZ', 'AMBER');
  const apiRequests = async (token: string, query = '') => {
    const r = await getJson(`${hub.apiUrl}/v1/requests${query}`, token);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return r.body.requests as ApiRequest[];
  };

  before(async () => {
    browser = await launchChromium();
    env = createTestEnv('cooperation');
    // Escalated half a second past the due time (30 s by default): the test waits for it.
    hub = await startTestHub(env, ['KZ', 'UZ'], { requestCheckMs: 500, requestGraceMs: 500 });
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });

    // Two complete Kazakh reports (terms given as aliases, stored as codes) and two sparse, one late, Uzbek ones.
    await post('kzFuel', 'KZ', {
      ...minimal,
      seizedAt: ago(72),
      place: { name: 'Khorgos', lat: 44.21, lon: 80.41, locationType: 'border-crossing' },
      drugs: [{ substance: 'heroin', quantity: 8, unit: 'kg', form: 'powder', purityPct: 55 }],
      conveyance: { mode: 'road', vehicle: 'truck', identifiers: [{ kind: 'plate', value: '777KZA02' }] },
      concealment: 'бензобак',
      detection: 'dog',
      handling: { tlp: 'AMBER', releasableTo: ['UZ'], evaluation: 'B2' },
    });
    await post('kzRail', 'KZ', {
      ...minimal,
      seizedAt: ago(24),
      place: { name: 'Almaty-1 station', lat: 43.34, lon: 76.95, locationType: 'railway-station' },
      drugs: [{ substance: 'cannabis-resin', quantity: 30, unit: 'kg', form: 'resin', purityPct: 20 }],
      conveyance: { mode: 'rail', vehicle: 'wagon', identifiers: [{ kind: 'plate', value: '555KZB02' }] },
      concealment: 'cargo',
      detection: 'x-ray',
      handling: { tlp: 'AMBER', releasableTo: ['UZ'], evaluation: 'B2' },
    });
    const sparse = (hours: number) => ({
      seizedAt: ago(hours),
      country: 'UZ',
      agency: 'police',
      drugs: [{ substance: 'cannabis-herb', quantity: 5, unit: 'kg' }],
      handling: { tlp: 'GREEN' },
    });
    await post('uzLate', 'UZ', sparse(20 * 24));
    await post('uzRecent', 'UZ', sparse(48));
    // An envelope on UZ's topic that the coordinator must refuse: it counts in UZ's rejection rate.
    const kafka = createKafka({
      brokers: env.config.kafka.brokers,
      clientId: 'cooperation-test',
      logger: env.logger,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topicNames(env.config.namespace).nodeOut('UZ'),
      messages: [{ value: Buffer.from('garbage') }],
    });
    await producer.disconnect();

    // KZ asks UZ three times: one UZ answers, one nobody answers by its due time (escalated), one still open.
    // The answered one is due before the escalated one, so sorting by due time alone would list it first.
    req.answered = await ask({
      subjectKind: 'report',
      subjectRef: ids.kzFuel,
      urgency: 'urgent',
      dueAt: new Date(Date.now() + 6000).toISOString(),
    });
    req.overdue = await ask({
      subjectKind: 'identifier',
      subjectRef: 'plate 777KZA02',
      urgency: 'immediate',
      dueAt: new Date(Date.now() + 8000).toISOString(),
    });
    req.open = await ask({ subjectKind: 'route', subjectRef: 'AF>TJ>KZ', urgency: 'routine' });
    await waitUntil(
      'the request at UZ',
      async () => {
        const r = await getJson(`${hub.nodes.UZ!.url}/v1/requests`);
        return (r.body.requests as ApiRequest[] | undefined)?.some((x) => x.requestId === req.answered);
      },
      30000,
    );
    const answer = await postJson(`${hub.nodes.UZ!.url}/v1/requests/${req.answered}/response`, {
      answer: 'Yes: the same truck crossed at Gisht-Kuprik on 2026-02-11, empty.',
      relatedReports: [ids.kzFuel],
      handling: { tlp: 'AMBER', releasableTo: ['KZ'] },
    });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);

    await waitUntil(
      'reports stored and the garbage quarantined',
      async () =>
        (await store.collection(COLLECTIONS.reports).countDocuments()) === 4 &&
        (await store.collection(COLLECTIONS.quarantine).countDocuments()) === 1,
      60000,
    );
    await waitUntil(
      'one request answered, one escalated, one open',
      async () => {
        const all = await apiRequests(coordinator());
        const status = Object.fromEntries(all.map((r) => [r.requestId, r.status]));
        return (
          status[req.answered!] === 'answered' &&
          status[req.overdue!] === 'escalated' &&
          status[req.open!] === 'open'
        );
      },
      60000,
    );

    // A UZ analyst opens a KZ record and searches KZ's records: KZ's owner view lists both.
    expect((await getJson(`${hub.apiUrl}/v1/seizures/${ids.kzFuel}`, uzAnalyst())).status).to.equal(200);
    const search = await getJson(`${hub.apiUrl}/v1/seizures?country=KZ`, uzAnalyst());
    expect((search.body.items as unknown[]).length).to.equal(2);

    // The figures the quality table must show (computed afresh now that everything is in), to a coordinator who may
    // read both countries' records (KZ's are AMBER for UZ).
    const q = await getJson(`${hub.apiUrl}/v1/quality?fresh=1`, uzCoordinator());
    expect(q.status).to.equal(200);
    quality = q.body.contributors as Quality[];
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
      for (const url of o.requests)
        expect(url.startsWith(`${hub.apiUrl}/`) || /^(blob|data):/.test(url), url).to.equal(true);
      expect(o.errors, 'console errors').to.deep.equal([]);
    }
  });

  /** `expected` is the HTTP status a test provokes on purpose (Chromium logs it as a failed load). */
  async function open(path = '/', expected = 401): Promise<{ page: Page; requests: string[] }> {
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    const probe = { context, requests: [] as string[], errors: [] as string[] };
    page.on('request', (r) => probe.requests.push(r.url()));
    page.on('pageerror', (e) => probe.errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !new RegExp(`status of (401|${expected})`).test(m.text()))
        probe.errors.push(m.text());
    });
    opened.push(probe);
    await page.goto(`${hub.apiUrl}${path}`);
    await page.waitForSelector('body[data-ready="true"]');
    return { page, requests: probe.requests };
  }

  async function signIn(page: Page, token: string) {
    await page.fill('#token', token);
    await page.click('#signin-button');
    await page.waitForSelector('#app:not([hidden])');
  }

  const rowIds = (page: Page) =>
    page.$$eval('#requests tbody tr', (rs) => rs.map((r) => r.getAttribute('data-request-id')));
  const waitRows = (page: Page, n: number) =>
    page.waitForFunction((count) => document.querySelectorAll('#requests tbody tr').length === count, n);

  it('serves the vocabulary labels built from schemas/vocab', async () => {
    const r = await getJson(`${hub.apiUrl}/data/vocab.json`);
    expect(r.status).to.equal(200);
    const v = r.body as Record<string, Record<string, Record<string, string>>>;
    expect(v['concealment-methods']!['fuel-tank']).to.deep.include({
      en: 'Fuel tank',
      ru: 'Топливный бак',
      kk: 'Жанармай багы',
    });
    expect(v['detection-methods']!.canine).to.deep.equal({ en: 'Detector dog', ru: 'Служебная собака' });
    expect(v['transport-modes']!.road!.tg).to.equal('Нақлиёти автомобилӣ');
    expect(v['location-types']!['border-crossing']!.ru).to.equal('Пункт пропуска');
    expect(v['drug-forms']!.powder!.ru).to.equal('Порошок');
    expect(v['drug-groups']!.opioids!.en).to.equal('Opioids');
  });

  it('shows a coordinator every request, the overdue one first and highlighted, with a status filter', async () => {
    const { page } = await open('/#/cooperation');
    await signIn(page, coordinator());
    await page.waitForSelector('#view-cooperation:not([hidden]) #requests tbody tr');
    expect(await page.isVisible('nav.tabs a[data-view="cooperation"][aria-current="page"]')).to.equal(true);
    expect(await rowIds(page)).to.deep.equal([req.overdue, req.answered, req.open]);
    const first = page.locator('#requests tbody tr').first();
    expect(await first.getAttribute('class')).to.equal('overdue');
    expect(await first.getAttribute('data-status')).to.equal('escalated');
    // The list re-renders when its data refreshes: read the style of the row in the page now, not of a node that
    // may just have been replaced (its computed style is then empty).
    await page.waitForFunction(() => {
      const td = document.querySelector('#requests tbody tr td');
      return !!td && getComputedStyle(td).backgroundColor === 'rgb(253, 236, 234)';
    });
    expect(await first.locator('td[data-col="requester"]').textContent()).to.equal('Kazakhstan');
    expect(await first.locator('td[data-col="addressee"]').textContent()).to.equal('Uzbekistan');
    expect(await first.locator('td[data-col="urgency"]').textContent()).to.equal('immediate');
    expect(await first.locator('td[data-col="status"] .status').textContent()).to.equal('escalated');
    expect(await first.locator('td[data-col="status"] .badge').textContent()).to.equal('overdue');
    expect(await first.locator('td[data-col="status"] .sub').textContent()).to.match(/^escalated .+ UTC$/);
    expect(await first.locator('td[data-col="dueAt"]').textContent()).to.match(/UTC$/);
    expect(await page.locator('#requests tbody tr.overdue').count()).to.equal(1);
    expect(await page.textContent('#requests-count')).to.equal('3 requests, 1 overdue');
    const answered = page.locator(`#requests tr[data-request-id="${req.answered}"]`);
    expect(await answered.getAttribute('data-overdue')).to.equal('false');
    expect(await answered.locator('td[data-col="status"]').textContent()).to.equal('answered');
    // The answer is AMBER for KZ: a coordinator in Tajikistan sees that it was answered, not what.
    expect(await answered.locator('td[data-col="response"]').textContent()).to.equal(
      'answeredcontent not releasable to you',
    );

    await page.selectOption('#requests-status', 'answered');
    await waitRows(page, 1);
    expect(await rowIds(page)).to.deep.equal([req.answered]);
    await page.selectOption('#requests-status', 'overdue');
    await page.waitForFunction(
      (id) => document.querySelector('#requests tbody tr')?.getAttribute('data-request-id') === id,
      req.overdue,
    );
    expect(await rowIds(page)).to.deep.equal([req.overdue]);
    await page.selectOption('#requests-status', 'open');
    await page.waitForFunction(
      (id) => document.querySelector('#requests tbody tr')?.getAttribute('data-request-id') === id,
      req.open,
    );
    expect(await rowIds(page)).to.deep.equal([req.open]);
    await page.selectOption('#requests-status', '');
    await waitRows(page, 3);
  });

  it("shows a coordinator each contributor's data quality, with the weak figures highlighted", async () => {
    const { page } = await open('/#/cooperation');
    await signIn(page, uzCoordinator());
    await page.waitForSelector('#quality-section:not([hidden]) #quality-table tbody tr');
    expect(
      await page.$$eval('#quality-table tbody tr', (rs) => rs.map((r) => r.getAttribute('data-country'))),
    ).to.deep.equal(['KZ', 'UZ']);
    expect(
      await page.$$eval('#quality-fields tbody tr', (rs) => rs.map((r) => r.getAttribute('data-country'))),
    ).to.deep.equal(['KZ', 'UZ']);
    expect(quality.map((c) => c.country)).to.deep.equal(['KZ', 'UZ']);
    const cell = (country: string, metric: string) =>
      page.locator(`#quality tr[data-country="${country}"] td[data-metric="${metric}"]`);

    // Every figure is the API's, and is highlighted exactly when it is weak.
    for (const c of quality) {
      const figures: [string, number | null][] = [
        ['reports', c.reports],
        ['completenessScore', c.completenessScore],
        ['delayMedian', c.delayHours.median],
        ['delayP90', c.delayHours.p90],
        ['within7Days', c.within7Days],
        ['rejectionRate', c.rejectionRate],
        ...Object.entries(c.completeness).map(([f, x]) => [`completeness.${f}`, x] as [string, number]),
      ];
      for (const [metric, value] of figures)
        expect(await cell(c.country, metric).getAttribute('data-value'), `${c.country} ${metric}`).to.equal(
          value === null ? '' : String(value),
        );
    }
    const kz = quality.find((c) => c.country === 'KZ')!;
    const uz = quality.find((c) => c.country === 'UZ')!;
    expect(kz).to.deep.include({ reports: 2, completenessScore: 1, within7Days: 1, rejectionRate: 0 });
    expect(kz.delayHours.median).to.be.within(71, 73);
    expect(uz).to.deep.include({ reports: 2, completenessScore: 0, within7Days: 0.5 });
    expect(uz.delayHours.median).to.be.within(479, 481);
    expect(uz.rejectionRate).to.be.above(0.2); // one refused envelope against two reports and one answer

    expect(await page.locator('#quality tr[data-country="KZ"] td.weak').count()).to.equal(0);
    expect(await cell('KZ', 'completenessScore').textContent()).to.equal('100%');
    expect(await cell('KZ', 'delayMedian').textContent()).to.equal('72');
    expect(await cell('KZ', 'within7Days').textContent()).to.equal('100%');
    for (const metric of [
      'completenessScore',
      'completeness.coordinates',
      'completeness.concealment',
      'delayMedian',
      'delayP90',
      'within7Days',
      'rejectionRate',
    ])
      expect(await cell('UZ', metric).getAttribute('data-weak'), metric).to.equal('true');
    expect(await cell('UZ', 'completenessScore').textContent()).to.equal('0% (weak)');
    expect(await cell('UZ', 'within7Days').textContent()).to.equal('50% (weak)');
    expect(await cell('UZ', 'rejectionRate').getAttribute('class')).to.equal('num weak');
    expect(await cell('UZ', 'reports').textContent()).to.equal('2');

    // The envelope the hub refused: the garbage written to UZ's topic, unreadable, with where it was read.
    await page.waitForSelector('#refused-section:not([hidden]) #refused tbody tr');
    const refused = await page.$$eval('#refused tbody tr', (rs) =>
      rs.map((r) => ({
        reason: r.getAttribute('data-reason'),
        cells: Object.fromEntries(
          Array.from(r.querySelectorAll('td'), (td) => [td.getAttribute('data-col'), td.textContent]),
        ),
      })),
    );
    expect(refused.map((r) => r.reason)).to.deep.equal(['malformed']);
    expect(refused[0]!.cells.origin).to.equal('unreadable');
    expect(refused[0]!.cells.where).to.match(
      new RegExp(`^${topicNames(env.config.namespace).nodeOut('UZ').replace(/\./g, '\\.')} \\d+ \\d+$`),
    );
    expect(refused[0]!.cells.at).to.match(/UTC$/);
    expect(await page.textContent('#refused-count')).to.equal('Refused: 1 (the latest 50 at most)');

    // Nobody of another country has read the coordinator's own country's (Uzbekistan's) records.
    await page.waitForSelector('#reads-count');
    expect(await page.textContent('#reads-count')).to.equal('Nobody has read the records of Uzbekistan yet.');

    await page.selectOption('#lang', 'ru');
    expect(await page.textContent('nav.tabs a[data-view="cooperation"]')).to.equal('Сотрудничество');
    expect(await page.textContent('#quality-h')).to.equal('Качество данных по странам');
    expect(await page.textContent('#refused-h')).to.equal('Конверты, отклонённые хабом');
    expect(await page.textContent('#refused td[data-col="origin"]')).to.equal('не прочитан');
    expect(await page.textContent('#quality-table tr[data-country="UZ"] th')).to.equal('Узбекистан');
    expect(await cell('UZ', 'within7Days').textContent()).to.equal('50\u00a0% (слабый показатель)');
    expect(await page.textContent('#requests-count')).to.equal('Запросов: 3, просрочено: 1');
    expect(
      await page.textContent(`#requests tr[data-request-id="${req.overdue}"] td[data-col="urgency"]`),
    ).to.equal('безотлагательный');
  });

  it("shows a KZ analyst its country's requests and who read its records, and no quality table", async () => {
    const { page, requests } = await open('/#/cooperation');
    await signIn(page, kzAnalyst());
    await page.waitForSelector('#requests tbody tr');
    await page.waitForSelector('#reads tbody tr');
    expect(await rowIds(page)).to.deep.equal([req.overdue, req.answered, req.open]);
    expect(await page.getAttribute('#requests tbody tr:first-child', 'class')).to.equal('overdue');
    // KZ asked: the answer is KZ's to read.
    expect(
      await page.textContent(
        `#requests tr[data-request-id="${req.answered}"] td[data-col="response"] .answer`,
      ),
    ).to.match(/Gisht-Kuprik/);
    expect(
      await page.getAttribute(
        `#requests tr[data-request-id="${req.answered}"] td[data-col="subject"] a`,
        'href',
      ),
    ).to.equal(`#/record/${ids.kzFuel}`);
    expect(await page.isHidden('#quality-section')).to.equal(true);
    expect(await page.locator('#quality-table').count()).to.equal(0);
    expect(requests.some((u) => u.includes('/v1/quality'))).to.equal(false);
    expect(await page.isHidden('#refused-section')).to.equal(true);
    expect(requests.some((u) => u.includes('/v1/quarantine'))).to.equal(false);

    // The UZ analyst's read of a KZ record and search of KZ records, from the audit log.
    const rows = await page.$$eval('#reads tbody tr', (rs) =>
      rs.map((r) => ({
        action: r.getAttribute('data-action'),
        cells: Object.fromEntries(
          Array.from(r.querySelectorAll('td'), (td) => [td.getAttribute('data-col'), td.textContent]),
        ),
        records: Array.from(r.querySelectorAll('a'), (a) => a.getAttribute('href')),
      })),
    );
    const read = rows.find((r) => r.action === 'read');
    expect(read?.cells).to.deep.include({
      readerCountry: 'Uzbekistan',
      readerRole: 'analyst',
      readerUser: 'analyst-UZ',
      action: 'opened the record',
    });
    expect(read?.cells.at).to.match(/UTC$/);
    expect(read?.records).to.deep.equal([`#/record/${ids.kzFuel}`]);
    const search = rows.find((r) => r.action === 'search');
    expect(search?.cells.readerCountry).to.equal('Uzbekistan');
    expect(search?.records.sort()).to.deep.equal([`#/record/${ids.kzFuel}`, `#/record/${ids.kzRail}`].sort());
    const kzRecords = new Set([ids.kzFuel, ids.kzRail].map((id) => `#/record/${id}`));
    expect(rows.every((r) => r.records.every((href) => kzRecords.has(href!)))).to.equal(true);

    // A record link opens the record page; Back returns to the co-operation view.
    await page.click(`#reads tr[data-action="read"] a[data-report-id="${ids.kzFuel}"]`);
    await page.waitForSelector('#verdict');
    expect(await page.textContent('#record')).to.contain('Khorgos');
    await page.click('#back');
    await page.waitForSelector('#view-cooperation:not([hidden]) #requests tbody tr');
  });

  it('shows an administrator the quality table and the refusal of the request list', async () => {
    const { page } = await open('/#/cooperation', 403);
    await signIn(page, hub.token('admin', 'KZ', 'RED'));
    await page.waitForSelector('#quality-table tbody tr');
    await page.waitForSelector('#requests .refused');
    expect(await page.textContent('#requests .refused')).to.match(/^Your role does not allow this\./);
    expect(await page.locator('#requests table').count()).to.equal(0);
    expect(await page.textContent('#app-error')).to.equal('');
  });

  it('labels concealment, detection, mode, location type and form on the record page and in search', async () => {
    const { page } = await open(`/#/record/${ids.kzFuel}`);
    await signIn(page, kzAnalyst());
    await page.waitForSelector('#verdict');
    const field = (name: string) => page.textContent(`#record dd[data-field="${name}"]`);
    expect(await field('concealment')).to.equal('Fuel tank');
    expect(await field('detection')).to.equal('Detector dog');
    expect(await field('conveyance')).to.equal('Road, truck');
    expect(await field('locationType')).to.equal('Border crossing point');
    expect(await field('agency')).to.equal('Customs');
    expect(await page.textContent('#record table tbody td:nth-child(5)')).to.equal('Powder');

    await page.selectOption('#lang', 'ru');
    expect(await field('concealment')).to.equal('Топливный бак');
    expect(await field('detection')).to.equal('Служебная собака');
    expect(await field('conveyance')).to.equal('Автомобильный транспорт, truck');
    expect(await field('locationType')).to.equal('Пункт пропуска');
    expect(await field('agency')).to.equal('Таможня');
    expect(await page.textContent('#record table tbody td:nth-child(5)')).to.equal('Порошок');
    expect(await page.textContent('#record dt:has(+ dd[data-field="concealment"])')).to.equal(
      'Способ сокрытия',
    );

    await page.click('nav.tabs a[data-view="search"]');
    await page.selectOption('#f-country', 'KZ');
    await page.click('#search-button');
    await page.waitForSelector('#search-results tbody tr');
    const row = (id: string, col: string) =>
      page.textContent(`#search-results tr[data-report-id="${id}"] td[data-col="${col}"]`);
    expect(await row(ids.kzRail!, 'conveyance')).to.equal('Железнодорожный транспорт');
    expect(await row(ids.kzRail!, 'concealment')).to.equal('Среди легального груза');
    expect(await row(ids.kzRail!, 'detection')).to.equal('Рентген / сканер');
    expect(
      await page.textContent(`#search-results tr[data-report-id="${ids.kzRail}"] td[data-col="place"] .sub`),
    ).to.equal('Железнодорожный вокзал');
    expect(await row(ids.kzFuel!, 'concealment')).to.equal('Топливный бак');
    await page.selectOption('#lang', 'en');
    expect(await row(ids.kzRail!, 'concealment')).to.equal('Mixed with legitimate cargo');
    expect(await row(ids.kzFuel!, 'detection')).to.equal('Detector dog');
  });

  // Last: it adds a request the tests above do not count.
  it("shows a request of the coordination node as the coordination centre's, to coordinators and the addressee only", async () => {
    const asked = await askAsCoordinator({
      config: env.config,
      logger: env.logger,
      body: {
        to: 'UZ',
        purpose: 'regional threat assessment 2026',
        question: 'Which crossings did the seized cannabis pass?',
        subjectKind: 'report',
        subjectRef: ids.uzRecent,
        handling: { tlp: 'AMBER', releasableTo: [] },
      },
      waitMs: 60000,
    });
    const hubRequest = asked.request.requestId;
    const { page } = await open('/#/cooperation');
    await signIn(page, coordinator());
    await page.waitForSelector(`#requests tr[data-request-id="${hubRequest}"]`);
    const cell = (col: string) =>
      page.textContent(`#requests tr[data-request-id="${hubRequest}"] td[data-col="${col}"]`);
    expect(await cell('requester')).to.equal('Coordination centre');
    expect(await cell('addressee')).to.equal('Uzbekistan');
    await page.selectOption('#lang', 'ru');
    await page.waitForFunction(
      (id) =>
        document.querySelector(`#requests tr[data-request-id="${id}"] td[data-col="requester"]`)
          ?.textContent === 'Координационный центр',
      hubRequest,
    );
    await page.selectOption('#lang', 'en');
    // UZ, asked, lists it; KZ, neither asking nor asked, does not.
    expect((await apiRequests(uzAnalyst())).map((r) => r.requestId)).to.include(hubRequest);
    expect((await apiRequests(kzAnalyst())).map((r) => r.requestId)).not.to.include(hubRequest);
  });

  it('lets a coordinator ask a country from the form: fields to correct named, then sent and listed; refused ones kept in view', async () => {
    // The first attempt leaves out the purpose on purpose: the API answers 400, naming it.
    const { page } = await open('/#/cooperation', 400);
    await signIn(page, coordinator());
    await page.waitForSelector('#ask-section:not([hidden])');
    // Each text field takes what the API takes, as its description says (one table: TEXT_MAX).
    const { purpose, question: longest, subjectRef } = TEXT_MAX.InformationRequest;
    await page.waitForSelector(`#ask-question[maxlength="${longest}"]`, { state: 'attached' });
    expect(await page.getAttribute('#ask-purpose', 'maxlength')).to.equal(String(purpose));
    expect(await page.getAttribute('#ask-subject-ref', 'maxlength')).to.equal(String(subjectRef));
    await page.click('#ask-section summary');
    await page.selectOption('#ask-to', 'UZ');
    await page.selectOption('#ask-urgency', 'urgent');
    await page.selectOption('#ask-subject-kind', 'report');
    await page.fill('#ask-subject-ref', ids.uzRecent!);
    const question = `Who owned the truck? (${Date.now()})`;
    await page.fill('#ask-question', question);
    await page.click('#ask-send');
    await page.waitForSelector('#ask-status.error li[data-field="purpose"]');
    expect(await page.textContent('#ask-status')).to.include('Correct these fields');

    await page.fill('#ask-purpose', 'regional threat assessment 2026');
    await page.click('#ask-send');
    await page.waitForSelector('#ask-status.ok', { timeout: 60000 });
    expect(await page.textContent('#ask-status')).to.match(
      /^Request [0-9a-f-]{36} was sent to Uzbekistan\.$/,
    );
    const requestId = /Request ([0-9a-f-]{36})/.exec((await page.textContent('#ask-status'))!)![1]!;
    // Listed as the coordination centre's, to Uzbekistan, urgent; the form emptied for the next one.
    await page.waitForSelector(`#requests tr[data-request-id="${requestId}"]`);
    const cell = (col: string) =>
      page.textContent(`#requests tr[data-request-id="${requestId}"] td[data-col="${col}"]`);
    // With who asked: the coordinator's token subject, signed into the request.
    expect(await cell('requester')).to.match(/^Coordination centre/);
    expect(
      await page.textContent(
        `#requests tr[data-request-id="${requestId}"] td[data-col="requester"] .submitted-by`,
      ),
    ).to.equal('coordinator-TJ');
    expect(await cell('addressee')).to.equal('Uzbekistan');
    expect(await page.inputValue('#ask-question')).to.equal('');
    // Uzbekistan was asked it, with the question as written.
    const atUz = (await getJson(`${hub.nodes.UZ!.url}/v1/requests`)).body.requests as {
      requestId: string;
      question: string;
      requester: string;
      urgency: string;
    }[];
    expect(atUz.find((r) => r.requestId === requestId)).to.include({
      requester: 'HUB',
      question,
      urgency: 'urgent',
    });

    // Every request asked here is at the hub. One to a country without a national node is refused by the
    // coordinator: the form says why, and it stays listed with why, counted in the section's title.
    await page.waitForSelector('#ask-list-count.empty');
    expect(await page.textContent('#ask-list-count')).to.equal('Every request asked here is at the hub.');
    await page.selectOption('#ask-to', 'TJ');
    await page.fill('#ask-purpose', 'regional threat assessment 2026');
    await page.fill('#ask-question', 'Anything on the northern route?');
    await page.click('#ask-send');
    await page.waitForSelector('#ask-status.error', { timeout: 60000 });
    expect(await page.textContent('#ask-status')).to.include('TJ has no national node');
    const refused = '#ask-list tr[data-state="refused"]';
    await page.waitForSelector(refused);
    expect(await page.textContent(`${refused} td[data-col="addressee"]`)).to.equal('Tajikistan');
    expect(await page.textContent(`${refused} td[data-col="state"]`)).to.match(
      /^refused by the coordinator.*TJ has no national node/,
    );
    expect(await page.textContent(`${refused} td[data-col="askedBy"]`)).to.equal('coordinator-TJ');
    expect(await page.textContent('#ask-list-count')).to.equal('1 not at the hub');
    expect(await page.textContent('#ask-waiting')).to.equal(' (0 waiting, 1 refused)');

    // In Russian, the form's labels, the country names and the list follow.
    await page.selectOption('#lang', 'ru');
    await page.waitForFunction(
      () =>
        document.querySelector('#ask-section summary [data-i18n="askTitle"]')?.textContent ===
        'Запросить информацию у страны',
    );
    expect(await page.textContent('#ask-to option[value="UZ"]')).to.equal('Узбекистан');
    expect(await page.textContent('#ask-waiting')).to.equal(' (ожидают: 0, отклонено: 1)');
    expect(await page.textContent(`${refused} td[data-col="addressee"]`)).to.equal('Таджикистан');
    await page.selectOption('#lang', 'en');
  });

  it('shows no form to ask a country to an analyst', async () => {
    const { page } = await open('/#/cooperation');
    await signIn(page, kzAnalyst());
    await page.waitForSelector('#requests table, #requests p');
    expect(await page.isHidden('#ask-section')).to.equal(true);
  });

  it('lets a coordinator take a refused envelope again: sent to the coordinator, then what came of it', async () => {
    const { page } = await open('/#/cooperation');
    await signIn(page, coordinator());
    const garbage = '#refused tbody tr[data-reason="malformed"]:not(:has(.redrive-state))';
    await page.waitForSelector(`${garbage} button.redrive`);
    const id = (await page.getAttribute(`${garbage}`, 'data-id'))!;
    expect(await page.textContent(`${garbage} button.redrive`)).to.equal('Take again');
    await page.click(`${garbage} button.redrive`);
    // The bytes are still no envelope: refused again, by whom and why, and the re-drive's own entry names it.
    const row = `#refused tbody tr[data-id="${id}"]`;
    await page.waitForFunction(
      (sel) =>
        /^refused again: malformed \(coordinator-TJ, /.test(document.querySelector(sel)?.textContent ?? ''),
      `${row} td[data-col="redrive"] .redrive-state`,
      { timeout: 60000 },
    );
    expect(await page.textContent('#refused-status')).to.equal('');
    const again = `#refused tbody tr:has(td[data-col="redrive"] .redrive-state:text("a re-drive of ${id}, refused again"))`;
    await page.waitForSelector(again);
    expect(await page.isVisible(`${again} button.redrive`)).to.equal(false);
    // Refused again, it may be taken again once more (its cause may be mended later).
    expect(await page.isVisible(`${row} button.redrive`)).to.equal(true);
    // The data quality counts the refusal once, as before it was taken again.
    const now = (await getJson(`${hub.apiUrl}/v1/quality?fresh=1`, uzCoordinator())).body
      .contributors as Quality[];
    const before = quality.find((q) => q.country === 'UZ')!;
    expect(before.rejectionRate).to.be.above(0);
    expect(now.find((q) => q.country === 'UZ')?.rejectionRate).to.equal(before.rejectionRate);

    // An admin sees the refused envelopes, but takes none again (that is the coordinators'; the requests between
    // countries are not an admin's either: 403).
    const { page: adminPage } = await open('/#/cooperation', 403);
    await signIn(adminPage, hub.token('admin', 'TJ', 'RED'));
    await adminPage.waitForSelector(`#refused tbody tr[data-id="${id}"]`);
    expect(await adminPage.$$('#refused button.redrive')).to.have.length(0);
  });

  it('offers no re-drive of a record larger than any envelope, and says why', async () => {
    // Larger than any envelope the hub takes (1 MiB): refused as malformed, only its first 64 KiB kept.
    const huge = Buffer.alloc(1024 * 1024 + 1, 0x2a);
    await produceRaw(env, topicNames(env.config.namespace).nodeOut('UZ'), [{ key: 'huge', value: huge }]);
    const { page } = await open('/#/cooperation');
    await signIn(page, coordinator());
    const row = '#refused tbody tr:has(td[data-col="detail"]:text("bytes exceeds 1048576"))';
    await page.waitForSelector(row, { timeout: 60000 });
    expect(await page.textContent(`${row} .redrive-state`)).to.equal(
      'cannot be taken again: 1,048,577 bytes, larger than any envelope (only its first 64 KiB are kept)',
    );
    expect(await page.isVisible(`${row} button.redrive`)).to.equal(false);
    // Nor through the API, which names it.
    const id = (await page.getAttribute(row, 'data-id'))!;
    const res = await fetch(`${hub.apiUrl}/v1/quarantine/redrive`, {
      method: 'POST',
      headers: { authorization: `Bearer ${coordinator()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [id] }),
    });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { errors: unknown }).errors).to.deep.equal([
      {
        field: 'ids[0]',
        message:
          'is a record of 1048577 bytes, larger than any envelope the hub takes, and only its first bytes are kept: taking it again cannot succeed',
        value: id,
      },
    ]);
  });
});
