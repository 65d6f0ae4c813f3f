// TLS server certificates from the hub CA, for the Kafka brokers of the broker security profile.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { HubError } from '@hub/errors';
import { certificateFingerprint } from '@hub/envelope';
import type { CaMaterial, IssuedCertificate } from './ca';
import { buildCertificate, generateRsaKeyPair } from './certificates';

/** The organisational unit of broker certificates; the brokers map it to their own principal. */
export const BROKER_OU = 'kafka-broker';

export interface ServerCertificateOptions {
  /** DNS names the server is reached by; `localhost` is always added. The first one is the common name. */
  hostnames?: string[];
  /** IP addresses the server is reached by; 127.0.0.1 is always added. */
  ips?: string[];
  /** Subject OU; brokers use BROKER_OU. */
  unit?: string;
  bits?: 2048 | 3072 | 4096;
  validityDays?: number;
  notBefore?: Date;
}

const DAY = 86400000;
const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * Issue a server certificate (serverAuth and clientAuth, since brokers also connect to each other) naming the
 * given hostnames and addresses, always including localhost and 127.0.0.1 for loopback clients.
 */
export function issueServerCertificate(
  ca: CaMaterial,
  options: ServerCertificateOptions = {},
): IssuedCertificate {
  const dns = [...new Set([...(options.hostnames ?? []), 'localhost'])];
  const ips = [...new Set([...(options.ips ?? []), '127.0.0.1'])];
  for (const name of dns)
    if (!HOSTNAME.test(name))
      throw new HubError(
        'PKI_INVALID',
        `not a DNS hostname for a server certificate: ${JSON.stringify(name)}`,
      );
  for (const ip of ips)
    if (isIP(ip) === 0)
      throw new HubError('PKI_INVALID', `not an IP address for a server certificate: ${JSON.stringify(ip)}`);
  const bits = options.bits ?? 2048;
  const keys = generateRsaKeyPair(bits);
  const notBefore = options.notBefore ?? new Date(Date.now() - 60000);
  const notAfter = new Date(notBefore.getTime() + (options.validityDays ?? 397) * DAY);
  const certificatePem = buildCertificate(
    {
      subject: [
        { name: 'organizationName', value: 'Seizure Exchange Hub' },
        { shortName: 'OU', value: options.unit ?? BROKER_OU },
        { name: 'commonName', value: dns[0] as string },
      ],
      publicKeyPem: keys.publicKeyPem,
      notBefore,
      notAfter,
      isCa: false,
      altNames: { dns, ip: ips },
    },
    ca,
  );
  return {
    certificatePem,
    privateKeyPem: keys.privateKeyPem,
    fingerprint: certificateFingerprint(new X509Certificate(certificatePem)).toString('hex'),
    notBefore,
    notAfter,
  };
}
