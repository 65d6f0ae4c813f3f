// GET /v1/requests: information requests between countries and their deadlines. Coordinators see every request
// (the dashboard's overdue list); an analyst or node operator sees those its country sent or was asked. What a
// request asks, and a response's content, are shown only to whom their handling allows: the two countries
// concerned, and others by TLP.
import { createHash } from 'node:crypto';
import { Router } from 'express';
import { informationRequestFromJson } from '@hub/domain';
import { HUB_ORIGIN } from '@hub/envelope';
import { HubError, ValidationError } from '@hub/errors';
import { loadRegions } from '@hub/schemas';
import { MongoServerError, type Filter } from 'mongodb';
import {
  answersOf,
  COLLECTIONS,
  findSorted,
  refusedOnIntake,
  requestStatus,
  type Store,
  type StoredAsk,
  type StoredQuarantine,
  type StoredRequest,
  type StoredResponse,
} from '@hub/store';
import type { AuditLog } from './audit';
import { requireRole, type Caller } from './auth';
import { mayRead } from './handling';
import { decodeCursor, encodeCursor, jsonBody, parseParams, readJson } from './params';
import { actorOf } from './routes-seizures';

const STATUSES = ['open', 'overdue', 'escalated', 'partial', 'answered'] as const;

const PARAMS = {
  status: { kind: 'enum', values: STATUSES },
  country: { kind: 'country' },
  urgency: { kind: 'enum', values: ['routine', 'urgent', 'immediate'] },
  limit: { kind: 'int', min: 1, max: 500 },
  cursor: { kind: 'cursor' },
} as const;

/** The requests a caller may see at all: every one for a coordinator, else those of its own country. */
function visibleFilter(caller: Caller): Filter<StoredRequest> {
  return caller.role === 'coordinator'
    ? {}
    : { $or: [{ requester: caller.country }, { addressee: caller.country }] };
}

/**
 * `overdue` means past due without an answer, escalated or not yet; `open` means not due yet; `partial`, answered in
 * part (the latest answer partial), and `answered`, answered in full (or declined): as requestStatus has them.
 */
