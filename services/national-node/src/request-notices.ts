// The coordinator's notices about information requests (RequestNotice): a request or response arrives as its
// originator's own signed envelope inside the coordinator's, so this node verifies the original too, before it
// decodes it, and keeps both signatures' evidence. A notice whose original it cannot take is kept all the same, without
// the original's content, saying why (`unread`): passed over, the request would never be listed while the hub
// escalates it as unanswered.
import {
  CARRIER_MAX_BYTES,
  decodeEnvelope,
  verifyCarried,
  type Envelope,
  type Verifier,
} from '@hub/envelope';
import { HubError } from '@hub/errors';
import { Counter, type Logger, type Registry } from '@hub/observability';
import type { SchemaRegistry } from '@hub/schemas';

export const REQUEST_NOTICE = 'RequestNotice';

/** Why a notice's original is kept without its content. */
export interface UnreadOriginal {
  /**
   * unreadable: verified, but written with a schema this node's release does not read; its signed envelope is kept,
   * and read once the node is upgraded (readAgain). refused: it did not verify here, or does not match its notice;
   * nothing of it is kept.
   */
  status: 'unreadable' | 'refused';
  /** unknown-schema; or a verifier's reason (revoked, bad-signature, ...), wrong-type, other-request, malformed-payload. */
  reason: string;
  /** What happened and what to do, for the operator. */
  message: string;
  /** When this node found it so. */
  at: number;
}

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
  /** Set when the notice carries an original that this node could not take (content is then null). */
  unread?: UnreadOriginal;
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

type Expected = { type: string; signer: 'requester' | 'addressee'; what: string };
const EXPECTED: Record<string, Expected> = {
  request: { type: 'InformationRequest', signer: 'requester', what: 'request' },
  response: { type: 'InformationResponse', signer: 'addressee', what: 'answer' },
};

const REFUSED_COUNTER = {
  name: 'hub_node_request_notices_refused_total',
  help: "Requests and answers forwarded by the coordinator whose originator's envelope this node could not trust (revoked or expired certificate, bad signature, not matching its notice), by reason: listed as refused in GET /v1/requests, their content not kept",
  labelNames: ['reason'] as const,
};

/** The registry's count of refused notices, made once. */
function refusedCounter(metrics: Registry | undefined): Counter<'reason'> | undefined {
  return (
    metrics &&
    ((metrics.getSingleMetric(REFUSED_COUNTER.name) as Counter<'reason'> | undefined) ??
      new Counter({ ...REFUSED_COUNTER, registers: [metrics] }))
  );
}

type NoticeFields = Pick<KeptRequestNotice, 'requester' | 'addressee'>;

function refusal(notice: NoticeFields, expected: Expected, reason: string, detail: string, at: number) {
  const again =
    expected.signer === 'requester'
      ? `this node cannot answer it and the hub escalates it when due: tell the hub operator, and ${notice.requester}, whose node may send it again`
      : `tell the hub operator, and ${notice.addressee}, whose node may answer again`;
  const message = `${detail}. Nothing of the ${expected.what} is shown or trusted; ${again}`;
  return { status: 'refused', reason, message, at } satisfies UnreadOriginal;
}

function unreadable(expected: Expected, fingerprint: Buffer, at: number) {
  const after =
    expected.what === 'request'
      ? 'the request stays listed and can be answered after the upgrade'
      : 'the answer is shown after the upgrade';
  const message = `the ${expected.what} was written with ${expected.type} schema fingerprint ${fingerprint.toString('hex')}, which this node's release does not read: upgrade the national node; its signed envelope is kept, and ${after}`;
  return { status: 'unreadable', reason: 'unknown-schema', message, at } satisfies UnreadOriginal;
}

/** The original's content, decoded (its writer schema known) and about the notice's request; else why not. */
function decodeOriginal(
  original: Pick<Envelope, 'schemaFingerprint' | 'payload'>,
  expected: Expected,
  requestId: unknown,
  registry: Pick<SchemaRegistry, 'decode'>,
): { content: Record<string, unknown> } | { reason: string; detail: string } {
  let content: Record<string, unknown>;
  try {
    content = registry.decode(original.schemaFingerprint, original.payload, expected.type);
  } catch (err) {
    return {
      reason: 'malformed-payload',
      detail: `the original ${expected.type} does not decode: ${(err as Error).message}`,
    };
  }
  if (content.requestId !== requestId)
    return {
      reason: 'other-request',
      detail: `the original is about request ${String(content.requestId)}, not ${String(requestId)}`,
    };
  return { content };
}

/**
 * The value to keep for an inbound message: for a RequestNotice, its original verified (signed by the requester
 * for a request, by the addressee for a response) and decoded; any other message unchanged. A notice whose original
 * this node cannot take is kept with its own fields and content null, saying why (`unread`): refused (logged, counted
 * in hub_node_request_notices_refused_total when `metrics` is given), or unreadable (a schema of a newer release:
 * logged, `onUnreadable`), its verified envelope kept to be read after an upgrade (readAgain). Throws SignerNotKnownYet
 * while the original's signer is not known yet (its certificate is still on its way on hub.pki), so that the message
 * is retried.
 */
