// hub.pki notices: a node announces its own certificate (signed with that certificate's key, which proves
// possession; the certificate itself chains to the CA); a revocation is signed by a hub CA's key; so is a new hub CA
// (a rollover), which the CA it replaces introduces.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSigner, decodeEnvelope, createVerifier, type Signer, type TrustLookup } from '@hub/envelope';
import type { SchemaRegistry } from '@hub/schemas';
import type { CaMaterial } from './ca';
import { agencyOf, fingerprintOf, originOf, type TrustStore } from './trust-store';

export interface CertificateNotice {
  kind: 'certificate' | 'revocation' | 'unknown';
  fingerprint: string;
  origin: string;
  agency: string | null;
  certificatePem: string | null;
  notBefore: number | null;
  notAfter: number | null;
  revokedAt: number | null;
  reason: string | null;
  issuedAt: number;
}

/** The notice carrying a certificate: a node's or the coordinator's, or a new hub CA's (`origin` HUB). */
function certificateNotice(x: X509Certificate, origin: string, agency: string): CertificateNotice {
  return {
    kind: 'certificate',
    fingerprint: fingerprintOf(x),
    origin,
    agency,
    certificatePem: x.toString(),
    notBefore: Date.parse(x.validFrom),
    notAfter: Date.parse(x.validTo),
    revokedAt: null,
    reason: null,
    issuedAt: Date.now(),
  };
}

/** Envelope bytes announcing `signer`'s own certificate. Kafka key: the fingerprint. */
export function certificateAnnouncement(
  registry: SchemaRegistry,
  signer: Signer,
  certificatePem: string,
): { key: string; bytes: Buffer } {
  const x = new X509Certificate(certificatePem);
  const notice = certificateNotice(x, originOf(x), agencyOf(x));
  const { payload, fingerprint } = registry.encode('CertificateNotice', notice);
  return {
    key: notice.fingerprint,
    bytes: signer.signEncoded({ messageType: 'CertificateNotice', schemaFingerprint: fingerprint, payload })
      .bytes,
  };
}

/** A notice signed by a hub CA's own key (origin HUB). */
function caSigned(registry: SchemaRegistry, ca: CaMaterial, notice: CertificateNotice): Buffer {
  const signer = createSigner({
    privateKey: createPrivateKey(ca.keyPem),
    certificate: ca.certPem,
    origin: 'HUB',
  });
  const { payload, fingerprint } = registry.encode('CertificateNotice', notice);
  return signer.signEncoded({ messageType: 'CertificateNotice', schemaFingerprint: fingerprint, payload })
    .bytes;
}

/**
 * Envelope bytes revoking a certificate, signed with the CA key. Kafka key: `revoked:` and the revoked fingerprint,
 * not the fingerprint alone: hub.pki is compacted, and a node announcing that certificate again (at its next start)
 * under the fingerprint would have had compaction drop the revocation, trusting the certificate again.
 */
export function revocationNotice(
  registry: SchemaRegistry,
  ca: CaMaterial,
  revoked: { fingerprint: string; origin: string; reason: string; revokedAt: number },
): { key: string; bytes: Buffer } {
  const notice: CertificateNotice = {
    kind: 'revocation',
    fingerprint: revoked.fingerprint,
    origin: revoked.origin,
    agency: null,
    certificatePem: null,
    notBefore: null,
    notAfter: null,
    revokedAt: revoked.revokedAt,
    reason: revoked.reason,
    issuedAt: Date.now(),
  };
  return { key: `revoked:${revoked.fingerprint}`, bytes: caSigned(registry, ca, notice) };
}

/**
 * Envelope bytes introducing a new hub CA (`hub pki rollover`), signed by the CA it replaces, which every verifier
 * already trusts: each then trusts the new one too, without a restart. Kafka key: the new CA's fingerprint.
 */
export function caRolloverNotice(
  registry: SchemaRegistry,
  previous: CaMaterial,
  newCaPem: string,
): { key: string; bytes: Buffer } {
  const notice = certificateNotice(new X509Certificate(newCaPem), 'HUB', 'hub CA');
  return { key: notice.fingerprint, bytes: caSigned(registry, previous, notice) };
}

export type NoticeResult = { ok: true; notice: CertificateNotice } | { ok: false; detail: string };

