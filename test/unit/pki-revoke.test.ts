// Unit tier: what `hub pki revoke` records and publishes for a certificate revoked already (no broker needed: the
// decision, not the publishing). Revoking again must not move the revocation later: `hub replay` counts a revocation
// from its time, and would then take what was refused live.
import { expect } from 'chai';
import { revocationFor } from '../../scripts/src/cli/commands/pki';

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
