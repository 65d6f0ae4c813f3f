// An erasure at retention review, on the real stack, keeps the match between the other countries' reports: an alert
// that named the erased report and reports of two other countries is told to those countries' nodes again without it
// (coordinator: retention.ts, alertWithout), while the nodes drop the alerts naming the erased report.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, postJson, startTestHub, type TestHub } from '../support/hub';

type Alert = { alertId: string; matched: { reportId: string }[] };

const DAY = 86400000;

describe('retention: an alert that still names two other countries after an erasure', function () {
  this.timeout(240000);
  let env: TestEnv;
  let hub: TestHub;

  // Records fall due 25 s after they are stored (warned 22 s before), reviewed every 300 ms (as in
  // test/coordinator/retention.test.ts): long enough for a renewal's round trip before the date.
  before(async () => {
    env = createTestEnv('erasure-alert-left');
    hub = await startTestHub(env, ['KZ', 'KG', 'TJ'], {
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
  const report = (country: string) => ({
    reportId: randomUUID(),
    seizedAt: new Date(Date.now() - 2 * DAY).toISOString(),
    country,
    agency: 'customs',
    drugs: [{ substance: 'heroin', quantity: 6, unit: 'kg' }],
    conveyance: { mode: 'road', identifiers: [{ kind: 'plate', value: '01 KZ 777 LEFT' }] },
    handling: { tlp: 'GREEN', evaluation: 'B2' },
  });
  type Named = Alert & { countries: string[]; reason: string };
  const alertsAt = async (cc: string) =>
    (await getJson(url(cc, '/v1/alerts?limit=500'))).body as { total: number; alerts: Named[] };
  const ids = (a: Alert) => a.matched.map((m) => m.reportId).sort();

  it("tells KG and TJ again that their reports match when KZ's, which their alerts named too, is erased", async () => {
    const [kz, kg, tj] = [report('KZ'), report('KG'), report('TJ')];
    // One after another, each stored before the next is sent: KZ+KG is raised with KG's, KZ+KG+TJ with TJ's.
    for (const [cc, r] of [
      ['KZ', kz],
      ['KG', kg],
      ['TJ', tj],
    ] as const) {
      expect((await postJson(url(cc, '/v1/seizures'), r)).status).to.equal(202);
      await waitUntil(`${cc}'s report accepted`, async () =>
        (await getJson(url(cc, `/v1/receipts/${r.reportId}`))).body.status === 'accepted' ? true : undefined,
      );
    }
    const three = [kz.reportId, kg.reportId, tj.reportId].sort();
    for (const cc of ['KG', 'TJ'])
      await waitUntil(`the alert of three at ${cc}'s node`, async () =>
        (await alertsAt(cc)).alerts.find((a) => JSON.stringify(ids(a)) === JSON.stringify(three)),
      );
    // KG and TJ keep their reports; KZ's is erased at its review date.
    for (const [cc, r] of [
      ['KG', kg],
      ['TJ', tj],
    ] as const) {
      expect(
        (await postJson(url(cc, `/v1/seizures/${r.reportId}/renew`), { reason: 'case open' })).status,
      ).to.equal(202);
      await waitUntil(`the renewal confirmed at ${cc}`, async () => {
        const n = await getJson(url(cc, `/v1/retention?subjectId=${r.reportId}&kind=renewed`));
        return (n.body.notices as unknown[]).length > 0 || undefined;
      });
    }
    await waitUntil(
      "KZ's report erased at its node",
      async () =>
        (await getJson(url('KZ', `/v1/receipts/${kz.reportId}`))).body.status === 'erased' || undefined,
      90000,
    );
    // Each of KG and TJ holds one alert now: KG+TJ, under an id of its own; those naming KZ's report are dropped.
    const pair = [kg.reportId, tj.reportId].sort();
    for (const cc of ['KG', 'TJ']) {
      const held = await waitUntil(
        `the alert on KG's and TJ's reports at ${cc}'s node, and none naming KZ's`,
        async () => {
          const at = await alertsAt(cc);
          return at.alerts.length === 1 && JSON.stringify(ids(at.alerts[0]!)) === JSON.stringify(pair)
            ? at
            : undefined;
        },
        60000,
      );
      expect(held.total, cc).to.equal(1);
      expect(held.alerts[0]!.countries, cc).to.deep.equal(['KG', 'TJ']);
      expect(held.alerts[0]!.reason, cc).to.equal('2 reports name the same plate identifier');
    }
    expect((await alertsAt('KZ')).total, "KZ's node holds none").to.equal(0);
  });
});
