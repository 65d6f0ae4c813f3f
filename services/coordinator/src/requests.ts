// Information requests between countries at the coordinator: what a request and its response must satisfy (a
// response only from the country asked, to a request the hub holds, once), the `requests` collection, and the
// countersigned delivery of each to the other side: the request to its addressee, the response to its requester.
import type { Signer } from '@hub/envelope';
import type { FieldError } from '@hub/errors';
import type { Admin, TopicNames } from '@hub/kafka';
import type { Region, SchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, findEach, type Store, type StoredRequest, type StoredResponse } from '@hub/store';
import { storedHandling } from './documents';
import type { Accepted, Outcome } from './outcome';
import type { Outgoing } from './outgoing';
import { derivedUuid } from './replies';

const COUNTRY = /^[A-Z]{2}$/;
const MAX_DUE_MS = 366 * 86400000;
const SKEW_MS = 5 * 60000;

/** Message types that belong to the request workflow (kept in `requests`, not as report versions). */
export function isRequestMessage(messageType: string): boolean {
  return messageType === 'InformationRequest' || messageType === 'InformationResponse';
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** Content checks of an InformationRequest that the schema cannot express. */
export function checkInformationRequest(
  value: Record<string, unknown>,
  origin: string,
  now: number,
): FieldError[] {
  const errors: FieldError[] = [];
  if (value.from !== origin)
    errors.push({
      field: 'from',
      message: `a node of ${origin} may only ask as ${origin}`,
      value: value.from,
    });
  if (typeof value.to !== 'string' || !COUNTRY.test(value.to))
    errors.push({ field: 'to', message: 'must be an ISO 3166-1 alpha-2 code', value: value.to });
  else if (value.to === value.from) errors.push({ field: 'to', message: 'a country cannot ask itself' });
  if (!text(value.purpose)) errors.push({ field: 'purpose', message: 'is required' });
  if (!text(value.question)) errors.push({ field: 'question', message: 'is required' });
  if (value.subjectKind !== 'other' && !text(value.subjectRef))
    errors.push({ field: 'subjectRef', message: `is required for a request about a ${value.subjectKind}` });
  const sentAt = value.sentAt as number;
  const dueAt = value.dueAt as number;
  if (sentAt > now + SKEW_MS) errors.push({ field: 'sentAt', message: 'is in the future' });
  if (!(dueAt > sentAt)) errors.push({ field: 'dueAt', message: 'must be after sentAt' });
  else if (dueAt - sentAt > MAX_DUE_MS)
    errors.push({ field: 'dueAt', message: 'must be within a year of sentAt' });
  return errors;
}

/** Content checks of an InformationResponse on its own; whether it answers a request is `checkRequestMessages`. */
export function checkInformationResponse(
  value: Record<string, unknown>,
  origin: string,
  now: number,
): FieldError[] {
  const errors: FieldError[] = [];
  if (value.from !== origin)
    errors.push({
      field: 'from',
      message: `a node of ${origin} may only answer as ${origin}`,
      value: value.from,
    });
  if (!text(value.answer) && value.status !== 'declined')
    errors.push({ field: 'answer', message: 'is required unless the request is declined' });
  if ((value.respondedAt as number) > now + SKEW_MS)
    errors.push({ field: 'respondedAt', message: 'is in the future' });
  return errors;
}

/**
 * Whether `cc` has a national node to deliver to (its inbound topic exists). Known topics are cached; an unknown
 * country triggers a fresh listing at most every `minRefreshMs`.
 */
export function nodeDirectory(
  admin: Pick<Admin, 'listTopics'>,
  names: TopicNames,
  minRefreshMs = 2000,
): (cc: string) => Promise<boolean> {
  let topics = new Set<string>();
  let listedAt = 0;
  return async (cc) => {
    if (!COUNTRY.test(cc)) return false;
    const topic = names.nodeIn(cc);
    if (!topics.has(topic) && Date.now() - listedAt >= minRefreshMs) {
      topics = new Set(await admin.listTopics());
      listedAt = Date.now();
    }
    return topics.has(topic);
  };
}

type Known = Pick<StoredRequest, 'requester' | 'addressee' | 'messageId'> & { responseId: string | null };

/**
 * The checks that need the store: a request id is used once, a request goes to a country with a node, and a
 * response comes only from the addressee of a request the hub holds, to its requester, once. What fails becomes a
 * rejected outcome (`invalid-content`, with the field and the reason in the receipt).
 */
export async function checkRequestMessages(
  store: Store,
  outcomes: Outcome[],
  hasNode: (cc: string) => Promise<boolean>,
): Promise<Outcome[]> {
  const mine = outcomes.filter(
    (o): o is Accepted => o.kind === 'accepted' && isRequestMessage(o.envelope.messageType),
  );
  if (mine.length === 0) return outcomes;
  const stored = await findEach(
    store.collection<StoredRequest>(COLLECTIONS.requests),
    '_id',
    mine.map((a) => String(a.value.requestId)),
    { requester: 1, addressee: 1, messageId: 1, 'response.responseId': 1 },
  );
  const known = new Map<string, Known>(
    stored.map((d) => [
      d._id,
      {
        requester: d.requester,
        addressee: d.addressee,
        messageId: d.messageId,
        responseId: d.response?.responseId ?? null,
      },
    ]),
  );
  const reachable = new Map<string, boolean>();
  for (const a of mine)
    if (a.envelope.messageType === 'InformationRequest') {
      const to = String(a.value.to);
      if (!reachable.has(to)) reachable.set(to, await hasNode(to));
    }

  return outcomes.map((o): Outcome => {
    if (o.kind !== 'accepted' || !isRequestMessage(o.envelope.messageType)) return o;
    const v = o.value;
    const requestId = String(v.requestId);
    const request = known.get(requestId);
    const problems: FieldError[] = [];
    if (o.envelope.messageType === 'InformationRequest') {
      if (request && request.messageId !== o.envelope.messageId)
        problems.push({
          field: 'requestId',
          message: `is already used by another request (message ${request.messageId})`,
        });
      else if (!reachable.get(String(v.to)))
        problems.push({ field: 'to', message: `${String(v.to)} has no national node on the hub to answer` });
      else if (!request)
        known.set(requestId, {
          requester: String(v.from),
          addressee: String(v.to),
          messageId: o.envelope.messageId,
          responseId: null,
        });
    } else if (!request) {
      problems.push({ field: 'requestId', message: `no request ${requestId} is known to the hub` });
    } else if (request.addressee !== o.envelope.origin) {
      problems.push({
        field: 'from',
        message: `${o.envelope.origin} was not asked: request ${requestId} is addressed to ${request.addressee}`,
        value: o.envelope.origin,
      });
    } else if (v.to !== request.requester) {
      problems.push({ field: 'to', message: `must be ${request.requester}, who asked`, value: v.to });
    } else if (request.responseId && request.responseId !== v.responseId) {
      problems.push({
        field: 'requestId',
        message: `request ${requestId} was already answered (response ${request.responseId})`,
      });
    } else {
      request.responseId = String(v.responseId);
    }
    if (problems.length === 0) return o;
    return {
      kind: 'rejected',
      record: o.record,
      envelope: o.envelope,
      reason: 'invalid-content',
      detail: problems.map((p) => `${p.field}: ${p.message}`).join('; '),
      fields: problems,
    };
  });
}

function requestDocument(a: Accepted, regions: Region[], now: Date): StoredRequest {
  const v = a.value;
  return {
    _id: a.subjectId,
    requestId: a.subjectId,
    requester: String(v.from),
    addressee: String(v.to),
    subjectKind: String(v.subjectKind),
    subjectRef: (v.subjectRef as string | null) ?? null,
    purpose: String(v.purpose),
    question: String(v.question),
    urgency: v.urgency as StoredRequest['urgency'],
    dueAt: new Date(v.dueAt as number),
    sentAt: new Date(v.sentAt as number),
    receivedAt: now,
    handling: storedHandling(v.handling as Record<string, unknown>, regions),
    messageId: a.envelope.messageId,
    status: 'open',
    escalatedAt: null,
    response: null,
  };
}

function responseDocument(a: Accepted, regions: Region[], now: Date): StoredResponse {
  const v = a.value;
  return {
    responseId: String(v.responseId),
    from: String(v.from),
    to: String(v.to),
    status: String(v.status),
    answer: String(v.answer),
    relatedReports: (v.relatedReports as string[]) ?? [],
    respondedAt: new Date(v.respondedAt as number),
    handling: storedHandling(v.handling as Record<string, unknown>, regions),
    messageId: a.envelope.messageId,
    receivedAt: now,
  };
}

/**
 * Store the accepted requests (once) and attach each accepted response to its request. Idempotent: a redelivered
 * request is known already, and a response is attached only where none is.
 */
export async function persistRequests(
  store: Store,
  outcomes: Outcome[],
  regions: Region[],
  now: Date,
): Promise<void> {
  const accepted = outcomes.filter((o): o is Accepted => o.kind === 'accepted');
  const requests = accepted.filter((a) => a.envelope.messageType === 'InformationRequest');
  const responses = accepted.filter((a) => a.envelope.messageType === 'InformationResponse');
  const coll = store.collection<StoredRequest>(COLLECTIONS.requests);
  if (requests.length) {
    const present = new Set(
      (
        await findEach(
          coll,
          '_id',
          requests.map((a) => a.subjectId),
          { _id: 1 },
        )
      ).map((d) => d._id),
    );
    const fresh = new Map(
      requests
        .filter((a) => !present.has(a.subjectId))
        .map((a) => [a.subjectId, requestDocument(a, regions, now)]),
    );
    if (fresh.size) await coll.insertMany([...fresh.values()], { ordered: false });
  }
  for (const a of responses)
    await coll.updateOne(
      { _id: String(a.value.requestId), response: null },
      { $set: { response: responseDocument(a, regions, now), status: 'answered' } },
    );
}

/** A notice to a node, signed by the coordinator with a message id derived from `seed`. */
export function signedNotice(
  notice: Record<string, unknown>,
  deps: { signer: Signer; registry: SchemaRegistry },
): Buffer {
  const { payload, fingerprint } = deps.registry.encode('RequestNotice', notice);
  return deps.signer.signEncoded({
    messageType: 'RequestNotice',
    schemaFingerprint: fingerprint,
    payload,
    messageId: String(notice.noticeId),
  }).bytes;
}

/**
 * The countersigned deliveries of this batch's accepted requests and responses: the originator's envelope bytes
 * unchanged inside the coordinator's RequestNotice, to the addressee's (request) or the requester's (response)
 * inbound topic. Added to `out`, which is signed and sent with the receipts.
 */
export function addRequestDeliveries(
  out: Outgoing,
  outcomes: Outcome[],
  deps: { names: TopicNames; now: number },
): void {
  for (const o of outcomes) {
    if (o.kind !== 'accepted' || !isRequestMessage(o.envelope.messageType)) continue;
    const isRequest = o.envelope.messageType === 'InformationRequest';
    const v = o.value;
    // A request goes to its addressee, a response to its requester: `to` either way.
    const to = String(v.to);
    if (!COUNTRY.test(to)) continue; // a response to the coordinator's own request stays in the store
    const notice = {
      noticeId: derivedUuid(`request-notice:${o.envelope.messageId}`),
      kind: isRequest ? 'request' : 'response',
      requestId: String(v.requestId),
      requester: String(isRequest ? v.from : v.to),
      addressee: String(isRequest ? v.to : v.from),
      dueAt: isRequest ? (v.dueAt as number) : null,
      originalEnvelope: o.record.bytes,
      reason: null,
      issuedAt: deps.now,
    };
    out.sign(deps.names.nodeIn(to), String(v.requestId), 'RequestNotice', notice, notice.noticeId);
  }
}
