// TLS server certificates from the hub CA: for the Kafka brokers of the broker security profile, and for national
// nodes' APIs.
import { isIP } from 'node:net';
import { HubError } from '@hub/errors';
import type { CaMaterial, IssuedCertificate } from './ca';
import { issueLeaf } from './certificates';

/**
 * The organisational unit of broker certificates; the brokers map it to their own principal, a super user. Until
 * 2026-12-07 it was `kafka-broker`, which every server certificate got, a national node's API's included: the brokers
 * no longer take that one (docs/adr/004-broker-security-profile.md).
 */
export const BROKER_OU = 'hub-kafka-broker';
/** The organisational unit of a national node's API certificate: a server only, never a client of the brokers. */
export const NODE_API_OU = 'node-api';

export interface ServerCertificateOptions {
  /** DNS names the server is reached by; `localhost` is always added. The first one is the common name. */
  hostnames?: string[];
  /** IP addresses the server is reached by; 127.0.0.1 is always added. */
  ips?: string[];
  /**
   * `broker`: OU=BROKER_OU, for servers and clients (brokers connect to each other), which the brokers take as their
   * super user; `node-api`: OU=NODE_API_OU, for servers only.
   */
  role: 'broker' | 'node-api';
  bits?: 2048 | 3072 | 4096;
  validityDays?: number;
  notBefore?: Date;
}

const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/**
 * Issue a server certificate for `options.role` naming the given hostnames and addresses, always including localhost
 * and 127.0.0.1 for loopback clients.
 */
export function issueServerCertificate(ca: CaMaterial, options: ServerCertificateOptions): IssuedCertificate {
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
  const broker = options.role === 'broker';
  return issueLeaf(ca, {
    subject: [
      { name: 'organizationName', value: 'Seizure Exchange Hub' },
      { shortName: 'OU', value: broker ? BROKER_OU : NODE_API_OU },
      { name: 'commonName', value: dns[0] as string },
    ],
    altNames: { dns, ip: ips },
    usage: broker ? 'both' : 'server',
    bits: options.bits,
    validityDays: options.validityDays,
    notBefore: options.notBefore,
  });
}
