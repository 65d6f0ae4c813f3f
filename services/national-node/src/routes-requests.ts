// Information requests at the national node (CONTRACT.md): POST /v1/requests asks another country,
// GET /v1/requests lists those addressed to this country and those it sent, POST /v1/requests/:id/response answers
// (after a partial answer, again, until an answer that is not partial).
import { Router, type Response } from 'express';
import {
  informationRequestFromJson,
  informationResponseFromJson,
  tlpLabel,
  type InformationRequestRecord,
  type InformationResponseRecord,
} from '@hub/domain';
import { HubError, ValidationError } from '@hub/errors';
import { clientOf } from './client-auth';
import { queryReader } from './query';
import { bodyDigest } from './report-digest';
import type { InboundStore } from './inbox-store';
import { readAgain, REQUEST_NOTICE, type KeptRequestNotice, type UnreadOriginal } from './request-notices';
import type { RequestsLog } from './requests-log';
import { createBookkeeping, submitterOf, type Bookkeeping, type Submitter } from './submit';
import { loadSchemaRegistry, UUID, type SchemaRegistry } from '@hub/schemas';

/**
 * The statuses of a request as GET /v1/requests shows them (and takes as ?status=, with overdue). partial: answered in
 * part (the latest answer is partial: more may follow); answered: in full, or declined. Incoming ones this node could
 * not take (`unread` says why): unreadable, written with a schema of a newer release (readable once the node is
 * upgraded); refused, the requester's envelope could not be trusted here (nothing of it shown).
 */
export const REQUEST_STATUSES = [
  'open',
  'overdue',
  'escalated',
  'partial',
  'answered',
  'rejected',
  'unreadable',
  'refused',
] as const;
const DIRECTIONS = ['incoming', 'outgoing'] as const;
type Status = (typeof REQUEST_STATUSES)[number];

export interface RequestRoutesDeps {
  country: string;
  submitter: Submitter;
  inbound: InboundStore;
  requests: RequestsLog;
  regions: ReadonlySet<string>;
  clock: () => number;
  /** Once a request or answer is in the outbox it is written to the requests log: a failure is not a refusal. */
  bookkeeping?: Bookkeeping;
  /**
   * What reads the requests and answers kept unreadable (a schema of a newer release) once the node is upgraded.
   * Default: this release's schemas (loadSchemaRegistry), loaded when one is kept.
   */
  registry?: Pick<SchemaRegistry, 'decode' | 'byFingerprint'>;
}

const iso = (ms: number | null | undefined) => (typeof ms === 'number' ? new Date(ms).toISOString() : null);

type UnreadNotice = KeptRequestNotice & { unread: UnreadOriginal };
const isUnread = (n: KeptRequestNotice): n is UnreadNotice => n.unread !== undefined;
/** A notice whose original was verified and read here. */
const isTaken = (
  n: KeptRequestNotice,
): n is KeptRequestNotice & {
  content: Record<string, unknown>;
  original: NonNullable<KeptRequestNotice['original']>;
} => !n.unread && !!n.content && !!n.original;

/** Why a notice's original was not taken, as listed (its content is not). */
const unreadView = (u: UnreadOriginal) => ({ reason: u.reason, message: u.message, at: iso(u.at) });

/** The evidence of an original verified here: its signer and when it signed, and the coordinator's countersignature. */
const originalEvidence = (o: NonNullable<KeptRequestNotice['original']>) => ({
  messageId: o.messageId,
  signedBy: o.origin,
  signedAt: iso(o.signedAt),
  verified: true,
  countersignedBy: 'HUB',
});

function handlingView(h: { tlp: string; releasableTo: string[] }) {
  return { tlp: tlpLabel(h.tlp), releasableTo: h.releasableTo };
}

function responseView(r: InformationResponseRecord, signedBy: string) {
  return {
    responseId: r.responseId,
    status: r.status,
    answer: r.answer,
    relatedReports: r.relatedReports,
    respondedAt: iso(r.respondedAt),
    handling: handlingView(r.handling),
    signedBy,
    submittedBy: r.submittedBy ?? null,
  };
}

