// GET /v1/quarantine: the envelopes the coordinator refused (hub.quarantine, kept in the store), newest first, with
// why, where they were read and who signed them, filtered by reason, origin and date, in pages. For the coordination
// centre and admins (everything) and a node's operators (what came in on their own country's topic, which only
// their node may write, whatever origin the bytes claim, and also when they were too broken to claim one: the
// country its receipt went to). The refused bytes are not given out: they may be a forgery or someone else's data
// (the store and hub.quarantine keep them).
import { Router } from 'express';
import type { Filter } from 'mongodb';
import { REJECT_REASONS } from '@hub/envelope';
import { COLLECTIONS, type Store, type StoredQuarantine } from '@hub/store';
import type { AuditLog } from './audit';
import { requireRole } from './auth';
import { dateRange, findPage, parseParams } from './params';
import { actorOf } from './routes-seizures';

const QUARANTINE = {
  reason: { kind: 'enum', values: REJECT_REASONS },
  origin: { kind: 'country' },
  from: { kind: 'date' },
  to: { kind: 'date' },
  limit: { kind: 'int', min: 1, max: 500 },
  cursor: { kind: 'cursor' },
} as const;

export function quarantineRoutes(deps: { store: Store; audit: AuditLog }): Router {
  const router = Router();
  router.get('/v1/quarantine', requireRole('coordinator', 'admin', 'node-operator'), async (req, res) => {
    const caller = req.caller!;
    const all = caller.role !== 'node-operator';
    const p = parseParams(req.query as Record<string, unknown>, QUARANTINE);
    // A node's operator: what came in on its own country's topic (a namespace may precede the topic's name).
    const and: Filter<StoredQuarantine>[] = all
      ? []
      : [{ topic: { $regex: `(^|\\.)hub\\.node\\.${caller.country}\\.out$` } }];
    if (p.origin) and.push({ origin: p.origin as string });
    if (p.reason) and.push({ reasonCode: p.reason as string });
    and.push(...dateRange<StoredQuarantine>('quarantinedAt', p, (d) => d.getTime()));
    const { page, nextCursor } = await findPage(
      deps.store.collection<StoredQuarantine>(COLLECTIONS.quarantine),
      and,
      'quarantinedAt',
      p.cursor as string | undefined,
      (p.limit as number | undefined) ?? 100,
      { millis: true, projection: { originalBytes: 0 } },
    );
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'quarantine',
      query: { ...p },
      count: page.length,
      reportIds: [],
    });
    res.json({
      quarantined: page.map((q) => ({
        id: q._id,
        reason: q.reasonCode,
        detail: q.detail,
        origin: q.origin,
        messageId: q.messageId,
        topic: q.topic,
        partition: q.partition,
        offset: String(q.offset),
        quarantinedAt: new Date(q.quarantinedAt).toISOString(),
        ...(q.redriveOf && { redriveOf: q.redriveOf }),
        ...(q.redrive && {
          redrive: {
            outcome: q.redrive.outcome,
            ...(q.redrive.reason && { reason: q.redrive.reason, detail: q.redrive.detail ?? '' }),
            requestedBy: q.redrive.requestedBy,
            at: new Date(q.redrive.at).toISOString(),
          },
        }),
      })),
      nextCursor,
    });
  });
  return router;
}