function statusFilter(status: string | undefined, now: Date): Filter<StoredRequest> {
  switch (status) {
    case 'open':
      return { status: 'open', dueAt: { $gte: now } };
    case 'overdue':
      return { status: { $in: ['open', 'escalated'] }, dueAt: { $lt: now } };
    case 'escalated':
      return { status };
    case 'partial':
      return { status: 'answered', 'response.status': 'partial' };
    case 'answered':
      return { status: 'answered', 'response.status': { $ne: 'partial' } };
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

/** One answer to `doc` as `caller` may see it: its content withheld unless its own handling lets the caller read it. */
function responseView(caller: Caller, doc: StoredRequest, r: StoredResponse) {
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

/**
 * May the caller read what a request asks (its purpose, question and subject)? The two countries concerned always
 * may, and any coordinator the coordination node's own; anyone else (a coordinator of a third country, who sees every
 * request's deadline) as the request's handling allows, as for any record.
 */
export function mayReadRequest(caller: Caller, request: StoredRequest): boolean {
  return (
    caller.country === request.requester ||
    caller.country === request.addressee ||
    (request.requester === HUB_ORIGIN && caller.role === 'coordinator') ||
    mayRead(caller, { ...request.handling, originCountry: request.requester })
  );
}

export function requestView(caller: Caller, doc: StoredRequest, now: number) {
  const status = requestStatus(doc, now);
  const shown = mayReadRequest(caller, doc);
  return {
    requestId: doc.requestId,
    requester: doc.requester,
    addressee: doc.addressee,
    subjectKind: doc.subjectKind,
    subjectRef: shown ? doc.subjectRef : null,
    purpose: shown ? doc.purpose : null,
    question: shown ? doc.question : null,
    withheld: !shown,
    urgency: doc.urgency,
    sentAt: doc.sentAt,
    dueAt: doc.dueAt,
    receivedAt: doc.receivedAt,
    status,
    overdue: status === 'overdue' || status === 'escalated',
    escalatedAt: doc.escalatedAt,
    handling: { tlp: doc.handling.tlp, releasableTo: doc.handling.releasableTo },
    messageId: doc.messageId,
    // The agency system that asked (null: its node asks for no token, or the coordination node asked); withheld with
    // what was asked, as a response's is: it names a system inside the asking agency.
    submittedBy: shown ? (doc.submittedBy ?? null) : null,
    // The latest answer (what a request answered once has), and every answer, oldest first: after partial answers,
    // the requester needs them all.
    response: doc.response ? responseView(caller, doc, doc.response) : null,
    responses: answersOf(doc).map((r) => responseView(caller, doc, r)),
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
    // Soonest due first, a page at a time: the page after `cursor` (the due time and id of the previous page's last).
    if (p.cursor) {
      const after = decodeCursor(p.cursor as string);
      and.push({ $or: [{ dueAt: { $gt: after.at } }, { dueAt: after.at, _id: { $gt: after.id } }] });
    }
    const limit = (p.limit as number | undefined) ?? 200;
    // One more than the page, to know whether another follows.
    const docs = await findSorted(
      deps.store.engine,
      requests,
      { $and: and },
      { sort: { dueAt: 1, _id: 1 }, limit: limit + 1 },
    );
    const page = docs.slice(0, limit);
    const last = page.at(-1);
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'requests',
      query: { ...p },
      count: page.length,
      reportIds: [],
    });
    res.json({
      requests: page.map((d) => requestView(caller, d, now)),
      nextCursor: docs.length > limit && last ? encodeCursor(new Date(last.dueAt), last._id) : null,
    });
  });

  // A coordinator asks a country, as `hub ask` does on the coordinator's machine. The query API holds no signing key:
  // the request is read by the rules a national node applies (every field error at once), queued in `asks`, and
  // signed and sent by the coordinator (asks.ts) within a second or so; GET /v1/requests/asked/:requestId follows it.
  const asks = deps.store.collection<StoredAsk>(COLLECTIONS.asks);
  const regions = new Set(loadRegions().map((r) => r.id));
  router.post('/v1/requests', requireRole('coordinator'), readJson, async (req, res) => {
    const caller = req.caller!;
    const now = clock();
    const { value, normalisations } = informationRequestFromJson(jsonBody(req), {
      nodeCountry: HUB_ORIGIN,
      now,
      regions,
    });
    const input = req.body as Record<string, unknown>;
    const inputDigest = inputDigestOf(input);
    const taken = new ValidationError(
      [
        {
          field: 'requestId',
          message: 'is the id of another request: leave it out to have one generated',
          value: value.requestId,
        },
      ],
      'the information request is not valid',
    );
    // The same body sent again (an answer lost on the way) is answered as the first time; another one with its id
    // is refused, as is an id the caller chose that a country's request already has.
    const first = input.requestId === undefined ? null : await asks.findOne({ _id: value.requestId });
    if (first && first.inputDigest !== inputDigest) throw taken;
    if (
      !first &&
      input.requestId !== undefined &&
      (await requests.countDocuments({ _id: value.requestId }, { limit: 1 })) > 0
    )
      throw taken;
    const { addressee: _alias, ...rest } = input;
    void _alias;
    const ask: StoredAsk = {
      _id: value.requestId,
      // As read: the id and due time explicit, the addressee by its code, so that the coordinator reads the same.
      body: {
        ...rest,
        requestId: value.requestId,
        to: value.to,
        dueAt: new Date(value.dueAt).toISOString(),
      },
      inputDigest,
      askedBy: { sub: caller.sub, country: caller.country },
      askedAt: new Date(now),
      state: 'queued',
    };
    let existing = first;
    try {
      if (!existing) await asks.insertOne(ask);
    } catch (err) {
      // Sent twice at once: the second finds the first's.
      if (!(err instanceof MongoServerError && err.code === 11000)) throw err;
      existing = await asks.findOne({ _id: value.requestId });
      if (existing?.inputDigest !== inputDigest) throw taken;
    }
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'ask',
      // What was asked about is named, not read: it is no read of that report for its owner's view. Not its subject
      // (a plate, a person's document): every auditor and admin reads the log, whatever the request's handling
      // allows them; the request's id leads to it for whom may see it.
      query: {
        requestId: value.requestId,
        to: value.to,
        urgency: value.urgency,
        subjectKind: value.subjectKind,
      },
      count: 1,
      reportIds: [],
    });
    // A duplicate is answered with the first one's due time, and where it stands now (refused: GET
    // .../asked/:id says why).
    res.status(202).json({
      requestId: value.requestId,
      to: value.to,
      urgency: value.urgency,
      dueAt: String((existing ?? ask).body.dueAt),
      state: existing && existing.state !== 'signed' ? existing.state : 'queued',
      normalisations,
      ...(existing && { duplicate: true }),
    });
  });

  // The coordinators' asks the store still keeps (queued, sent and not yet decided, stored within the hour, refused
  // within 30 days), newest
  // first, each with where it stands: so that one refused or still queued after its form was closed is seen.
  router.get('/v1/requests/asked', requireRole('coordinator'), async (req, res) => {
    const p = parseParams(req.query as Record<string, unknown>, {
      state: { kind: 'enum', values: ASK_STATES },
      limit: { kind: 'int', min: 1, max: 500 },
    });
    // The state asked for is read in the store, before the limit: filtered afterwards, among the newest 500 only, an
    // ask refused weeks ago would be missing from a list that promises refusals for 30 days.
    const state = p.state as AskState | undefined;
    const filter: Filter<StoredAsk> = state
      ? { ...NOT_REDRIVE, state: { $in: STORED_AS[state] } }
      : NOT_REDRIVE;
    const kept = await findSorted(deps.store.engine, asks, filter, {
      sort: { askedAt: -1 },
      limit: 500,
      projection: { envelope: 0 },
    });
    const stored = new Set(
      kept.length
        ? (
            await requests
              .find(
                { _id: { $in: kept.map((a) => a._id) }, requester: HUB_ORIGIN },
                { projection: { _id: 1 } },
              )
              .toArray()
          ).map((r) => r._id)
        : [],
    );
    const views = kept
      .map((a) => askView(a, stored.has(a._id)))
      // Stored or not is read from the requests: an ask `sent` (or `signed`) may have been stored by now.
      .filter((a) => !state || a.state === state)
      .slice(0, (p.limit as number | undefined) ?? 100);
    await deps.audit.append({
      actor: actorOf(req.caller!),
      action: 'asked',
      query: { ...p },
      count: views.length,
      reportIds: [],
    });
    res.json({ asks: views });
  });

  // Where a coordinator's request stands, also once sent: the intake may still refuse it (its due time past when the
  // brokers took it, an id a country's request took meanwhile), which its quarantine entry says before the
  // coordinator marks the ask refused (asks.ts, within a minute).
  const quarantine = deps.store.collection<StoredQuarantine>(COLLECTIONS.quarantine);
  /** The intake's quarantine entry of a sent (or signed) ask's message; null while it has refused none. */
  const intakeRefusal = (ask: StoredAsk | null) =>
    ask?.messageId === undefined || (ask.state !== 'sent' && ask.state !== 'signed')
      ? Promise.resolve(null)
      : // By the origin_quarantinedAt index: the coordination node's entries since the request was signed.
        quarantine.findOne(
          {
            origin: HUB_ORIGIN,
            ...(ask.signedAt
              ? { quarantinedAt: { $gte: new Date(ask.signedAt).getTime() - CLOCK_SKEW_MS } }
              : {}),
            messageId: ask.messageId,
          },
          { projection: { originalBytes: 0 }, sort: { quarantinedAt: -1 } },
        );
  router.get('/v1/requests/asked/:requestId', requireRole('coordinator'), async (req, res) => {
    const caller = req.caller!;
    const requestId = String(req.params.requestId).toLowerCase();
    const [ask, stored] = await Promise.all([
      asks.findOne({ _id: requestId, ...NOT_REDRIVE }),
      requests.findOne({ _id: requestId, requester: HUB_ORIGIN }),
    ]);
    if (!ask && !stored)
      throw new HubError('NOT_FOUND', `no request ${requestId} was asked by the coordination node`);
    const refusal = stored ? null : await intakeRefusal(ask);
    const error = ask?.error ?? (refusal ? refusedOnIntake(refusal) : undefined);
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'asked',
      query: { requestId },
      count: 1,
      reportIds: [],
    });
    res.json({
      requestId,
      state: askState(ask, Boolean(stored), Boolean(refusal)),
      ...(ask && { askedBy: ask.askedBy, askedAt: ask.askedAt }),
      ...(error && { error }),
      ...(stored && { request: requestView(caller, stored, clock()) }),
    });
  });
  return router;
}

