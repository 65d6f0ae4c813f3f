import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { hubSync } from '../support/cli';
import { cliEnv, createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, metricValue, postJson, startTestHub, type TestHub, minimalReport } from '../support/hub';

const minimal = minimalReport();

describe('walking skeleton: national node → Kafka → coordinator → store → query API', function () {
  this.timeout(120000);
  let env: TestEnv;
  let hub: TestHub;

  before(async () => {
    env = createTestEnv('roundtrip');
    hub = await startTestHub(env, ['KZ']);
  });
  after(async () => {
    await hub?.close();
    env?.cleanup();
  });

  it('stores the minimal report of CONTRACT.md exactly as sent, with a signature that verifies', async () => {
    const posted = await postJson(`${hub.nodes.KZ!.url}/v1/seizures`, minimal);
    expect(posted.status).to.equal(202);
    expect(posted.body.status).to.equal('queued');
    const reportId = posted.body.reportId as string;
    const token = hub.token('analyst', 'KG', 'AMBER');
    const record = await waitUntil('the report in the query API', async () => {
      const r = await getJson(`${hub.apiUrl}/v1/seizures/${reportId}`, token);
      return r.status === 200 ? r.body : undefined;
    });
    const report = record.report as Record<string, any>;
    expect(report.country).to.equal('KZ');
    expect(report.seizedAt).to.equal(Date.parse('2026-03-14T09:30:00+05:00'));
    expect(report.seizedAtOffsetMinutes).to.equal(300);
    expect(report.place).to.include({
      name: 'Khorgos border crossing',
      lat: 44.21,
      lon: 80.41,
      locationType: 'border-crossing',
    });
    expect(report.agency).to.equal('customs');
    expect(report.drugs).to.deep.equal([
      {
        substance: 'heroin',
        substanceReported: null,
        form: 'powder',
        quantity: 12.5,
        unit: 'kg',
        quantityKg: 12.5,
        purityPct: 62,
        packageCount: null,
      },
    ]);
    expect(report.conveyance).to.deep.equal({
      mode: 'road',
      vehicle: 'truck',
      identifiers: [{ kind: 'plate', value: '777ABC02' }],
    });
    expect(report.concealment).to.equal('false-floor');
    expect(posted.body.normalisations).to.include("concealment 'false floor' → false-floor");
    expect(report.detection).to.equal('x-ray');
    expect(
      report.route.map((p: { country: string; role: string }) => `${p.country}:${p.role}`),
    ).to.deep.equal(['AF:origin', 'TJ:transit', 'RU:destination']);
    expect(report.arrested).to.deep.equal([{ nationality: 'TJ', count: 2 }]);
    expect(report.handling).to.deep.equal({
      tlp: 'AMBER',
      releasableTo: ['KZ', 'KG', 'TJ', 'UZ', 'TM'],
      evaluation: 'B2',
    });
    expect(report.notes).to.equal('free text');
    expect(report.reportingChannel).to.equal('api');
    const provenance = record.provenance as Record<string, any>;
    expect(provenance.verified).to.equal(true);
    expect(provenance.signer.origin).to.equal('KZ');
    expect(provenance.signatureAlgorithm).to.equal('RSA-PSS-SHA256');

    const receipt = await waitUntil('an accepted receipt at the node', async () => {
      const r = await getJson(`${hub.nodes.KZ!.url}/v1/receipts/${reportId}`);
      return r.body.status === 'accepted' ? r.body : undefined;
    });
    expect(receipt.version).to.equal(1);

    const verify = hubSync(['verify', reportId], cliEnv(env));
    expect(verify.stdout).to.match(/^VALID$/m);
    expect(verify.status, verify.stderr).to.equal(0);
  });

  it('signs a batch of reports with one signature, each stored with a proof that verifies alone', async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const item = (reportId: string, kg: number) => ({
      ...minimal,
      reportId,
      drugs: [{ substance: 'cannabis-resin', quantity: kg, unit: 'kg' }],
    });
    // The first id twice: its second report becomes version 2, after the first, whatever the batch's concurrency.
    const posted = await postJson(`${hub.nodes.KZ!.url}/v1/seizures/batch`, [
      item(ids[0]!, 1),
      item(ids[1]!, 2),
      item(ids[2]!, 3),
      item(ids[0]!, 4),
    ]);
    expect(posted.status).to.equal(202);
    const results = posted.body.results as { index: number; reportId: string; version: number }[];
    expect(results.map((r) => `${r.index}:${r.reportId}:${r.version}`)).to.deep.equal([
      `0:${ids[0]}:1`,
      `1:${ids[1]}:1`,
      `2:${ids[2]}:1`,
      `3:${ids[0]}:2`,
    ]);
    const token = hub.token('analyst', 'KZ', 'AMBER');
    const records = await waitUntil(
      'the three reports in the query API, the first in version 2',
      async () => {
        const got = await Promise.all(ids.map((id) => getJson(`${hub.apiUrl}/v1/seizures/${id}`, token)));
        return got.every((r) => r.status === 200) &&
          (got[0]!.body.report as { version: number }).version === 2
          ? got.map((r) => r.body)
          : undefined;
      },
    );
    expect(
      records.map((r) => (r.report as { drugs: { quantity: number }[] }).drugs[0]?.quantity),
    ).to.deep.equal([4, 2, 3]);
    // The first wave (three reports) was signed as one batch.
    const provenance = records.map((r) => r.provenance as { signatureAlgorithm: string; verified: boolean });
    expect(provenance.map((p) => p.signatureAlgorithm).slice(1)).to.deep.equal([
      'RSA-PSS-SHA256-BATCH',
      'RSA-PSS-SHA256-BATCH',
    ]);
    expect(provenance.every((p) => p.verified)).to.equal(true);
    const verify = hubSync(['verify', ids[1]!], cliEnv(env));
    expect(verify.stdout).to.match(/^VALID$/m);
    expect(verify.stdout).to.contain('RSA-PSS-SHA256-BATCH');
    expect(verify.status, verify.stderr).to.equal(0);
    const receipt = await waitUntil('an accepted receipt for version 2', async () => {
      const r = await getJson(`${hub.nodes.KZ!.url}/v1/receipts/${ids[0]}`);
      return r.body.status === 'accepted' && r.body.version === 2 ? r.body : undefined;
    });
    expect(receipt.version).to.equal(2);
  });

  it('makes a re-post of the same reportId its next version, and a retraction removes it from the totals', async () => {
    const first = await postJson(`${hub.nodes.KZ!.url}/v1/seizures`, {
      ...minimal,
      drugs: [{ substance: 'opium', quantity: 40, unit: 'kg' }],
    });
    const reportId = first.body.reportId as string;
    const second = await postJson(`${hub.nodes.KZ!.url}/v1/seizures`, {
      ...minimal,
      reportId,
      drugs: [{ substance: 'opium', quantity: 45000, unit: 'g' }],
    });
    expect(second.status).to.equal(202);
    expect(second.body.version).to.equal(2);
    const token = hub.token('analyst', 'KZ', 'AMBER');
    const opium = async () => {
      const r = await getJson(`${hub.apiUrl}/v1/stats?groupBy=drug&drug=opium`, token);
      return (
        (r.body.rows as { key: string; quantityKg: number }[]).find((row) => row.key === 'opium')
          ?.quantityKg ?? 0
      );
    };
    expect(
      await waitUntil('version 2 in the totals', async () => ((await opium()) === 45 ? 45 : undefined)),
    ).to.equal(45);
    const record = await getJson(`${hub.apiUrl}/v1/seizures/${reportId}`, token);
    expect((record.body.history as unknown[]).length).to.equal(2);
    const retract = await postJson(`${hub.nodes.KZ!.url}/v1/seizures/${reportId}/retract`, {
      reason: 'duplicate of a customs report',
    });
    expect(retract.status).to.equal(202);
    await waitUntil('the retraction in the totals', async () => ((await opium()) === 0 ? true : undefined));
  });

  it('answers an invalid report with field errors and queues nothing', async () => {
    // What the node has queued: waiting in its outbox, or published. A report is queued before it is answered.
    const node = hub.nodes.KZ!;
    await waitUntil('the outbox empty', () => node.outboxDepth() === 0 || undefined);
    const publishedBefore = await metricValue(node.url, 'hub_node_published_total');
    const bad = await postJson(`${hub.nodes.KZ!.url}/v1/seizures`, {
      ...minimal,
      country: 'XX',
      drugs: [{ substance: 'heroin', quantity: -1, unit: 'bags' }],
      handling: { tlp: 'PURPLE' },
    });
    expect(bad.status).to.equal(400);
    const fields = (bad.body.errors as { field: string }[]).map((e) => e.field);
    expect(fields).to.include.members(['country', 'drugs[0].quantity', 'drugs[0].unit', 'handling.tlp']);
    expect(node.outboxDepth(), 'waiting in the outbox').to.equal(0);
    expect(await metricValue(node.url, 'hub_node_published_total'), 'published').to.equal(publishedBefore);
  });

  it('accepts coordinates outside the stated country but flags them in the receipt and the record', async () => {
    const inSpain = { ...minimal, place: { ...(minimal.place as object), lat: 40.42, lon: -3.7 } };
    const posted = await postJson(`${hub.nodes.KZ!.url}/v1/seizures`, inSpain);
    expect(posted.status).to.equal(202);
    const id = posted.body.reportId as string;
    const receipt = await waitUntil('the receipt', async () => {
      const r = await getJson(`${hub.nodes.KZ!.url}/v1/receipts/${id}`);
      return r.body.status === 'accepted' ? r.body : undefined;
    });
    expect(receipt.reasons).to.deep.equal([
      {
        code: 'coordinates-outside-country',
        field: 'place',
        message:
          "40.42, -3.7 lies outside KZ's bounding box; accepted and flagged for review (check the sign of longitude and the order of lat/lon)",
      },
    ]);
    // The receipt also says what the node normalised in this version.
    expect(receipt.normalisations).to.include("concealment 'false floor' → false-floor");
    const record = await getJson(`${hub.apiUrl}/v1/seizures/${id}`, hub.token('analyst', 'KZ', 'AMBER'));
    expect(record.body.flags).to.deep.equal(['coordinates-outside-country']);
    // Khorgos (the minimal report) lies inside Kazakhstan: no flag.
    const inside = await postJson(`${hub.nodes.KZ!.url}/v1/seizures`, minimal);
    const ok = await waitUntil('the second receipt', async () => {
      const r = await getJson(`${hub.nodes.KZ!.url}/v1/receipts/${inside.body.reportId as string}`);
      return r.body.status === 'accepted' ? r.body : undefined;
    });
    expect(ok.reasons).to.deep.equal([]);
  });

  it('refuses requests without a valid token', async () => {
    expect((await getJson(`${hub.apiUrl}/v1/seizures`)).status).to.equal(401);
    expect(
      (await getJson(`${hub.apiUrl}/v1/seizures`, hub.token('analyst', 'KZ', 'GREEN', -120))).status,
    ).to.equal(401);
    expect((await getJson(`${hub.apiUrl}/v1/audit`, hub.token('analyst', 'KZ'))).status).to.equal(403);
  });
});
