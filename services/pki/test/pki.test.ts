import { expect } from 'chai';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSigner, createVerifier } from '@hub/envelope';
import { loadSchemaRegistry } from '@hub/schemas';
import { createCa, issueCertificate } from '../src/ca';
import { PkiStore } from '../src/files';
import { applyPkiRecord, caRolloverNotice, certificateAnnouncement, revocationNotice } from '../src/notices';
import { agencySystemOf } from '../src/client-certificate';
import { certificatesOf, createTrustStore, fingerprintOf } from '../src/trust-store';
import { identity, testPki } from './fixtures';

/** A fresh test PKI, a trust store of its CA and KZ's signer: for announcements and revocations on hub.pki. */
function kzAnnouncing() {
  const registry = loadSchemaRegistry();
  const t = testPki();
  const trust = createTrustStore(t.ca.certPem);
  const kzSigner = createSigner({
    privateKey: t.kz.key,
    certificate: t.kz.cert.certificatePem,
    origin: 'KZ',
  });
  return { registry, t, trust, kzSigner };
}

describe('hub PKI', function () {
  this.timeout(60000);
  let dir: string;
  let pki: PkiStore;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-pki-'));
    pki = new PkiStore(dir);
  });
  // Each test finds the CA and a KZ certificate, whichever tests run (mocha --grep runs some alone).
  beforeEach(() => {
    pki.initCa({ bits: 2048 });
    if (!pki.hasIdentity('KZ')) pki.issue({ country: 'KZ', agency: 'Customs Committee' });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the CA once and keeps it; private keys are readable by the owner only', () => {
    const freshDir = mkdtempSync(join(tmpdir(), 'hub-pki-ca-'));
    try {
      const fresh = new PkiStore(freshDir);
      expect(fresh.initCa({ bits: 2048 })).to.equal(true);
      const first = fresh.caCertPem();
      expect(fresh.initCa({ bits: 2048 })).to.equal(false);
      expect(fresh.caCertPem()).to.equal(first);
      expect(statSync(join(freshDir, 'ca', 'ca.key')).mode & 0o777).to.equal(0o600);
      expect(new X509Certificate(first).ca).to.equal(true);
    } finally {
      rmSync(freshDir, { recursive: true, force: true });
    }
  });

  it('issues a node certificate naming country and agency, chained to the CA, key 0600', () => {
    const issued = pki.issue({ country: 'KZ', agency: 'Customs Committee' });
    const x = new X509Certificate(issued.certificatePem);
    expect(x.subject).to.contain('C=KZ').and.contain('O=Customs Committee');
    expect(x.checkIssued(new X509Certificate(pki.caCertPem()))).to.equal(true);
    expect(x.publicKey.asymmetricKeyType).to.equal('rsa');
    expect(x.publicKey.asymmetricKeyDetails?.modulusLength).to.equal(2048);
    expect(statSync(join(dir, 'nodes', 'KZ', 'node.key')).mode & 0o777).to.equal(0o600);
  });

  it("issues an agency system's client certificate, which names no origin: no envelope verifies with it", () => {
    const issued = pki.issueClient({ country: 'KZ', system: 'customs-declarations-kz', validityDays: 30 });
    const x = new X509Certificate(issued.certificatePem);
    expect(x.subject)
      .to.contain('C=KZ')
      .and.contain('OU=agency-system')
      .and.contain('CN=customs-declarations-kz');
    expect(x.checkIssued(new X509Certificate(pki.caCertPem()))).to.equal(true);
    expect(statSync(issued.keyFile).mode & 0o777).to.equal(0o600);
    expect(agencySystemOf(x)).to.deep.equal({ country: 'KZ', system: 'customs-declarations-kz' });
    expect(agencySystemOf(new X509Certificate(pki.identity('KZ').certificatePem))).to.equal(undefined);
    // Chained to the hub CA, yet not a signer for KZ: a system holding it cannot sign as KZ's node.
    const trust = createTrustStore(pki.caCertPem());
    expect(trust.add(issued.certificatePem)).to.include({ chainValid: true, origin: '??' });
    expect(trust.add(pki.identity('KZ').certificatePem).origin).to.equal('KZ');
    // Issued again (its key lost, say): the first is kept beside it, named by its fingerprint, to be revoked.
    expect(issued.previous).to.equal(undefined);
    const again = pki.issueClient({ country: 'KZ', system: 'customs-declarations-kz', validityDays: 30 });
    expect(again.previous?.fingerprint).to.equal(issued.fingerprint);
    expect(new X509Certificate(readFileSync(again.previous!.certFile, 'utf8')).fingerprint256).to.equal(
      new X509Certificate(issued.certificatePem).fingerprint256,
    );
    expect(readFileSync(again.certFile, 'utf8')).to.equal(again.certificatePem);
    expect(() => pki.issueClient({ country: 'KZ', system: '../escape' })).to.throw(/a system's name/);
    expect(() => pki.issueClient({ country: 'kz', system: 'x' })).to.throw(/ISO 3166-1 alpha-2/);
  });

  it('renews with overlap: the previous certificate stays trusted until it expires', () => {
    const before = pki.identity('KZ').fingerprint;
    const renewed = pki.issue({ country: 'KZ', agency: 'Customs Committee', bits: 3072 });
    expect(renewed.fingerprint).to.not.equal(before);
    expect(pki.identity('KZ').fingerprint).to.equal(renewed.fingerprint);
    const trust = pki.trustStore();
    expect(trust.lookup(before)?.chainValid).to.equal(true);
    expect(trust.lookup(renewed.fingerprint)?.chainValid).to.equal(true);
  });

  it('issues no certificate that outlives its CA: one asked for longer ends with the CA', () => {
    const DAY = 86_400_000;
    // A CA made ten years less 100 days ago: 100 days left.
    const ageing = createCa({ bits: 2048, now: new Date(Date.now() - (10 * 365 - 100) * DAY) });
    const caEnd = Date.parse(new X509Certificate(ageing.certPem).validTo);
    const capped = issueCertificate(ageing, { country: 'KZ', agency: 'Customs Committee' });
    expect(capped.notAfter.getTime()).to.equal(caEnd);
    expect(Date.parse(new X509Certificate(capped.certificatePem).validTo)).to.equal(caEnd);
    const short = issueCertificate(ageing, { country: 'KZ', agency: 'Customs Committee', validityDays: 30 });
    expect(short.notAfter.getTime(), 'a shorter one as asked').to.be.below(caEnd);
  });

  it('refuses a country code that is not ISO alpha-2, and odd key sizes', () => {
    expect(() => pki.issue({ country: 'Kazakhstan', agency: 'x' })).to.throw(/ISO 3166-1 alpha-2/);
    expect(() => pki.issue({ country: 'KZ', agency: 'x', bits: 1024 as 2048 })).to.throw(
      /2048, 3072 or 4096/,
    );
  });

  it('applies certificate announcements and CA-signed revocations from hub.pki; ignores forged revocations', () => {
    const { registry, t, trust, kzSigner } = kzAnnouncing();
    const announced = applyPkiRecord(
      registry,
      trust,
      certificateAnnouncement(registry, kzSigner, t.kz.cert.certificatePem).bytes,
    );
    expect(announced.ok).to.equal(true);
    expect(trust.lookup(t.kz.cert.fingerprint)?.origin).to.equal('KZ');

    const forged = revocationNotice(
      registry,
      { certPem: t.uz.cert.certificatePem, keyPem: t.uz.cert.privateKeyPem },
      { fingerprint: t.kz.cert.fingerprint, origin: 'KZ', reason: 'forged', revokedAt: Date.now() },
    );
    expect(applyPkiRecord(registry, trust, forged.bytes).ok).to.equal(false);
    expect(trust.isRevoked(t.kz.cert.fingerprint)).to.equal(undefined);

    const real = revocationNotice(registry, t.ca, {
      fingerprint: t.kz.cert.fingerprint,
      origin: 'KZ',
      reason: 'key lost',
      revokedAt: Date.now(),
    });
    expect(applyPkiRecord(registry, trust, real.bytes).ok).to.equal(true);
    expect(trust.isRevoked(t.kz.cert.fingerprint)?.reason).to.equal('key lost');
    // hub.pki is compacted by key: the revocation's is not the announcement's, so the node announcing the same
    // certificate again (at its next start) does not take the revocation's place. Applied after it, the
    // announcement leaves the certificate revoked.
    const again = certificateAnnouncement(registry, kzSigner, t.kz.cert.certificatePem);
    expect(real.key).to.equal(`revoked:${t.kz.cert.fingerprint}`);
    expect(real.key).not.to.equal(again.key);
    applyPkiRecord(registry, trust, again.bytes);
    expect(trust.isRevoked(t.kz.cert.fingerprint)?.reason).to.equal('key lost');
    expect(fingerprintOf(new X509Certificate(t.kz.cert.certificatePem))).to.equal(t.kz.cert.fingerprint);
  });

  it('does not trust an announced certificate from another CA', () => {
    const registry = loadSchemaRegistry();
    const t = testPki();
    const trust = createTrustStore(t.ca.certPem);
    const signer = createSigner({
      privateKey: t.foreignKz.key,
      certificate: t.foreignKz.cert.certificatePem,
      origin: 'KZ',
    });
    expect(
      applyPkiRecord(
        registry,
        trust,
        certificateAnnouncement(registry, signer, t.foreignKz.cert.certificatePem).bytes,
      ).ok,
    ).to.equal(false);
  });
  it('keeps nothing of an announcement that does not verify: a certificate of its own making, a forged signature', () => {
    const { registry, t, trust } = kzAnnouncing();
    // Any node may write hub.pki: certificates of another CA, each announced by its own key, are not held (every
    // one held would stay in every verifier's memory).
    const impostors = [
      { id: t.foreignKz, origin: 'KZ' },
      { id: identity(t.foreignCa, 'UZ'), origin: 'UZ' },
    ];
    for (const { id, origin } of impostors) {
      const signer = createSigner({ privateKey: id.key, certificate: id.cert.certificatePem, origin });
      const result = applyPkiRecord(
        registry,
        trust,
        certificateAnnouncement(registry, signer, id.cert.certificatePem).bytes,
      );
      expect(result.ok ? '' : result.detail).to.equal(
        `certificate ${id.cert.fingerprint} is not issued by the hub CA`,
      );
      expect(trust.lookup(id.cert.fingerprint), id.cert.fingerprint).to.equal(undefined);
    }
    // KZ's certificate, of the hub CA, announced under its fingerprint but signed by another key.
    const forger = createSigner({
      privateKey: t.uz.key,
      certificate: t.kz.cert.certificatePem,
      origin: 'KZ',
    });
    const forged = applyPkiRecord(
      registry,
      trust,
      certificateAnnouncement(registry, forger, t.kz.cert.certificatePem).bytes,
    );
    expect(forged.ok ? '' : forged.detail).to.match(
      /^announcement does not verify: the signature does not match/,
    );
    expect(trust.lookup(t.kz.cert.fingerprint), 'not taken into the store').to.equal(undefined);
    expect(trust.certificates()).to.deep.equal([]);
  });

  describe('a certificate revoked again', () => {
    const hour = 3_600_000;

    it('keeps its earliest revocation in a trust store, whichever comes first, so a replay judges as live did', () => {
      const { registry, t, trust } = kzAnnouncing();
      const kz = identity(t.ca, 'KZ', { notBefore: new Date(Date.now() - 24 * hour), validityDays: 30 });
      trust.add(kz.cert.certificatePem);
      const first = Date.now() - 2 * hour;
      const notice = (revokedAt: number, reason: string) =>
        revocationNotice(registry, t.ca, {
          fingerprint: kz.cert.fingerprint,
          origin: 'KZ',
          reason,
          revokedAt,
        }).bytes;
      expect(applyPkiRecord(registry, trust, notice(first, 'key lost')).ok).to.equal(true);
      // Published again an hour later (`hub pki revoke` run again): the first revocation stands.
      expect(applyPkiRecord(registry, trust, notice(first + hour, 'revoked again')).ok).to.equal(true);
      expect(trust.isRevoked(kz.cert.fingerprint)).to.deep.equal({
        fingerprint: kz.cert.fingerprint,
        revokedAt: first,
        reason: 'key lost',
      });
      expect(trust.revocations()).to.have.length(1);
      // `hub replay` judging a message signed between the two, as of then, refuses it as live did.
      const signed = createSigner({
        privateKey: kz.key,
        certificate: kz.cert.certificatePem,
        origin: 'KZ',
        clock: () => first + hour / 2,
      }).sign({ messageType: 'SeizureReport', schemaFingerprint: Buffer.alloc(8), payload: Buffer.alloc(1) });
      const replayed = createVerifier({ trust }).verify(signed, { at: first + hour / 2 });
      expect(replayed).to.include({ ok: false, reason: 'revoked' });

      // Read in the other order (an earlier revocation after a later one): the earlier one is taken.
      const other = createTrustStore(t.ca.certPem);
      other.revoke({ fingerprint: kz.cert.fingerprint, revokedAt: first + hour, reason: 'revoked again' });
      other.revoke({ fingerprint: kz.cert.fingerprint, revokedAt: first, reason: 'key lost' });
      expect(other.isRevoked(kz.cert.fingerprint)).to.include({ revokedAt: first, reason: 'key lost' });
    });

    it('keeps its earliest revocation in the local list, and says which stands', () => {
      const kz = pki.identity('KZ').fingerprint;
      const first = { fingerprint: kz, revokedAt: Date.now() - 2 * hour, reason: 'key lost' };
      expect(pki.addRevocation(first)).to.deep.equal(first);
      expect(
        pki.addRevocation({ fingerprint: kz, revokedAt: Date.now(), reason: 'revoked again' }),
      ).to.deep.equal(first);
      expect(pki.revocations().filter((r) => r.fingerprint === kz)).to.deep.equal([first]);
      expect(pki.revocationOf(kz)).to.deep.equal(first);
      expect(pki.trustStore().isRevoked(kz)).to.deep.equal(first);
      // An earlier one (recorded on another copy of the list, say) takes its place.
      const earlier = { fingerprint: kz, revokedAt: first.revokedAt - hour, reason: 'stolen' };
      expect(pki.addRevocation(earlier)).to.deep.equal(earlier);
      expect(pki.revocations().filter((r) => r.fingerprint === kz)).to.deep.equal([earlier]);
    });
  });

  it('keeps an announced certificate of the hub CA that was revoked before it was announced, as revoked', () => {
    const { registry, t, trust, kzSigner } = kzAnnouncing();
    trust.revoke({ fingerprint: t.kz.cert.fingerprint, revokedAt: Date.now(), reason: 'key lost' });
    const announced = applyPkiRecord(
      registry,
      trust,
      certificateAnnouncement(registry, kzSigner, t.kz.cert.certificatePem).bytes,
    );
    expect(announced.ok).to.equal(true);
    expect(trust.lookup(t.kz.cert.fingerprint)?.chainValid).to.equal(true);
    expect(trust.isRevoked(t.kz.cert.fingerprint)?.reason).to.equal('key lost');
  });

  it("refuses an announcement of another's certificate, or one whose notice misnames it, and keeps nothing of it", () => {
    const { registry, t, trust, kzSigner } = kzAnnouncing();
    // KZ announcing UZ's certificate, signed with its own key.
    const other = applyPkiRecord(
      registry,
      trust,
      certificateAnnouncement(registry, kzSigner, t.uz.cert.certificatePem).bytes,
    );
    expect(other.ok).to.equal(false);
    expect(other.ok ? '' : other.detail).to.include('a certificate is announced by its own key');
    expect(trust.lookup(t.uz.cert.fingerprint), 'not taken into the store').to.equal(undefined);
    // KZ's own certificate, announced under another origin in the notice.
    const notice = {
      kind: 'certificate',
      fingerprint: t.kz.cert.fingerprint,
      origin: 'UZ',
      agency: 'UZ customs',
      certificatePem: t.kz.cert.certificatePem,
      notBefore: null,
      notAfter: null,
      revokedAt: null,
      reason: null,
      issuedAt: Date.now(),
    };
    const { payload, fingerprint } = registry.encode('CertificateNotice', notice);
    const misnamed = kzSigner.signEncoded({
      messageType: 'CertificateNotice',
      schemaFingerprint: fingerprint,
      payload,
    });
    expect(applyPkiRecord(registry, trust, misnamed.bytes).ok).to.equal(false);
    expect(trust.lookup(t.kz.cert.fingerprint)).to.equal(undefined);
    // Its own, as it is: taken.
    const own = certificateAnnouncement(registry, kzSigner, t.kz.cert.certificatePem);
    expect(applyPkiRecord(registry, trust, own.bytes).ok).to.equal(true);
  });
  it('rolls the CA over: the old CA stays trusted, new certificates come from the new one, verifiers learn it from hub.pki', async () => {
    const registry = loadSchemaRegistry();
    const rollDir = mkdtempSync(join(tmpdir(), 'hub-pki-rollover-'));
    try {
      const store = new PkiStore(rollDir);
      store.initCa({ bits: 2048 });
      const oldCaPem = store.currentCaPem();
      const oldKz = store.issue({ country: 'KZ', agency: 'Customs Committee' });
      // The new CA is published before anything on disk changes: a failed publication changes nothing.
      const failed = await store
        .rolloverCa({ bits: 2048 }, async () => Promise.reject(new Error('broker out of reach')))
        .then(
          () => 'rolled over',
          (err: Error) => err.message,
        );
      expect(failed).to.equal('broker out of reach');
      expect(store.currentCaPem()).to.equal(oldCaPem);
      expect(store.previousCaPems()).to.deep.equal([]);
      const published: string[] = [];
      const { previous, current } = await store.rolloverCa(
        { bits: 2048, validityYears: 12 },
        async (old, next) => {
          published.push(old.certPem, next.certPem);
          expect(store.currentCaPem(), 'published before the switch').to.equal(old.certPem);
        },
      );
      expect(published).to.deep.equal([oldCaPem, current.certPem]);
      expect(previous.certPem).to.equal(oldCaPem);
      expect(store.currentCaPem()).to.equal(current.certPem).and.not.equal(oldCaPem);
      expect(store.previousCaPems()).to.deep.equal([oldCaPem]);
      const oldName = fingerprintOf(new X509Certificate(oldCaPem)).slice(0, 16);
      expect(new X509Certificate(current.certPem).subject).to.match(
        /CN=Seizure Exchange Hub Root CA \d{4}-\d\d-\d\d/,
      );
      expect(statSync(join(rollDir, 'ca', 'previous', `${oldName}.key`)).mode & 0o777).to.equal(0o600);
      expect(statSync(join(rollDir, 'ca', 'ca.key')).mode & 0o777).to.equal(0o600);
      // The bundle: the current CA first, then the one it replaced.
      const fp = (pem: string) => fingerprintOf(new X509Certificate(pem));
      expect(certificatesOf(store.caCertPem()).map(fingerprintOf)).to.deep.equal([
        fp(current.certPem),
        fp(oldCaPem),
      ]);

      const newKz = store.issue({ country: 'KZ', agency: 'Customs Committee' });
      const newCa = new X509Certificate(current.certPem);
      expect(new X509Certificate(newKz.certificatePem).checkIssued(newCa)).to.equal(true);
      const both = store.trustStore();
      expect(both.lookup(oldKz.fingerprint)?.chainValid, 'issued by the old CA').to.equal(true);
      expect(both.lookup(newKz.fingerprint)?.chainValid, 'issued by the new CA').to.equal(true);
      expect(fingerprintOf(both.caCertificate)).to.equal(fingerprintOf(newCa));

      // A verifier started before the rollover knows the old CA only; the notice signed by it brings the new one.
      const early = createTrustStore(oldCaPem);
      expect(early.add(newKz.certificatePem).chainValid, 'before the notice').to.equal(false);
      const t = testPki();
      const forgedByNode = caRolloverNotice(
        registry,
        { certPem: oldKz.certificatePem, keyPem: oldKz.privateKeyPem },
        current.certPem,
      );
      expect(applyPkiRecord(registry, early, forgedByNode.bytes).ok, 'signed by a node').to.equal(false);
      const byForeignCa = caRolloverNotice(registry, t.foreignCa, current.certPem);
      expect(applyPkiRecord(registry, early, byForeignCa.bytes).ok, 'signed by another CA').to.equal(false);
      const notACa = caRolloverNotice(registry, previous, newKz.certificatePem);
      const refused = applyPkiRecord(registry, early, notACa.bytes);
      expect(refused.ok).to.equal(false);
      expect(refused.ok || refused.detail).to.match(/not a self-signed CA certificate/);
      expect(early.caCertificates()).to.have.length(1);

      const notice = caRolloverNotice(registry, previous, current.certPem);
      expect(applyPkiRecord(registry, early, notice.bytes).ok).to.equal(true);
      expect(early.caCertificates().map(fingerprintOf)).to.have.members([fp(oldCaPem), fp(current.certPem)]);
      expect(early.lookup(newKz.fingerprint)?.chainValid, 'judged again once the CA is known').to.equal(true);
      expect(early.add(oldKz.certificatePem).chainValid).to.equal(true);
      expect(fingerprintOf(early.caCertificate), 'the current CA is the one valid longest').to.equal(
        fingerprintOf(newCa),
      );
      expect(certificatesOf(early.caBundlePem()).map(fingerprintOf)).to.deep.equal([
        fp(current.certPem),
        fp(oldCaPem),
      ]);
      // Applied twice (the compacted topic read again at a restart): nothing changes.
      expect(applyPkiRecord(registry, early, notice.bytes).ok).to.equal(true);
      expect(early.caCertificates()).to.have.length(2);

      // Revocations signed by the new CA now count.
      const revocation = revocationNotice(registry, current, {
        fingerprint: oldKz.fingerprint,
        origin: 'KZ',
        reason: 'reissued from the new CA',
        revokedAt: Date.now(),
      });
      expect(applyPkiRecord(registry, early, revocation.bytes).ok).to.equal(true);
      expect(early.isRevoked(oldKz.fingerprint)?.reason).to.equal('reissued from the new CA');
    } finally {
      rmSync(rollDir, { recursive: true, force: true });
    }
  });
});
