// Information requests and responses from agencies' JSON to the records a node signs (InformationRequest,
// InformationResponse), with every field error at once, like the other node endpoints. The coordination node's own
// requests (`hub ask`) are read by the same rules, with HUB as the asking country.
import { randomUUID } from 'node:crypto';
import { ValidationError } from '@hub/errors';
import { FieldReader } from '../report/fields';
import type { Normalised } from '../report/seizure-report';
import { normaliseCountryCode, readHandling } from '../report/terms';
import { TEXT_MAX, UUID } from '@hub/schemas';
import { parseDueAt } from './due-at';

const ASK = TEXT_MAX.InformationRequest;

const HOUR = 3600000;
const DAY = 24 * HOUR;
/** The earliest due time accepted: a request must leave the addressee some time to read it. */
const MIN_DUE_AHEAD_MS = 1000;
const MAX_DUE_AHEAD_MS = 366 * DAY;

export const URGENCIES = ['routine', 'urgent', 'immediate'] as const;
export type Urgency = (typeof URGENCIES)[number];
/** Due time when the request gives none: urgent ones are due in hours. */
export const DEFAULT_DUE_MS: Record<Urgency, number> = {
  routine: 14 * DAY,
  urgent: 24 * HOUR,
  immediate: 2 * HOUR,
};
export const SUBJECT_KINDS = ['report', 'identifier', 'route', 'other'] as const;
export const RESPONSE_STATUSES = ['answered', 'partial', 'declined'] as const;

export interface RequestHandling {
  tlp: 'CLEAR' | 'GREEN' | 'AMBER' | 'AMBER_STRICT' | 'RED';
  releasableTo: string[];
}

/** The InformationRequest as signed (schemas/avro/InformationRequest.v1.avsc). */
export interface InformationRequestRecord {
  requestId: string;
  from: string;
  to: string;
  subjectKind: (typeof SUBJECT_KINDS)[number];
  subjectRef: string | null;
  purpose: string;
  question: string;
  urgency: Urgency;
  dueAt: number;
  sentAt: number;
  handling: RequestHandling;
  /** The agency system the national node authenticated (its token's client name); null when it asks for none. */
  submittedBy: string | null;
}

/** The InformationResponse as signed (schemas/avro/InformationResponse.v1.avsc). */
export interface InformationResponseRecord {
  responseId: string;
  requestId: string;
  from: string;
  to: string;
  status: (typeof RESPONSE_STATUSES)[number];
  answer: string;
  relatedReports: string[];
  respondedAt: number;
  handling: RequestHandling;
  /** The agency system the national node authenticated (its token's client name); null when it asks for none. */
  submittedBy: string | null;
}

export interface RequestInputContext {
  nodeCountry: string;
  now: number;
  regions: ReadonlySet<string>;
  /** The agency system that sent it, as the node authenticated it. */
  client?: string;
}

function object(input: unknown, what: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new ValidationError([{ field: '(body)', message: `must be a JSON object (${what})` }]);
  return input as Record<string, unknown>;
}

function oneOf<T extends string>(
  r: FieldReader,
  value: string | null,
  field: string,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === null) return fallback;
  const v = value.toLowerCase() as T;
  if (allowed.includes(v)) return v;
  r.error(field, `must be one of ${allowed.join(', ')}`, value);
  return fallback;
}

function reportIds(r: FieldReader, value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.length > 100) {
    r.error(field, 'must be a list of at most 100 report ids (UUIDs)');
    return [];
  }
  return value.flatMap((id: unknown, i) => {
    // As given: they name reports of any country as the hub holds them (ids of before 2026-12-07 as sent).
    if (typeof id === 'string' && UUID.test(id)) return [id];
    r.error(`${field}[${i}]`, 'must be a report id (UUID)', id);
    return [];
  });
}

function handlingOf(r: FieldReader, obj: Record<string, unknown>, ctx: RequestInputContext): RequestHandling {
  const h = readHandling(r, obj, ctx.regions);
  if (h.evaluation) r.notes.push('handling.evaluation is not kept on requests and responses');
  return { tlp: h.tlp, releasableTo: h.releasableTo };
}

