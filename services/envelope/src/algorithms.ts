// RSA-PSS with SHA-256, the signature of one envelope (batch.ts signs many with one of these).
import { constants, sign, verify, type KeyObject } from 'node:crypto';

export interface SignatureAlgorithm {
  name: string;
  sign(input: Buffer, key: KeyObject): Buffer;
  /** The same signature computed on libuv's thread pool: the event loop stays free, and signatures run in parallel. */
  signAsync(input: Buffer, key: KeyObject): Promise<Buffer>;
  verify(input: Buffer, key: KeyObject, signature: Buffer): boolean;
}

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };

export const RSA_PSS_SHA256: SignatureAlgorithm = {
  name: 'RSA-PSS-SHA256',
  sign: (input, key) => sign('sha256', input, { key, ...PSS }),
  signAsync: (input, key) =>
    new Promise((resolve, reject) =>
      sign('sha256', input, { key, ...PSS }, (err, signature) => (err ? reject(err) : resolve(signature))),
    ),
  verify: (input, key, signature) => {
    try {
      return verify('sha256', input, { key, ...PSS }, signature);
    } catch {
      return false;
    }
  },
};
