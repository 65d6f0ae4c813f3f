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

describe('the agency system that sent or withdrew a report, route or annual return (submittedBy)', function () {
  this.timeout(120000);
  let env: TestEnv;
  let hub: TestHub;
  let store: Store;
  let browser: Browser | undefined;
  const customs = randomBytes(24).toString('base64url');
  const unnamed = randomBytes(24).toString('base64url');
  let withdrawnId = '';

  before(async () => {
    env = createTestEnv('submitted-by');
    env.config = {
      ...env.config,
      nodeClientTokens: [
        { client: 'customs-kz', token: customs },
        { client: 'agency', token: unnamed },
      ],
    };
    hub = await startTestHub(env, ['KZ']);
    store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
  });
  after(async () => {
    await browser?.close();
    await hub?.close();
    await store?.close();
    env?.cleanup();
  });

  const post = async (path: string, token: string, body: string, type = 'application/json') => {
    const res = await fetch(`${hub.nodes.KZ!.url}${path}`, {
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
  });
});