const ASK_STATES = ['queued', 'sent', 'stored', 'refused'] as const;
type AskState = (typeof ASK_STATES)[number];
/** The asks that are information requests (the coordinators' re-drives share the outbox: routes-quarantine.ts). */
const NOT_REDRIVE = { kind: { $exists: false } };

/**
 * The states an ask listed in a state may have in the store (askState): queued counts those signed and not sent yet;
 * stored ones were signed and sent, whether or not the coordinator has marked them sent yet.
 */
const STORED_AS: Record<AskState, StoredAsk['state'][]> = {
  queued: ['queued', 'signed'],
  sent: ['sent'],
  stored: ['signed', 'sent'],
  refused: ['refused'],
};

/**
 * Stored: the intake took it (sent, whatever the ask says by then); refused: never signed, or the intake quarantined
 * it once sent (`quarantined`: its entry found before the coordinator marked the ask), with why.
 */
function askState(ask: StoredAsk | null, stored: boolean, quarantined = false): AskState {
  if (stored || !ask) return 'stored';
  if (quarantined) return 'refused';
  return ask.state === 'signed' ? 'queued' : ask.state;
}

/** How far the intake's clock (quarantinedAt) may be behind the clock the ask was signed by. */
const CLOCK_SKEW_MS = 3600_000;

