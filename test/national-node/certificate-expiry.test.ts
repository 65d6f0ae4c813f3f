// A national node's certificate running out, on the real stack: the node says when it expires (metric, log) while
// it is valid, and once it has expired it signs nothing (503 CERTIFICATE_INVALID: every verifier would refuse what it
// signed), says so on /healthz, and takes reports again once renewed and restarted. A renewed certificate put in the
// node's folder while it runs is announced on hub.pki and signed with, without a restart.
import { expect } from 'chai';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@hub/observability';
import { startNationalNode, type RunningNationalNode } from '@hub/national-node';
import { PkiStore } from '@hub/pki';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import {
  getJson,
  metricValue,
  minimalReport,
  postJson,
  startTestHub,
  testPki,
  type TestHub,
} from '../support/hub';

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
    // Refused versions are not counted as sent: the node's list still gives the report's first one as its latest.
    const listed = await getJson(`${node.url}/v1/receipts`);
    expect(
      (listed.body.records as { id: string; sentVersion: number }[]).map((r) => [r.id, r.sentVersion]),
    ).to.deep.equal([[valid.body.reportId, 1]]);
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

describe('national node: a renewed certificate taken up without a restart', function () {
  this.timeout(180000);
  let env: TestEnv;
  let hub: TestHub | undefined;
  let node: RunningNationalNode | undefined;
  let otherCa: string | undefined;
  const logged: Record<string, unknown>[] = [];

  before(async () => {
    env = createTestEnv('cert-renewal');
    testPki(env, ['KZ']);
    // The coordinator learns node certificates only from hub.pki: a renewed one it has not been told of is unknown.
    hub = await startTestHub(env, []);
    node = await startNationalNode({
      config: env.config,
      country: 'KZ',
      port: 0,
      certificateCheckMs: 300,
      logger: createLogger('national-node-KZ', {
        destination: {
          write: (line: string) => void logged.push(JSON.parse(line) as Record<string, unknown>),
        },
      }),
    });
  });
  after(async () => {
    await node?.close();
    await hub?.close();
    if (otherCa) rmSync(otherCa, { recursive: true, force: true });
    env?.cleanup();
  });

  /** Posts a report to the node and waits for its receipt; returns its record's provenance at the query API. */
  const stored = async () => {
    const posted = await postJson(`${node!.url}/v1/seizures`, minimalReport());
    expect(posted.status, JSON.stringify(posted.body)).to.equal(202);
    const reportId = String(posted.body.reportId);
    const receipt = await waitUntil(`the receipt of ${reportId}`, async () => {
      const r = await getJson(`${node!.url}/v1/receipts/${reportId}`);
      return r.body.status === 'pending' ? undefined : r.body;
    });
    expect(receipt.status, JSON.stringify(receipt)).to.equal('accepted');
    const record = await getJson(
      `${hub!.apiUrl}/v1/seizures/${reportId}`,
      hub!.token('analyst', 'KZ', 'AMBER'),
    );
    return record.body.provenance as { verified: boolean; signer: { certificateFingerprint: string } };
  };

  it('announces the renewed certificate, signs with it from then on, and refuses one not from the hub CA', async () => {
    const pki = new PkiStore(join(env.config.hubHome, 'pki'));
    const first = pki.identity('KZ').fingerprint;
    const before = await stored();
    expect(before).to.deep.include({ verified: true });
    expect(before.signer.certificateFingerprint).to.equal(first);

    const renewed = pki.issue({ country: 'KZ', agency: 'KZ customs' });
    await waitUntil('the renewal taken up', async () =>
      logged.find((l) => String(l.msg).startsWith('renewed certificate taken up')),
    );
    expect(
      await metricValue(node!.url, 'hub_certificate_expiry_timestamp_seconds', {
        role: 'own',
        subject: 'KZ',
      }),
    ).to.equal(Math.floor(renewed.notAfter.getTime() / 1000));
    const after = await stored();
    expect(after).to.deep.include({ verified: true });
    expect(after.signer.certificateFingerprint).to.equal(renewed.fingerprint);

    // A key and certificate from another CA put in the node's folder: refused, logged once, and the node goes on
    // signing with the renewed one.
    otherCa = mkdtempSync(join(tmpdir(), 'hub-other-ca-'));
    const other = new PkiStore(otherCa);
    other.initCa({ bits: 2048 });
    other.issue({ country: 'KZ', agency: 'not the hub' });
    for (const f of ['node.key', 'node.crt'])
      copyFileSync(join(otherCa, 'nodes', 'KZ', f), join(env.config.hubHome, 'pki', 'nodes', 'KZ', f));
    await waitUntil('the foreign certificate refused', async () =>
      logged.find((l) => String(l.msg).includes('not issued by the hub CA')),
    );
    const still = await stored();
    expect(still.signer.certificateFingerprint).to.equal(renewed.fingerprint);
    await new Promise((r) => setTimeout(r, 1000));
    expect(logged.filter((l) => String(l.msg).includes('not issued by the hub CA'))).to.have.length(1);
  });
});