/** Verify a hub.pki record and apply it to `trust` (no restart needed). Anything unverifiable is ignored. */
export function applyPkiRecord(registry: SchemaRegistry, trust: TrustStore, bytes: Buffer): NoticeResult {
  const decoded = decodeEnvelope(bytes);
  if (!decoded.ok) return { ok: false, detail: decoded.detail };
  const env = decoded.envelope;
  if (env.messageType !== 'CertificateNotice')
    return { ok: false, detail: `unexpected ${env.messageType} on the pki topic` };
  const signerFp = env.signerCertFingerprint.toString('hex');
  const signingCa = trust.caCertificates().find((ca) => fingerprintOf(ca) === signerFp);
  if (signingCa) {
    // A revocation or a new CA: only a trusted CA's own signature counts.
    const caOnly: TrustLookup = {
      lookup: (fp) =>
        fp === signerFp
          ? {
              fingerprint: fp,
              pem: signingCa.toString(),
              publicKey: signingCa.publicKey,
              origin: 'HUB',
              agency: 'hub CA',
              notBefore: Date.parse(signingCa.validFrom),
              notAfter: Date.parse(signingCa.validTo),
              chainValid: true,
            }
          : undefined,
      isRevoked: () => undefined,
    };
    const v = createVerifier({ trust: caOnly }).verify(env);
    if (!v.ok) return { ok: false, detail: `CA notice not signed by the hub CA: ${v.detail}` };
    const notice = decodeNotice(registry, env.schemaFingerprint, env.payload);
    if (notice?.kind === 'certificate' && notice.certificatePem) {
      try {
        trust.addCa(notice.certificatePem);
      } catch (err) {
        return { ok: false, detail: `CA notice does not carry a CA certificate: ${(err as Error).message}` };
      }
      return { ok: true, notice };
    }
    if (!notice || notice.kind !== 'revocation')
      return { ok: false, detail: 'CA-signed notice is neither a revocation nor a new CA' };
    trust.revoke({
      fingerprint: notice.fingerprint,
      revokedAt: notice.revokedAt ?? notice.issuedAt,
      reason: notice.reason ?? 'revoked',
    });
    return { ok: true, notice };
  }
  // An announcement: the certificate is authenticated by its chain, the envelope by the certificate's own key
  // (proof of possession: nobody announces another's certificate, nor says what it is in the notice's fields).
  const notice = decodeNotice(registry, env.schemaFingerprint, env.payload);
  if (!notice || notice.kind !== 'certificate' || !notice.certificatePem)
    return { ok: false, detail: 'not a certificate announcement' };
  let announced;
  try {
    announced = new X509Certificate(notice.certificatePem);
  } catch (err) {
    return { ok: false, detail: `unreadable certificate: ${(err as Error).message}` };
  }
  const fingerprint = fingerprintOf(announced);
  if (fingerprint !== signerFp || notice.fingerprint !== fingerprint || notice.origin !== originOf(announced))
    return {
      ok: false,
      detail: `announcement of certificate ${fingerprint} (${originOf(announced)}) signed by ${signerFp} as ${notice.origin} ${notice.fingerprint}: a certificate is announced by its own key, under its own fingerprint and origin`,
    };
  // Judged and verified before it is kept: every node may write hub.pki, and a certificate kept whatever came of it
  // would let any of them fill every verifier's memory with certificates of its own making. Only one the hub CA
  // issued is kept, announced by its own key (or revoked or expired, whoever signed: verifiers then say so of its
  // envelopes, and the hub CA issued only so many).
  const cert = trust.judge(notice.certificatePem);
  if (!cert.chainValid)
    return { ok: false, detail: `certificate ${cert.fingerprint} is not issued by the hub CA` };
  const announcedOnly: TrustLookup = {
    lookup: (fp) => (fp === cert.fingerprint ? cert : undefined),
    isRevoked: (fp) => trust.isRevoked(fp),
  };
  const v = createVerifier({ trust: announcedOnly }).verify(env);
  if (!v.ok && v.reason !== 'revoked' && v.reason !== 'expired')
    return { ok: false, detail: `announcement does not verify: ${v.detail}` };
  trust.add(notice.certificatePem);
  return { ok: true, notice };
}

function decodeNotice(registry: SchemaRegistry, fp: Buffer, payload: Buffer): CertificateNotice | undefined {
  try {
    return registry.decode<CertificateNotice>(fp, payload, 'CertificateNotice');
  } catch {
    return undefined;
  }
}
