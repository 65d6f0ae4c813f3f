// GET /v1/reads: an owner's view of who read or exported its records, from the audit log. A caller sees the reads
// of its own country's records only, never which other records a reader looked at in the same request.
import { Router } from 'express';
import type { Filter } from 'mongodb';
import { HubError, ValidationError } from '@hub/errors';
import { COLLECTIONS, findSorted, type Store } from '@hub/store';
import type { AuditEntry, AuditLog } from './audit';
import { dateRange, parseParams } from './params';
import { actorOf } from './routes-seizures';

const READS = {
  reportId: { kind: 'cursor' },
  from: { kind: 'date' },
  to: { kind: 'date' },
  limit: { kind: 'int', min: 1, max: 1000 },
} as const;

/**
 * What `country` is shown of an entry that read some of its records: the ids of those (of `reportId` only, when
 * given), and `cut` when the entry left out ids of some of them (it keeps the first REPORT_IDS_KEPT).
 */
function readOf(e: AuditEntry, country: string, reportId: string | undefined) {
  const own = e.reportIds.filter(
    (id, i) => e.reportOrigins?.[i] === country && (!reportId || id === reportId),
  );
  // An entry written before cutOrigins was kept tells it by naming the country among its origins (all the records
  // read) but not among those whose ids it kept.
  const cut =
    (e.cutOrigins?.includes(country) ?? false) ||
    (!!e.origins?.includes(country) && !e.reportOrigins?.includes(country));
  if (own.length === 0 && !cut) return undefined;
  return {
    at: e.at,
    seq: e.seq,
    reader: { country: e.actor.country, role: e.actor.role, user: e.actor.sub },
    action: e.action,
    reportIds: own,
    ...(cut && { cut: true }),
  };
}

export function readsRoutes(deps: { store: Store; audit: AuditLog }): Router {
  const router = Router();
  router.get('/v1/reads', async (req, res) => {
    const caller = req.caller!;
    if (!['analyst', 'node-operator', 'coordinator', 'admin'].includes(caller.role))
      throw new HubError('FORBIDDEN', `the ${caller.role} role has no owner's view of reads`);
    const p = parseParams(req.query as Record<string, unknown>, READS);
    // Report ids are stored in lower case, as the national node writes them; an agency may write them in capitals.
    const reportId = (p.reportId as string | undefined)?.toLowerCase();
    if (reportId && !/^[0-9a-f-]{36}$/.test(reportId))
      throw new ValidationError([
        { field: 'reportId', message: 'must be a report id (UUID)', value: reportId },
      ]);
    // An entry naming the caller's country among its origins (all the records read, also those whose ids it left
    // out) read some of its records, and is shown: the limit counts what is answered. With reportId, so is one that
    // may have read that record among those it left out.
    const and: Filter<AuditEntry>[] = [{ origins: caller.country }];
    if (reportId) and.push({ $or: [{ reportIds: reportId }, { cutOrigins: caller.country }] });
    and.push(...dateRange<AuditEntry>('at', p));
    const limit = (p.limit as number | undefined) ?? 200;
    const entries = await findSorted(
      deps.store.engine,
      deps.store.collection<AuditEntry>(COLLECTIONS.audit),
      { $and: and },
      { sort: { seq: -1 }, limit },
    );
    const reads = entries.map((e) => readOf(e, caller.country, reportId)).filter((r) => r !== undefined);
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'owner-reads',
      query: { ...p },
      count: reads.length,
      reportIds: [],
    });
    res.json({ country: caller.country, reads });
  });
  return router;
}
