// Verifying an envelope: decode → algorithm → signer known → chain → validity → revocation → country → signature.
// Nobody decodes a payload before this says ok.
import type { KeyObject } from 'node:crypto';
import { RSA_PSS_SHA256, type SignatureAlgorithm } from './algorithms';
import { RSA_PSS_SHA256_BATCH } from './batch';
import { decodeEnvelope, MAX_DATE_MS } from './codec';
import { signingInput } from './signing-input';
import type { Envelope, SignerInfo, VerifyReason, VerifyResult } from './types';

/** What the verifier needs to know about a certificate; @hub/pki's TrustStore provides it. */
export interface TrustedCertificate {
  fingerprint: string;
  pem: string;
  publicKey: KeyObject;
  /** ISO alpha-2 from the subject's C, or "HUB" for the coordinator's certificate. */
  origin: string;
  agency: string;
  notBefore: number;
  notAfter: number;
  /** Issued by the hub CA and its signature checks. */
  chainValid: boolean;
}

export interface TrustLookup {
  lookup(fingerprintHex: string): TrustedCertificate | undefined;
  isRevoked(fingerprintHex: string): { revokedAt: number; reason: string } | undefined;
}

export interface VerifierOptions {
  trust: TrustLookup;
  clock?: () => number;
  /** How far in the future signedAt may be (clock skew between nodes). */
  maxClockSkewMs?: number;
}

export interface VerifyOptions {
  /** The country of the topic the envelope was read from: the origin must match it. */
  expectedCountry?: string;
  /** Bytes given: the most they may be (MAX_ENVELOPE_BYTES unless given; more for one that carries another whole). */
  maxBytes?: number;
  /**
   * Judge the envelope as it stood at this time (ms), not now: `hub replay` gives the time the brokers appended the
   * record, so that it decides as the live coordinator did when the record came. A certificate that has expired
   * since, or been revoked since (a revocation dated after this time), does not undo it. Default: the clock's now.
   */
  at?: number;
  /**
   * Judge the certificate's expiry alone as of this time (ms), everything else as of now: the live coordinator gives
   * the time the brokers appended the record, so that what a node delivered while its certificate was valid is not
   * refused for the time it waited in the topic (a coordinator down or behind across the expiry), as `hub replay`,
   * judging at that time too, takes it. Revocations count now. Ignored when `at` is given.
   */
  validAt?: number;
}

export interface Verifier {
  verify(input: Buffer | Envelope, options?: VerifyOptions): VerifyResult;
}

/** The signature algorithms a verifier knows, by the name the envelope carries. */
export const ALGORITHMS: ReadonlyMap<string, SignatureAlgorithm> = new Map(
  [RSA_PSS_SHA256, RSA_PSS_SHA256_BATCH].map((a) => [a.name, a]),
);

