// Information requests between countries as stored (`requests`, _id = requestId), with the response they got.
// Written by the coordinator, read by the query API; the status a person sees is derived here, in one place.
import type { StoredHandling } from './documents';

export type RequestUrgency = 'routine' | 'urgent' | 'immediate';

/** As stored: `open` until answered; `escalated` once the coordinator's deadline check found it overdue. */
export type StoredRequestStatus = 'open' | 'answered' | 'escalated';

/** As shown: `overdue` is an open request past its due time that the deadline check has not escalated yet. */
export type RequestStatus = StoredRequestStatus | 'overdue';

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
  response: StoredResponse | null;
}

/** What a person sees: answered, escalated, overdue (past due, not escalated yet) or open. */
export function requestStatus(
  doc: Pick<StoredRequest, 'status' | 'dueAt' | 'response'>,
  now: number,
): RequestStatus {
  if (doc.response || doc.status === 'answered') return 'answered';
  if (doc.status === 'escalated') return 'escalated';
  return new Date(doc.dueAt).getTime() < now ? 'overdue' : 'open';
}
