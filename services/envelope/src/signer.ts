// Signing envelopes with a national node's (or the coordinator's) key. Keys are KeyObjects: a PEM string
// would be re-parsed on every signature.
import { X509Certificate, createHash, randomUUID, type KeyObject } from 'node:crypto';
import { RSA_PSS_SHA256, type SignatureAlgorithm } from './algorithms';
import { encodeEnvelope } from './codec';
import { signingInput } from './signing-input';
import { ENVELOPE_VERSION, type Envelope } from './types';

export interface SignerOptions {
  privateKey: KeyObject;
  certificate: string | X509Certificate;
  origin: string;
  algorithm?: SignatureAlgorithm;
  clock?: () => number;
  idGenerator?: () => string;
}

export interface SignRequest {
  messageType: string;
  schemaFingerprint: Buffer;
  payload: Buffer;
  messageId?: string;
}

export interface Signer {
  origin: string;
  certFingerprint: Buffer;
  sign(request: SignRequest): Envelope;
  signEncoded(request: SignRequest): { envelope: Envelope; bytes: Buffer };
}

export function certificateFingerprint(cert: string | X509Certificate): Buffer {
  const x = typeof cert === 'string' ? new X509Certificate(cert) : cert;
  return createHash('sha256').update(x.raw).digest();
}

export function createSigner(options: SignerOptions): Signer {
  const algorithm = options.algorithm ?? RSA_PSS_SHA256;
  const clock = options.clock ?? Date.now;
  const newId = options.idGenerator ?? randomUUID;
  const certFingerprint = certificateFingerprint(options.certificate);
  const sign = (request: SignRequest): Envelope => {
    const header = {
      envelopeVersion: ENVELOPE_VERSION,
      messageId: request.messageId ?? newId(),
      messageType: request.messageType,
      schemaFingerprint: request.schemaFingerprint,
      origin: options.origin,
      signerCertFingerprint: certFingerprint,
      signatureAlgorithm: algorithm.name,
      signedAt: clock(),
    };
    const signature = algorithm.sign(signingInput(header, request.payload), options.privateKey);
    return { ...header, payload: request.payload, signature };
  };
  return {
    origin: options.origin,
    certFingerprint,
    sign,
    signEncoded(request) {
      const envelope = sign(request);
      return { envelope, bytes: encodeEnvelope(envelope) };
    },
  };
}
