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

export function receiptRoutes(deps: { reports: ReportsIndex; inbound: InboundStore }): Router {
  const router = Router();
  /** The latest receipt of a record, and when it arrived; none while the record is pending. */
  const latestOf = (id: string) => {
    const receipts = deps.inbound.receipts(id);
    const last = receipts[receipts.length - 1];
    return { receipts, last: last && { value: last.value as unknown as ReceiptValue, at: last.receivedAt } };
  };

  /**
   * Whether a receipt answers the latest version sent: by its version, or (refused before its version was read) by
   * the envelope it answers, when the node kept that version's; otherwise it is taken to.
   */
  const answers = (receipt: ReceiptValue, id: string, sentVersion: number) => {
    if (receipt.subjectVersion !== null) return receipt.subjectVersion >= sentVersion;
    const sent = deps.reports.messageIdOf(id);
    return sent === undefined || receipt.inReplyTo === sent;
  };

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
      const { last } = latestOf(id);
      const sentVersion = deps.reports.latest(id);
      const current: Status = last && answers(last.value, id, sentVersion) ? last.value.status : 'pending';
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
    const { receipts, last } = latestOf(reportId);
    if (!last) {
      const sentVersion = deps.reports.latest(reportId);
      if (sentVersion === 0) throw new HubError('NOT_FOUND', `no report ${reportId} was sent by this node`);
      res.json({ reportId, status: 'pending', sentVersion, receipts: [] });
      return;
    }
    const latest = last.value;
    // Of the latest version sent, as in the list: a new version is pending until its own receipt arrives, whatever
    // the receipt of the one before said.
    const sentVersion = deps.reports.latest(reportId);
    res.json({
      reportId,
      status: answers(latest, reportId, sentVersion) ? latest.status : 'pending',
      sentVersion,
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