export function createVerifier(options: VerifierOptions): Verifier {
  const clock = options.clock ?? Date.now;
  const skew = options.maxClockSkewMs ?? 5 * 60 * 1000;
  const verify = (input: Buffer | Envelope, verifyOptions: VerifyOptions = {}): VerifyResult => {
    let envelope: Envelope;
    if (Buffer.isBuffer(input)) {
      const decoded = decodeEnvelope(input, verifyOptions.maxBytes);
      if (!decoded.ok) return decoded;
      envelope = decoded.envelope;
    } else {
      envelope = input;
    }
    const fail = (reason: VerifyReason, detail: string): VerifyResult => ({
      ok: false,
      reason,
      detail,
      envelope,
    });
    const algorithm = ALGORITHMS.get(envelope.signatureAlgorithm);
    if (!algorithm)
      return fail(
        'unsupported-algorithm',
        `signature algorithm ${envelope.signatureAlgorithm} is not supported`,
      );
    const fp = envelope.signerCertFingerprint.toString('hex');
    const cert = options.trust.lookup(fp);
    if (!cert) return fail('unknown-signer', `no certificate with fingerprint ${fp} is known`);
    if (!cert.chainValid) return fail('chain-invalid', `certificate ${fp} was not issued by the hub CA`);
    const now = verifyOptions.at ?? clock();
    if (envelope.signedAt > now + skew)
      return fail(
        'not-yet-valid',
        `signedAt ${envelope.signedAt <= MAX_DATE_MS ? new Date(envelope.signedAt).toISOString() : envelope.signedAt} is in the future`,
      );
    if (envelope.signedAt < cert.notBefore)
      return fail('not-yet-valid', `certificate ${fp} was not yet valid when the envelope was signed`);
    if (
      envelope.signedAt > cert.notAfter ||
      (verifyOptions.at ?? verifyOptions.validAt ?? now) > cert.notAfter
    )
      return fail('expired', `certificate ${fp} expired on ${new Date(cert.notAfter).toISOString()}`);
    const revoked = options.trust.isRevoked(fp);
    // Now, any revocation counts (a key revoked as compromised may have signed with any signedAt); at a past time,
    // only one dated by then.
    if (revoked && (verifyOptions.at === undefined || revoked.revokedAt <= verifyOptions.at))
      return fail(
        'revoked',
        `certificate ${fp} was revoked on ${new Date(revoked.revokedAt).toISOString()}: ${revoked.reason}`,
      );
    if (cert.origin !== envelope.origin)
      return fail(
        'country-mismatch',
        `envelope origin ${envelope.origin} but the certificate names ${cert.origin}`,
      );
    if (verifyOptions.expectedCountry && verifyOptions.expectedCountry !== envelope.origin) {
      return fail(
        'country-mismatch',
        `envelope from ${envelope.origin} read from the topic of ${verifyOptions.expectedCountry}`,
      );
    }
    if (!algorithm.verify(signingInput(envelope, envelope.payload), cert.publicKey, envelope.signature)) {
      return fail('bad-signature', 'the signature does not match the header and payload');
    }
    const signer: SignerInfo = {
      fingerprint: fp,
      country: cert.origin,
      agency: cert.agency,
      certificatePem: cert.pem,
    };
    return { ok: true, envelope, signer };
  };
  return {
    // Never throws: whatever a crafted envelope makes fail on the way is a refusal of it, not a stalled reader.
    verify(input, verifyOptions = {}) {
      try {
        return verify(input, verifyOptions);
      } catch (err) {
        return {
          ok: false,
          reason: 'malformed',
          detail: `the envelope could not be verified: ${(err as Error).message}`,
          ...(!Buffer.isBuffer(input) && { envelope: input }),
        };
      }
    },
  };
}

/**
 * An envelope carried whole inside another one that its countersigner vouches for (a RequestNotice's original, a
 * FeedRecord's), verified with its signer certificate judged valid as of when the carrier came (`carriedAt`: the time
 * the brokers appended the carrying record; else the clock's now), or as of when the original was signed if that was
 * earlier. The coordinator judged the original as of when it came to it, which may be long before it wrote the
 * carrier (a coordinator down or behind), and its countersignature says it took it then: judged as of the carrier's
 * time alone, an original signed shortly before its certificate expired would be refused although the coordinator
 * took it. One signed after its certificate expired is still refused (signedAt is checked against the validity period
 * whatever the time given), and every revocation known counts (VerifyOptions.validAt).
 */
export function verifyCarried(
  verifier: Verifier,
  bytes: Buffer,
  options: { carriedAt?: number; expectedCountry?: string; clock?: () => number } = {},
): VerifyResult {
  // Its header first, for when it was signed: nothing of its payload is read before the signature checks.
  const decoded = decodeEnvelope(bytes);
  if (!decoded.ok) return decoded;
  return verifier.verify(decoded.envelope, {
    ...(options.expectedCountry !== undefined && { expectedCountry: options.expectedCountry }),
    validAt: Math.min(options.carriedAt ?? (options.clock ?? Date.now)(), decoded.envelope.signedAt),
  });
}
