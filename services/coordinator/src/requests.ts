// Information requests between countries at the coordinator: what a request and its responses must satisfy (a
// response only from the country asked, to a request the hub holds, given after the request was sent; after a partial
// answer, more answers, each its own response, until one that is not partial), the `requests` collection, and the
// countersigned delivery of each to the other side: the request to its addressee, each response to its requester.
import type { Signer } from '@hub/envelope';
import type { FieldError } from '@hub/errors';
import type { Admin, TopicNames } from '@hub/kafka';
import { Counter, type Logger, type Registry } from '@hub/observability';
import type { Region, SchemaRegistry } from '@hub/schemas';
import type { Collection } from 'mongodb';
import {
  answersOf,
  COLLECTIONS,
  findEach,
  type Store,
  type StoredRequest,
  type StoredResponse,
} from '@hub/store';
import { CLOCK_SKEW_MS, notAhead, shownTime } from './content-checks';
import { storedHandling } from './documents';
import type { Accepted, Outcome } from './outcome';
import type { Outgoing } from './outgoing';
import { derivedUuid } from './replies';

const COUNTRY = /^[A-Z]{2}$/;
const MAX_DUE_MS = 366 * 86400000;
/**
 * How far before its request's sentAt an answer's respondedAt may be: the two come from two nodes' clocks, the
 * requester's and the addressee's, each of which may run CLOCK_SKEW_MS off, one ahead and the other behind.
 */
