// The coordinator's RequestNotices for the request tests: a request or an answer signed by its originator's node,
// encoded with the schemas given (a newer release's, to be read by a node one release behind), forwarded whole in a
// notice the coordinator signs; and what a node trusting some of the test PKI's certificates keeps of one.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  informationRequestFromJson,
  informationResponseFromJson,
  type InformationRequestRecord,
} from '@hub/domain';
import { createSigner, createVerifier, HUB_ORIGIN, type Envelope } from '@hub/envelope';
import type { Logger, Registry } from '@hub/observability';
import { createTrustStore } from '@hub/pki';
import { AVRO_DIR, loadSchemaRegistry, type SchemaRegistry } from '@hub/schemas';
import type { TestIdentity } from '../../pki/test/fixtures';
import { readInboundValue } from '../src/request-notices';

const regions = new Set(['central-asia']);

/** This release's schemas without `files` (InformationRequest.v2.avsc, ...): what a node one release behind reads. */
export function registryWithout(...files: string[]): SchemaRegistry {
  const dir = mkdtempSync(join(tmpdir(), 'hub-older-release-'));
  try {
    cpSync(AVRO_DIR, dir, { recursive: true });
    for (const file of files) rmSync(join(dir, file));
    return loadSchemaRegistry(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const signerOf = (id: TestIdentity, origin: string, at: number) =>
  createSigner({ privateKey: id.key, certificate: id.cert.certificatePem, origin, clock: () => at });

/** `content` of `messageType` signed by `signer` of `origin` at `at`, in a RequestNotice the coordinator (`hub`) signs. */
function forward(
  hub: TestIdentity,
  signer: TestIdentity,
  origin: string,
  at: number,
  registry: SchemaRegistry,
  messageType: 'InformationRequest' | 'InformationResponse',
  content: { requestId: string; dueAt?: number },
  notice: { requester: string; addressee: string },
): Envelope {
  const inner = registry.encode(messageType, content);
  const original = signerOf(signer, origin, at).signEncoded({
    messageType,
    schemaFingerprint: inner.fingerprint,
    payload: inner.payload,
  });
  const encoded = registry.encode('RequestNotice', {
    noticeId: original.envelope.messageId,
    kind: messageType === 'InformationRequest' ? 'request' : 'response',
    requestId: content.requestId,
    ...notice,
    dueAt: content.dueAt ?? null,
    originalEnvelope: original.bytes,
    reason: null,
    issuedAt: at,
  });
  return signerOf(hub, HUB_ORIGIN, at).sign({
    messageType: 'RequestNotice',
    schemaFingerprint: encoded.fingerprint,
    payload: encoded.payload,
  });
}

/** KZ's request to UZ (`question`), signed by `kz` at `at` with `registry`'s latest schema, as forwarded to UZ. */
export function forwardedRequest(options: {
  hub: TestIdentity;
  kz: TestIdentity;
  registry: SchemaRegistry;
  at: number;
  question: string;
}): { envelope: Envelope; requestId: string; dueAt: number } {
  const request = informationRequestFromJson(
    { to: 'UZ', purpose: 'investigation', question: options.question, handling: { tlp: 'AMBER' } },
    { nodeCountry: 'KZ', now: options.at, regions },
  ).value;
  const { hub, kz, registry, at } = options;
  const envelope = forward(hub, kz, 'KZ', at, registry, 'InformationRequest', request, {
    requester: 'KZ',
    addressee: 'UZ',
  });
  return { envelope, requestId: request.requestId, dueAt: request.dueAt };
}

/** UZ's answer (`answer`) to KZ's request `request`, signed by `uz` at `at`, as forwarded to KZ. */
export function forwardedResponse(options: {
  hub: TestIdentity;
  uz: TestIdentity;
  registry: SchemaRegistry;
  at: number;
  request: Pick<InformationRequestRecord, 'requestId' | 'from' | 'handling'>;
  answer: string;
}): Envelope {
  const response = informationResponseFromJson(
    { status: 'answered', answer: options.answer },
    options.request,
    {
      nodeCountry: 'UZ',
      now: options.at,
      regions,
    },
  ).value;
  const { hub, uz, registry, at } = options;
  return forward(hub, uz, 'UZ', at, registry, 'InformationResponse', response, {
    requester: 'KZ',
    addressee: 'UZ',
  });
}

/**
 * What a node reading with `registry` keeps of `envelope` (readInboundValue), trusting the CA `caPem` and the
 * certificates of `trusted` (`revoked`: one of them revoked, and when); and how often it found it unreadable.
 * `metrics`: where it counts the notices it refuses; `validAt`: when the original's signer is judged valid.
 */
export function readAsNode(
  envelope: Envelope,
  options: {
    caPem: string;
    trusted: TestIdentity[];
    registry: SchemaRegistry;
    logger: Logger;
    revoked?: { identity: TestIdentity; at: number };
    metrics?: Registry;
    validAt?: number;
  },
): { value: Record<string, unknown> | undefined; unreadable: number } {
  const trust = createTrustStore(options.caPem);
  for (const id of options.trusted) trust.add(id.cert.certificatePem);
  if (options.revoked)
    trust.revoke({
      fingerprint: options.revoked.identity.cert.fingerprint,
      revokedAt: options.revoked.at,
      reason: 'key compromise',
    });
  let unreadable = 0;
  const value = readInboundValue(envelope, {
    verifier: createVerifier({ trust }),
    registry: options.registry,
    logger: options.logger,
    onUnreadable: () => unreadable++,
    ...(options.metrics && { metrics: options.metrics }),
    ...(options.validAt !== undefined && { validAt: options.validAt }),
  });
  return { value, unreadable };
}
