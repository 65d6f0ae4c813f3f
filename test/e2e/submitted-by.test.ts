// Which agency system sent a report, on the real stack: a national node that asks for tokens (HUB_NODE_TOKEN_FILE)
// signs the client name of the token with the report (SeizureReport v3 `submittedBy`), whatever the body says; the
// coordinator stores it and refuses a malformed one; the query API and the dashboard show it.
import { expect } from 'chai';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { repoRoot } from '@hub/config';
import { seizureReportFromJson } from '@hub/domain';
import { topicNames } from '@hub/kafka';
import { COLLECTIONS, connectStore, type Store } from '@hub/store';
import { launchChromium } from '../support/browser';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, minimalReport, produceRaw, signedAs, startTestHub, type TestHub } from '../support/hub';

describe('the agency system that sent a report, route, annual return or request, or withdrew a report (submittedBy)', function () {
  this.timeout(120000);
  let env: TestEnv;
  let hub: TestHub;
  let store: Store;
  let browser: Browser | undefined;
  const customs = randomBytes(24).toString('base64url');
  const unnamed = randomBytes(24).toString('base64url');
  let withdrawnId = '';
  let requestId = '';

  before(async () => {
    env = createTestEnv('submitted-by');
    env.config = {
      ...env.config,
      nodeClientTokens: [
        { client: 'customs-kz', token: customs },
        { client: 'agency', token: unnamed },
      ],
    };
    hub = await startTestHub(env, ['KZ', 'UZ']);
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
  });
  after(async () => {
    await browser?.close();
    await hub?.close();
    await store?.close();
    env?.cleanup();
  });

  const post = async (path: string, token: string, body: string, type = 'application/json', node = 'KZ') => {
    const res = await fetch(`${hub.nodes[node]!.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': type, authorization: `Bearer ${token}` },
      body,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const record = (id: string) =>
    waitUntil(
      `report ${id} in the query API`,
      async () => {
        const r = await getJson(`${hub.apiUrl}/v1/seizures/${id}`, hub.token('analyst', 'KZ', 'AMBER'));
        return r.status === 200 ? r.body : undefined;
      },
      60000,
    );

  /** A report sent with the customs token, once the query API has it. */
  const storedByCustoms = async () => {
    const reportId = randomUUID();
    const r = await post('/v1/seizures', customs, JSON.stringify({ ...minimalReport(), reportId }));
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    await record(reportId);
    return reportId;
  };

  it('is the client name of the token that sent it, signed with the report, never what the body says', async () => {
    const reportId = randomUUID();
    const json = await post(
      '/v1/seizures',
      customs,
      JSON.stringify({ ...minimalReport(), reportId, submittedBy: 'police-kz' }),
    );
    expect(json.status, JSON.stringify(json.body)).to.equal(202);
    const rec = await record(reportId);
    expect((rec.report as { submittedBy: unknown }).submittedBy).to.equal('customs-kz');
    expect((rec.provenance as { verified: boolean }).verified).to.equal(true);

    // A CSV file, sent with the unnamed token (its client is "agency").
    const csv = readFileSync(join(repoRoot, 'docs', 'templates', 'ids-seizures.csv'), 'utf8');
    const imported = await post('/v1/seizures/csv', unnamed, csv, 'text/csv');
    expect(imported.status, JSON.stringify(imported.body)).to.be.oneOf([202, 207]);
    const first = (imported.body.results as { reportId: string; status: string }[]).find(
      (r) => r.status === 'queued',
    );
    const fromCsv = await record(first!.reportId);
    expect((fromCsv.report as { submittedBy: unknown }).submittedBy).to.equal('agency');
    expect((fromCsv.report as { reportingChannel: unknown }).reportingChannel).to.equal('csv');
  });

  it('is the client name of the token that withdrew a report, shown with the reason', async () => {
    const reportId = await storedByCustoms();
    const withdrawn = await post(
      `/v1/seizures/${reportId}/retract`,
      unnamed,
      JSON.stringify({ reason: 'entered twice' }),
    );
    expect(withdrawn.status, JSON.stringify(withdrawn.body)).to.equal(202);
    const rec = await waitUntil(
      'the report withdrawn',
      async () => {
        const r = await getJson(`${hub.apiUrl}/v1/seizures/${reportId}`, hub.token('analyst', 'KZ', 'AMBER'));
        return r.body.status === 'retracted' ? r.body : undefined;
      },
      60000,
    );
    const retraction = rec.retraction as { reason: string; retractedAt: string; submittedBy: string };
    expect(retraction).to.include({ reason: 'entered twice', submittedBy: 'agency' });
    expect(Date.parse(retraction.retractedAt)).to.be.closeTo(Date.now(), 120000);
    // The report's own version keeps who sent it.
    expect((rec.report as { submittedBy: string }).submittedBy).to.equal('customs-kz');
    withdrawnId = reportId;
  });

  it('is signed with trafficking routes and annual returns too, and stored with them', async () => {
    const route = await post(
      '/v1/routes',
      customs,
      JSON.stringify({
        legs: [
          { from: 'AF', to: 'TJ' },
          { from: 'TJ', to: 'KZ' },
        ],
        handling: { tlp: 'GREEN' },
      }),
    );
    expect(route.status, JSON.stringify(route.body)).to.equal(202);
    const annual = await post(
      '/v1/annual-returns',
      unnamed,
      JSON.stringify({
        year: 2024,
        rows: [{ drugName: 'Heroin', kilograms: 12 }],
        handling: { tlp: 'GREEN' },
      }),
    );
    expect(annual.status, JSON.stringify(annual.body)).to.equal(202);
    const storedRoute = await waitUntil(
      'the route stored',
      () =>
        store
          .collection<{ _id: string; route: { submittedBy: string } }>(COLLECTIONS.routes)
          .findOne({ _id: String(route.body.routeId) }),
      60000,
    );
    expect(storedRoute.route.submittedBy).to.equal('customs-kz');
    const storedReturn = await waitUntil(
      'the annual return stored',
      () =>
        store
          .collection<{ _id: string; submittedBy: string }>(COLLECTIONS.annualReturns)
          .findOne({ _id: String(annual.body.returnId) }),
      60000,
    );
    expect(storedReturn.submittedBy).to.equal('agency');
  });

  it('is signed with information requests and their answers, at both nodes and in the query API', async () => {
    const asked = await post(
      '/v1/requests',
      customs,
      JSON.stringify({
        to: 'UZ',
        purpose: 'case 2026/117',
        question: 'Seen before?',
        handling: { tlp: 'GREEN' },
      }),
    );
    expect(asked.status, JSON.stringify(asked.body)).to.equal(202);
    requestId = String(asked.body.requestId);
    type Item = {
      requestId: string;
      submittedBy: string | null;
      response: { submittedBy?: string | null } | null;
    };
    const listed = async (node: string, token: string, ok: (i: Item) => boolean) =>
      waitUntil(
        `the request at ${node}`,
        async () => {
          const res = await fetch(`${hub.nodes[node]!.url}/v1/requests`, {
            headers: { authorization: `Bearer ${token}` },
          });
          const items = ((await res.json()) as { requests?: Item[] }).requests ?? [];
          return items.find((i) => i.requestId === requestId && ok(i));
        },
        60000,
      );
    // The addressee sees which of the asking country's systems asked.
    expect((await listed('UZ', unnamed, () => true)).submittedBy).to.equal('customs-kz');
    const answered = await post(
      `/v1/requests/${requestId}/response`,
      unnamed,
      JSON.stringify({ answer: 'No.' }),
      'application/json',
      'UZ',
    );
    expect(answered.status, JSON.stringify(answered.body)).to.equal(202);
    // The asker sees which system answered; so does the coordination centre.
    const back = await listed('KZ', customs, (i) => i.response !== null);
    expect(back.submittedBy).to.equal('customs-kz');
    expect(back.response?.submittedBy).to.equal('agency');
    const atHub = await waitUntil(
      'the answer in the query API',
      async () => {
        const r = await getJson(`${hub.apiUrl}/v1/requests`, hub.token('coordinator', 'KZ', 'RED'));
        return (r.body.requests as Item[] | undefined)?.find((i) => i.requestId === requestId && i.response);
      },
      60000,
    );
    expect(atHub.submittedBy).to.equal('customs-kz');
    expect(atHub.response?.submittedBy).to.equal('agency');
  });

  it('is refused by the coordinator when it is not a client name, with the field named', async () => {
    const { value } = seizureReportFromJson(minimalReport(), {
      nodeCountry: 'KZ',
      now: Date.now(),
      versionOf: () => 1,
      regions: new Set(),
    });
    const forged = signedAs(env, 'KZ', 'SeizureReport', { ...value, submittedBy: 'customs kz; DROP' });
    await produceRaw(env, topicNames(env.config.namespace).nodeOut('KZ'), [
      { key: value.reportId, value: forged.bytes },
    ]);
    const quarantined = await waitUntil(
      'the envelope quarantined',
      () => store.collection(COLLECTIONS.quarantine).findOne({ messageId: forged.envelope.messageId }),
      60000,
    );
    expect(quarantined.reasonCode).to.equal('invalid-content');
    expect(quarantined.detail).to.contain('submittedBy');
    expect(
      await store.collection<{ _id: string }>(COLLECTIONS.reports).countDocuments({ _id: value.reportId }),
    ).to.equal(0);
  });

  it('is shown on the record page of the dashboard, beside the signer', async () => {
    const reportId = await storedByCustoms();
    browser = await launchChromium();
    const page = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    await page.goto(`${hub.apiUrl}/#/record/${reportId}`);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#token', hub.token('analyst', 'KZ', 'AMBER'));
    await page.click('#signin-button');
    await page.waitForSelector('#verdict');
    expect(await page.textContent('.provenance [data-field="submittedBy"]')).to.equal('customs-kz');
    expect(await page.textContent('.provenance')).to.contain('Sent to its node by');
    // A withdrawn report: why, and the system that withdrew it beside the retraction's signer.
    await page.goto(`${hub.apiUrl}/#/record/${withdrawnId}`);
    await page.waitForFunction(
      (id) => document.querySelector('[data-field="reportId"]')?.textContent === id,
      withdrawnId,
    );
    expect(await page.textContent('[data-field="retractedBecause"]')).to.contain('entered twice');
    expect(await page.textContent('.provenance [data-field="submittedBy"]')).to.equal('agency');
    // The co-operation view: which system asked, and which answered.
    await page.goto(`${hub.apiUrl}/#/cooperation`);
    const row = page.locator(`tr[data-request-id="${requestId}"]`);
    await row.waitFor();
    expect(await row.locator('[data-col="requester"] .submitted-by').textContent()).to.equal('customs-kz');
    expect(await row.locator('[data-col="response"] .submitted-by').textContent()).to.equal('agency');
  });
});
