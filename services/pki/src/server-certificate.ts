// TLS server certificates from the hub CA, for the Kafka brokers of the broker security profile.
import { isIP } from 'node:net';
import { HubError } from '@hub/errors';
import type { CaMaterial, IssuedCertificate } from './ca';
import { issueLeaf } from './certificates';

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
  return issueLeaf(ca, {
    subject: [
      { name: 'organizationName', value: 'Seizure Exchange Hub' },
      { shortName: 'OU', value: options.unit ?? BROKER_OU },
      { name: 'commonName', value: dns[0] as string },
    ],
    altNames: { dns, ip: ips },
    bits: options.bits,
    validityDays: options.validityDays,
    notBefore: options.notBefore,
  });
}
