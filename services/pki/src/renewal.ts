// A renewed certificate taken up without a restart, by a national node or the coordinator. The operator issues a new
// certificate where the CA key is kept (`hub pki issue <CC>`, or `HUB`) and puts the key and certificate in the
// service's $HUB_HOME/pki/nodes/<CC>/; within `everyMs` the service finds them, announces the certificate on hub.pki
// and signs with it from then on. Its verifiers wait for an unknown signer's announcement: the coordinator for a
// node's, for 15 s; the nodes and the query API's feed streams for the coordinator's. What was signed before stays
// valid: the previous certificate is valid until it expires.
import { X509Certificate } from 'node:crypto';
import { createSigner, type RenewableSigner } from '@hub/envelope';
import type { Producer } from '@hub/kafka';
import type { Logger } from '@hub/observability';
import type { SchemaRegistry } from '@hub/schemas';
import type { NodeIdentity, PkiStore } from './files';
import { announceCertificate } from './sync';
import type { TrustStore } from './trust-store';

export interface CertificateRenewalOptions {
  pki: PkiStore;
  trust: TrustStore;
  signer: RenewableSigner;
  /**
   * The certificate the service signs with, and whose it is (a country, or HUB for the coordinator); its fingerprint
   * is updated on renewal (the expiry watch reads it).
   */
  own: { fingerprint: string; origin: string };
  /** Where the certificate is announced, signed by its own key. */
  hubPki: { producer: Producer; topic: string; registry: SchemaRegistry };
  batch: boolean;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** How often the service's certificate folder is looked at (default 60 s). */
  everyMs?: number;
}

export interface CertificateRenewal {
  /** Looks once; true when a renewed certificate was taken up. */
  check(): Promise<boolean>;
  close(): Promise<void>;
}

export function watchForRenewal(options: CertificateRenewalOptions): CertificateRenewal {
  const { trust, own, logger } = options;
  const { origin } = own;
  /** A certificate refused once is not logged again at every look. */
  const refused = new Set<string>();
  let running: Promise<boolean> | undefined;

  const read = (): NodeIdentity | undefined => {
    try {
      return options.pki.identity(origin);
    } catch {
      return undefined; // being written, or moved away: looked at again next time
    }
  };
  const refuse = (next: NodeIdentity, why: string) => {
    if (refused.has(next.fingerprint)) return false;
    refused.add(next.fingerprint);
    logger.error(
      { fingerprint: next.fingerprint.slice(0, 16), signingWith: own.fingerprint.slice(0, 16) },
      `the certificate found in the service's folder is not used: ${why}; still signing with the current one`,
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
    if (trusted.origin !== origin) return refuse(next, `it names ${trusted.origin}, not ${origin}`);
    if (trust.isRevoked(next.fingerprint)) return refuse(next, 'it is revoked');
    const now = Date.now();
    if (now < trusted.notBefore || now > trusted.notAfter)
      return refuse(next, `it is valid only from ${x509.validFrom} to ${x509.validTo}`);
    const signer = createSigner({
      privateKey: next.privateKey,
      certificate: next.certificatePem,
      origin,
      batch: options.batch,
    });
    await announceCertificate({ ...options.hubPki, signer, certificatePem: next.certificatePem });
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
  const timer = setInterval(() => void check(), options.everyMs ?? 60_000).unref();
  return {
    check,
    close: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
