// GET /v1/quarantine: the envelopes the coordinator refused (hub.quarantine, kept in the store), newest first, with
// why, where they were read and who signed them, filtered by reason, origin and date, in pages. For the coordination
// centre and admins (everything) and a node's operators (what came in on their own country's topic, which only
// their node may write, whatever origin the bytes claim, and also when they were too broken to claim one: the
// country its receipt went to). The refused bytes are not given out: they may be a forgery or someone else's data
// (the store and hub.quarantine keep them).
import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Filter } from 'mongodb';
import { REJECT_REASONS } from '@hub/envelope';
import type { TopicNames } from '@hub/kafka';
import { ValidationError, type FieldError } from '@hub/errors';
import {
  COLLECTIONS,
  neverRedrivable,
  redriveTarget,
  withRedriven,
  type Store,
  type StoredAsk,
  type StoredQuarantine,
} from '@hub/store';
import type { AuditLog } from './audit';
import { requireRole } from './auth';
import { dateRange, findPage, jsonBody, parseParams, readJson } from './params';
import { actorOf } from './routes-seizures';

const QUARANTINE = {
  reason: { kind: 'enum', values: REJECT_REASONS },
  origin: { kind: 'country' },
  from: { kind: 'date' },
  to: { kind: 'date' },
  limit: { kind: 'int', min: 1, max: 500 },
  cursor: { kind: 'cursor' },
} as const;

const MAX_REDRIVE = 100;

/**
 * A value sent, as an error shows it back: a string of at most 80 characters; an object or array named by its kind
 * only (its content may be nested too deeply to be written out again, or be long).
 */
function echoed(value: unknown): string {
  if (Array.isArray(value)) return `(an array of ${value.length})`;
  if (value !== null && typeof value === 'object') return '(an object)';
  return String(value).slice(0, 80);
}
const ENTRY_ID = /^[A-Za-z0-9._-]{1,300}:[0-9]{1,10}:[0-9]{1,20}$/;

