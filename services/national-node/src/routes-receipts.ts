// The coordinator's receipts at the node: one record's (GET /v1/receipts/:reportId), and the list of everything this
// node has sent (reports, routes, annual returns), newest first, each with the status of its latest version sent
// (pending until that version's receipt arrives), so that an operator finds what the hub refused and why without
// asking for each record (GET /v1/receipts?status=rejected).
import { Router } from 'express';
import { HubError } from '@hub/errors';
import type { InboundStore } from './inbox-store';
import { positionCursor, queryReader } from './query';
import type { ReportsIndex } from './reports-index';

const STATUSES = ['pending', 'accepted', 'rejected'] as const;
type Status = (typeof STATUSES)[number];
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 500;

interface ReceiptValue {
  inReplyTo: string;
  status: Status;
  subjectType: string;
  subjectVersion: number | null;
  reasons: unknown[];
  normalisations?: string[];
}

type ReceiptDeps = { reports: ReportsIndex; inbound: Pick<InboundStore, 'receipts'> };

/**
 * Where a record stands: its receipts, the latest (and when it arrived), the latest version sent, and the status of
 * that version (pending until its own receipt arrives, whatever the receipt of the one before said).
 */
export function receiptStatus(deps: ReceiptDeps) {
  /**
   * Whether a receipt answers the latest version sent: by its version, or (refused before its version was read) by
   * the envelope it answers, when the node kept that version's; otherwise it is taken to.
   */
  const answers = (receipt: ReceiptValue, id: string, sentVersion: number) => {
    if (receipt.subjectVersion !== null) return receipt.subjectVersion >= sentVersion;
    const sent = deps.reports.messageIdOf(id);
    return sent === undefined || receipt.inReplyTo === sent;
  };
  return (id: string) => {
    const receipts = deps.inbound.receipts(id);
    const item = receipts[receipts.length - 1];
    const last = item && { value: item.value as unknown as ReceiptValue, at: item.receivedAt };
    const sentVersion = deps.reports.latest(id);
    const status: Status = last && answers(last.value, id, sentVersion) ? last.value.status : 'pending';
    return { receipts, last, sentVersion, status };
  };
}

/**
 * Records this node sent whose latest version has no receipt yet, and since when the oldest waits (ms; 0: none, or
 * none whose sending time is known). For the node's metrics: a hub that stops answering shows here. Every record is
 * looked at once, at the first count; after that only those a new version or a receipt concerns, so a count costs
 * the records waiting, not all the node ever sent.
 */
export function unansweredWatch(
  deps: {
    reports: ReportsIndex;
    inbound: Pick<InboundStore, 'receipts' | 'onAdd'>;
  },
  now: () => number = Date.now,
): () => { count: number; oldestMs: number } {
  const statusOf = receiptStatus(deps);
  /** Waiting records → when their latest version was taken (undefined: not known). */
  let waiting: Map<string, number | undefined> | undefined;
  const look = (id: string) => {
    if (!waiting) return;
    if (statusOf(id).status === 'pending') waiting.set(id, deps.reports.sentAtOf(id));
    else waiting.delete(id);
  };
  deps.reports.onChange(look);
  deps.inbound.onAdd((item) => {
    const subject = item.value.subjectId;
    if (item.messageType === 'Receipt' && typeof subject === 'string') look(subject);
  });
  return () => {
    const at = now();
    if (!waiting) {
      waiting = new Map();
      for (const id of deps.reports.ids()) look(id);
    }
    let oldest = at;
    for (const sentAt of waiting.values()) oldest = Math.min(oldest, sentAt ?? at);
    return { count: waiting.size, oldestMs: at - oldest };
  };
}

/** Since when a pending record waits, when known. */
const pendingSince = (deps: ReceiptDeps, id: string) => {
  const at = deps.reports.sentAtOf(id);
  return at === undefined ? {} : { pendingSince: new Date(at).toISOString() };
};

export function receiptRoutes(deps: ReceiptDeps): Router {
  const router = Router();
  const statusOf = receiptStatus(deps);

  router.get('/v1/receipts', (req, res) => {
    const query = queryReader(req.query as Record<string, unknown>, ['status', 'limit', 'cursor']);
    const status = query.pick('status', STATUSES);
    // The cursor is a position in the order records were first sent: records sent since do not shift it.
    const ids = deps.reports.ids();
    const { limit, end } = query.page(ids.length, DEFAULT_LIMIT, MAX_LIMIT);
    query.check();

    const counts: Record<Status, number> = { pending: 0, accepted: 0, rejected: 0 };
    const records: Record<string, unknown>[] = [];
    let next: number | undefined;
    for (let i = ids.length - 1; i >= 0; i--) {
      const id = ids[i]!;
      const { last, sentVersion, status: current } = statusOf(id);
      counts[current] += 1;
      if (i >= end || (status && current !== status)) continue;
      if (records.length === limit) {
        next ??= i + 1;
        continue;
      }
      records.push({
        id,
        sentVersion,
        status: current,
        ...(current === 'pending' && pendingSince(deps, id)),
        ...(last && {
          subjectType: last.value.subjectType,
          version: last.value.subjectVersion,
          reasons: last.value.reasons,
          receivedAt: new Date(last.at).toISOString(),
        }),
      });
    }
    res.json({
      counts,
      records,
      ...(next !== undefined && { nextCursor: positionCursor(next) }),
    });
  });

  router.get('/v1/receipts/:reportId', (req, res) => {
    const reportId = String(req.params.reportId);
    // Of the latest version sent, as in the list.
    const { receipts, last, sentVersion, status } = statusOf(reportId);
    if (!last) {
      if (sentVersion === 0) throw new HubError('NOT_FOUND', `no report ${reportId} was sent by this node`);
      res.json({ reportId, status, sentVersion, ...pendingSince(deps, reportId), receipts: [] });
      return;
    }
    const latest = last.value;
    res.json({
      reportId,
      status,
      sentVersion,
      ...(status === 'pending' && pendingSince(deps, reportId)),
      version: latest.subjectVersion,
      reasons: latest.reasons,
      // The coordinator's receipt, with what this node normalised in that version.
      normalisations: [
        ...deps.reports.normalisationsOf(reportId, latest.subjectVersion),
        ...(latest.normalisations ?? []),
      ],
      receipts: receipts.map((r) => r.value),
    });
  });
  return router;
}
