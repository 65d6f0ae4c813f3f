// Unit tier: what `hub pki revoke` records and publishes (no broker needed: the decision, not the publishing, which
// pki-revoke-cli.test.ts covers with the brokers out of reach). Revoking again must not move the revocation later: `hub replay` counts a revocation
// from its time, and would then take what was refused live. A country code revokes every certificate of it on disk.
import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PkiStore } from '@hub/pki';
import { revocationFor, revocationTargets } from '../../scripts/src/cli/commands/pki';

const DAY = 86_400_000;

describe('hub pki revoke: a certificate revoked already', () => {
  const fingerprint = 'ab'.repeat(32);

  it('revokes a certificate not revoked yet as of now, with the reason given or the default one', () => {
    expect(revocationFor(undefined, { fingerprint, now: 5000, reason: 'key lost' })).to.deep.equal({
      revocation: { fingerprint, revokedAt: 5000, reason: 'key lost' },
      already: false,
    });
    expect(
      revocationFor(undefined, { fingerprint, now: 5000, reason: undefined }).revocation.reason,
    ).to.equal('revoked by the hub operator');
  });

  it('keeps the first revocation, its time and reason, and says it was revoked already', () => {
    const first = { fingerprint, revokedAt: 1000, reason: 'key lost' };
    const again = revocationFor(first, { fingerprint, now: 9000, reason: 'revoked again' });
    expect(again.already).to.equal(true);
    expect(again.revocation).to.deep.equal(first);
  });
});

describe('hub pki revoke <CC>: every certificate of the country, not only the current one', function () {
  this.timeout(60000);
  let dir: string;
  let pki: PkiStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-pki-revoke-'));
    pki = new PkiStore(join(dir, 'pki'));
    pki.initCa({ bits: 2048 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names the current certificate and those a renewal kept, but none expired', () => {
    const expired = pki.issue({
      country: 'KZ',
      agency: 'KZ customs',
      notBefore: new Date(Date.now() - 20 * DAY),
      validityDays: 10,
    });
    const first = pki.issue({ country: 'KZ', agency: 'KZ customs' });
    const renewed = pki.issue({ country: 'KZ', agency: 'KZ customs' });
    pki.issue({ country: 'TJ', agency: 'TJ drug control agency' });
    const targets = revocationTargets(pki, 'kz', { now: Date.now() });
    expect(targets.map((t) => t.fingerprint).sort()).to.deep.equal(
      [first.fingerprint, renewed.fingerprint].sort(),
    );
    expect(targets.map((t) => t.fingerprint)).not.to.include(expired.fingerprint);
    expect(targets.every((t) => t.origin === 'KZ')).to.equal(true);
    expect(targets.find((t) => t.fingerprint === renewed.fingerprint)?.described).to.match(
      /^KZ, current, valid until /,
    );
    expect(targets.find((t) => t.fingerprint === first.fingerprint)?.described).to.match(
      /^KZ, previous, valid until /,
    );
    // --current-only: the current one alone.
    expect(revocationTargets(pki, 'KZ', { now: Date.now(), currentOnly: true })).to.deep.equal([
      targets.find((t) => t.fingerprint === renewed.fingerprint),
    ]);
  });

  it('says a country has no certificate to revoke, rather than to issue one', () => {
    expect(() => revocationTargets(pki, 'ZZ', { now: Date.now() }))
      .to.throw(/^no certificate of ZZ to revoke in .*nodes\/ZZ: none was issued for ZZ under this HUB_HOME/)
      .with.property('code', 'PKI_MISSING');
    expect(() => revocationTargets(pki, 'ZZ', { now: Date.now() })).not.to.throw(/hub pki issue/);
  });

  it("finds a fingerprint among agency systems' certificates, and refuses one found nowhere unless --force", () => {
    const system = pki.issueClient({ country: 'KZ', system: 'customs-kz' });
    expect(revocationTargets(pki, system.fingerprint.toUpperCase(), { now: Date.now() })).to.deep.equal([
      {
        fingerprint: system.fingerprint,
        origin: 'KZ',
        described: `KZ/customs-kz, valid until ${new Date(new X509Certificate(system.certificatePem).validTo).toISOString()}`,
      },
    ]);
    const unknown = 'ab'.repeat(32);
    expect(() => revocationTargets(pki, unknown, { now: Date.now() }))
      .to.throw(new RegExp(`no certificate in .* has the fingerprint ${unknown} .*give --force`))
      .with.property('code', 'USAGE');
    expect(revocationTargets(pki, unknown, { now: Date.now(), force: true })).to.deep.equal([
      { fingerprint: unknown, origin: '??', described: `not found in ${pki.dir}, revoked with --force` },
    ]);
    expect(() => revocationTargets(pki, system.fingerprint, { now: Date.now(), currentOnly: true })).to.throw(
      /--current-only goes with a country code/,
    );
  });
});
