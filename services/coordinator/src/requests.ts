// Information requests between countries at the coordinator: what a request and its response must satisfy (a
// response only from the country asked, to a request the hub holds, once), the `requests` collection, and the
// countersigned delivery of each to the other side: the request to its addressee, the response to its requester.
import type { Signer } from '@hub/envelope';
import type { FieldError } from '@hub/errors';
import type { Admin, TopicNames } from '@hub/kafka';
import type { Region, SchemaRegistry } from '@hub/schemas';
import type { Collection } from 'mongodb';
import { COLLECTIONS, findEach, type Store, type StoredRequest, type StoredResponse } from '@hub/store';
import { storedHandling } from './documents';
import type { Accepted, Outcome } from './outcome';
import type { Outgoing } from './outgoing';
import { derivedUuid } from './replies';

const COUNTRY = /^[A-Z]{2}$/;
const MAX_DUE_MS = 366 * 86400000;
const SKEW_MS = 5 * 60000;

/**
 * Message types that belong to the request workflow (kept in `requests`, not as report versions): requests and
 * responses from the countries (and the coordination node's own requests), and the coordination node's records of
 * escalations (RequestNotice on its own topic).
 */
export function isRequestMessage(messageType: string): boolean {
  return (
    messageType === 'InformationRequest' ||
    messageType === 'InformationResponse' ||
    messageType === 'RequestNotice'
  );
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

/**
 * A request whose due time had passed when the hub received it (an immediate request held for hours in its node's
 * outbox while the brokers were away): refused, or it would be stored open and escalated within the minute, blaming
 * the addressee for the delay. `receivedAt` is when the brokers appended the record (IntakeRecord.appendedAt), not
 * the coordinator's clock: a replay (hub replay reads every topic again, days later) or a redelivery must decide as
 * the first reading did.
 */
export function checkDueOnArrival(value: Record<string, unknown>, receivedAt: number): FieldError[] {
  const dueAt = value.dueAt as number;
  if (!(dueAt <= receivedAt)) return [];
  const iso = (ms: number) =>
    Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : String(ms);
  return [
    {
      field: 'dueAt',
      message: `${iso(dueAt)} was already past when the hub received the request (${iso(receivedAt)}); send it again with a later due time`,
      value: dueAt,
    },
  ];
}

/** The coordination node's record of an escalation: only escalations are recorded on its topic. */
export function checkEscalationRecord(value: Record<string, unknown>): FieldError[] {
  return value.kind === 'escalation'
    ? []
    : [
        {
          field: 'kind',
          message: "only escalations are recorded on the coordination node's topic",
          value: value.kind,
        },
      ];
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

type Known = Pick<StoredRequest, 'requester' | 'addressee' | 'messageId'> & {
  /** The response taken, and its envelope's message id (a redelivery of that message is taken again). */
  response: { responseId: string; messageId: string } | null;
};

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
    { requester: 1, addressee: 1, messageId: 1, 'response.responseId': 1, 'response.messageId': 1 },
  );
  const known = new Map<string, Known>(
    stored.map((d) => [
      d._id,
      {
        requester: d.requester,
        addressee: d.addressee,
        messageId: d.messageId,
        response: d.response ? { responseId: d.response.responseId, messageId: d.response.messageId } : null,
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
      else if (!request) {
        // A redelivery of a request stored already is taken again, whenever it is read. A record of a topic that
        // carries its producer's time, not the brokers' (made before 2026-12-07), is not checked: a sender may choose
        // that time, and the clock would judge it again differently in a replay.
        const receivedAt = o.record.appendedAt;
        if (receivedAt !== undefined) problems.push(...checkDueOnArrival(v, receivedAt));
        if (problems.length === 0)
          known.set(requestId, {
            requester: String(v.from),
            addressee: String(v.to),
            messageId: o.envelope.messageId,
            response: null,
          });
      }
    } else if (!request) {
      problems.push({ field: 'requestId', message: `no request ${requestId} is known to the hub` });
    } else if (o.envelope.messageType === 'RequestNotice') {
      // An escalation of a request the hub holds: nothing more to check.
    } else if (request.addressee !== o.envelope.origin) {
      problems.push({
        field: 'from',
        message: `${o.envelope.origin} was not asked: request ${requestId} is addressed to ${request.addressee}`,
        value: o.envelope.origin,
      });
    } else if (v.to !== request.requester) {
      problems.push({ field: 'to', message: `must be ${request.requester}, who asked`, value: v.to });
    } else if (
      request.response &&
      (request.response.responseId !== v.responseId || request.response.messageId !== o.envelope.messageId)
    ) {
      // Answered once: only a redelivery of that very message is taken again. Another message, even one that reuses
      // the response's id, would reach the requester and never be stored.
      problems.push({
        field: 'requestId',
        message: `request ${requestId} was already answered (response ${request.response.responseId}, message ${request.response.messageId})`,
      });
    } else {
      request.response = { responseId: String(v.responseId), messageId: o.envelope.messageId };
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
    submittedBy: (v.submittedBy as string | null | undefined) ?? null,
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
    submittedBy: (v.submittedBy as string | null | undefined) ?? null,
  };
}

/**
 * Store the accepted requests (once), attach each accepted response to its request, and apply the coordination
 * node's escalation records. Idempotent: a redelivered request is known already, a response is attached only where
 * none is, and only the first escalation of a request counts. Resolves to the requests whose escalation this batch
 * applied (a record repeated, or applied again on redelivery, is not among them), for the coordinator to count.
 */
export async function persistRequests(
  store: Store,
  outcomes: Outcome[],
  regions: Region[],
  now: Date,
): Promise<Pick<StoredRequest, '_id' | 'urgency'>[]> {
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
  // Escalations apply in any order with the answers (see applyEscalation), dated when the coordinator made them.
  const escalated: string[] = [];
  for (const a of accepted)
    if (
      a.envelope.messageType === 'RequestNotice' &&
      (await applyEscalation(coll, String(a.value.requestId), new Date(a.value.issuedAt as number)))
    )
      escalated.push(String(a.value.requestId));
  // Their urgency, for the metric's label (the record does not carry it); rare: a batch with escalations.
  return escalated.length ? findEach(coll, '_id', escalated, { urgency: 1 }) : [];
}

/** A notice signed by the coordinator, with the notice's id as message id unless `messageId` is given. */
export function signedNotice(
  notice: Record<string, unknown>,
  deps: { signer: Signer; registry: SchemaRegistry },
  messageId = String(notice.noticeId),
): Buffer {
  const { payload, fingerprint } = deps.registry.encode('RequestNotice', notice);
  return deps.signer.signEncoded({
    messageType: 'RequestNotice',
    schemaFingerprint: fingerprint,
    payload,
    messageId,
  }).bytes;
}

/**
 * Mark a request escalated at `at`, once: the first escalation applied counts. A request answered already keeps its
 * status (a late answer wins) and records when it was escalated, so that the result does not depend on whether the
 * answer or the escalation is applied first (a replay reads their topics side by side).
 */
export async function applyEscalation(
  requests: Collection<StoredRequest>,
  requestId: string,
  at: Date,
): Promise<number> {
  const open = await requests.updateOne(
    { _id: requestId, escalatedAt: null, status: 'open' },
    { $set: { status: 'escalated', escalatedAt: at } },
  );
  if (open.modifiedCount) return open.modifiedCount;
  const answered = await requests.updateOne(
    { _id: requestId, escalatedAt: null },
    { $set: { escalatedAt: at } },
  );
  return answered.modifiedCount;
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
    if (o.envelope.messageType === 'RequestNotice') continue; // an escalation's record: its notice is sent already
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
