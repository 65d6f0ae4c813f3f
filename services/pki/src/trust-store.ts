// What a verifier trusts: the hub CA, certificates it issued (learned from files or the hub.pki topic), revocations.
import { X509Certificate, createHash } from 'node:crypto';
import { HUB_ORIGIN, type TrustLookup, type TrustedCertificate } from '@hub/envelope';

export interface Revocation {
  fingerprint: string;
  revokedAt: number;
  reason: string;
}

export interface TrustStore extends TrustLookup {
  readonly caCertificate: X509Certificate;
  /** Add a certificate; one not issued by the hub CA is kept as chain-invalid so verifiers can say so. */
  add(pem: string): TrustedCertificate;
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

export function agencyOf(cert: X509Certificate): string {
  return (
    cert.subject
      .split('\n')
      .find((l) => l.startsWith('O='))
      ?.slice(2) ?? ''
  );
}

export function fingerprintOf(cert: X509Certificate): string {
  return createHash('sha256').update(cert.raw).digest('hex');
}

export function createTrustStore(caPem: string): TrustStore {
  const ca = new X509Certificate(caPem);
  const certs = new Map<string, TrustedCertificate>();
  const revoked = new Map<string, Revocation>();
  return {
    caCertificate: ca,
    add(pem) {
      const x = new X509Certificate(pem);
      const fingerprint = fingerprintOf(x);
      const existing = certs.get(fingerprint);
      if (existing) return existing;
      // Checked once per certificate, not per message.
      const chainValid = x.checkIssued(ca) && x.verify(ca.publicKey) && !x.ca;
      const trusted: TrustedCertificate = {
        fingerprint,
        pem: x.toString(),
        publicKey: x.publicKey,
        origin: originOf(x),
        agency: agencyOf(x),
        notBefore: Date.parse(x.validFrom),
        notAfter: Date.parse(x.validTo),
        chainValid,
      };
      certs.set(fingerprint, trusted);
      return trusted;
    },
    revoke(revocation) {
      revoked.set(revocation.fingerprint, revocation);
    },
    revocations: () => [...revoked.values()],
    certificates: () => [...certs.values()],
    lookup: (fp) => certs.get(fp),
    isRevoked: (fp) => revoked.get(fp),
  };
}
