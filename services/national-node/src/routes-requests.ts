// Information requests at the national node (CONTRACT.md): POST /v1/requests asks another country,
// GET /v1/requests lists those addressed to this country and those it sent, POST /v1/requests/:id/response answers.
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
import type { InboundStore } from './inbox-store';
import { REQUEST_NOTICE, type KeptRequestNotice } from './request-notices';
import type { RequestsLog } from './requests-log';
import type { Submitter } from './submit';
import { UUID } from '@hub/schemas';

const STATUSES = ['open', 'overdue', 'escalated', 'answered', 'rejected'] as const;
const DIRECTIONS = ['incoming', 'outgoing'] as const;
type Status = (typeof STATUSES)[number];

export interface RequestRoutesDeps {
  country: string;
  submitter: Submitter;
  inbound: InboundStore;
  requests: RequestsLog;
  regions: ReadonlySet<string>;
  clock: () => number;
}

const iso = (ms: number | null | undefined) => (typeof ms === 'number' ? new Date(ms).toISOString() : null);

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

/** The coordinator's latest receipt for a message this node sent, by its subject id. */
function receiptOf(inbound: InboundStore, subjectId: string) {
  const latest = inbound.lastReceipt(subjectId);
  if (!latest) return null;
  const v = latest.value as { status: string; reasons: unknown[]; receiptId: string; issuedAt: number };
  return { status: v.status, reasons: v.reasons, receiptId: v.receiptId, issuedAt: iso(v.issuedAt) };
}

export function requestRoutes(deps: RequestRoutesDeps): Router {
  const router = Router();
  const ctx = (res: Response) => ({
    nodeCountry: deps.country,
    now: deps.clock(),
    regions: deps.regions,
    client: clientOf(res),
  });
  const answering = new Set<string>();
  /** Requests being signed and queued: a second one with the same id meanwhile is refused as sent. */
  const asking = new Set<string>();

  /** The notices of the coordinator, by kind and request id (a re-delivered one is kept once). */
  const notices = () => {
    const byKind = {
      request: new Map<string, KeptRequestNotice>(),
      response: new Map(),
      escalation: new Map(),
    };
    for (const item of deps.inbound.ofType(REQUEST_NOTICE)) {
      const n = item.value as unknown as KeptRequestNotice;
      const map = (byKind as Record<string, Map<string, KeptRequestNotice>>)[n.kind];
      if (map && !map.has(n.requestId)) map.set(n.requestId, n);
    }
    return byKind as Record<'request' | 'response' | 'escalation', Map<string, KeptRequestNotice>>;
  };

  /** The answer this node gave that still stands (the coordinator did not reject it). */
  const standingAnswer = (requestId: string) =>
    deps.requests
      .answers(requestId)
      .filter((a) => receiptOf(deps.inbound, a.response.responseId)?.status !== 'rejected')
      .at(-1);

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
      const response = n.response.get(r.requestId);
      const escalation = n.escalation.get(r.requestId);
      const receipt = receiptOf(deps.inbound, r.requestId);
      const pastDue = r.dueAt < now && !response;
      const status: Status =
        receipt?.status === 'rejected'
          ? 'rejected'
          : response
            ? 'answered'
            : escalation
              ? 'escalated'
              : pastDue
                ? 'overdue'
                : 'open';
      return {
        ...base(r),
        direction: 'outgoing' as const,
        status,
        overdue: pastDue && status !== 'rejected',
        escalatedAt: iso(escalation?.issuedAt),
        escalation: escalation?.reason ?? null,
        messageId,
        receipt,
        response:
          response?.content && response.original
            ? responseView(response.content as unknown as InformationResponseRecord, response.original.origin)
            : null,
        responseEvidence: response?.original
          ? {
              messageId: response.original.messageId,
              signedAt: iso(response.original.signedAt),
              verified: true,
            }
          : null,
      };
    });
    const incoming = [...n.request.values()]
      .filter((x) => x.content && x.original && x.addressee === deps.country)
      .map((x) => {
        const r = x.content as unknown as InformationRequestRecord;
        const answer = standingAnswer(r.requestId);
        const pastDue = r.dueAt < now && !answer;
        return {
          ...base(r),
          direction: 'incoming' as const,
          status: (answer ? 'answered' : pastDue ? 'overdue' : 'open') as Status,
          overdue: pastDue,
          escalatedAt: null,
          escalation: null,
          messageId: x.original?.messageId,
          requestEvidence: {
            messageId: x.original?.messageId,
            signedBy: x.original?.origin,
            signedAt: iso(x.original?.signedAt),
            verified: true,
            countersignedBy: 'HUB',
          },
          receipt: answer ? receiptOf(deps.inbound, answer.response.responseId) : null,
          response: answer ? responseView(answer.response, deps.country) : null,
        };
      });
    return [...incoming, ...outgoing].sort((a, b) => String(a.dueAt).localeCompare(String(b.dueAt)));
  };

  router.post('/v1/requests', async (req, res) => {
    const { value, normalisations } = informationRequestFromJson(req.body, ctx(res));
    // One being signed counts as sent: the same id sent twice at once is one request, not two.
    if (deps.requests.sent(value.requestId) || asking.has(value.requestId))
      throw new HubError(
        'CONFLICT',
        `request ${value.requestId} was sent already; leave requestId out for a new one`,
      );
    asking.add(value.requestId);
    try {
      const { messageId } = await deps.submitter.submit('InformationRequest', value.requestId, value);
      deps.requests.add({ kind: 'sent', messageId, at: deps.clock(), request: value });
      res.status(202).json({
        requestId: value.requestId,
        to: value.to,
        urgency: value.urgency,
        dueAt: iso(value.dueAt),
        messageId,
        status: 'queued',
        normalisations,
      });
    } finally {
      asking.delete(value.requestId);
    }
  });

  router.get('/v1/requests', (req, res) => {
    const query = queryReader(req.query as Record<string, unknown>, ['status', 'direction']);
    const status = query.pick('status', STATUSES);
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
    if (!notice?.content || notice.addressee !== deps.country) {
      if (own)
        throw new HubError(
          'CONFLICT',
          `request ${requestId} was sent by ${deps.country} to ${own.request.to}: only ${own.request.to} can answer it`,
        );
      throw new HubError('NOT_FOUND', `no request ${requestId} addressed to ${deps.country} has arrived`);
    }
    const given = standingAnswer(requestId);
    if (given || answering.has(requestId))
      throw new HubError(
        'CONFLICT',
        `request ${requestId} is answered already${given ? ` (response ${given.response.responseId} at ${iso(given.at)})` : ''}`,
      );
    const request = notice.content as unknown as InformationRequestRecord;
    const { value, normalisations } = informationResponseFromJson(req.body, request, ctx(res));
    answering.add(requestId);
    try {
      const { messageId } = await deps.submitter.submit('InformationResponse', value.responseId, value);
      deps.requests.add({ kind: 'answered', messageId, at: deps.clock(), response: value });
      res.status(202).json({
        requestId,
        responseId: value.responseId,
        to: value.to,
        messageId,
        status: 'queued',
        normalisations,
      });
    } finally {
      answering.delete(requestId);
    }
  });
  return router;
}
