// Signing envelopes with a national node's (or the coordinator's) key. Keys are KeyObjects: a PEM string
// would be re-parsed on every signature.
import { X509Certificate, createHash, randomUUID, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { RSA_PSS_SHA256, type SignatureAlgorithm } from './algorithms';
import { RSA_PSS_SHA256_BATCH } from './batch';
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
  /**
   * Sign many envelopes with one RSA-PSS signature (RSA-PSS-SHA256-BATCH, ADR 006): signEncodedAll signs its
   * requests as one batch, and signEncodedAsync gathers the requests that arrive while a signature is being computed
   * into the next one. A lone request is signed with the plain algorithm. Off: one signature per envelope.
   */
  batch?: boolean;
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
   * the broker's replies while a batch is signed. With `batch`, the requests share one RSA-PSS signature; without,
   * each has its own, on every core but one. The results keep the order of the requests.
   */
  signEncodedAll(requests: SignRequest[]): Promise<{ envelope: Envelope; bytes: Buffer }[]>;
  /**
   * One request signed on libuv's thread pool. With `batch`, the requests made in the same turn of the event loop,
   * or while a signature is being computed, are signed together.
   */
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
/** Leaves per batch tree: proofs of 12 hashes at most, and a bounded wait for the requests gathered behind them. */
const BATCH_LEAVES = 4096;

type Signed = { envelope: Envelope; bytes: Buffer };

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
  const signAsync = async (request: SignRequest): Promise<Signed> => {
    const header = headerOf(request);
    const signature = await algorithm.signAsync(signingInput(header, request.payload), options.privateKey);
    const envelope = { ...header, payload: request.payload, signature };
    return { envelope, bytes: encodeEnvelope(envelope) };
  };
  /** One tree (of at most BATCH_LEAVES requests), one RSA-PSS signature on libuv's thread pool. */
  const signBatch = async (requests: SignRequest[]): Promise<Signed[]> => {
    if (requests.length === 1) return [await signAsync(requests[0] as SignRequest)];
    const headers = requests.map((r) => ({ ...headerOf(r), signatureAlgorithm: RSA_PSS_SHA256_BATCH.name }));
    const signatures = await RSA_PSS_SHA256_BATCH.signBatch(
      headers.map((h, i) => signingInput(h, (requests[i] as SignRequest).payload)),
      options.privateKey,
    );
    return headers.map((header, i) => {
      const envelope = {
        ...header,
        payload: (requests[i] as SignRequest).payload,
        signature: signatures[i] as Buffer,
      };
      return { envelope, bytes: encodeEnvelope(envelope) };
    });
  };
  const signAll = async (requests: SignRequest[]): Promise<Signed[]> => {
    const out: Signed[] = [];
    if (options.batch) {
      for (let i = 0; i < requests.length; i += BATCH_LEAVES)
        out.push(...(await signBatch(requests.slice(i, i + BATCH_LEAVES))));
      return out;
    }
    // A few signatures in flight at a time, not the whole batch: libuv's pool (4 threads by default) also serves
    // the process's file writes and DNS lookups, which would otherwise queue behind every signature of the batch.
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < requests.length; i = next++)
        out[i] = await signAsync(requests[i] as SignRequest);
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, requests.length) }, lane));
    return out;
  };
  // Requests of signEncodedAsync waiting for the signature in progress; they are signed together after it.
  const waiting: { request: SignRequest; resolve: (s: Signed) => void; reject: (e: unknown) => void }[] = [];
  let draining = false;
  const drain = async () => {
    while (waiting.length > 0) {
      const taken = waiting.splice(0, BATCH_LEAVES);
      try {
        const signed = await signBatch(taken.map((t) => t.request));
        taken.forEach((t, i) => t.resolve(signed[i] as Signed));
      } catch (err) {
        for (const t of taken) t.reject(err);
      }
    }
    draining = false;
  };
  return {
    origin: options.origin,
    certFingerprint,
    sign,
    signEncodedAsync(request) {
      if (!options.batch) return signAsync(request);
      return new Promise((resolve, reject) => {
        waiting.push({ request, resolve, reject });
        // On the next turn of the event loop: the requests made in this one (a batch's reports) sign together.
        if (!draining) {
          draining = true;
          setImmediate(() => void drain());
        }
      });
    },
    signEncoded(request) {
      const envelope = sign(request);
      return { envelope, bytes: encodeEnvelope(envelope) };
    },
    signEncodedAll: signAll,
  };
}

export interface RenewableSigner extends Signer {
  /** Sign with `next` from now on (a renewed certificate of the same origin); requests under way finish as begun. */
  replace(next: Signer): void;
}

/**
 * A signer whose key and certificate can be replaced while it runs: a national node that finds a renewed certificate
 * on disk goes on without a restart. Each request is signed by the signer current when it was made.
 */
export function renewableSigner(initial: Signer): RenewableSigner {
  let current = initial;
  return {
    get origin() {
      return current.origin;
    },
    get certFingerprint() {
      return current.certFingerprint;
    },
    sign: (request) => current.sign(request),
    signEncoded: (request) => current.signEncoded(request),
    signEncodedAll: (requests) => current.signEncodedAll(requests),
    signEncodedAsync: (request) => current.signEncodedAsync(request),
    replace(next) {
      if (next.origin !== current.origin)
        throw new Error(`a signer of ${current.origin} cannot be replaced by one of ${next.origin}`);
      current = next;
    },
  };
}
