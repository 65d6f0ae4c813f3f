// A national node's certificate running out, on the real stack: the node says when it expires (metric, log) while
// it is valid, and once it has expired it signs nothing (503 CERTIFICATE_INVALID: every verifier would refuse what it
// signed), says so on /healthz, and takes reports again once renewed and restarted.
import { expect } from 'chai';
import { join } from 'node:path';
import { createLogger } from '@hub/observability';
import { startNationalNode, type RunningNationalNode } from '@hub/national-node';
import { PkiStore } from '@hub/pki';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, metricValue, minimalReport, postJson, testPki } from '../support/hub';

describe('national node: its certificate running out', function () {
  this.timeout(180000);
  let env: TestEnv;
  let pki: PkiStore;
  let node: RunningNationalNode | undefined;
  const logged: Record<string, unknown>[] = [];
  const start = () =>
    startNationalNode({
      config: env.config,
      country: 'KZ',
      port: 0,
      logger: createLogger('national-node-KZ', {
        destination: {
          write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>),
        },
      }),
    });

  before(() => {
    env = createTestEnv('cert-expiry');
    testPki(env, []);
    pki = new PkiStore(join(env.config.hubHome, 'pki'));
  });
  after(async () => {
    await node?.close();
    env?.cleanup();
  });

  it('warns while valid, signs nothing once expired, and takes reports again once renewed', async () => {
    // Valid from a minute ago until 40 s from now (X.509 times are whole seconds).
    const issued = pki.issue({ country: 'KZ', agency: 'KZ customs', validityDays: 100 / 86400 });
    const notAfter = issued.notAfter.getTime() - (issued.notAfter.getTime() % 1000);
    node = await start();

    const valid = await postJson(`${node.url}/v1/seizures`, minimalReport());
    expect(valid.status, JSON.stringify(valid.body)).to.equal(202);
    expect(
      await metricValue(node.url, 'hub_certificate_expiry_timestamp_seconds', { role: 'own', subject: 'KZ' }),
    ).to.equal(notAfter / 1000);
    const warning = logged.find((l) => l.role === 'own' && l.level === 'warn');
    expect(warning, 'a warning of the coming expiry').to.include({ subject: 'KZ', daysLeft: 0 });
    expect(warning!.msg).to.match(/^certificate expires in 0 days; renew it .*'hub pki issue KZ'/);
    const healthy = await getJson(`${node.url}/healthz`);
    expect(healthy.status).to.equal(200);

    await waitUntil('the certificate expired', async () => Date.now() > notAfter + 1000 || undefined, 60000);
    const refused = await postJson(`${node.url}/v1/seizures`, minimalReport());
    expect(refused.status, JSON.stringify(refused.body)).to.equal(503);
    const error = refused.body.error as { code: string; message: string };
    expect(error.code).to.equal('CERTIFICATE_INVALID');
    expect(error.message).to.contain(`expired on ${new Date(notAfter).toISOString()}`);
    expect(error.message).to.contain("'hub pki issue KZ'").and.contain('nothing was accepted');
    // A batch is refused whole; nothing went to the outbox.
    const batch = await postJson(`${node.url}/v1/seizures/batch`, [minimalReport(), minimalReport()]);
    expect(batch.status).to.equal(503);
    expect(node.outboxDepth()).to.equal(0);
    const health = await getJson(`${node.url}/healthz`);
    expect(health.status).to.equal(503);
    const certificate = (health.body.checks as Record<string, { ok: boolean; detail: string[] }>)
      .certificate!;
    expect(certificate.ok).to.equal(false);
    expect(certificate.detail.join(' ')).to.contain('expired on');

    // Renewed where the CA key is kept, and the node restarted: reports are taken again.
    await node.close();
    const renewed = pki.issue({ country: 'KZ', agency: 'KZ customs' });
    node = await start();
    const again = await postJson(`${node.url}/v1/seizures`, minimalReport());
    expect(again.status, JSON.stringify(again.body)).to.equal(202);
    expect((await getJson(`${node.url}/healthz`)).status).to.equal(200);
    expect(
      await metricValue(node.url, 'hub_certificate_expiry_timestamp_seconds', { role: 'own', subject: 'KZ' }),
    ).to.equal(Math.floor(renewed.notAfter.getTime() / 1000));
  });
});
