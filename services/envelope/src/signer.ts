// Signing envelopes with a national node's (or the coordinator's) key. Keys are KeyObjects: a PEM string
// would be re-parsed on every signature.
import { X509Certificate, createHash, randomUUID, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
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
  /**
   * Signs on libuv's thread pool (node:crypto's asynchronous sign): the event loop stays free for the store's and
   * the broker's replies while a batch is signed, and the signatures of a batch run on every core. The results
   * keep the order of the requests.
   */
  signEncodedAll(requests: SignRequest[]): Promise<{ envelope: Envelope; bytes: Buffer }[]>;
  /** One request signed on libuv's thread pool, as signEncodedAll does. */
  signEncodedAsync(request: SignRequest): Promise<{ envelope: Envelope; bytes: Buffer }>;
}

export function certificateFingerprint(cert: string | X509Certificate): Buffer {
  const x = typeof cert === 'string' ? new X509Certificate(cert) : cert;
  return createHash('sha256').update(x.raw).digest();
}

/**
 * Signatures computed at once by signEncodedAll: one core fewer than the machine has, at least one, so that a
 * batch's signatures leave a core to the store and to the event loop (on 2 cores, two at once were no faster end
 * to end: the coordinator's work under its store lock slowed by as much as the signatures gained).
 */
const IN_FLIGHT = Math.max(1, availableParallelism() - 1);

export function createSigner(options: SignerOptions): Signer {
  const algorithm = options.algorithm ?? RSA_PSS_SHA256;
  const clock = options.clock ?? Date.now;
  const newId = options.idGenerator ?? randomUUID;
  const certFingerprint = certificateFingerprint(options.certificate);
  const headerOf = (request: SignRequest) => ({
    envelopeVersion: ENVELOPE_VERSION,
    messageId: request.messageId ?? newId(),
    messageType: request.messageType,
    schemaFingerprint: request.schemaFingerprint,
    origin: options.origin,
    signerCertFingerprint: certFingerprint,
    signatureAlgorithm: algorithm.name,
    signedAt: clock(),
  });
  const sign = (request: SignRequest): Envelope => {
    const header = headerOf(request);
    const signature = algorithm.sign(signingInput(header, request.payload), options.privateKey);
    return { ...header, payload: request.payload, signature };
  };
  const signAsync = async (request: SignRequest) => {
    const header = headerOf(request);
    const signature = await algorithm.signAsync(signingInput(header, request.payload), options.privateKey);
    const envelope = { ...header, payload: request.payload, signature };
    return { envelope, bytes: encodeEnvelope(envelope) };
  };
  return {
    origin: options.origin,
    certFingerprint,
    sign,
    signEncodedAsync: signAsync,
    signEncoded(request) {
      const envelope = sign(request);
      return { envelope, bytes: encodeEnvelope(envelope) };
    },
    async signEncodedAll(requests) {
      const out: { envelope: Envelope; bytes: Buffer }[] = new Array(requests.length);
      // A few signatures in flight at a time, not the whole batch: libuv's pool (4 threads by default) also serves
      // the process's file writes and DNS lookups, which would otherwise queue behind every signature of the batch.
      let next = 0;
      const lane = async () => {
        for (let i = next++; i < requests.length; i = next++)
          out[i] = await signAsync(requests[i] as SignRequest);
      };
      await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, requests.length) }, lane));
      return out;
    },
  };
}