/** A request to another country's node, from the agency's JSON. */
export function informationRequestFromJson(
  input: unknown,
  ctx: RequestInputContext,
): Normalised<InformationRequestRecord> {
  const obj = object(input, 'one information request');
  const r = new FieldReader();
  const requestId = r.string(obj, 'requestId', 'requestId', { max: 36 });
  if (requestId && !UUID.test(requestId))
    r.error('requestId', 'must be a UUID (or left out, to have one generated)', requestId);
  const toField = obj.to === undefined && obj.addressee !== undefined ? 'addressee' : 'to';
  const to = normaliseCountryCode(r, r.string(obj, toField, toField, { required: true, max: 100 }), toField);
  if (to && to === ctx.nodeCountry) r.error(toField, `${to} is this node's own country: ask another one`, to);
  const kind = oneOf(
    r,
    r.string(obj, 'subjectKind', 'subjectKind', { max: ASK.subjectKind }),
    'subjectKind',
    SUBJECT_KINDS,
    'other',
  );
  const subjectRef = r.string(obj, 'subjectRef', 'subjectRef', { max: ASK.subjectRef });
  if (kind !== 'other' && !subjectRef)
    r.error(
      'subjectRef',
      `is required for a request about a ${kind} (the report id, identifier or route asked about)`,
    );
  if (kind === 'report' && subjectRef && !UUID.test(subjectRef))
    r.error('subjectRef', 'must be the report id (a UUID) of the report asked about', subjectRef);
  const purpose = r.string(obj, 'purpose', 'purpose', { required: true, max: ASK.purpose });
  const question = r.string(obj, 'question', 'question', { required: true, max: ASK.question });
  const urgency = oneOf(
    r,
    r.string(obj, 'urgency', 'urgency', { max: ASK.urgency }),
    'urgency',
    URGENCIES,
    'routine',
  );
  const dueIn = r.string(obj, 'dueAt', 'dueAt', { max: 40 });
  let dueAt = ctx.now + DEFAULT_DUE_MS[urgency];
  if (dueIn !== null) {
    const t = parseDueAt(r, dueIn, {
      now: ctx.now,
      minAheadMs: MIN_DUE_AHEAD_MS,
      maxAheadMs: MAX_DUE_AHEAD_MS,
    });
    if (t !== undefined) dueAt = t;
  } else {
    r.notes.push(
      `dueAt not given: ${new Date(dueAt).toISOString()} (${urgency}: ${DEFAULT_DUE_MS[urgency] / HOUR} h)`,
    );
  }
  const handling = handlingOf(r, obj, ctx);
  if (r.errors.length) throw new ValidationError(r.errors, 'the information request is not valid');
  return {
    value: {
      requestId: (requestId ?? randomUUID()).toLowerCase(),
      from: ctx.nodeCountry,
      to: to as string,
      subjectKind: kind,
      subjectRef: subjectRef ?? null,
      purpose: purpose as string,
      question: question as string,
      urgency,
      dueAt,
      sentAt: ctx.now,
      handling,
      submittedBy: ctx.client ?? null,
    },
    normalisations: r.notes,
  };
}

/**
 * The answer to `request` (addressed to this node), from the agency's JSON. Without `handling` it inherits the
 * request's: the answer is handled at least as the question was.
 */
export function informationResponseFromJson(
  input: unknown,
  request: Pick<InformationRequestRecord, 'requestId' | 'from' | 'handling'>,
  ctx: RequestInputContext,
): Normalised<InformationResponseRecord> {
  const obj = object(input, 'the answer to one information request');
  const r = new FieldReader();
  const status = oneOf(
    r,
    r.string(obj, 'status', 'status', { max: TEXT_MAX.InformationResponse.status }),
    'status',
    RESPONSE_STATUSES,
    'answered',
  );
  const answer = r.string(obj, 'answer', 'answer', {
    required: status !== 'declined',
    max: TEXT_MAX.InformationResponse.answer,
  });
  const relatedReports = reportIds(r, obj.relatedReports, 'relatedReports');
  let handling = request.handling;
  if (obj.handling === undefined) r.notes.push('handling not given: inherited from the request');
  else handling = handlingOf(r, obj, ctx);
  if (r.errors.length) throw new ValidationError(r.errors, 'the response is not valid');
  return {
    value: {
      responseId: randomUUID(),
      requestId: request.requestId,
      from: ctx.nodeCountry,
      to: request.from,
      status,
      answer: answer ?? '',
      relatedReports,
      respondedAt: ctx.now,
      handling,
      submittedBy: ctx.client ?? null,
    },
    normalisations: r.notes,
  };
}
