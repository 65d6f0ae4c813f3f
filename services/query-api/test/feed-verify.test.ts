// The feed stream's signature checks, without a stack: a record read late (a reader behind, or read back for a
// client reconnecting) is judged as of when the brokers appended it, not refused for a certificate expired since.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { seizureReportFromJson } from '@hub/domain';
import { createSigner, createVerifier, HUB_ORIGIN, type Verifier } from '@hub/envelope';
import { createTrustStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { identity, testPki, type TestIdentity } from '../../pki/test/fixtures';
import { verifyCountersignature, verifyOriginal } from '../src/feed-stream';

describe('feed stream: the signatures of a record read late', function () {
  this.timeout(30000);
  const pki = testPki();
  const registry = loadSchemaRegistry();
  const minute = 60_000;
  const day = 86_400_000;
  /** A certificate for `country` that expired yesterday, and when. */
  const expired = (country: string) => {
    const notBefore = Date.now() - 10 * day;
    return {
      id: identity(pki.ca, country, { notBefore: new Date(notBefore), validityDays: 9 }),
      notAfter: notBefore + 9 * day,
    };
  };
  const signerOf = (id: TestIdentity, origin: string, at: number) =>
    createSigner({
      privateKey: id.key,
      certificate: id.cert.certificatePem,
      origin,
      clock: () => at,
    });

  /** UZ's report signed by `uz` at `at`. */
  const original = (uz: TestIdentity, at: number) => {
    const report = seizureReportFromJson(
      {
        reportId: randomUUID(),
        seizedAt: '2026-06-01T08:00:00Z',
        country: 'UZ',
        agency: 'border guard',
        drugs: [{ substance: 'opium', quantity: 7, unit: 'kg' }],
        handling: { tlp: 'GREEN', releasableTo: ['central-asia'] },
      },
      { nodeCountry: 'UZ', now: at, versionOf: () => 1, regions: new Set(['central-asia']) },
    ).value;
    const { payload, fingerprint } = registry.encode('SeizureReport', report);
    return signerOf(uz, 'UZ', at).signEncoded({
      messageType: 'SeizureReport',
      schemaFingerprint: fingerprint,
      payload,
    });
  };

  /** The feed record the coordinator (`hub`) publishes at `at` for that report. */
  const feedRecord = (hub: TestIdentity, at: number, inner: ReturnType<typeof original>) => {
    const { payload, fingerprint } = registry.encode('FeedRecord', {
      originalEnvelope: inner.bytes,
      messageType: 'SeizureReport',
      subjectId: inner.envelope.messageId,
      version: 1,
      originCountry: 'UZ',
      region: 'central-asia',
      regions: ['central-asia'],
      acceptedAt: at,
    });
    return signerOf(hub, HUB_ORIGIN, at).signEncoded({
      messageType: 'FeedRecord',
      schemaFingerprint: fingerprint,
      payload,
    }).bytes;
  };

  const verifierTrusting = (...ids: TestIdentity[]): Verifier => {
    const trust = createTrustStore(pki.ca.certPem);
    for (const id of ids) trust.add(id.cert.certificatePem);
    return createVerifier({ trust });
  };

  it('takes a countersignature whose certificate expired after the record was appended, judged as of then', () => {
    const hub = expired(HUB_ORIGIN);
    const appendedAt = hub.notAfter - 10 * minute;
    const bytes = feedRecord(hub.id, appendedAt, original(pki.uz, Date.now() - day));
    const result = verifyCountersignature(verifierTrusting(hub.id, pki.uz), bytes, appendedAt);
    expect(result.ok, result.ok ? '' : result.detail).to.equal(true);
    // The topic records no append time: judged as of now, and refused.
    const now = verifyCountersignature(verifierTrusting(hub.id, pki.uz), bytes, undefined);
    expect(now).to.include({ ok: false, reason: 'expired' });
  });

  it('refuses a countersignature appended after its certificate expired', () => {
    const hub = expired(HUB_ORIGIN);
    const bytes = feedRecord(hub.id, hub.notAfter - minute, original(pki.uz, Date.now() - day));
    const result = verifyCountersignature(verifierTrusting(hub.id), bytes, hub.notAfter + minute);
    expect(result).to.include({ ok: false, reason: 'expired' });
  });

  it('takes an original signed before its certificate expired, in a record appended since the expiry', () => {
    // The coordinator was behind: it published the record an hour after the original's certificate expired.
    const uz = expired('UZ');
    const inner = original(uz.id, uz.notAfter - minute);
    const appendedAt = uz.notAfter + 60 * minute;
    const result = verifyOriginal(verifierTrusting(uz.id), inner.bytes, appendedAt);
    expect(result.ok, result.ok ? '' : result.detail).to.equal(true);
    expect(result.ok && result.signer.fingerprint).to.equal(uz.id.cert.fingerprint);
    // And with no append time known, as of now.
    const asOfNow = verifyOriginal(verifierTrusting(uz.id), inner.bytes, undefined);
    expect(asOfNow.ok, asOfNow.ok ? '' : asOfNow.detail).to.equal(true);
  });

  it('refuses an original signed after its certificate had expired', () => {
    const uz = expired('UZ');
    const inner = original(uz.id, uz.notAfter + minute);
    const result = verifyOriginal(verifierTrusting(uz.id), inner.bytes, uz.notAfter + 2 * minute);
    expect(result).to.include({ ok: false, reason: 'expired' });
  });

  it('refuses an original whose certificate is revoked, though signed and appended before the revocation', () => {
    const uz = identity(pki.ca, 'UZ', { notBefore: new Date(Date.now() - day), validityDays: 30 });
    const inner = original(uz, Date.now() - 10 * minute);
    const trust = createTrustStore(pki.ca.certPem);
    trust.add(uz.cert.certificatePem);
    trust.revoke({ fingerprint: uz.cert.fingerprint, revokedAt: Date.now() - minute, reason: 'key lost' });
    const result = verifyOriginal(createVerifier({ trust }), inner.bytes, Date.now() - 5 * minute);
    expect(result).to.include({ ok: false, reason: 'revoked' });
  });

  it('refuses an original that is not an envelope', () => {
    const result = verifyOriginal(verifierTrusting(pki.uz), Buffer.from('not an envelope'), Date.now());
    expect(result).to.include({ ok: false, reason: 'malformed' });
  });
});
