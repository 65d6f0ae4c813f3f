// A record erased at retention review, at the national nodes, on the real stack: its own node no longer holds or shows
// its receipts (it answers that the record was erased, by which order) nor its normalisation notes, and refuses a
// re-post of it; the other country's node drops the alert that named it; and after a restart the own node's inbox
// file holds none of the record's receipts.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startNationalNode } from '@hub/national-node';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, postJson, startTestHub, type TestHub } from '../support/hub';

type Alert = { alertId: string; matched: { reportId: string }[] };
type Line = { messageId: string; messageType: string; value: Record<string, unknown> };

const DAY = 86400000;

describe('national node: a record erased at retention review', function () {
  this.timeout(240000);
  let env: TestEnv;
  let hub: TestHub;

  // Records fall due 25 s after they are stored (warned 22 s before), reviewed every 300 ms (as in
  // test/coordinator/retention.test.ts): long enough for a renewal's round trip before the date.
  before(async () => {
    env = createTestEnv('node-erasure');
    hub = await startTestHub(env, ['KZ', 'UZ'], {
      retention: {
        periods: { seizure: 25000, annual: 600000 },
        warnMs: 22000,
        checkMs: 300,
        renewMs: 600000,
      },
    });
  });
  after(async () => {
    await hub?.close();
    env?.cleanup();
  });

  const url = (cc: string, path: string) => `${hub.nodes[cc]!.url}${path}`;
  /** A report of `cc`'s on the same lorry: the two match on its plate, and the alert goes to both countries. */
  const report = (country: string) => ({
    reportId: randomUUID(),
    seizedAt: new Date(Date.now() - 2 * DAY).toISOString(),
    country,
    agency: 'customs',
    drugs: [{ substance: 'heroin', quantity: 6, unit: 'kg' }],
    conveyance: { mode: 'road', identifiers: [{ kind: 'plate', value: '01 KZ 555 ERA' }] },
    handling: { tlp: 'GREEN', evaluation: 'A1' },
  });
  const alertsAt = async (cc: string) => (await getJson(url(cc, '/v1/alerts?limit=500'))).body;
  /** The lines of KZ's inbox file, parsed. */
  const inboxLines = () =>
    readFileSync(join(env.config.hubHome, 'nodes', 'KZ', 'inbound.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Line);

  it("erases it at its node (receipts, notes, alerts; the file too after a restart) and the alert naming it at the other's", async () => {
    // KZ's names its country: the node notes that it normalised it.
    const kz = { ...report('KZ'), country: 'Kazakhstan' };
    const uz = report('UZ');
    const sentKz = await postJson(url('KZ', '/v1/seizures'), kz);
    expect(sentKz.status, JSON.stringify(sentKz.body)).to.equal(202);
    expect(sentKz.body.normalisations).to.have.length.above(0);
    expect((await postJson(url('UZ', '/v1/seizures'), uz)).status).to.equal(202);
    for (const [cc, id] of [
      ['KZ', kz.reportId],
      ['UZ', uz.reportId],
    ] as const)
      await waitUntil(`${cc}'s report accepted`, async () =>
        (await getJson(url(cc, `/v1/receipts/${id}`))).body.status === 'accepted' ? true : undefined,
      );
    const named = (a: Alert) =>
      [kz.reportId, uz.reportId].every((id) => a.matched.some((m) => m.reportId === id));
    const alert = await waitUntil("the alert at KZ's node", async () =>
      ((await alertsAt('KZ')).alerts as Alert[]).find(named),
    );
    await waitUntil(
      "the alert at UZ's node",
      async () =>
        ((await alertsAt('UZ')).alerts as Alert[]).some((a) => a.alertId === alert.alertId) || undefined,
    );

    // UZ keeps its report (renewed); KZ's is not renewed, and is erased at its review date.
    const renewed = await postJson(url('UZ', `/v1/seizures/${uz.reportId}/renew`), {
      reason: 'the case is still open',
    });
    expect(renewed.status).to.equal(202);
    await waitUntil('the renewal confirmed at UZ', async () => {
      const r = await getJson(url('UZ', `/v1/retention?subjectId=${uz.reportId}&kind=renewed`));
      return (r.body.notices as unknown[]).length > 0 || undefined;
    });
    const erased = await waitUntil(
      "KZ's report erased at its node",
      async () => {
        const r = await getJson(url('KZ', `/v1/receipts/${kz.reportId}`));
        return r.body.status === 'erased' ? r : undefined;
      },
      90000,
    );
    expect(erased.status).to.equal(200);
    expect(erased.body).to.include({ reportId: kz.reportId, sentVersion: 1 });
    expect(erased.body.erasure).to.include({
      subjectType: 'SeizureReport',
      reasonCode: 'retention_expired',
      versionsUpTo: 1,
    });
    expect((erased.body.erasure as { erasureId: string }).erasureId).to.be.a('string');
    expect(erased.body.receipts, 'none of what was erased').to.deep.equal([]);
    expect(erased.body).not.to.have.property('normalisations');
    expect(erased.body).not.to.have.property('reasons');

    // Out of the list and its counts; its order listed at its node.
    const listed = await getJson(url('KZ', '/v1/receipts'));
    expect((listed.body.records as { id: string }[]).map((r) => r.id)).not.to.include(kz.reportId);
    expect(listed.body.counts).to.deep.equal({ pending: 0, accepted: 0, rejected: 0 });
    const orders = await getJson(url('KZ', `/v1/retention/erasures?subjectId=${kz.reportId}`));
    expect((orders.body.erasures as { erasureId: string }[]).map((e) => e.erasureId)).to.deep.equal([
      (erased.body.erasure as { erasureId: string }).erasureId,
    ]);
    // The alert naming it is gone at KZ's node ...
    const atKz = await alertsAt('KZ');
    expect((atKz.alerts as Alert[]).map((a) => a.alertId)).not.to.include(alert.alertId);
    expect(atKz.total).to.equal((atKz.alerts as Alert[]).length);
    // ... and at UZ's, which the coordinator tells of the erasure because the alert named the record there; UZ does
    // not list that order as one of its own records'.
    await waitUntil(
      "the alert dropped at UZ's node",
      async () =>
        ((await alertsAt('UZ')).alerts as Alert[]).every((a) => a.alertId !== alert.alertId) || undefined,
      60000,
    );
    expect((await alertsAt('UZ')).total).to.equal(0);
    expect((await getJson(url('UZ', '/v1/retention/erasures'))).body.total).to.equal(0);
    expect((await getJson(url('UZ', `/v1/receipts/${uz.reportId}`))).body.status, "UZ's own report").to.equal(
      'accepted',
    );

    // Sent again under its id: refused at once, saying why, not passed over unanswered by the hub later.
    const again = await postJson(url('KZ', '/v1/seizures'), kz);
    expect(again.status).to.equal(409);
    expect((again.body.error as { code: string; message: string }).code).to.equal('CONFLICT');
    expect((again.body.error as { message: string }).message).to.include(
      `${kz.reportId} was erased at retention review`,
    );

    // Restarted, the node rewrites its inbox file without the record's receipts (nor the alert's content), keeps the
    // order, and answers as before.
    await hub.nodes.KZ!.close();
    hub.nodes.KZ = await startNationalNode({
      config: env.config,
      country: 'KZ',
      logger: env.logger,
      port: 0,
    });
    const lines = inboxLines();
    const ofKz = lines.filter((l) => l.messageType === 'Receipt' && l.value.subjectId === kz.reportId);
    expect(ofKz, "the report's receipts, in their places").to.have.length.above(0);
    for (const l of ofKz)
      expect(Object.keys(l.value).sort(), l.messageId).to.deep.equal(['erasedBy', 'subjectId']);
    const alertLines = lines.filter(
      (l) => l.messageType === 'CrossBorderAlert' && JSON.stringify(l.value).includes(kz.reportId),
    );
    expect(alertLines, 'the alert naming it, in its place').to.have.length.above(0);
    for (const l of alertLines)
      expect(Object.keys(l.value).sort(), l.messageId).to.deep.equal(['erasedBy', 'subjectId']);
    expect(JSON.stringify(lines)).not.to.include(alert.alertId);
    expect(
      lines.filter((l) => l.messageType === 'ErasureNotice' && l.value.subjectId === kz.reportId),
      'the order kept',
    ).to.have.length(1);
    expect(
      readFileSync(join(env.config.hubHome, 'nodes', 'KZ', 'reports.idx.normalisations.jsonl'), 'utf8'),
      'its normalisation notes',
    ).not.to.include(kz.reportId);
    const afterRestart = await getJson(url('KZ', `/v1/receipts/${kz.reportId}`));
    expect(afterRestart.body).to.include({ status: 'erased', sentVersion: 1 });
    expect((await alertsAt('KZ')).total).to.equal(0);
  });
});
