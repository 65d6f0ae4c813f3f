// Retention review at the node: the coordinator's notices about this country's records (review due, renewed,
// erased), and renewal of a record before its review date.
import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { HubError, ValidationError } from '@hub/errors';
import type { InboundStore } from './inbox-store';
import type { ReportsIndex } from './reports-index';
import type { Submitter } from './submit';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function retentionRoutes(deps: {
  submitter: Submitter;
  reports: ReportsIndex;
  inbound: InboundStore;
  clock: () => number;
}): Router {
  const router = Router();
  const renew = (subjectType: string) => async (req: Request, res: Response) => {
    const subjectId = String(req.params.id);
    if (!UUID.test(subjectId))
      throw new ValidationError([{ field: 'id', message: 'must be a UUID', value: subjectId.slice(0, 60) }]);
    if (deps.reports.latest(subjectId) === 0)
      throw new HubError('NOT_FOUND', `this node has not sent ${subjectId}`);
    const reason = typeof req.body?.reason === 'string' ? req.body.reason.trim() : '';
    if (!reason)
      throw new ValidationError([
        { field: 'reason', message: 'is required: say why the record is still needed' },
      ]);
    const renewalId = randomUUID();
    const { messageId } = await deps.submitter.submit('RetentionRenewal', subjectId, {
      renewalId,
      subjectType,
      subjectId,
      reason: reason.slice(0, 1000),
      requestedAt: deps.clock(),
    });
    res.status(202).json({ renewalId, subjectId, messageId, status: 'queued' });
  };
  router.post('/v1/seizures/:id/renew', renew('SeizureReport'));
  router.post('/v1/annual-returns/:id/renew', renew('AnnualSeizureReturn'));
  router.get('/v1/retention', (_req, res) => {
    res.json({
      notices: deps.inbound.ofType('RetentionNotice').map((n) => n.value),
      erasures: deps.inbound.ofType('ErasureNotice').map((n) => n.value),
    });
  });
  return router;
}
