// The hub CA and the certificates it issues to national nodes and to the coordinator.
import { HubError } from '@hub/errors';
import { HUB_ORIGIN } from '@hub/envelope';
import { buildCertificate, generateRsaKeyPair, issueLeaf } from './certificates';

export interface CaMaterial {
  certPem: string;
  keyPem: string;
}

export interface IssuedCertificate {
  certificatePem: string;
  privateKeyPem: string;
  /** SHA-256 of the DER, hex. */
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
  /** Set when the CA's own end cut the validity asked for: the certificate ends with the CA. */
  cutByCa?: boolean;
}

const DAY = 86400000;

export function createCa(
  options: { commonName?: string; bits?: number; validityYears?: number; now?: Date } = {},
): CaMaterial {
  const now = options.now ?? new Date();
  const keys = generateRsaKeyPair(options.bits ?? 3072);
  const certPem = buildCertificate(
    {
      subject: [
        { name: 'commonName', value: options.commonName ?? 'Seizure Exchange Hub Root CA' },
        { name: 'organizationName', value: 'Seizure Exchange Hub' },
      ],
      publicKeyPem: keys.publicKeyPem,
      notBefore: new Date(now.getTime() - 60000),
      notAfter: new Date(now.getTime() + (options.validityYears ?? 10) * 365 * DAY),
      isCa: true,
    },
    undefined,
    keys.privateKeyPem,
  );
  return { certPem, keyPem: keys.privateKeyPem };
}

export interface NodeCertificateOptions {
  /** ISO alpha-2, or "HUB" for the coordinator. */
  country: string;
  agency: string;
  bits?: 2048 | 3072 | 4096;
  validityDays?: number;
  notBefore?: Date;
}

export function issueCertificate(ca: CaMaterial, options: NodeCertificateOptions): IssuedCertificate {
  const isHub = options.country === HUB_ORIGIN;
  if (!isHub && !/^[A-Z]{2}$/.test(options.country)) {
    throw new HubError(
      'PKI_INVALID',
      `country must be an ISO 3166-1 alpha-2 code (like KZ), got ${JSON.stringify(options.country)}`,
    );
  }
  const bits = options.bits ?? 2048;
  if (![2048, 3072, 4096].includes(bits))
    throw new HubError('PKI_INVALID', `key size must be 2048, 3072 or 4096 bits, got ${bits}`);
  const cc = options.country.toLowerCase();
  return issueLeaf(ca, {
    subject: [
      ...(isHub ? [] : [{ name: 'countryName', value: options.country }]),
      { name: 'organizationName', value: options.agency },
      { shortName: 'OU', value: isHub ? 'coordinator' : 'national-node' },
      { name: 'commonName', value: isHub ? 'coordinator.seizurehub' : `node.${cc}.seizurehub` },
    ],
    altNames: { dns: [isHub ? 'coordinator' : `node-${cc}`, 'localhost'], ip: ['127.0.0.1'] },
    bits,
    validityDays: options.validityDays,
    notBefore: options.notBefore,
  });
}