const ANSWER_SKEW_MS = 2 * CLOCK_SKEW_MS;

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
  else if (value.to === value.from)
    errors.push({
      field: 'to',
      message: `${value.to} is the asking country (from): a country cannot ask itself`,
      value: value.to,
    });
  if (!text(value.purpose)) errors.push({ field: 'purpose', message: 'is required' });
  if (!text(value.question)) errors.push({ field: 'question', message: 'is required' });
  if (value.subjectKind !== 'other' && !text(value.subjectRef))
    errors.push({ field: 'subjectRef', message: `is required for a request about a ${value.subjectKind}` });
  const sentAt = value.sentAt as number;
  const dueAt = value.dueAt as number;
  errors.push(...notAhead('sentAt', sentAt, now));
  if (!(dueAt > sentAt))
    errors.push({
      field: 'dueAt',
      message: `${shownTime(dueAt)} must be after sentAt (${shownTime(sentAt)})`,
      value: dueAt,
    });
  else if (dueAt - sentAt > MAX_DUE_MS)
    errors.push({
      field: 'dueAt',
      message: `${shownTime(dueAt)} is more than ${MAX_DUE_MS / 86400000} days after sentAt (${shownTime(sentAt)}): a request is due within a year of being sent`,
      value: dueAt,
    });
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
  return [
    {
      field: 'dueAt',
      message: `${shownTime(dueAt)} was already past when the hub received the request (${shownTime(receivedAt)}); send it again with a later due time`,
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
  errors.push(...notAhead('respondedAt', value.respondedAt as number, now));
  return errors;
}

/**
 * An answer's respondedAt no earlier than its request's sentAt (but for the two nodes' clock skew, ANSWER_SKEW_MS): no
 * answer is given before the question was sent. Without this bound a node could date an answer as far back as it liked
 * and so place it before the answers it gave (answerOrder). `sentAt` unknown (a request as some checks read it): none.
 */
export function checkRespondedAfterSent(
  respondedAt: number,
  sentAt: number | undefined,
  requestId: string,
): FieldError[] {
  if (sentAt === undefined || !(respondedAt < sentAt - ANSWER_SKEW_MS)) return [];
  return [
    {
      field: 'respondedAt',
      message: `${shownTime(respondedAt)} is before request ${requestId} was sent (sentAt ${shownTime(sentAt)}), by more than the ${ANSWER_SKEW_MS / 60000} minutes allowed for clock skew (the requester's and the addressee's clocks, each up to ${CLOCK_SKEW_MS / 60000} minutes off): an answer is given after its request`,
      value: respondedAt,
    },
  ];
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

/** Whether the brokers appended `answer` by the request's due time: then nothing blames the addressee for lateness. */
export function answeredInTime(dueAt: Date, answer: Pick<StoredResponse, 'appendedAt'>): boolean {
  return (
    answer.appendedAt !== undefined && new Date(answer.appendedAt).getTime() <= new Date(dueAt).getTime()
  );
}

/**
 * An answer as far as the order of a request's answers goes: its ids and status, when its node says it gave it, and
 * when the brokers appended it.
 */
interface Placed {
  responseId: string;
  messageId: string;
  status: string;
  respondedAt: number | Date;
  appendedAt?: number | Date;
}

/** A time in ms, undefined where unknown (no append time on a topic made before 2026-12-07). */
const msOf = (t: number | Date | undefined) => {
  const ms = t === undefined ? NaN : new Date(t).getTime();
  return Number.isFinite(ms) ? ms : undefined;
};
const earlier = (x: number | undefined, y: number | undefined) =>
  x === undefined || y === undefined ? 0 : x - y;
/** Whether an answer closes its request: any but a partial one (after which more may follow). */
const closes = (a: Placed) => a.status !== 'partial';
const byText = (p: string, q: string) => (p < q ? -1 : p > q ? 1 : 0);

/**
 * The order of a request's answers, the same however they are read: as the addressee's node gave them (respondedAt,
 * signed, from the one node's clock), a partial one before one that is not given in the same millisecond (the node
 * takes no answer after one that is not partial: it signed the partial one first), then as the brokers appended them,
 * by response id and by message id. Not by append time first: the node sends each partition's records side by side
 * and a whole batch again after a failure, so a partial answer given before the full one may be appended after it,
 * and would be refused, or dropped once taken. A request's answers travel under keys of their own (their response
 * ids), in different partitions, so the intake (a replay above all) may read them in any order. It places the
 * answers, and says which partial ones come before the closing one; which answer closes the request is closingOrder's.
 */
function answerOrder(a: Placed, b: Placed): number {
  return (
    earlier(msOf(a.respondedAt), msOf(b.respondedAt)) ||
    Number(closes(a)) - Number(closes(b)) ||
    earlier(msOf(a.appendedAt), msOf(b.appendedAt)) ||
    byText(a.responseId, b.responseId) ||
    byText(a.messageId, b.messageId)
  );
}

/**
 * The order of the answers that close a request (not partial), of which the first closes it: as the brokers appended
 * them, a time its sender does not choose and a replay reads again unchanged; then (on a topic without append times)
 * as their node gave them, by response id and by message id. Not by respondedAt first: a node could then send a
 * second closing answer after the first, dated before it, and have it replace the answer the requester was given.
 */
function closingOrder(a: Placed, b: Placed): number {
  return (
    earlier(msOf(a.appendedAt), msOf(b.appendedAt)) ||
    earlier(msOf(a.respondedAt), msOf(b.respondedAt)) ||
    byText(a.responseId, b.responseId) ||
    byText(a.messageId, b.messageId)
  );
}

/**
 * Whether `x` keeps `y` from its request: `x` closes it and comes first, of two closing answers by closingOrder (the
 * one appended first), a partial one by answerOrder (`y` given after it).
 */
const shuts = (x: Placed, y: Placed) => closes(x) && (closes(y) ? closingOrder(x, y) : answerOrder(x, y)) < 0;

/** What becomes of an answer among those its request has taken (judgeAnswer). */
export type AnswerVerdict<T> =
  /** A redelivery of an answer taken: taken again, stored once. */
  | { kind: 'again' }
  /** Refused: an answer before it (`by`) closed the request. */
  | { kind: 'closed'; by: T }
  /** Refused: an answer before it (`by`) has its response id, or another response its message id. */
  | { kind: 'reused'; by: T }
  /** Taken; the answers taken before that come after it and may no longer stand (`dropped`). */
  | { kind: 'taken'; dropped: T[] };

/**
 * What becomes of `answer` among the answers its request has taken so far (`answers`), decided by their order, never
 * by the order they are read in: the closing answer is the first appended of those not partial (closingOrder), a
 * partial answer comes before it when given before it (answerOrder), and of the answers under one response id the
 * first given is the one. So a closing answer appended after the one that closed the request (however early it says
 * it was given), a partial answer given after it, and an answer after one with its response id are refused; and an
 * answer before such answers taken already is taken, and those it precedes are dropped (when it closes the request,
 * the closing answer appended after it and the partial ones given after it; else the one with its response id),
 * leaving what reading them in order would have left. A partial answer given before the full one is therefore never
 * dropped by it, whatever the order it is appended or read in: it is kept among the request's earlier answers. Only
 * an answer its node gave after its own closing answer (which a node's API refuses to give: a node writing to its
 * topic on its own, a clock set back) may be taken, read first, and dropped later (see DroppedAnswer).
 *
 * Of a node that sends two closing answers (its API gives one: a node writing to its topic on its own, or restored
 * from a backup), the one appended first closes the request in every order of reading. A partial answer that node
 * dated after the other one (appended later, dated earlier) and before the one that closes the request depends on the
 * order: it is lost (refused, or taken and dropped) when it (its last copy) and that other closing answer are both
 * read before the one that closes the request, and kept in every other order. No rule does better without keeping
 * something of an answer refused: read after the closing answer, the other one is refused and nothing of it stored,
 * so a partial answer read later is judged by the closing answer alone; read before it, the other one closes the
 * request until then, and the partial answer, refused or dropped, is not stored either. (Keeping the earliest
 * respondedAt of every closing answer, refused ones too, and dropping the partial answers after it would make the
 * request independent of the order, a refused answer then changing what is stored.) Which answer closes the request,
 * and every answer of a node that sent one closing answer, never depend on the order.
 */
export function judgeAnswer<T extends Placed>(answers: readonly T[], answer: Placed): AnswerVerdict<T> {
  const same = answers.find((a) => a.messageId === answer.messageId);
  if (same && same.responseId === answer.responseId) return { kind: 'again' };
  const closing = answers.find((a) => shuts(a, answer));
  if (closing) return { kind: 'closed', by: closing };
  // A message id taken by another response is refused whatever their order: the archive keeps one envelope of each.
  const reused =
    same ?? answers.find((a) => a.responseId === answer.responseId && answerOrder(a, answer) < 0);
  if (reused) return { kind: 'reused', by: reused };
  return {
    kind: 'taken',
    dropped: answers.filter(
      (a) => shuts(answer, a) || (a.responseId === answer.responseId && answerOrder(answer, a) < 0),
    ),
  };
}

/**
 * A request as stored, with the answers accepted and then dropped from it (DroppedAnswer), each by its response and
 * message ids, in the order they were dropped: a copy of one of them (its node resending it, a redelivery) gets the
 * verdict of the first copy, accepted, and changes nothing. Absent while none has been, as in every request stored
 * before the coordinator recorded them (a copy of an answer dropped before then is refused, as any answer after the
 * closing one is).
 * It records what the intake answered, not what the messages say: read in order, such an answer is refused, never
 * dropped, so a replay makes no such entry (the digest of the store is to leave it out, as it does receipts).
 */
export type RequestWithDrops = StoredRequest & {
  droppedAnswers?: Pick<StoredResponse, 'responseId' | 'messageId'>[];
};

type Known = Pick<StoredRequest, 'requester' | 'addressee' | 'messageId'> & {
  /** When the request was sent (ms), where known: no answer is dated before it (checkRespondedAfterSent). */
  sentAt: number | undefined;
  /** The responses taken (a redelivery of one of them is taken again), and where each stands in their order. */
  answers: Placed[];
  /**
   * The responses taken and then dropped (answerKey), before this batch (the request's droppedAnswers) or in it: a
   * copy of one is taken again.
   */
  dropped: Set<string>;
};

/** An answer's message and response ids: one message, the same whatever copy of it is read. */
const answerKey = (a: Pick<Placed, 'messageId' | 'responseId'>) => `${a.messageId} ${a.responseId}`;

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
    store.collection<RequestWithDrops>(COLLECTIONS.requests),
    '_id',
    mine.map((a) => String(a.value.requestId)),
    {
      requester: 1,
      addressee: 1,
      messageId: 1,
      sentAt: 1,
      'response.responseId': 1,
      'response.messageId': 1,
      'response.status': 1,
      'response.respondedAt': 1,
      'response.appendedAt': 1,
      // Whole: rare, a few small documents (a projection into an array's documents is not one every store reads).
      earlierResponses: 1,
      droppedAnswers: 1,
    },
  );
  const known = new Map<string, Known>(
    stored.map((d) => [
      d._id,
      {
        requester: d.requester,
        addressee: d.addressee,
        messageId: d.messageId,
        sentAt: msOf(d.sentAt),
        answers: answersOf(d).map((r) => ({
          responseId: r.responseId,
          messageId: r.messageId,
          status: r.status,
          respondedAt: r.respondedAt,
          ...(r.appendedAt !== undefined && { appendedAt: r.appendedAt }),
        })),
        dropped: new Set((d.droppedAnswers ?? []).map(answerKey)),
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
          message: `${requestId} is already used by another request (message ${request.messageId}): leave requestId out for a new request`,
          value: requestId,
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
            sentAt: msOf(v.sentAt as number),
            answers: [],
            dropped: new Set<string>(),
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
    } else {
      const answer = {
        responseId: String(v.responseId),
        messageId: o.envelope.messageId,
        status: String(v.status),
        respondedAt: v.respondedAt as number,
        ...(o.record.appendedAt !== undefined && { appendedAt: o.record.appendedAt }),
      };
      problems.push(...checkAnswer(request, requestId, answer));
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

/**
 * Whether a response may be taken for `request` (as known so far, this batch's answers included; taken: added to it,
 * and those it drops left out), judgeAnswer: a redelivery of a response taken is taken again; one dated before the
 * request was sent is not (checkRespondedAfterSent); after a partial answer another may follow, with a response id
 * of its own; after one that is not partial, none: another message, even one reusing a response's id, would reach
 * the requester and never be stored.
 */
function checkAnswer(request: Known, requestId: string, answer: Placed): FieldError[] {
  const verdict = judgeAnswer(request.answers, answer);
  // A copy of an answer taken, then dropped (before this batch or in it): taken again, as the first copy was. Decided
  // from the request, not by looking for the copy in the envelope archive, the largest collection (on FerretDB each
  // look-up decodes all of it, under the intake's lock).
  if (verdict.kind === 'again' || (verdict.kind !== 'taken' && request.dropped.has(answerKey(answer))))
    return [];
  // Not taken when dated before its request was sent: it could place itself before any answer given. (A copy of an
  // answer taken is taken again, above, as the first copy was.)
  const undated = checkRespondedAfterSent(msOf(answer.respondedAt) ?? NaN, request.sentAt, requestId);
  if (undated.length) return undated;
  switch (verdict.kind) {
    case 'closed':
      return [
        {
          field: 'requestId',
          message: `request ${requestId} was already answered (response ${verdict.by.responseId}, message ${verdict.by.messageId}): only a partial answer may be followed by another`,
        },
      ];
    case 'reused':
      return [
        {
          field: 'responseId',
          message: `is already the id of an answer to request ${requestId} (response ${verdict.by.responseId}, message ${verdict.by.messageId}): each answer has its own`,
          value: answer.responseId,
        },
      ];
    case 'taken':
      for (const a of verdict.dropped) request.dropped.add(answerKey(a));
      request.answers = [...request.answers.filter((a) => !verdict.dropped.includes(a)), answer];
      return [];
  }
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
  const appendedAt = a.record.appendedAt;
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
    ...(appendedAt !== undefined && { appendedAt: new Date(appendedAt) }),
  };
}

/** The update of a request that storing an answer makes (answerChange). */
export interface AnswerUpdate {
  $set: Partial<RequestWithDrops>;
  /** When the answer taken drops every answer stored before it: a request with one answer has no earlierResponses. */
  $unset?: { earlierResponses: '' };
}

/**
 * What storing `answer` changes in its request as stored (`doc`), or null when nothing: a redelivery, or an answer
 * judgeAnswer refuses (after one that closed the request, or reusing an id). The request's answers stay in their
 * order (answerOrder), whatever the order they are read in (a replay's too): the latest is its `response`, those
 * before it `earlierResponses`; and the request is answered (a late answer wins over an escalation). An answer the
 * brokers appended by the due time withdraws an escalation applied before it (see applyEscalation): the request is
 * shown as answered in time, not escalated.
 *
 * An answer stored already that comes after this one (judgeAnswer's `dropped`: read first, given after the answer
 * that closed the request) is dropped from the request, so that the request is the same as when they are read in
 * order, where it is refused: a replay, and the digest that compares it with the live store, must find the same
 * request. It is not kept as "received after the request closed": read in order it would not be there, and the
 * request would again depend on the order. What cannot be undone stays: its receipt said accepted, its countersigned
 * copy went to the requester, and its envelope is kept in the archive (`envelopes`). Its ids are added to the
 * request's droppedAnswers (a copy of it is taken again: checkRequestMessages). Returned as `dropped`, for the intake
 * to log and count (DroppedAnswer).
 */
export function answerChange(
  doc: Pick<
    RequestWithDrops,
    'dueAt' | 'escalatedAt' | 'response' | 'earlierResponses' | 'droppedAnswers'
  > | null,
  answer: StoredResponse,
): { update: AnswerUpdate; dropped: StoredResponse[] } | null {
  if (!doc) return null;
  const given = answersOf(doc);
  const verdict = judgeAnswer(given, answer);
  if (verdict.kind !== 'taken') return null;
  const kept = given.filter((r) => !verdict.dropped.includes(r));
  // Before the first answer that follows it (answerOrder).
  const next = kept.findIndex((r) => answerOrder(r, answer) > 0);
  const all = next < 0 ? [...kept, answer] : [...kept.slice(0, next), answer, ...kept.slice(next)];
  const update: AnswerUpdate = { $set: { response: all.at(-1) as StoredResponse, status: 'answered' } };
  if (all.length > 1) update.$set.earlierResponses = all.slice(0, -1);
  else if (doc.earlierResponses) update.$unset = { earlierResponses: '' };
  if (verdict.dropped.length)
    update.$set.droppedAnswers = [
      ...(doc.droppedAnswers ?? []),
      ...verdict.dropped.map((r) => ({ responseId: r.responseId, messageId: r.messageId })),
    ];
  // The escalation, when the intake applied its record before this answer (a backlog, a replay reading the topics
  // side by side), was counted already in hub_coordinator_requests_escalated_total, which cannot go down; the log of
  // the escalation and the notice sent to the requester stay too. The request no longer says it. (An answer dropped
  // may have been the only one in time, its node having given the closing one before it but sent it later: the
  // escalation it withdrew, or kept from being applied, is not brought back. Its drop is logged.)
  if (doc.escalatedAt && answeredInTime(doc.dueAt, answer)) update.$set.escalatedAt = null;
  return { update, dropped: verdict.dropped };
}

/** An update of a request, then `next`, as one update: what making the two in turn leaves. */
function andThen(update: AnswerUpdate, next: AnswerUpdate): AnswerUpdate {
  const $set = { ...update.$set, ...next.$set };
  if (next.$unset) {
    delete $set.earlierResponses;
    return { $set, $unset: next.$unset };
  }
  return update.$unset && !next.$set.earlierResponses ? { $set, $unset: update.$unset } : { $set };
}

/** A request as storing a batch reads it, and changes it, answer after answer, before writing it once. */
type Held = Pick<
  RequestWithDrops,
  '_id' | 'urgency' | 'status' | 'dueAt' | 'escalatedAt' | 'response' | 'earlierResponses' | 'droppedAnswers'
>;
const HELD = {
  urgency: 1,
  status: 1,
  dueAt: 1,
  escalatedAt: 1,
  response: 1,
  earlierResponses: 1,
  droppedAnswers: 1,
};

/** The request `requestId` as stored now (a write of the batch found it changed), held from now on. */
async function readAgain(
  requests: Collection<RequestWithDrops>,
  held: Map<string, Held>,
  requestId: string,
): Promise<Held | null> {
  const doc = await requests.findOne({ _id: requestId }, { projection: HELD });
  if (doc) held.set(requestId, doc);
  else held.delete(requestId);
  return doc;
}

/**
 * Attach each of `answers` to its request (answerChange), one after another in the order they came, so that a second
 * answer of the batch finds the first: in `held`, the batch's requests as read, changed as each answer changes them;
 * then each request changed is written once, unless it changed meanwhile. Resolves to the answers the requests
 * written no longer hold (answerChange's `dropped`).
 */
async function storeAnswers(
  requests: Collection<RequestWithDrops>,
  held: Map<string, Held>,
  answers: { requestId: string; answer: StoredResponse }[],
): Promise<DroppedAnswer[]> {
  const changed = new Map<
    string,
    { read: StoredResponse | null; update: AnswerUpdate; dropped: DroppedAnswer[] }
  >();
  for (const { requestId, answer } of answers) {
    const doc = held.get(requestId);
    const change = answerChange(doc ?? null, answer);
    if (!doc || !change) continue;
    const { update } = change;
    const dropped = change.dropped.map((r) => droppedAnswer(requestId, r, answer));
    const before = changed.get(requestId);
    changed.set(
      requestId,
      before
        ? {
            read: before.read,
            update: andThen(before.update, update),
            dropped: [...before.dropped, ...dropped],
          }
        : { read: doc.response, update, dropped },
    );
    Object.assign(doc, update.$set);
    if (update.$unset) delete doc.earlierResponses;
  }
  const dropped: DroppedAnswer[] = [];
  for (const [requestId, change] of changed) {
    // Stored under the intake's lock, one batch at a time: the guard only keeps a change made from a stale read from
    // overwriting an answer.
    const unchanged = change.read ? { 'response.messageId': change.read.messageId } : { response: null };
    const { matchedCount } = await requests.updateOne({ _id: requestId, ...unchanged }, change.update);
    // Not stored: what is held of it no longer is the request (the escalations below read it again).
    if (!matchedCount) held.delete(requestId);
    else dropped.push(...change.dropped);
  }
  return dropped;
}

/**
 * An answer accepted (its receipt said so, its copy went to the requester) that its request no longer holds: an
 * answer read after it comes before it and closed the request, or took its response id (judgeAnswer). Only an answer
 * its node gave after its own closing answer, a second closing answer appended after the first, a partial answer
 * given after such a second closing answer, or an answer whose response id another message, dated before it, reuses,
 * can be dropped; never silently: the intake logs and counts each (answerDropReporter).
 */
export interface DroppedAnswer {
  requestId: string;
  responseId: string;
  messageId: string;
  /** The answer whose taking dropped it. */
  by: { responseId: string; messageId: string };
  reason: 'after-closing-answer' | 'response-id-taken';
}

function droppedAnswer(requestId: string, dropped: Placed, by: Placed): DroppedAnswer {
  return {
    requestId,
    responseId: dropped.responseId,
    messageId: dropped.messageId,
    by: { responseId: by.responseId, messageId: by.messageId },
    reason: by.responseId === dropped.responseId ? 'response-id-taken' : 'after-closing-answer',
  };
}

/**
 * What the intake does with each answer dropped from its request (DroppedAnswer): a warning with its ids and the
 * reason, and `hub_coordinator_request_answers_dropped_total` (by reason) in `metrics`.
 */
export function answerDropReporter(logger: Logger, metrics: Registry): (dropped: DroppedAnswer) => void {
  const counter = new Counter({
    name: 'hub_coordinator_request_answers_dropped_total',
    help:
      'Answers to information requests accepted, then dropped from their request by an answer read after them that ' +
      'comes before them and closed the request (given before them; of two closing answers, appended first), or took ' +
      'their response id: the requester has a copy, the request no longer lists it',
    labelNames: ['reason'],
    registers: [metrics],
  });
  return (d) => {
    counter.inc({ reason: d.reason });
    logger.warn(
      {
        requestId: d.requestId,
        responseId: d.responseId,
        messageId: d.messageId,
        droppedBy: d.by,
        reason: d.reason,
      },
      d.reason === 'after-closing-answer'
        ? 'answer accepted earlier dropped from its request: the answer that closed the request comes before it'
        : 'answer accepted earlier dropped from its request: an answer its node gave before it has its response id',
    );
  };
}

/**
 * Store the accepted requests (once), attach each accepted response to its request (answerChange), and apply the
 * coordination node's escalation records. Idempotent: a redelivered request is known already, a response is attached
 * once (and none after one that is not partial, whatever the order they are read in: answerChange), and only the
 * first escalation of a request counts. Resolves to the requests whose escalation this batch applied (a record
 * repeated, or applied again on redelivery, or one of a request answered in time, is not among them), for the
 * coordinator to count. Each answer accepted before that this batch drops from its request goes to `onDropped`
 * (answerDropReporter: logged and counted).
 */
export async function persistRequests(
  store: Store,
  outcomes: Outcome[],
  regions: Region[],
  now: Date,
  onDropped: (dropped: DroppedAnswer) => void = () => {},
): Promise<Pick<StoredRequest, '_id' | 'urgency'>[]> {
  const accepted = outcomes.filter((o): o is Accepted => o.kind === 'accepted');
  const requests = accepted.filter((a) => a.envelope.messageType === 'InformationRequest');
  const responses = accepted.filter((a) => a.envelope.messageType === 'InformationResponse');
  const escalations = accepted.filter((a) => a.envelope.messageType === 'RequestNotice');
  const ids = [
    ...requests.map((a) => a.subjectId),
    ...[...responses, ...escalations].map((a) => String(a.value.requestId)),
  ];
  if (ids.length === 0) return [];
  const coll = store.collection<RequestWithDrops>(COLLECTIONS.requests);
  // The batch's requests, read once (on FerretDB every read decodes the whole collection), then held as this batch
  // changes them.
  const held = new Map<string, Held>((await findEach(coll, '_id', ids, HELD)).map((d) => [d._id, d]));
  const fresh = new Map(
    requests
      .filter((a) => !held.has(a.subjectId))
      .map((a) => [a.subjectId, requestDocument(a, regions, now)]),
  );
  if (fresh.size) await coll.insertMany([...fresh.values()], { ordered: false });
  for (const d of fresh.values()) held.set(d._id, { ...d });
  const dropped = await storeAnswers(
    coll,
    held,
    responses.map((a) => ({
      requestId: String(a.value.requestId),
      answer: responseDocument(a, regions, now),
    })),
  );
  for (const d of dropped) onDropped(d);
  // Escalations apply in any order with the answers (see applyEscalation), dated when the coordinator made them.
  // Their urgency is the metric's label (the record does not carry it).
  const escalated: Pick<StoredRequest, '_id' | 'urgency'>[] = [];
  for (const a of escalations) {
    const requestId = String(a.value.requestId);
    if (await applyEscalation(coll, held, requestId, new Date(a.value.issuedAt as number)))
      escalated.push({ _id: requestId, urgency: held.get(requestId)!.urgency });
  }
  return escalated;
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
 * answer or the escalation is applied first (a replay reads their topics side by side); unless an answer (partial or
 * not) was appended by the due time: the escalation came only because the coordinator had not stored it yet, and is
 * not applied, nor counted (answerChange withdraws one applied before the answer). Decided from the request as
 * `held` (read again when absent), which it changes as it changes the store. Resolves to the number marked.
 */
async function applyEscalation(
  requests: Collection<RequestWithDrops>,
  held: Map<string, Held>,
  requestId: string,
  at: Date,
): Promise<number> {
  let doc = held.get(requestId) ?? (await readAgain(requests, held, requestId));
  if (doc?.status === 'open' && !doc.escalatedAt) {
    const $set = { status: 'escalated' as const, escalatedAt: at };
    const open = await requests.updateOne({ _id: requestId, escalatedAt: null, status: 'open' }, { $set });
    if (open.modifiedCount) {
      Object.assign(doc, $set);
      return open.modifiedCount;
    }
    doc = await readAgain(requests, held, requestId); // changed meanwhile
  }
  const answered = doc;
  if (!answered || answered.escalatedAt || answersOf(answered).some((r) => answeredInTime(answered.dueAt, r)))
    return 0;
  const late = await requests.updateOne({ _id: requestId, escalatedAt: null }, { $set: { escalatedAt: at } });
  if (late.modifiedCount) answered.escalatedAt = at;
  return late.modifiedCount;
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