/** A request answered: in part while its latest answer is partial, else in full. */
const answeredStatus = (latest: { status: string }): Status =>
  latest.status === 'partial' ? 'partial' : 'answered';

/** The requestId a body gives, as the request will have it (trimmed, lower case), or undefined. */
function givenRequestId(body: unknown): string | undefined {
  const id = (body as { requestId?: unknown } | null)?.requestId;
  return typeof id === 'string' && id.trim() !== '' ? id.trim().toLowerCase() : undefined;
}

/**
 * The coordinator's latest receipt for a message this node sent, by its subject id; `messageId`: for that envelope only
 * (a request sent again after the hub refused it is pending until the receipt of its new sending comes). Only that
 * receipt is read from the file.
 */
function receiptOf(inbound: InboundStore, subjectId: string, messageId?: string) {
  const latest =
    messageId === undefined ? inbound.lastReceipt(subjectId) : inbound.receiptAnswering(subjectId, messageId);
  if (!latest) return null;
  const v = latest.value as { status: string; reasons: unknown[]; receiptId: string; issuedAt: number };
  return { status: v.status, reasons: v.reasons, receiptId: v.receiptId, issuedAt: iso(v.issuedAt) };
}

export function requestRoutes(deps: RequestRoutesDeps): Router {
  const router = Router();
  const bookkeeping = deps.bookkeeping ?? createBookkeeping(undefined);
  const ctx = (res: Response) => ({
    nodeCountry: deps.country,
    now: deps.clock(),
    regions: deps.regions,
    client: clientOf(res),
  });
  const answering = new Set<string>();
  /** Requests being signed and queued: a second one with the same id meanwhile is refused as sent. */
  const asking = new Set<string>();
  let registry = deps.registry;
  /** Notices kept unreadable as read again with this release's schemas, by notice id: the schemas do not change. */
  const readAgainById = new Map<string, KeptRequestNotice>();
  const readable = (n: KeptRequestNotice): KeptRequestNotice => {
    if (n.unread?.status !== 'unreadable') return n;
    let read = readAgainById.get(n.noticeId);
    if (!read) {
      read = readAgain(n, (registry ??= loadSchemaRegistry()), deps.clock());
      readAgainById.set(n.noticeId, read);
    }
    return read;
  };

  /**
   * The notices of the coordinator by request id: its request (one whose original was taken before one that was not)
   * and escalation (a re-delivered one kept once), every answer to it, in the order they came (several after partial
   * answers; one re-delivered kept once), and the answers whose original was not taken (`unread`).
   */
  const notices = () => {
    const request = new Map<string, KeptRequestNotice>();
    const escalation = new Map<string, KeptRequestNotice>();
    const responses = new Map<string, KeptRequestNotice[]>();
    const unreadResponses = new Map<string, UnreadNotice[]>();
    const responseIdOf = (n: KeptRequestNotice) => String(n.content?.responseId ?? n.noticeId);
    for (const item of deps.inbound.ofType(REQUEST_NOTICE)) {
      const n = readable(item.value as unknown as KeptRequestNotice);
      if (n.kind === 'response' && isUnread(n)) {
        unreadResponses.set(n.requestId, [...(unreadResponses.get(n.requestId) ?? []), n]);
      } else if (n.kind === 'response') {
        const given = responses.get(n.requestId) ?? [];
        if (!given.some((g) => responseIdOf(g) === responseIdOf(n))) given.push(n);
        responses.set(n.requestId, given);
      } else if (n.kind === 'request') {
        if (!request.get(n.requestId)?.content) request.set(n.requestId, n);
      } else if (n.kind === 'escalation' && !escalation.has(n.requestId)) escalation.set(n.requestId, n);
    }
    return { request, escalation, responses, unreadResponses };
  };

  /**
   * The answers this node gave, oldest first: those that still stand (the coordinator did not reject them), by the
   * status their receipts keep in memory, none read from the file; and those it rejected.
   */
  const answersGiven = (requestId: string) => {
    const all = deps.requests.answers(requestId);
    const rejected = (a: (typeof all)[number]) =>
      deps.inbound.receiptSummaries(a.response.responseId).at(-1)?.status === 'rejected';
    return { standing: all.filter((a) => !rejected(a)), refused: all.filter(rejected) };
  };
  const standingAnswers = (requestId: string) => answersGiven(requestId).standing;

  const list = () => {
    const now = deps.clock();
    const n = notices();
    const base = (r: InformationRequestRecord) => ({
      requestId: r.requestId,
      requester: r.from,
      addressee: r.to,
      subjectKind: r.subjectKind,
      subjectRef: r.subjectRef,
      purpose: r.purpose,
      question: r.question,
      urgency: r.urgency,
      sentAt: iso(r.sentAt),
      dueAt: iso(r.dueAt),
      handling: handlingView(r.handling),
      submittedBy: r.submittedBy ?? null,
    });
    const outgoing = deps.requests.allSent().map(({ request: r, messageId }) => {
      // In the order they were given (the coordinator may pass on a partial answer after the full one that followed
      // it: they travel apart); the one that is not partial, when one came, is the latest.
      const given = (n.responses.get(r.requestId) ?? []).map((a, i) => ({
        a,
        at: Number(a.content?.respondedAt ?? Infinity),
        i,
      }));
      const answers = given.sort((x, y) => x.at - y.at || x.i - y.i).map((x) => x.a);
      const response = answers.find((a) => a.content?.status !== 'partial') ?? answers.at(-1);
      const escalation = n.escalation.get(r.requestId);
      const receipt = receiptOf(deps.inbound, r.requestId, messageId);
      const pastDue = r.dueAt < now && !response;
      // An answer or an escalation says the hub holds the request, whatever a receipt judged (a chunk judged again
      // after a crash brings two): rejected only without either.
      const status: Status = response
        ? answeredStatus({ status: String(response.content?.status ?? 'answered') })
        : escalation
          ? 'escalated'
          : receipt?.status === 'rejected'
            ? 'rejected'
            : pastDue
              ? 'overdue'
              : 'open';
      const evidenceOf = (a: KeptRequestNotice) =>
        a.original
          ? { messageId: a.original.messageId, signedAt: iso(a.original.signedAt), verified: true }
          : null;
      const unread = n.unreadResponses.get(r.requestId) ?? [];
      return {
        ...base(r),
        direction: 'outgoing' as const,
        status,
        overdue: pastDue && status !== 'rejected',
        escalatedAt: iso(escalation?.issuedAt),
        escalation: escalation?.reason ?? null,
        messageId,
        receipt,
        // The latest answer, and every answer oldest first (each with its evidence): after partial answers, all.
        response:
          response?.content && response.original
            ? responseView(response.content as unknown as InformationResponseRecord, response.original.origin)
            : null,
        responseEvidence: response ? evidenceOf(response) : null,
        responses: answers.flatMap((a) =>
          a.content && a.original
            ? [
                {
                  ...responseView(a.content as unknown as InformationResponseRecord, a.original.origin),
                  evidence: evidenceOf(a),
                },
              ]
            : [],
        ),
        // Answers that came but could not be taken (a newer release's schema, or refused here): none of their content.
        ...(unread.length > 0 && {
          unreadResponses: unread.map((a) => ({
            noticeId: a.noticeId,
            status: a.unread.status,
            ...unreadView(a.unread),
            evidence: evidenceOf(a),
          })),
        }),
      };
    });
    // A request that came but could not be taken: listed by the coordinator's notice (who asks, by when) and why,
    // nothing of its own content; the requester's signature as evidence only when it verified (unreadable).
    const unreadRequest = (x: UnreadNotice) => {
      const pastDue = x.dueAt !== null && x.dueAt < now;
      return {
        requestId: x.requestId,
        requester: x.requester,
        addressee: x.addressee,
        dueAt: iso(x.dueAt),
        direction: 'incoming' as const,
        status: x.unread.status as Status,
        overdue: pastDue,
        escalatedAt: null,
        escalation: null,
        ...(x.original && { messageId: x.original.messageId, requestEvidence: originalEvidence(x.original) }),
        unread: unreadView(x.unread),
        receipt: null,
        response: null,
        responses: [],
        refusedAnswers: [],
      };
    };
    const addressed = [...n.request.values()].filter((x) => x.addressee === deps.country);
    const incoming = addressed.filter(isTaken).map((x) => {
      const r = x.content as unknown as InformationRequestRecord;
      const { standing: answers, refused } = answersGiven(r.requestId);
      const answer = answers.at(-1);
      const pastDue = r.dueAt < now && !answer;
      return {
        ...base(r),
        direction: 'incoming' as const,
        status: answer
          ? answeredStatus(answer.response)
          : pastDue
            ? ('overdue' as Status)
            : ('open' as Status),
        overdue: pastDue,
        escalatedAt: null,
        escalation: null,
        messageId: x.original.messageId,
        requestEvidence: originalEvidence(x.original),
        receipt: answer ? receiptOf(deps.inbound, answer.response.responseId) : null,
        response: answer ? responseView(answer.response, deps.country) : null,
        responses: answers.map((a) => responseView(a.response, deps.country)),
        // The answers the coordinator rejected (the request is unanswered by them): each with its receipt's reasons.
        refusedAnswers: refused.map((a) => {
          const receipt = receiptOf(deps.inbound, a.response.responseId);
          return {
            responseId: a.response.responseId,
            messageId: a.messageId,
            reasons: receipt?.reasons ?? [],
            refusedAt: receipt?.issuedAt ?? null,
          };
        }),
      };
    });
    const unreadIncoming = addressed.filter(isUnread).map(unreadRequest);
    return [...incoming, ...unreadIncoming, ...outgoing].sort((a, b) =>
      String(a.dueAt).localeCompare(String(b.dueAt)),
    );
  };

  /** The 202 of a request sent. */
  const queued = (value: InformationRequestRecord, messageId: string, normalisations: string[]) => ({
    requestId: value.requestId,
    to: value.to,
    urgency: value.urgency,
    dueAt: iso(value.dueAt),
    messageId,
    status: 'queued' as const,
    normalisations,
  });

  /** The 202 of an answer given. */
  const answerQueued = (value: InformationResponseRecord, messageId: string, normalisations: string[]) => ({
    requestId: value.requestId,
    responseId: value.responseId,
    to: value.to,
    messageId,
    status: 'queued' as const,
    normalisations,
  });

  router.post('/v1/requests', async (req, res) => {
    const digest = bodyDigest(req.body, 'a request');
    // The very same body sent again (a client that lost our 202) is answered as the first time, and nothing is sent
    // again: read before the body is (its due time may have passed since). Unless the hub refused the latest sending
    // of that id (the node's certificate renewed since, a clock set right, a rule of the hub mended, a due time that
    // had passed): then this body, the same or another (a later due time), is sent under the same id (the hub keeps
    // no request it refused).
    const given = givenRequestId(req.body);
    const latest = given === undefined ? undefined : deps.requests.sent(given);
    const refused = latest !== undefined && deps.inbound.refused(latest.request.requestId, latest.messageId);
    const earlier = given === undefined ? undefined : deps.requests.sentFrom(given, digest);
    if (earlier && !refused) {
      res.status(202).json({
        ...queued(earlier.request, earlier.messageId, earlier.normalisations ?? []),
        duplicate: true,
      });
      return;
    }
    const { value, normalisations } = informationRequestFromJson(req.body, ctx(res));
    // One being signed counts as sent: the same id sent twice at once is one request, not two.
    if (asking.has(value.requestId))
      throw new HubError(
        'CONFLICT',
        `request ${value.requestId} is being sent; send the same body again once it is answered to be told what it made`,
      );
    if (!refused && deps.requests.sent(value.requestId))
      throw new HubError(
        'CONFLICT',
        `request ${value.requestId} was sent already with another body; leave requestId out for a new request (the same body sent again is answered as the first time)`,
      );
    asking.add(value.requestId);
    try {
      const { messageId } = await submitterOf(res, deps.submitter).submit(
        'InformationRequest',
        value.requestId,
        value,
        {
          bodyDigest: digest,
          notes: normalisations,
        },
      );
      bookkeeping('a request sent', { requestId: value.requestId, messageId }, () =>
        deps.requests.add({
          kind: 'sent',
          messageId,
          at: deps.clock(),
          request: value,
          digest,
          normalisations,
        }),
      );
      res.status(202).json({
        ...queued(value, messageId, normalisations),
        ...(refused && { resentAfterRefusal: true }),
      });
    } finally {
      asking.delete(value.requestId);
    }
  });

  router.get('/v1/requests', (req, res) => {
    const query = queryReader(req.query as Record<string, unknown>, ['status', 'direction']);
    const status = query.pick('status', REQUEST_STATUSES);
    const direction = query.pick('direction', DIRECTIONS);
    query.check();
    // `overdue` also lists escalated ones: past due without an answer either way.
    const items = list().filter(
      (i) =>
        (!direction || i.direction === direction) &&
        (!status || (status === 'overdue' ? i.overdue : i.status === status)),
    );
    res.json({ country: deps.country, requests: items });
  });

  router.post('/v1/requests/:requestId/response', async (req, res) => {
    const requestId = String(req.params.requestId).toLowerCase();
    if (!UUID.test(requestId))
      throw new ValidationError([
        { field: 'requestId', message: 'must be a UUID', value: requestId.slice(0, 60) },
      ]);
    const notice = notices().request.get(requestId);
    const own = deps.requests.sent(requestId);
    if (notice?.unread && notice.addressee === deps.country)
      throw new HubError(
        'CONFLICT',
        `request ${requestId} from ${notice.requester} arrived but cannot be answered (${notice.unread.status}): ${notice.unread.message}`,
      );
    if (!notice?.content || notice.addressee !== deps.country) {
      if (own)
        throw new HubError(
          'CONFLICT',
          `request ${requestId} was sent by ${deps.country} to ${own.request.to}: only ${own.request.to} can answer it`,
        );
      throw new HubError('NOT_FOUND', `no request ${requestId} addressed to ${deps.country} has arrived`);
    }
    // After a partial answer the request may be answered again; after one that is not partial, no more.
    if (answering.has(requestId))
      throw new HubError(
        'CONFLICT',
        `an answer to request ${requestId} is being signed; send this one once it has its 202`,
      );
    // The very same answer sent again (a client that lost our 202) is answered as the first time, and nothing is sent
    // again: a second answer would reach the requester, each with a response id of its own. Unless the hub refused
    // it: then it is sent again, as a new answer.
    const digest = bodyDigest(req.body, 'an answer');
    const earlier = deps.requests.answeredFrom(requestId, digest);
    const refused =
      earlier !== undefined && deps.inbound.refused(earlier.response.responseId, earlier.messageId);
    if (earlier && !refused) {
      res.status(202).json({
        ...answerQueued(earlier.response, earlier.messageId, earlier.normalisations ?? []),
        duplicate: true,
      });
      return;
    }
    const given = standingAnswers(requestId).at(-1);
    if (given && given.response.status !== 'partial')
      throw new HubError(
        'CONFLICT',
        `request ${requestId} is answered already (response ${given.response.responseId} at ${iso(given.at)}, ${given.response.status}): only a partial answer may be followed by another`,
      );
    const request = notice.content as unknown as InformationRequestRecord;
    const { value, normalisations } = informationResponseFromJson(req.body, request, ctx(res));
    answering.add(requestId);
    try {
      const { messageId } = await submitterOf(res, deps.submitter).submit(
        'InformationResponse',
        value.responseId,
        value,
        {
          bodyDigest: digest,
          notes: normalisations,
        },
      );
      bookkeeping(
        'an answer given',
        { requestId: value.requestId, responseId: value.responseId, messageId },
        () =>
          deps.requests.add({
            kind: 'answered',
            messageId,
            at: deps.clock(),
            response: value,
            digest,
            normalisations,
          }),
      );
      res.status(202).json({
        ...answerQueued(value, messageId, normalisations),
        ...(refused && { resentAfterRefusal: true }),
      });
    } finally {
      answering.delete(requestId);
    }
  });
  return router;
}
