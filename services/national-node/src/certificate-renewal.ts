// A renewed certificate taken up without a restart. The operator issues the node a new certificate where the CA key
// is kept (`hub pki issue <CC>`) and puts the key and certificate in the node's $HUB_HOME/pki/nodes/<CC>/; within
// `everyMs` the node finds them, announces the certificate on hub.pki (so that the coordinator knows it; it waits for
// an unknown signer's announcement) and signs with it from then on. What was signed before stays valid: the previous
// certificate is valid until it expires.
import { X509Certificate } from 'node:crypto';
import { createSigner, type RenewableSigner, type Signer } from '@hub/envelope';
import type { Logger } from '@hub/observability';
import type { NodeIdentity, PkiStore, TrustStore } from '@hub/pki';

export interface CertificateRenewalOptions {
  pki: PkiStore;
  country: string;
  trust: TrustStore;
  signer: RenewableSigner;
  /** The certificate the node signs with; its fingerprint is updated on renewal (the expiry watch reads it). */
  own: { fingerprint: string };
  /** Publish the certificate on hub.pki, signed by its own key. */
  announce: (signer: Signer, certificatePem: string) => Promise<void>;
  batch: boolean;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** How often the node's certificate folder is looked at. */
  everyMs: number;
}

export interface CertificateRenewal {
  /** Looks once; true when a renewed certificate was taken up. */
  check(): Promise<boolean>;
  close(): Promise<void>;
}

export function watchForRenewal(options: CertificateRenewalOptions): CertificateRenewal {
  const { country, trust, own, logger } = options;
  /** A certificate refused once is not logged again at every look. */
  const refused = new Set<string>();
  let running: Promise<boolean> | undefined;

  const read = (): NodeIdentity | undefined => {
    try {
      return options.pki.identity(country);
    } catch {
      return undefined; // being written, or moved away: looked at again next time
    }
  };
  const refuse = (next: NodeIdentity, why: string) => {
    if (refused.has(next.fingerprint)) return false;
    refused.add(next.fingerprint);
    logger.error(
      { fingerprint: next.fingerprint.slice(0, 16), signingWith: own.fingerprint.slice(0, 16) },
      `the certificate found in the node's folder is not used: ${why}; still signing with the current one`,
    );
    return false;
  };

  const look = async (): Promise<boolean> => {
    const next = read();
    if (!next || next.fingerprint === own.fingerprint) return false;
    const x509 = new X509Certificate(next.certificatePem);
    // The key is written before the certificate: a look between the two finds a pair that does not match.
    if (!x509.checkPrivateKey(next.privateKey)) return false;
    const trusted = trust.add(next.certificatePem);
    if (!trusted.chainValid) return refuse(next, 'it was not issued by the hub CA');
    if (trusted.origin !== country) return refuse(next, `it names ${trusted.origin}, not ${country}`);
    if (trust.isRevoked(next.fingerprint)) return refuse(next, 'it is revoked');
    const now = Date.now();
    if (now < trusted.notBefore || now > trusted.notAfter)
      return refuse(next, `it is valid only from ${x509.validFrom} to ${x509.validTo}`);
    const signer = createSigner({
      privateKey: next.privateKey,
      certificate: next.certificatePem,
      origin: country,
      batch: options.batch,
    });
    await options.announce(signer, next.certificatePem);
    options.signer.replace(signer);
    const previous = own.fingerprint;
    own.fingerprint = next.fingerprint;
    logger.info(
      {
        previous: previous.slice(0, 16),
        fingerprint: next.fingerprint.slice(0, 16),
        notAfter: new Date(trusted.notAfter).toISOString(),
      },
      'renewed certificate taken up: announced on hub.pki, and signing with it from now on',
    );
    return true;
  };

  const check = () => {
    running ??= look()
      .catch((err: unknown) => {
        logger.warn({ err }, 'a renewed certificate could not be taken up yet; trying again');
        return false;
      })
      .finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(() => void check(), options.everyMs).unref();
  return {
    check,
    close: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
