// Information requests between countries as stored (`requests`, _id = requestId), with the response they got.
// Written by the coordinator, read by the query API; the status a person sees is derived here, in one place.
import type { StoredHandling } from './documents';
import type { StoredQuarantine } from './quarantine';

export type RequestUrgency = 'routine' | 'urgent' | 'immediate';

/** As stored: `open` until answered; `escalated` once the coordinator's deadline check found it overdue. */
export type StoredRequestStatus = 'open' | 'answered' | 'escalated';

/**
 * As shown: `overdue` is an open request past its due time that the deadline check has not escalated yet; `partial`,
 * a request whose latest answer is partial (more may follow; no longer overdue), stored as `answered`.
 */
export type RequestStatus = StoredRequestStatus | 'overdue' | 'partial';

export interface StoredResponse {
  responseId: string;
  /** The addressee of the request, who answered (the response's originator). */
  from: string;
  to: string;
  /** answered | partial | declined | unknown */
  status: string;
  answer: string;
  relatedReports: string[];
  respondedAt: Date;
  handling: StoredHandling;
  messageId: string;
  receivedAt: Date;
  /** The agency system that answered, as its node authenticated it (InformationResponse v2); absent before. */
  submittedBy?: string | null;
  /**
   * When the brokers appended it (IntakeRecord.appendedAt): whether it came by the request's due time is judged by it.
   * Absent for a topic whose records carry their producer's time (made before 2026-12-07), and on answers stored before.
   */
  appendedAt?: Date;
}

export interface StoredRequest {
  _id: string;
  requestId: string;
  /** ISO alpha-2 of the asking node, or HUB. */
  requester: string;
  addressee: string;
  subjectKind: string;
  subjectRef: string | null;
  purpose: string;
  question: string;
  urgency: RequestUrgency;
  dueAt: Date;
  sentAt: Date;
  receivedAt: Date;
  handling: StoredHandling;
  /** Envelope of the request (archived in `envelopes`). */
  messageId: string;
  /** The agency system that asked, as its node authenticated it (InformationRequest v2); absent before. */
  submittedBy?: string | null;
  status: StoredRequestStatus;
  escalatedAt: Date | null;
  /** The latest answer (null: none yet). */
  response: StoredResponse | null;
  /**
   * The answers that came before `response`, oldest first, in the order the brokers appended them (partial ones: after
   * a partial answer the addressee may answer again). Absent while there is none, as in every request stored before
   * partial answers could be followed by more.
   */
  earlierResponses?: StoredResponse[];
}

/**
 * An information request a coordinator asked in the query API (`asks`, _id = requestId): `queued` there; `signed`
 * by the coordinator (its envelope kept, so that a crash before it was sent sends the very same bytes); `sent` to
 * hub.node.HUB.out, from where the intake stores it in `requests`; or `refused` (`error` says why): at signing, or by
 * the intake once sent (refusedOnIntake).
 */
export interface StoredAsk {
  /** The request's id; for a re-drive, the re-drive's. */
  _id: string;
  /**
   * What the coordinator is to sign: an information request (absent), or the re-drive of a quarantine entry
   * (POST /v1/quarantine/redrive; `body` is `{ quarantineId }`).
   */
  kind?: 'redrive';
  /** The request as POST /v1/requests took it, with its requestId and due time made explicit. */
  body: Record<string, unknown>;
  /** The sha256 of the body as sent: the same body sent again is answered as the first time. */
  inputDigest?: string;
  /** The coordinator who asked: the token's subject and country. */
  askedBy: { sub: string; country: string };
  askedAt: Date;
  state: 'queued' | 'signed' | 'sent' | 'refused';
  messageId?: string;
  signedAt?: Date;
  /** Read back as a Buffer (the store promotes binary data). */
  envelope?: Buffer;
  sentAt?: Date;
  error?: { code: string; message: string; errors?: { field: string; message: string }[] };
  /** When the coordinator refused it (older asks refused before this was kept: their askedAt). */
  refusedAt?: Date;
}

/**
 * What a person sees: partial (its latest answer is partial: more may follow), answered (in full, or declined),
 * escalated, overdue (past due, not escalated yet) or open.
 */
export function requestStatus(
  doc: Pick<StoredRequest, 'status' | 'dueAt' | 'response'>,
  now: number,
): RequestStatus {
  if (doc.response || doc.status === 'answered')
    return doc.response?.status === 'partial' ? 'partial' : 'answered';
  if (doc.status === 'escalated') return 'escalated';
  return new Date(doc.dueAt).getTime() < now ? 'overdue' : 'open';
}

/** Every answer a request has had, oldest first: those before its latest (`earlierResponses`), then its `response`. */
export function answersOf(doc: Pick<StoredRequest, 'response' | 'earlierResponses'>): StoredResponse[] {
  return doc.response ? [...(doc.earlierResponses ?? []), doc.response] : [];
}

/** Why the intake refused a coordinator's request once sent, as the ask records it (its quarantine entry's reason). */
export function refusedOnIntake(
  entry: Pick<StoredQuarantine, '_id' | 'reasonCode' | 'detail'>,
): NonNullable<StoredAsk['error']> {
  return {
    code: 'QUARANTINED',
    message: `the hub's intake refused it once sent (${entry.reasonCode}; quarantine entry ${entry._id}): ${entry.detail}`,
  };
}
