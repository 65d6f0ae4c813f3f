// Unit tier: no certificate from an expired hub CA, a warning when the CA's end cuts one short, and what
// `hub pki rollover` says once the CA it replaces has expired (running services then ignore its notice).
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { createCa, issueCertificate, issueClientCertificate } from '@hub/pki';
import { rolloverPublished, validUntil } from '../../scripts/src/cli/commands/pki';

const DAY = 86_400_000;

describe('the hub CA near and past its end', function () {
  this.timeout(60000);
  // Made two years ago for one year: it expired a year ago.
  const expired = createCa({ bits: 2048, validityYears: 1, now: new Date(Date.now() - 2 * 365 * DAY) });
  const caEnd = Date.parse(new X509Certificate(expired.certPem).validTo);

  it('refuses to issue from an expired CA, saying when it expired and to roll it over', () => {
    const attempt = () => issueCertificate(expired, { country: 'KZ', agency: 'KZ customs' });
    expect(attempt)
      .to.throw(
        `the hub CA expired on ${new Date(caEnd).toISOString()}: a certificate from it would never be valid; run 'hub pki rollover' for a new CA, then issue the certificate again`,
      )
      .with.property('code', 'PKI_EXPIRED');
    // Agency systems' certificates too.
    expect(() => issueClientCertificate(expired, { country: 'KZ', system: 'customs-kz' })).to.throw(
      /hub CA expired on/,
    );
  });

  it('says how long a certificate is valid when the CA ends before the validity asked', () => {
    // A CA of one year made 355 days ago: ten days left.
    const ending = createCa({ bits: 2048, validityYears: 1, now: new Date(Date.now() - 355 * DAY) });
    const issued = issueCertificate(ending, { country: 'KZ', agency: 'KZ customs' });
    expect(issued.cutByCa).to.equal(true);
    expect(issued.notAfter.getTime()).to.equal(Date.parse(new X509Certificate(ending.certPem).validTo));
    expect(validUntil('certificate for KZ', issued)).to.equal(
      `certificate for KZ valid until ${issued.notAfter.toISOString()}: only 10 days, cut short by the end of the hub CA, which no certificate outlives; run 'hub pki rollover' for a new CA and issue it again from that`,
    );
    // A CA with years left: the validity asked, and nothing more said.
    const fresh = issueCertificate(createCa({ bits: 2048 }), { country: 'KZ', agency: 'KZ customs' });
    expect(fresh.cutByCa).to.equal(undefined);
    expect(validUntil('certificate for KZ', fresh)).to.equal(
      `certificate for KZ valid until ${fresh.notAfter.toISOString()}`,
    );
  });

  it('rollover: says running services ignore the notice of an expired CA, and to copy ca.crt and restart them', () => {
    const said = rolloverPublished(new X509Certificate(expired.certPem), Date.now(), '/hub/pki/ca/ca.crt');
    expect(said).to.equal(
      `published the new CA on hub.pki, but signed by the previous CA, which expired on ${new Date(caEnd).toISOString()}: running services will ignore the notice and do not trust the new CA; copy /hub/pki/ca/ca.crt to pki/ca/ of every machine's HUB_HOME and restart each service (coordinator, national nodes, query API)`,
    );
    expect(said).not.to.include('trusts it now');
    const valid = createCa({ bits: 2048 });
    expect(rolloverPublished(new X509Certificate(valid.certPem), Date.now(), '/hub/pki/ca/ca.crt')).to.equal(
      'published the new CA on hub.pki, signed by the previous one: every running service trusts it now',
    );
  });
});
