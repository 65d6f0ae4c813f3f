// The coordinator's notices about information requests (RequestNotice): a request or response arrives as its
// originator's own signed envelope inside the coordinator's, so this node verifies the original too, before it
// decodes it, and keeps both signatures' evidence.
import { CARRIER_MAX_BYTES, decodeEnvelope, type Envelope, type Verifier } from '@hub/envelope';
import { HubError } from '@hub/errors';
import type { Logger } from '@hub/observability';
import type { SchemaRegistry } from '@hub/schemas';

export const REQUEST_NOTICE = 'RequestNotice';

/** A RequestNotice as kept in the inbound store. */
export interface KeptRequestNotice {
  noticeId: string;
  kind: 'request' | 'response' | 'escalation' | 'unknown';
  requestId: string;
  requester: string;
  addressee: string;
  dueAt: number | null;
  reason: string | null;
  issuedAt: number;
  /** The originator's envelope, verified here: who signed it, when, and its bytes (base64) as evidence. */
  original: {
    messageId: string;
    messageType: string;
    origin: string;
    signedAt: number;
    signerFingerprint: string;
    envelope: string;
  } | null;
  /** The decoded InformationRequest or InformationResponse. */
  content: Record<string, unknown> | null;
}

/**
 * The original's signer is not known to this node yet: its certificate is still on its way on hub.pki (the
 * coordinator, which verified the original, knew it). Retriable: the message is read again, never passed over.
 */
export class SignerNotKnownYet extends HubError {
  constructor(country: string, detail: string) {
    super('SIGNER_NOT_KNOWN_YET', `the certificate of ${country}'s node is not known yet (${detail})`, {
      retriable: true,
      details: { country },
    });
    this.name = 'SignerNotKnownYet';
  }
}

/**
 * The time as of which the original's signer certificate is judged valid (its validity period): the notice's time,
 * or when the original was signed if that was earlier. The coordinator judged the original's expiry as of when the
 * original came to it, which may be long before it wrote the notice (a coordinator down or behind), and its
 * countersignature, verified as of the notice's time, vouches that it accepted it then. This node cannot know when the
 * original came, only that it was not signed after its certificate expired (the verifier checks signedAt against the
 * validity period whatever the time given), as the coordinator checked too. Judged as of the notice's time, a request
 * or answer the coordinator accepted would be refused here for good; judged as of signedAt plus the clock skew, so
 * would one signed in the last minutes of its certificate. Revocations are not judged as of this time: every one this
 * node knows counts, as for the live coordinator (VerifyOptions.validAt), so a certificate revoked before the notice
 * (or since) is refused, whenever the original was signed.
 */
export function originalValidAt(signedAt: number, deps: { validAt?: number; clock?: () => number }): number {
  return Math.min(deps.validAt ?? (deps.clock ?? Date.now)(), signedAt);
}

const EXPECTED: Record<string, { type: string; signer: 'requester' | 'addressee' }> = {
  request: { type: 'InformationRequest', signer: 'requester' },
  response: { type: 'InformationResponse', signer: 'addressee' },
};

/**
 * The value to keep for an inbound message: for a RequestNotice, its original verified (signed by the requester
 * for a request, by the addressee for a response) and decoded; any other message unchanged. undefined: refused
 * (logged). Throws SignerNotKnownYet while the original's signer is not known yet (its certificate is still on its
 * way on hub.pki), so that the message is retried.
 */
export function inboundValue(
  messageType: string,
  value: Record<string, unknown>,
  deps: {
    verifier: Verifier;
    registry: SchemaRegistry;
    logger: Logger;
    /**
     * When the notice came (the broker's time of the record carrying it, as of which the caller verified the
     * coordinator's countersignature). Default: the clock's now. See originalValidAt for how the original's signer
     * certificate is judged from it.
     */
    validAt?: number;
    /** The clock, when the notice's time is not given. Default: Date.now. */
    clock?: () => number;
  },
): Record<string, unknown> | undefined {
  if (messageType !== REQUEST_NOTICE) return value;
  const { originalEnvelope, ...notice } = value;
  const expected = EXPECTED[String(notice.kind)];
  if (!expected || !Buffer.isBuffer(originalEnvelope)) return { ...notice, original: null, content: null };
  const refuse = (detail: string) => {
    deps.logger.warn(
      { noticeId: notice.noticeId, requestId: notice.requestId, detail },
      'request notice refused',
    );
    return undefined;
  };
  const expectedCountry = String(notice[expected.signer]);
  // Its header first, for when it was signed: nothing of its payload is read before the signature checks.
  const decoded = decodeEnvelope(originalEnvelope);
  if (!decoded.ok)
    return refuse(`the original ${expected.type} does not verify: ${decoded.reason} (${decoded.detail})`);
  const inner = deps.verifier.verify(decoded.envelope, {
    expectedCountry,
    validAt: originalValidAt(decoded.envelope.signedAt, deps),
  });
  if (!inner.ok) {
    if (inner.reason === 'unknown-signer') throw new SignerNotKnownYet(expectedCountry, inner.detail);
    return refuse(`the original ${expected.type} does not verify: ${inner.reason} (${inner.detail})`);
  }
  if (inner.envelope.messageType !== expected.type)
    return refuse(`a ${String(notice.kind)} notice carries a ${inner.envelope.messageType}`);
  const content = deps.registry.decode(inner.envelope.schemaFingerprint, inner.envelope.payload);
  if (content.requestId !== notice.requestId)
    return refuse(
      `the original is about request ${String(content.requestId)}, not ${String(notice.requestId)}`,
    );
  return {
    ...notice,
    original: {
      messageId: inner.envelope.messageId,
      messageType: inner.envelope.messageType,
      origin: inner.envelope.origin,
      signedAt: inner.envelope.signedAt,
      signerFingerprint: inner.signer.fingerprint,
      envelope: originalEnvelope.toString('base64'),
    },
    content,
  };
}

/**
 * The value to keep for a message the coordinator signed (verified already): decoded, and for a RequestNotice its
 * original verified too (inboundValue). undefined: refused, or not readable by this node (a schema of a newer
 * release than its own, a payload that does not decode), which is said loudly and counted (`onUnreadable`) but not
 * retried for ever: the receipts and notices behind it on the partition would wait for good. Throws
 * SignerNotKnownYet, for the message to be read again once the original's certificate has arrived: passed over, a
 * request would be lost (never listed, its answer refused, and the addressee blamed when it is escalated).
 */
export function readInboundValue(
  envelope: Envelope,
  deps: {
    verifier: Verifier;
    registry: SchemaRegistry;
    logger: Logger;
    onUnreadable: () => void;
    validAt?: number;
    clock?: () => number;
  },
): Record<string, unknown> | undefined {
  try {
    // The coordinator's notices carry an envelope whole, which may be as large as any: they may be larger.
    const decoded = deps.registry.decode(
      envelope.schemaFingerprint,
      envelope.payload,
      undefined,
      CARRIER_MAX_BYTES,
    );
    return inboundValue(envelope.messageType, decoded, deps);
  } catch (err) {
    if (err instanceof SignerNotKnownYet) throw err;
    deps.onUnreadable();
    deps.logger.error(
      { messageId: envelope.messageId, messageType: envelope.messageType, err: (err as Error).message },
      'a message from the coordinator that this node cannot read was passed over (a newer schema? upgrade the node)',
    );
    return undefined;
  }
}
