// TLS client certificates from the hub CA for the agencies' systems (a case-management system, a customs
// declaration system) that send to their country's national node: the node takes the certificate's common name as
// the system's name, an identity the hub CA vouches for, and signs it with what the system sends (submittedBy).
import type { X509Certificate } from 'node:crypto';
import { HubError } from '@hub/errors';
import type { CaMaterial, IssuedCertificate } from './ca';
import { issueLeaf } from './certificates';

/** The organisational unit of an agency system's certificate: a node takes no other as a client. */
export const AGENCY_SYSTEM_OU = 'agency-system';

/** A system's name: letters, digits, dot, dash and underscore, as a token file's client names. */
export const SYSTEM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ClientCertificateOptions {
  /** ISO alpha-2: the country whose node the system sends to. */
  country: string;
  /** The system's name, which its reports carry as submittedBy. */
  system: string;
  bits?: 2048 | 3072 | 4096;
  validityDays?: number;
  notBefore?: Date;
}

export function issueClientCertificate(ca: CaMaterial, options: ClientCertificateOptions): IssuedCertificate {
  if (!/^[A-Z]{2}$/.test(options.country))
    throw new HubError(
      'PKI_INVALID',
      `country must be an ISO 3166-1 alpha-2 code (like KZ), got ${JSON.stringify(options.country)}`,
    );
  if (!SYSTEM_NAME.test(options.system))
    throw new HubError(
      'PKI_INVALID',
      `a system's name is 1-64 letters, digits, '.', '-' or '_', beginning with a letter or digit; got ${JSON.stringify(options.system)}`,
    );
  return issueLeaf(ca, {
    subject: [
      { name: 'countryName', value: options.country },
      { name: 'organizationName', value: 'Seizure Exchange Hub' },
      { shortName: 'OU', value: AGENCY_SYSTEM_OU },
      { name: 'commonName', value: options.system },
    ],
    // Presented to a node as a client only: never taken as a server (or a broker) by any TLS peer.
    usage: 'client',
    bits: options.bits,
    validityDays: options.validityDays,
    notBefore: options.notBefore,
  });
}

/** Whom an agency system's certificate names; undefined when it is not one (a node's, a broker's, a stranger's). */
export function agencySystemOf(cert: X509Certificate): { country: string; system: string } | undefined {
  const subject = cert.subject.split('\n');
  const field = (name: string) => subject.find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1);
  const country = field('C');
  const system = field('CN');
  if (field('OU') !== AGENCY_SYSTEM_OU || !country || !system) return undefined;
  return { country, system };
}
