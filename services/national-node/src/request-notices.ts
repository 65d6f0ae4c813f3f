// The coordinator's notices about information requests (RequestNotice): a request or response arrives as its
// originator's own signed envelope inside the coordinator's, so this node verifies the original too, before it
// decodes it, and keeps both signatures' evidence.
import { CARRIER_MAX_BYTES, verifyCarried, type Envelope, type Verifier } from '@hub/envelope';
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
     * coordinator's countersignature). Default: the clock's now. See verifyCarried (@hub/envelope) for how the
     * original's signer certificate is judged from it.
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
  // Judged as the coordinator judged it (verifyCarried): a certificate expired since the original was signed does not
  // drop what the coordinator took.
  const inner = verifyCarried(deps.verifier, originalEnvelope, {
    expectedCountry,
    ...(deps.validAt !== undefined && { carriedAt: deps.validAt }),
    ...(deps.clock && { clock: deps.clock }),
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
