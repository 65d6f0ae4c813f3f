// Unit tier: the certificates a service watches (watchCertificates), with certificates issued by a real hub CA in a
// temporary folder; only the clock is moved.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetricsRegistry } from '@hub/observability';
import { PkiStore, watchCertificates, type CertificateWatch } from '@hub/pki';

const DAY = 86_400_000;

describe('certificates watched by a service: expiry, revocation, renewal', () => {
  let dir: string;
  let pki: PkiStore;
  const watches: CertificateWatch[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-cert-expiry-'));
    pki = new PkiStore(dir);
    pki.initCa({ bits: 2048 });
    pki.issue({ country: 'HUB', agency: 'Coordination centre' });
  });
  after(() => {
    for (const w of watches) w.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const watch = (origin: string, at: number, nodes = false) => {
    const logged: { level: string; fields: Record<string, unknown>; message: string }[] = [];
    const metrics = createMetricsRegistry(`cert-${origin}-${watches.length}`);
    const w = watchCertificates({
      trust: pki.trustStore(),
      own: { fingerprint: pki.identity(origin).fingerprint, origin },
      nodes,
      metrics,
      logger: {
        warn: (fields: object, message: string) =>
          void logged.push({ level: 'warn', fields: fields as Record<string, unknown>, message }),
        error: (fields: object, message: string) =>
          void logged.push({ level: 'error', fields: fields as Record<string, unknown>, message }),
      } as never,
      clock: () => at,
    });
    watches.push(w);
    return { w, logged, metrics };
  };

  it("gives each certificate's expiry as a metric, and warns from 30 days before", async () => {
    const issued = pki.issue({ country: 'KZ', agency: 'KZ customs', validityDays: 20 });
    const { w, logged, metrics } = watch('KZ', Date.now());
    const text = await metrics.metrics();
    const seconds = Math.floor(issued.notAfter.getTime() / 1000);
    expect(text).to.match(
      new RegExp(
        `^hub_certificate_expiry_timestamp_seconds\\{role="own",subject="KZ"[^}]*\\} ${seconds}$`,
        'm',
      ),
    );
    expect(text).to.match(/^hub_certificate_expiry_timestamp_seconds\{role="ca",subject="CA"[^}]*\} \d+$/m);
    expect(logged.map((l) => [l.level, l.fields.subject, l.fields.daysLeft])).to.deep.equal([
      ['warn', 'KZ', 19],
    ]);
    expect(logged[0]!.message).to.equal(
      "certificate expires in 19 days; renew it where the CA key is kept ('hub pki issue KZ') and put the new key and certificate in the node's folder (pki/nodes/KZ): the node takes them up within a minute",
    );
    expect(w.refusal()).to.equal(undefined);
    expect((await w.health.check()).ok).to.equal(true);
  });

  it('warns of the hub CA from 180 days before its end, saying to roll it over', () => {
    const caEnd = pki.trustStore().caCertificate.validTo;
    const at = (daysLeft: number) => Date.parse(caEnd) - daysLeft * 86_400_000 - 3_600_000;
    const caLines = (logged: { level: string; fields: Record<string, unknown>; message: string }[]) =>
      logged.filter((l) => l.fields.subject === 'CA');
    expect(caLines(watch('HUB', at(200)).logged)).to.deep.equal([]);
    const soon = caLines(watch('HUB', at(150)).logged);
    expect(soon.map((l) => [l.level, l.fields.daysLeft])).to.deep.equal([['warn', 150]]);
    expect(soon[0]!.message).to.equal(
      "certificate expires in 150 days; roll the CA over ('hub pki rollover') and issue every certificate again",
    );
  });

  it('refuses to sign, and fails its health, once its certificate has expired, is revoked or is not yet valid', async () => {
    const issued = pki.issue({ country: 'TJ', agency: 'TJ drug control agency', validityDays: 10 });
    const expired = watch('TJ', issued.notAfter.getTime() + 1000);
    const refusal = expired.w.refusal();
    expect(refusal?.code).to.equal('CERTIFICATE_INVALID');
    expect(refusal?.retriable).to.equal(true);
    expect(refusal?.message).to.match(
      /^this node cannot sign: the certificate of TJ \([0-9a-f]{16}\) expired on .*'hub pki issue TJ'.*send it again/,
    );
    expect(expired.logged.map((l) => l.level)).to.deep.equal(['error']);
    const health = await expired.w.health.check();
    expect(health.ok).to.equal(false);
    expect(String(health.detail)).to.contain('expired on');

    const early = watch('TJ', issued.notBefore.getTime() - DAY);
    expect(early.w.refusal()?.message).to.match(/valid only from .*check the clock/);

    const revokedTrust = pki.trustStore();
    revokedTrust.revoke({
      fingerprint: pki.identity('TJ').fingerprint,
      revokedAt: Date.now(),
      reason: 'key lost',
    });
    const revoked = watchCertificates({
      trust: revokedTrust,
      own: { fingerprint: pki.identity('TJ').fingerprint, origin: 'TJ' },
      metrics: createMetricsRegistry('cert-revoked'),
      logger: { warn: () => undefined, error: () => undefined } as never,
    });
    watches.push(revoked);
    expect(revoked.refusal()?.message).to.match(/is revoked; renew it/);
    expect((await revoked.health.check()).ok).to.equal(false);
  });

  it("at the coordinator, watches each country's latest certificate: a renewal ends the warning", async () => {
    pki.issue({ country: 'UZ', agency: 'UZ customs', validityDays: 5 });
    const before = watch('HUB', Date.now(), true);
    const uz = before.w.statuses().find((s) => s.subject === 'UZ');
    expect(uz?.role).to.equal('node');
    expect(
      before.logged.filter((l) => l.fields.subject === 'UZ').map((l) => l.fields.daysLeft),
    ).to.deep.equal([4]);
    // The coordinator's own certificate is not listed again among the countries'.
    expect(
      before.w
        .statuses()
        .filter((s) => s.subject === 'HUB')
        .map((s) => s.role),
    ).to.deep.equal(['own']);

    const renewed = pki.issue({ country: 'UZ', agency: 'UZ customs' });
    const after = watch('HUB', Date.now(), true);
    expect(after.w.statuses().find((s) => s.subject === 'UZ')?.notAfter).to.equal(
      Math.floor(renewed.notAfter.getTime() / 1000) * 1000,
    );
    expect(after.logged.filter((l) => l.fields.subject === 'UZ')).to.deep.equal([]);
    // A country's own problems do not make the coordinator unhealthy: its health is its own certificate and the CA's.
    expect((await watch('HUB', renewed.notAfter.getTime() - DAY, true).w.health.check()).ok).to.equal(true);
  });
});