export function inboundValue(
  messageType: string,
  value: Record<string, unknown>,
  deps: {
    verifier: Verifier;
    registry: Pick<SchemaRegistry, 'decode' | 'byFingerprint'>;
    logger: Logger;
    /**
     * When the notice came (the broker's time of the record carrying it, as of which the caller verified the
     * coordinator's countersignature). Default: the clock's now. See verifyCarried (@hub/envelope) for how the
     * original's signer certificate is judged from it.
     */
    validAt?: number;
    /** The clock, when the notice's time is not given; and the time of a refusal. Default: Date.now. */
    clock?: () => number;
    metrics?: Registry;
    onUnreadable?: () => void;
  },
): Record<string, unknown> {
  if (messageType !== REQUEST_NOTICE) return value;
  const { originalEnvelope, ...notice } = value;
  const expected = EXPECTED[String(notice.kind)];
  if (!expected || !Buffer.isBuffer(originalEnvelope)) return { ...notice, original: null, content: null };
  const fields = { requester: String(notice.requester), addressee: String(notice.addressee) };
  const now = (deps.clock ?? Date.now)();
  const ids = { noticeId: notice.noticeId, requestId: notice.requestId };
  const refuse = (reason: string, detail: string) => {
    deps.logger.warn({ ...ids, reason, detail }, 'request notice refused: listed without its content');
    refusedCounter(deps.metrics)?.inc({ reason });
    const unread = refusal(fields, expected, reason, detail, now);
    return { ...notice, original: null, content: null, unread };
  };
  const expectedCountry = fields[expected.signer];
  // Judged as the coordinator judged it (verifyCarried): a certificate expired since the original was signed does not
  // drop what the coordinator took.
  const inner = verifyCarried(deps.verifier, originalEnvelope, {
    expectedCountry,
    ...(deps.validAt !== undefined && { carriedAt: deps.validAt }),
    ...(deps.clock && { clock: deps.clock }),
  });
  if (!inner.ok) {
    if (inner.reason === 'unknown-signer') throw new SignerNotKnownYet(expectedCountry, inner.detail);
    return refuse(
      inner.reason,
      `the original ${expected.type} does not verify: ${inner.reason} (${inner.detail})`,
    );
  }
  if (inner.envelope.messageType !== expected.type)
    return refuse('wrong-type', `a ${String(notice.kind)} notice carries a ${inner.envelope.messageType}`);
  const original = {
    messageId: inner.envelope.messageId,
    messageType: inner.envelope.messageType,
    origin: inner.envelope.origin,
    signedAt: inner.envelope.signedAt,
    signerFingerprint: inner.signer.fingerprint,
    envelope: originalEnvelope.toString('base64'),
  };
  if (!deps.registry.byFingerprint(inner.envelope.schemaFingerprint)) {
    deps.onUnreadable?.();
    const unread = unreadable(expected, inner.envelope.schemaFingerprint, now);
    deps.logger.error(
      { ...ids, messageId: original.messageId, detail: unread.message },
      'request notice kept unread',
    );
    return { ...notice, original, content: null, unread };
  }
  const read = decodeOriginal(inner.envelope, expected, notice.requestId, deps.registry);
  if ('reason' in read) return refuse(read.reason, read.detail);
  return { ...notice, original, content: read.content };
}

/**
 * A notice kept unreadable (its original written with a schema of a newer release), read again from the original's
 * bytes kept (verified when it came): with its content once `registry` reads that schema (the node upgraded), refused
 * if it then does not decode or is about another request; else unchanged. Any other notice unchanged.
 */
export function readAgain(
  notice: KeptRequestNotice,
  registry: Pick<SchemaRegistry, 'decode' | 'byFingerprint'>,
  now: number,
): KeptRequestNotice {
  const expected = EXPECTED[notice.kind];
  if (notice.unread?.status !== 'unreadable' || !notice.original || !expected) return notice;
  const decoded = decodeEnvelope(Buffer.from(notice.original.envelope, 'base64'));
  if (!decoded.ok || !registry.byFingerprint(decoded.envelope.schemaFingerprint)) return notice;
  const read = decodeOriginal(decoded.envelope, expected, notice.requestId, registry);
  if ('reason' in read)
    return {
      ...notice,
      original: null,
      content: null,
      unread: refusal(notice, expected, read.reason, read.detail, now),
    };
  const { unread: _unread, ...readable } = notice;
  return { ...readable, content: read.content };
}

/**
 * The value to keep for a message the coordinator signed (verified already): decoded, and for a RequestNotice its
 * original verified too (inboundValue: one this node cannot take is kept, saying why). undefined: not readable by this
 * node (a schema of a newer release than its own, a payload that does not decode), which is said loudly and counted
 * (`onUnreadable`) but not retried for ever: the receipts and notices behind it on the partition would wait for good.
 * Throws SignerNotKnownYet, for the message to be read again once the original's certificate has arrived: passed
 * over, a request would be lost (never listed, its answer refused, and the addressee blamed when it is escalated).
 * `metrics`: where hub_node_request_notices_refused_total counts the notices refused.
 */
export function readInboundValue(
  envelope: Envelope,
  deps: {
    verifier: Verifier;
    registry: SchemaRegistry;
    logger: Logger;
    onUnreadable: () => void;
    metrics?: Registry;
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