export function quarantineRoutes(deps: {
  store: Store;
  audit: AuditLog;
  names: TopicNames;
  clock?: () => number;
}): Router {
  const router = Router();
  const clock = deps.clock ?? Date.now;
  const quarantine = deps.store.collection<StoredQuarantine>(COLLECTIONS.quarantine);
  const asks = deps.store.collection<StoredAsk>(COLLECTIONS.asks);
  /**
   * The latest re-drive asked for in the API of each entry, when it is not the one whose outcome the entry carries:
   * waiting (queued, signed or sent, and not taken yet), or refused by the coordinator before it was sent.
   */
  const latestRedrives = async (entries: StoredQuarantine[]): Promise<Map<string, StoredAsk>> => {
    if (!entries.length) return new Map();
    const asked = await asks
      .find(
        { kind: 'redrive', 'body.quarantineId': { $in: entries.map((e) => e._id) } },
        // Oldest first: an entry's newest re-drive is the one kept.
        { projection: { envelope: 0 }, sort: { askedAt: 1 } },
      )
      .toArray();
    const newest = new Map(asked.map((a) => [String(a.body.quarantineId), a]));
    const latest = new Map<string, StoredAsk>();
    for (const e of entries) {
      const a = newest.get(e._id);
      // A re-drive asked for after this one was sent or refused (with `hub quarantine redrive`, say) and taken since
      // supersedes it: re-drives of an entry are taken in the order they are sent. One not sent yet still waits.
      const superseded =
        a &&
        (a.state === 'sent' || a.state === 'refused') &&
        e.redrive &&
        a.askedAt.getTime() < e.redrive.requestedAt;
      if (a && a._id !== e.redrive?.redriveId && !superseded) latest.set(e._id, a);
    }
    return latest;
  };
  /** The re-drives asked for in the API and not taken yet, by the entry they re-drive. */
  const pendingRedrives = async (entries: StoredQuarantine[]): Promise<Map<string, StoredAsk>> =>
    new Map([...(await latestRedrives(entries))].filter(([, a]) => a.state !== 'refused'));
  router.get('/v1/quarantine', requireRole('coordinator', 'admin', 'node-operator'), async (req, res) => {
    const caller = req.caller!;
    const all = caller.role !== 'node-operator';
    const p = parseParams(req.query as Record<string, unknown>, QUARANTINE);
    // A node's operator: what came in on its own country's topic.
    const and: Filter<StoredQuarantine>[] = all ? [] : [{ topic: deps.names.nodeOut(caller.country) }];
    if (p.origin) and.push({ origin: p.origin as string });
    if (p.reason) and.push({ reasonCode: p.reason as string });
    and.push(...dateRange<StoredQuarantine>('quarantinedAt', p, (d) => d.getTime()));
    const { page, nextCursor } = await findPage(
      quarantine,
      and,
      'quarantinedAt',
      p.cursor as string | undefined,
      (p.limit as number | undefined) ?? 100,
      { engine: deps.store.engine, millis: true, projection: { originalBytes: 0 } },
    );
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'quarantine',
      query: { ...p },
      count: page.length,
      reportIds: [],
    });
    const latest = await latestRedrives(page);
    res.json({
      quarantined: page.map((q) => quarantineView(q, latest.get(q._id), all)),
      nextCursor,
    });
  });
  router.post('/v1/quarantine/redrive', requireRole('coordinator'), readJson, async (req, res) => {
    const caller = req.caller!;
    const body = jsonBody(req) as { ids?: unknown } | null;
    const ids = body && typeof body === 'object' ? body.ids : undefined;
    if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_REDRIVE)
      throw new ValidationError([
        {
          field: 'ids',
          message: `give the ids of 1 to ${MAX_REDRIVE} quarantine entries, as GET /v1/quarantine lists them`,
          ...(ids !== undefined && { value: echoed(ids) }),
        },
      ]);
    const errors: FieldError[] = [];
    ids.forEach((id, i) => {
      if (typeof id !== 'string' || !ENTRY_ID.test(id))
        errors.push({
          field: `ids[${i}]`,
          message: 'is no quarantine entry id (<topic>:<partition>:<offset>)',
          value: echoed(id),
        });
    });
    if (errors.length) throw new ValidationError(errors);
    const listed = await quarantine
      .find({ _id: { $in: [...new Set(ids as string[])] } }, { projection: { originalBytes: 0 } })
      .toArray();
    // A re-drive refused again is an entry of its own: the entry it re-drove is taken again.
    const byId = await withRedriven(quarantine, listed, { originalBytes: 0 });
    const targets = new Map<string, StoredQuarantine>();
    (ids as string[]).forEach((id, i) => {
      const q = byId.get(id);
      const target = q && redriveTarget(byId, q);
      const never = target && neverRedrivable(target);
      if (!q)
        errors.push({ field: `ids[${i}]`, message: 'no quarantine entry has this id', value: echoed(id) });
      else if (!target)
        errors.push({
          field: `ids[${i}]`,
          message: `is a re-drive of ${q.redriveOf}, which is no longer kept: nothing is left to take again`,
          value: echoed(id),
        });
      else if (never) errors.push({ field: `ids[${i}]`, message: never, value: echoed(id) });
      else if (target.redrive?.outcome === 'accepted')
        errors.push({
          field: `ids[${i}]`,
          message: `was taken again and accepted already (${new Date(target.redrive.at).toISOString()}); nothing is left to mend`,
          value: echoed(id),
        });
      else targets.set(target._id, target);
    });
    if (errors.length) throw new ValidationError(errors, 'some entries cannot be taken again');
    // One already asked for and not taken yet is answered as it stands, not asked for twice.
    const pending = await pendingRedrives([...targets.values()]);
    const now = clock();
    const queued: { id: string; redriveId: string; duplicate?: true }[] = [];
    const fresh: StoredAsk[] = [];
    for (const id of targets.keys()) {
      const waiting = pending.get(id);
      if (waiting) {
        queued.push({ id, redriveId: waiting._id, duplicate: true });
        continue;
      }
      const ask: StoredAsk = {
        _id: randomUUID(),
        kind: 'redrive',
        body: { quarantineId: id },
        askedBy: { sub: caller.sub, country: caller.country },
        askedAt: new Date(now),
        state: 'queued',
      };
      fresh.push(ask);
      queued.push({ id, redriveId: ask._id });
    }
    if (fresh.length) await asks.insertMany(fresh);
    await deps.audit.append({
      actor: actorOf(caller),
      action: 'redrive',
      query: { ids: [...targets.keys()] },
      count: fresh.length,
      reportIds: [],
    });
    res.status(202).json({ redrives: queued });
  });
  return router;
}

/**
 * An entry as the API shows it: never its bytes; what came of its last re-drive, and the one asked for since: still
 * waiting, or refused by the coordinator before it was sent. Who asked for a re-drive (a coordinator's token
 * subject) only to the coordination centre and admins (`withRequester`); null to a node's operator.
 */
function quarantineView(q: StoredQuarantine, asked: StoredAsk | undefined, withRequester: boolean) {
  const pending = asked?.state === 'refused' ? undefined : asked;
  const refused = asked?.state === 'refused' ? asked : undefined;
  const requester = (sub: string) => (withRequester ? sub : null);
  return {
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
    // Only the first bytes of it are kept: it can never be taken again.
    ...(q.originalLength !== undefined && {
      originalLength: q.originalLength,
      originalSha256: q.originalSha256,
    }),
    ...(q.redrive && {
      redrive: {
        redriveId: q.redrive.redriveId,
        outcome: q.redrive.outcome,
        ...(q.redrive.reason && { reason: q.redrive.reason, detail: q.redrive.detail ?? '' }),
        requestedBy: requester(q.redrive.requestedBy),
        at: new Date(q.redrive.at).toISOString(),
      },
    }),
    ...(pending && {
      redrivePending: {
        redriveId: pending._id,
        requestedBy: requester(pending.askedBy.sub),
        requestedAt: new Date(pending.askedAt).toISOString(),
      },
    }),
    ...(refused && {
      redriveNotSent: {
        redriveId: refused._id,
        requestedBy: requester(refused.askedBy.sub),
        requestedAt: new Date(refused.askedAt).toISOString(),
        at: new Date(refused.refusedAt ?? refused.askedAt).toISOString(),
        code: refused.error?.code ?? 'REFUSED',
        message: refused.error?.message ?? '',
      },
    }),
  };
}
