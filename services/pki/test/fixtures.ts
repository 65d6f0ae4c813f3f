// Test PKI made once per process: a CA, node certificates and a second, foreign CA. Keys are generated here.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { createSigner, type Signer } from '@hub/envelope';
import { createCa, issueCertificate, type CaMaterial, type IssuedCertificate } from '../src/ca';

export interface TestIdentity {
  cert: IssuedCertificate;
  key: KeyObject;
}

let cached:
  | {
      ca: CaMaterial;
      foreignCa: CaMaterial;
      kz: TestIdentity;
      uz: TestIdentity;
      hub: TestIdentity;
      foreignKz: TestIdentity;
    }
  | undefined;

function identity(
  ca: CaMaterial,
  country: string,
  options: { validityDays?: number; notBefore?: Date } = {},
): TestIdentity {
  const cert = issueCertificate(ca, { country, agency: `${country} customs`, ...options });
  return { cert, key: createPrivateKey(cert.privateKeyPem) };
}

export function testPki() {
  if (!cached) {
    const ca = createCa({ bits: 2048 });
    const foreignCa = createCa({ bits: 2048, commonName: 'Somebody else' });
    cached = {
      ca,
      foreignCa,
      kz: identity(ca, 'KZ'),
      uz: identity(ca, 'UZ'),
      hub: identity(ca, 'HUB'),
      foreignKz: identity(foreignCa, 'KZ'),
    };
  }
  return cached;
}

/** A signer with `id`'s key and certificate, for `origin` (a country, or HUB). */
export function signerOf(id: TestIdentity, origin: string): Signer {
  return createSigner({ privateKey: id.key, certificate: id.cert.certificatePem, origin });
}

export { identity };
