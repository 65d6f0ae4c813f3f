// GET /v1/requests: information requests between countries and their deadlines. Coordinators see every request
// (the dashboard's overdue list); an analyst or node operator sees those its country sent or was asked. A
// response's content is shown only to whom its handling allows: the two countries concerned, and others by TLP.
import { Router } from 'express';
import { HUB_ORIGIN } from '@hub/envelope';
import type { Filter } from 'mongodb';
import { COLLECTIONS, requestStatus, type Store, type StoredRequest, type StoredResponse } from '@hub/store';
import type { AuditLog } from './audit';
import { requireRole, type Caller } from './auth';
import { mayRead } from './handling';
import { parseParams } from './params';
import { actorOf } from './routes-seizures';

const STATUSES = ['open', 'overdue', 'escalated', 'answered'] as const;

const PARAMS = {
  status: { kind: 'enum', values: STATUSES },
  country: { kind: 'country' },
  urgency: { kind: 'enum', values: ['routine', 'urgent', 'immediate'] },
  limit: { kind: 'int', min: 1, max: 500 },
} as const;

/** The requests a caller may see at all: every one for a coordinator, else those of its own country. */
function visibleFilter(caller: Caller): Filter<StoredRequest> {
  return caller.role === 'coordinator'
    ? {}
    : { $or: [{ requester: caller.country }, { addressee: caller.country }] };
}

/** `overdue` means past due without an answer, escalated or not yet; `open` means not due yet. */
function statusFilter(status: string | undefined, now: Date): Filter<StoredRequest> {
  switch (status) {
    case 'open':
      return { status: 'open', dueAt: { $gte: now } };
    case 'overdue':
      return { status: { $in: ['open', 'escalated'] }, dueAt: { $lt: now } };
    case 'escalated':
    case 'answered':
      return { status };
    default:
      return {};
  }
}

/**
 * May the caller read the response's content? The requester (to whom it was sent) and its author always may; the
 * coordination node's requests (requester HUB) were asked by the coordinators, so any coordinator may.
 */
export function mayReadResponse(
  caller: Caller,
  request: Pick<StoredRequest, 'requester'>,
  r: StoredResponse,
) {
  return (
    caller.country === request.requester ||
    (request.requester === HUB_ORIGIN && caller.role === 'coordinator') ||
    mayRead(caller, { ...r.handling, originCountry: r.from })
  );
}

function responseView(caller: Caller, doc: StoredRequest) {
  const r = doc.response;
  if (!r) return null;
  const meta = {
    responseId: r.responseId,
    from: r.from,
    status: r.status,
    respondedAt: r.respondedAt,
    receivedAt: r.receivedAt,
    handling: { tlp: r.handling.tlp, releasableTo: r.handling.releasableTo },
    messageId: r.messageId,
  };
  return mayReadResponse(caller, doc, r)
    ? {
        ...meta,
        withheld: false,
        answer: r.answer,
        relatedReports: r.relatedReports,
        submittedBy: r.submittedBy ?? null,
      }
    : { ...meta, withheld: true };
}

export function requestView(caller: Caller, doc: StoredRequest, now: number) {
  const status = requestStatus(doc, now);
  return {
    requestId: doc.requestId,
    requester: doc.requester,
    addressee: doc.addressee,
    subjectKind: doc.subjectKind,
    subjectRef: doc.subjectRef,
    purpose: doc.purpose,
    question: doc.question,
    urgency: doc.urgency,
    sentAt: doc.sentAt,
    dueAt: doc.dueAt,
    receivedAt: doc.receivedAt,
    status,
    overdue: status === 'overdue' || status === 'escalated',
    escalatedAt: doc.escalatedAt,
    handling: { tlp: doc.handling.tlp, releasableTo: doc.handling.releasableTo },
    messageId: doc.messageId,
    // The agency system that asked (null: its node asks for no token, or the coordination node asked).
    submittedBy: doc.submittedBy ?? null,
    response: responseView(caller, doc),
  };
}

export function requestRoutes(deps: { store: Store; audit: AuditLog; clock?: () => number }): Router {
  const router = Router();
  const clock = deps.clock ?? Date.now;
  const requests = deps.store.collection<StoredRequest>(COLLECTIONS.requests);

  router.get('/v1/requests', requireRole('coordinator', 'analyst', 'node-operator'), async (req, res) => {
    const p = parseParams(req.query as Record<string, unknown>, PARAMS);
    const caller = req.caller!;
    const now = clock();
    const and: Filter<StoredRequest>[] = [
      visibleFilter(caller),
      statusFilter(p.status as string, new Date(now)),
    ];
    if (p.country)
      and.push({ $or: [{ requester: p.country as string }, { addressee: p.country as string }] });
    if (p.urgency) and.push({ urgency: p.urgency as StoredRequest['urgency'] });
    const docs = await requests
      .find({ $and: and }, { sort: { dueAt: 1, _id: 1 }, limit: (p.limit as number | undefined) ?? 200 })
      .toArray();
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'requests',
      query: { ...p },
      count: docs.length,
      reportIds: [],
    });
    res.json({ requests: docs.map((d) => requestView(caller, d, now)) });
  });
  return router;
}
