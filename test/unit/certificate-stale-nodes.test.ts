// Unit tier: the coordinator's watch of each country's latest certificate once some countries have stopped (a
// send-only identity `hub import-annual` issued, never renewed): a country long expired is told once at info and
// then left alone, while one expiring soon, or expired lately, is still warned of.
import { expect } from 'chai';
import { createMetricsRegistry } from '@hub/observability';
import {
  STALE_NODE_DAYS,
  createCa,
  createTrustStore,
  issueCertificate,
  watchCertificates,
  type CertificateWatch,
} from '@hub/pki';

const DAY = 86_400_000;

describe('certificates watched at the coordinator: countries that have stopped', function () {
  this.timeout(60000);
  const watches: CertificateWatch[] = [];
  after(() => watches.forEach((w) => w.close()));

  it('says nothing of a country whose certificate expired long ago, and still warns of one about to expire', async () => {
    const ca = createCa({ bits: 2048 });
    const trust = createTrustStore(ca.certPem);
    const later = Date.now() + 440 * DAY;
    const hub = issueCertificate(ca, {
      country: 'HUB',
      agency: 'Regional coordination centre',
      notBefore: new Date(later - 100 * DAY),
    });
    trust.add(hub.certificatePem);
    // Issued by hub import-annual (397 days): at `later`, expired 43 days ago.
    for (const cc of ['AF', 'BO', 'CO'])
      trust.add(issueCertificate(ca, { country: cc, agency: `${cc} national focal point` }).certificatePem);
    // Expired 5 days before `later`: a node that stopped lately, still an error.
    trust.add(
      issueCertificate(ca, {
        country: 'TJ',
        agency: 'TJ drug control agency',
        notBefore: new Date(later - 50 * DAY),
        validityDays: 45,
      }).certificatePem,
    );
    // 7 days left at `later`: warned of.
    trust.add(
      issueCertificate(ca, {
        country: 'KZ',
        agency: 'KZ customs',
        notBefore: new Date(later - 390 * DAY),
      }).certificatePem,
    );
    const logged: { level: string; subject: unknown; message: string }[] = [];
    const at = (level: string) => (fields: object, message: string) =>
      void logged.push({ level, subject: (fields as { subject?: unknown }).subject, message });
    const metrics = createMetricsRegistry('coordinator-stale');
    const w = watchCertificates({
      trust,
      own: { fingerprint: hub.fingerprint, origin: 'HUB' },
      nodes: true,
      metrics,
      logger: { info: at('info'), warn: at('warn'), error: at('error') } as never,
      clock: () => later,
    });
    watches.push(w);
    const bySubject = (s: string) => logged.filter((l) => l.subject === s).map((l) => l.level);
    for (const cc of ['AF', 'BO', 'CO']) expect(bySubject(cc), cc).to.deep.equal(['info']);
    expect(logged.find((l) => l.subject === 'AF')?.message).to.match(
      /^the latest certificate of AF expired more than 30 days ago \(on .*\): AF is no longer watched nor reported; it is again once it has a new certificate \('hub pki issue AF'\)$/,
    );
    expect(bySubject('TJ')).to.deep.equal(['error']);
    expect(bySubject('KZ')).to.deep.equal(['warn']);
    expect(logged.find((l) => l.subject === 'KZ')?.message).to.match(/^certificate expires in 6 days;/);
    // Nor in the gauge that the HubCertificateExpiring alerts read.
    expect(w.statuses().map((s) => s.subject)).to.deep.equal(['CA', 'HUB', 'KZ', 'TJ']);
    expect(await metrics.metrics()).not.to.match(/subject="AF"/);
    expect(STALE_NODE_DAYS).to.equal(30);
  });

  it("tells how to renew the coordinator's certificate without a restart", () => {
    const ca = createCa({ bits: 2048 });
    const trust = createTrustStore(ca.certPem);
    const hub = issueCertificate(ca, {
      country: 'HUB',
      agency: 'Regional coordination centre',
      validityDays: 10,
    });
    trust.add(hub.certificatePem);
    const warned: string[] = [];
    const w = watchCertificates({
      trust,
      own: { fingerprint: hub.fingerprint, origin: 'HUB' },
      nodes: true,
      metrics: createMetricsRegistry('coordinator-hint'),
      logger: { warn: (_f: object, m: string) => void warned.push(m), error: () => undefined } as never,
    });
    watches.push(w);
    expect(warned).to.deep.equal([
      "certificate expires in 9 days; renew it where the CA key is kept ('hub pki issue HUB') and put the new key and certificate in the coordinator's folder (pki/coordinator): the coordinator takes them up within a minute, without a restart",
    ]);
  });
});
