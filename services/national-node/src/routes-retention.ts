// Retention review at the node: the coordinator's notices about this country's records (review due, renewed,
// erased) and its erasure orders for them, newest first in pages, and renewal of a record before its review date. The
// node also receives the orders for other countries' records that alerts sent here named: it applies them (the alerts
// go) and counts them in its log (erasures.ts), but they are not this country's to list.
import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { HubError, ValidationError } from '@hub/errors';
import { readReason } from '@hub/domain';
import { clientOf } from './client-auth';
import type { InboundStore } from './inbox-store';
import { newestFirst, queryReader } from './query';
import type { ReportsIndex } from './reports-index';
import { submitterOf, type Submitter } from './submit';
import { TEXT_MAX, UUID } from '@hub/schemas';

/** RetentionNotice's kinds (without its `unknown` default). */
const NOTICE_KINDS = ['review_due', 'renewed', 'erased'] as const;

interface Notice {
  subjectId: string;
  kind: string;
}

export function retentionRoutes(deps: {
  /** This node's country: the erasure orders listed are for its records. */
  country: string;
  submitter: Submitter;
  reports: ReportsIndex;
  inbound: InboundStore;
  clock: () => number;
}): Router {
  const router = Router();
  const renew = (subjectType: string) => async (req: Request, res: Response) => {
    const given = String(req.params.id);
    if (!UUID.test(given))
      throw new ValidationError([{ field: 'id', message: 'must be a UUID', value: given.slice(0, 60) }]);
    // The record as the node holds it: ids differing in case only are one record.
    const subjectId = deps.reports.idOf(given);
    if (deps.reports.latest(subjectId) === 0)
      throw new HubError('NOT_FOUND', `this node has not sent ${subjectId}`);
    const reason = readReason(
      req.body,
      TEXT_MAX.RetentionRenewal.reason,
      'say why the record is still needed',
    );
    const renewalId = randomUUID();
    // Signed with the agency system that asked (RetentionRenewal v2), as a retraction is: any of the country's
    // systems may renew a record another of them sent.
    const { messageId } = await submitterOf(res, deps.submitter).submit('RetentionRenewal', subjectId, {
      renewalId,
      subjectType,
      subjectId,
      reason,
      requestedAt: deps.clock(),
      submittedBy: clientOf(res) ?? null,
    });
    res.status(202).json({ renewalId, subjectId, messageId, status: 'queued' });
  };
  router.post('/v1/seizures/:id/renew', renew('SeizureReport'));
  // Routes are kept under the seizure policy, and reviewed like reports: renewed as routes (the coordinator refuses
  // a renewal naming another kind than the record kept under the id).
  router.post('/v1/routes/:id/renew', renew('TraffickingRoute'));
  router.post('/v1/annual-returns/:id/renew', renew('AnnualSeizureReturn'));
  // The notices, newest first, a page at a time; `current=true` keeps each record's latest only, so that
  // `?kind=review_due&current=true` lists the records still awaiting renewal (or erasure at their review date).
  router.get('/v1/retention', (req, res) => {
    const query = queryReader(req.query as Record<string, unknown>, [
      'kind',
      'subjectId',
      'current',
      'limit',
      'cursor',
    ]);
    const kind = query.pick('kind', NOTICE_KINDS);
    const current = query.pick('current', ['true', 'false']) === 'true';
    const asked = query.text('subjectId');
    const subjectId = asked === undefined ? undefined : deps.reports.idOf(asked);
    if (req.query.subjectId !== undefined && !UUID.test(subjectId ?? ''))
      query.refuse('subjectId', 'must be a UUID');
    const notices = deps.inbound.ofType('RetentionNotice').map((n) => n.value as unknown as Notice);
    const page = query.page(notices.length);
    query.check();
    // Each record's latest notice (the last received), and how many records stand at each kind.
    const latest = new Map<string, Notice>();
    for (const n of notices) latest.set(n.subjectId, n);
    const counts = Object.fromEntries(NOTICE_KINDS.map((k) => [k, 0])) as Record<string, number>;
    for (const n of latest.values()) counts[n.kind] = (counts[n.kind] ?? 0) + 1;
    const { page: shown, nextCursor } = newestFirst(
      notices,
      page,
      (n) =>
        (!kind || n.kind === kind) &&
        (!subjectId || n.subjectId === subjectId) &&
        (!current || latest.get(n.subjectId) === n),
    );
    res.json({ counts, notices: shown, ...(nextCursor && { nextCursor }) });
  });

  // The erasure orders for this country's records, newest first, a page at a time (the cursor counts every order
  // received, so that orders for other countries' records arriving between two pages do not shift the next).
  router.get('/v1/retention/erasures', (req, res) => {
    const query = queryReader(req.query as Record<string, unknown>, ['subjectId', 'limit', 'cursor']);
    const asked = query.text('subjectId');
    const subjectId = asked === undefined ? undefined : deps.reports.idOf(asked);
    if (req.query.subjectId !== undefined && !UUID.test(subjectId ?? ''))
      query.refuse('subjectId', 'must be a UUID');
    const erasures = deps.inbound
      .ofType('ErasureNotice')
      .map((n) => n.value as unknown as { subjectId: string; originCountry: string });
    const page = query.page(erasures.length);
    query.check();
    const own = (e: { originCountry: string }) => e.originCountry === deps.country;
    const { page: shown, nextCursor } = newestFirst(
      erasures,
      page,
      (e) => own(e) && (!subjectId || e.subjectId === subjectId),
    );
    res.json({ total: erasures.filter(own).length, erasures: shown, ...(nextCursor && { nextCursor }) });
  });
  return router;
}
