// What a verifier trusts: the hub CA (the current one and those it replaced, see `hub pki rollover`), certificates they
// issued (learned from files or the hub.pki topic), revocations.
import { X509Certificate, createHash } from 'node:crypto';
import { HUB_ORIGIN, type TrustLookup, type TrustedCertificate } from '@hub/envelope';
import { HubError } from '@hub/errors';

export interface Revocation {
  fingerprint: string;
  revokedAt: number;
  reason: string;
}

/**
 * Whether `revocation` is to stand in place of `held`, the one kept for its certificate: only when none is, or it is
 * earlier. A later one (a revocation published again) would move its time later, and `hub replay`, which counts a
 * revocation from its time, would then take what was refused live.
 */
export function replacesRevocation(held: Revocation | undefined, revocation: Revocation): boolean {
  return held === undefined || revocation.revokedAt < held.revokedAt;
}

export interface TrustStore extends TrustLookup {
  /** The current hub CA: of those trusted, the one valid longest. */
  readonly caCertificate: X509Certificate;
  /** Every hub CA trusted: the current one and those it replaced (certificates they issued stay valid). */
  caCertificates(): X509Certificate[];
  /** The trusted CAs as one PEM bundle (for TLS `ca` options and for re-verifying archived envelopes). */
  caBundlePem(): string;
  /**
   * Trust one more hub CA (a rollover, announced on hub.pki by a CA already trusted). Certificates it issued that
   * were held as chain-invalid are judged again. False when it was trusted already.
   */
  addCa(pem: string): boolean;
  /** The hub CA that issued a certificate added here (undefined: none of those trusted). */
  issuerOf(fingerprint: string): X509Certificate | undefined;
  /** Add a certificate; one not issued by the hub CA is kept as chain-invalid so verifiers can say so. */
  add(pem: string): TrustedCertificate;
  /**
   * What `add` would hold for a certificate (chainValid: issued by a trusted hub CA), without holding it: for an
   * announcement on hub.pki, which is verified before its certificate is kept.
   */
  judge(pem: string): TrustedCertificate;
  /** Hold a certificate as revoked. Revoked already, the earliest revocation stands (replacesRevocation). */
  revoke(revocation: Revocation): void;
  revocations(): Revocation[];
  certificates(): TrustedCertificate[];
}

/**
 * Origin named by a certificate: its C attribute, or HUB for the coordinator (OU=coordinator). Only a node's
 * certificate names a country it may sign for: an agency system's (OU=agency-system) names the country whose node
 * it sends to, and signs nothing, so it names no origin ('??': no envelope verifies with it).
 */
export function originOf(cert: X509Certificate): string {
  const subject = cert.subject.split('\n');
  if (subject.includes('OU=agency-system')) return '??';
  const c = subject.find((l) => l.startsWith('C='))?.slice(2);
  if (c) return c;
  return subject.includes('OU=coordinator') ? HUB_ORIGIN : '??';
}

/** One attribute of a certificate's subject (O, CN, ...), or '' when it has none. */
function subjectAttribute(cert: X509Certificate, key: string): string {
  return (
    cert.subject
      .split('\n')
      .find((l) => l.startsWith(`${key}=`))
      ?.slice(key.length + 1) ?? ''
  );
}

export function agencyOf(cert: X509Certificate): string {
  return subjectAttribute(cert, 'O');
}

/** The common name (CN) of a certificate's subject, or '' when it has none. */
export function commonNameOf(cert: X509Certificate): string {
  return subjectAttribute(cert, 'CN');
}

export function fingerprintOf(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}

/** The certificates of a PEM bundle, in order; throws when it holds none. */
export function certificatesOf(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0)
    throw new HubError('PKI_INVALID', 'no PEM certificate found where a CA was expected');
  return blocks.map((b) => new X509Certificate(b));
}

/** A trust store anchored on the hub CA certificates of `caPem` (one, or a bundle: the current CA and earlier ones). */
export function createTrustStore(caPem: string): TrustStore {
  const cas = new Map<string, X509Certificate>();
  const certs = new Map<string, TrustedCertificate>();
  const revoked = new Map<string, Revocation>();
  /** The CA of each certificate added that a trusted CA issued. */
  const issuers = new Map<string, X509Certificate>();
  /** The trusted hub CA that issued `x`, if any (a CA certificate is never a signer). */
  const issuerAmongCas = (x: X509Certificate) =>
    x.ca ? undefined : [...cas.values()].find((ca) => x.checkIssued(ca) && x.verify(ca.publicKey));
  const issuedByTrustedCa = (x: X509Certificate, fingerprint: string) => {
    const issuer = issuerAmongCas(x);
    if (issuer) issuers.set(fingerprint, issuer);
    return issuer !== undefined;
  };
  const trustedOf = (x: X509Certificate, fingerprint: string, chainValid: boolean): TrustedCertificate => ({
    fingerprint,
    pem: x.toString(),
    publicKey: x.publicKey,
    origin: originOf(x),
    agency: agencyOf(x),
    notBefore: Date.parse(x.validFrom),
    notAfter: Date.parse(x.validTo),
    chainValid,
  });
  const addCa = (x: X509Certificate): boolean => {
    // Known ones first: a CA offered again (each look at a bundle) costs a hash, not a signature check.
    if (cas.has(fingerprintOf(x))) return false;
    if (!x.ca || !x.checkIssued(x) || !x.verify(x.publicKey))
      throw new HubError(
        'PKI_INVALID',
        `${x.subject.replaceAll('\n', ', ')} is not a self-signed CA certificate, so it cannot be a hub CA`,
      );
    cas.set(fingerprintOf(x), x);
    for (const [fp, held] of certs)
      if (!held.chainValid && issuedByTrustedCa(new X509Certificate(held.pem), fp))
        certs.set(fp, { ...held, chainValid: true });
    return true;
  };
  for (const ca of certificatesOf(caPem)) addCa(ca);
  const current = () =>
    [...cas.values()].reduce((a, b) => (Date.parse(b.validTo) > Date.parse(a.validTo) ? b : a));
  return {
    get caCertificate() {
      return current();
    },
    caCertificates: () => [...cas.values()],
    caBundlePem: () => {
      const now = current();
      return [now, ...[...cas.values()].filter((c) => c !== now)].map((c) => c.toString()).join('');
    },
    addCa: (pem) => addCa(new X509Certificate(pem)),
    issuerOf: (fp) => issuers.get(fp),
    add(pem) {
      const x = new X509Certificate(pem);
      const fingerprint = fingerprintOf(x);
      const existing = certs.get(fingerprint);
      if (existing) return existing;
      // Checked once per certificate, not per message.
      const trusted = trustedOf(x, fingerprint, issuedByTrustedCa(x, fingerprint));
      certs.set(fingerprint, trusted);
      return trusted;
    },
    judge(pem) {
      const x = new X509Certificate(pem);
      const fingerprint = fingerprintOf(x);
      return certs.get(fingerprint) ?? trustedOf(x, fingerprint, issuerAmongCas(x) !== undefined);
    },
    revoke(revocation) {
      if (replacesRevocation(revoked.get(revocation.fingerprint), revocation))
        revoked.set(revocation.fingerprint, revocation);
    },
    revocations: () => [...revoked.values()],
    certificates: () => [...certs.values()],
    lookup: (fp) => certs.get(fp),
    isRevoked: (fp) => revoked.get(fp),
  };
}