/** An ask as the list shows it: what was asked of whom, by whom, and where it stands. */
function askView(ask: StoredAsk, stored: boolean) {
  const body = ask.body as Record<string, unknown>;
  return {
    requestId: ask._id,
    to: String(body.to),
    urgency: String(body.urgency ?? 'routine'),
    subjectKind: String(body.subjectKind ?? 'other'),
    subjectRef: typeof body.subjectRef === 'string' ? body.subjectRef : null,
    purpose: String(body.purpose ?? ''),
    dueAt: String(body.dueAt),
    askedBy: ask.askedBy,
    askedAt: ask.askedAt,
    state: askState(ask, stored),
    ...(ask.error && { error: ask.error }),
  };
}

/**
 * The digest by which the same body of POST /v1/requests sent again is known. A body nested too deeply to be written
 * out again (JSON.parse takes nesting that JSON.stringify overflows the stack on: thousands of levels in a field the
 * request does not read) is refused, naming the field and how deep it goes, as the national node refuses it.
 */
function inputDigestOf(input: Record<string, unknown>): string {
  let text: string;
  try {
    text = JSON.stringify(input);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    const [field, depth] = Object.entries(input)
      .map(([k, v]) => [k, depthOf(v)] as const)
      .reduce((a, b) => (b[1] > a[1] ? b : a), ['(body)', 0] as const);
    throw new ValidationError(
      [
        {
          field,
          message: `is nested ${depth} levels deep, too deeply to be read (an information request is a few levels deep): leave out the deeply nested field`,
        },
      ],
      'the information request is not valid',
    );
  }
  return createHash('sha256').update(text).digest('hex');
}

/** How many levels of objects and arrays `value` has (0 for a string, a number, null), counted without recursion. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  for (let next = stack.pop(); next; next = stack.pop()) {
    const [v, depth] = next;
    if (v === null || typeof v !== 'object') continue;
    deepest = Math.max(deepest, depth + 1);
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}
