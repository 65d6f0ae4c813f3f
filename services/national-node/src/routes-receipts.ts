// The coordinator's receipts at the node: one record's (GET /v1/receipts/:reportId), and the list of everything this
// node has sent (reports, routes, annual returns), newest first, each with the status of its latest version sent
// (pending until that version's receipt arrives), so that an operator finds what the hub refused and why without
// asking for each record (GET /v1/receipts?status=rejected). The receipt of a retention renewal answers no version:
// it never stands for a record's status, and one record's answer lists it apart (`renewals`).
// A record erased at retention review has no receipts any more (inbox-store.ts): its own answer says it was erased and
// by which order; the list leaves it out (the hub answers for it no more: its status is none of the list's, and the
// erasure orders for this country's records are listed at /v1/retention/erasures).
import { Router } from 'express';
import { HubError } from '@hub/errors';
import { erasureView, type ErasureOrder } from './erasure-order';
import { answersRenewal, type InboundStore, type ReceiptSummary } from './inbox-store';
import { positionCursor, queryReader } from './query';
import type { ReportsIndex } from './reports-index';

const STATUSES = ['pending', 'accepted', 'rejected'] as const;
type Status = (typeof STATUSES)[number];
/** The statuses a record may stand at: the list's, and erased (left out of the list). */
const STANDINGS = [...STATUSES, 'erased'] as const;
type Standing = (typeof STANDINGS)[number];
const ERASED = STANDINGS.indexOf('erased');
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

type ReceiptDeps = { reports: ReportsIndex; inbound: Pick<InboundStore, 'receiptSummaries'> };

/**
 * Where a record stands: its receipts, the latest (and when it arrived), the latest version sent, and the status of
 * that version (pending until its own receipt arrives, whatever the receipt of the one before said); erased, with the
 * order, when no version was sent after those the hub erased.
 */
export function receiptStatus(deps: ReceiptDeps): (id: string) => {
  last: ReceiptSummary | undefined;
  sentVersion: number;
  status: Standing;
  erasure?: ErasureOrder;
} {
  /**
   * Whether a receipt answers the latest version sent: by its version, or (refused before its version was read) by
   * the envelope it answers, when the node kept that version's; otherwise it is taken to.
   */
  const answers = (receipt: ReceiptSummary, id: string, sentVersion: number) => {
    if (receipt.subjectVersion !== null) return receipt.subjectVersion >= sentVersion;
    const sent = deps.reports.messageIdOf(id);
    return sent === undefined || receipt.inReplyTo === sent;
  };
  return (id: string) => {
    const last = deps.inbound.receiptSummaries(id).at(-1);
    const sentVersion = deps.reports.latest(id);
    // The index is told of this country's orders (erasures.ts) as the inbox takes each, before its onAdd listeners
    // (the book's) run; it holds an order while no version was sent after those it erased. None: never sent here.
    const erasure = sentVersion > 0 ? deps.reports.erasureOf(id) : undefined;
    if (erasure) return { last, sentVersion, status: 'erased', erasure };
    const status = last && answers(last, id, sentVersion) ? statusOfReceipt(last.status) : 'pending';
    return { last, sentVersion, status };
  };
}

/**
 * A receipt's status as the node shows it. The Receipt schema also has `duplicate` (the hub holds that content
 * already: taken), `pending` and `unknown` (the default a reader of a later schema's new status gets: not answered
 * yet); the coordinator sends accepted or rejected.
 */
function statusOfReceipt(status: string): Status {
  if (status === 'duplicate') return 'accepted';
  return (STATUSES as readonly string[]).includes(status) ? (status as Status) : 'pending';
}

/** Index of the first element of an ascending array not below `value`. */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

type BookDeps = {
  reports: ReportsIndex;
  inbound: Pick<InboundStore, 'receiptSummaries' | 'onAdd'>;
};
type RouteDeps = {
  reports: ReportsIndex;
  inbound: Pick<InboundStore, 'receiptSummaries' | 'onAdd' | 'receipts' | 'lastReceipt' | 'renewalReceipts'>;
};

/**
 * The status of every record this node sent, kept as versions and receipts come (each changes one record's), so
 * that a count costs nothing and a page of the list costs the records on it, not all the node ever sent (one
 * request worked out every record's status before: 69 ms at 200,000 records, measured, growing with them, with the
 * node's event loop held). Made at the first count or list, from every record then; one per node (its reports
 * index).
 */
export class ReceiptBook {
  private readonly statusOf: ReturnType<typeof receiptStatus>;
  /** The standing (its index in STANDINGS) at each position followed so far. */
  private statusAt = new Uint8Array(1024);
  private followed = 0;
  /** Per standing, the positions of the records in it, ascending. */
  private readonly positions: number[][] = STANDINGS.map(() => []);
  private started = false;

  constructor(private readonly deps: BookDeps) {
    this.statusOf = receiptStatus(deps);
    deps.reports.onChange((id) => this.look(id));
    deps.inbound.onAdd((item) => {
      const subject = item.value.subjectId;
      if (typeof subject !== 'string') return;
      // A receipt of a version changes its record's status; an erasure order takes the record out of the list.
      if (
        (item.messageType === 'Receipt' && !answersRenewal(item.value)) ||
        item.messageType === 'ErasureNotice'
      )
        this.look(subject);
    });
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    this.follow(this.deps.reports.size);
  }

  /** Follows the records first sent up to `end` (exclusive) that it does not follow yet. */
  private follow(end: number): void {
    if (end > this.statusAt.length) {
      const grown = new Uint8Array(Math.max(end, this.statusAt.length * 2));
      grown.set(this.statusAt);
      this.statusAt = grown;
    }
    for (let p = this.followed; p < end; p++) {
      const code = STANDINGS.indexOf(this.statusOf(this.deps.reports.idAt(p)!).status);
      this.statusAt[p] = code;
      this.positions[code]!.push(p);
    }
    this.followed = Math.max(this.followed, end);
  }

  private look(id: string): void {
    if (!this.started) return;
    const position = this.deps.reports.positionOf(id);
    if (position === undefined) return; // a receipt for something this node never sent (or not yet recorded)
    if (position >= this.followed) return this.follow(position + 1);
    const was = this.statusAt[position]!;
    const now = STANDINGS.indexOf(this.statusOf(id).status);
    if (was === now) return;
    const from = this.positions[was]!;
    from.splice(lowerBound(from, position), 1);
    const to = this.positions[now]!;
    to.splice(lowerBound(to, position), 0, position);
    this.statusAt[position] = now;
  }

  /** Records by status (an erased one is in none). */
  counts(): Record<Status, number> {
    this.start();
    const [pending, accepted, rejected] = this.positions.map((p) => p.length) as [number, number, number];
    return { pending, accepted, rejected };
  }

  /** The ids of the records waiting for their receipt (oldest first). */
  pending(): string[] {
    this.start();
    return this.positions[0]!.map((p) => this.deps.reports.idAt(p)!);
  }

  /**
   * Newest first, the records first sent before position `end` that are in `status` (any but erased, when undefined),
   * at most `limit` of them; `next`: where the following page ends, when there is one.
   */
  page(status: Status | undefined, limit: number, end: number): { ids: string[]; next?: number } {
    this.start();
    const at = (p: number) => this.deps.reports.idAt(p)!;
    if (status === undefined) {
      // Every position but the erased ones (ascending: passed over as the walk down from the page's end meets them).
      const erased = this.positions[ERASED]!;
      let e = lowerBound(erased, end) - 1;
      const ids: string[] = [];
      let p = end - 1;
      for (; p >= 0 && ids.length < limit; p--) {
        if (e >= 0 && erased[e] === p) e--;
        else ids.push(at(p));
      }
      // The positions below the last one looked at, less the erased ones among them: what the following page holds.
      const last = p + 1;
      return { ids, ...(last - (e + 1) > 0 && { next: last }) };
    }
    const sorted = this.positions[STATUSES.indexOf(status)]!;
    const stop = lowerBound(sorted, end);
    const first = Math.max(0, stop - limit);
    const ids: string[] = [];
    for (let k = stop - 1; k >= first; k--) ids.push(at(sorted[k]!));
    return { ids, ...(first > 0 && { next: sorted[first - 1]! + 1 }) };
  }
}

const books = new WeakMap<ReportsIndex, ReceiptBook>();

/** The node's book of statuses (one per reports index, shared by its list and its metrics). */
export function receiptBook(deps: BookDeps): ReceiptBook {
  let book = books.get(deps.reports);
  if (!book) books.set(deps.reports, (book = new ReceiptBook(deps)));
  return book;
}

/**
 * Records this node sent whose latest version has no receipt yet, and since when the oldest waits (ms; 0: none, or
 * none whose sending time is known). For the node's metrics: a hub that stops answering shows here. A count costs
 * the records waiting, not all the node ever sent.
 */
export function unansweredWatch(
  deps: BookDeps,
  now: () => number = Date.now,
): () => { count: number; oldestMs: number } {
  const book = receiptBook(deps);
  return () => {
    const at = now();
    const waiting = book.pending();
    let oldest = at;
    for (const id of waiting) oldest = Math.min(oldest, deps.reports.sentAtOf(id) ?? at);
    return { count: waiting.length, oldestMs: at - oldest };
  };
}

/** Since when a pending record waits, when known. */
const pendingSince = (deps: ReceiptDeps, id: string) => {
  const at = deps.reports.sentAtOf(id);
  return at === undefined ? {} : { pendingSince: new Date(at).toISOString() };
};

export function receiptRoutes(deps: RouteDeps): Router {
  const router = Router();
  const statusOf = receiptStatus(deps);

  router.get('/v1/receipts', (req, res) => {
    const query = queryReader(req.query as Record<string, unknown>, ['status', 'limit', 'cursor']);
    const status = query.pick('status', STATUSES);
    // The cursor is a position in the order records were first sent: records sent since do not shift it.
    const { limit, end } = query.page(deps.reports.size, DEFAULT_LIMIT, MAX_LIMIT);
    query.check();

    const book = receiptBook(deps);
    const { ids, next } = book.page(status, limit, end);
    const records = ids.map((id) => {
      const { last, sentVersion, status: current } = statusOf(id);
      // The latest receipt whole, read from the node's file: only for the records on the page.
      const receipt = last && (deps.inbound.lastReceipt(id)!.value as unknown as ReceiptValue);
      return {
        id,
        sentVersion,
        status: current,
        ...(current === 'pending' && pendingSince(deps, id)),
        ...(last &&
          receipt && {
            subjectType: receipt.subjectType,
            version: receipt.subjectVersion,
            reasons: receipt.reasons,
            receivedAt: new Date(last.receivedAt).toISOString(),
          }),
      };
    });
    res.json({
      counts: book.counts(),
      records,
      ...(next !== undefined && { nextCursor: positionCursor(next) }),
    });
  });

  router.get('/v1/receipts/:reportId', (req, res) => {
    // The report as the node holds it, whatever the letter case it is named in.
    const reportId = deps.reports.idOf(String(req.params.reportId));
    // Of the latest version sent, as in the list.
    const { last, sentVersion, status, erasure } = statusOf(reportId);
    // Whether the hub took each retention renewal of the record (its receipt answers the renewal's messageId): apart
    // from the record's own, whose status they do not change.
    const renewals = deps.inbound.renewalReceipts(reportId).map((r) => r.value);
    const renewed = renewals.length ? { renewals } : {};
    if (erasure) {
      // Which order erased it, and what came since (a renewal sent too late, refused); nothing of what was erased.
      res.json({
        reportId,
        status,
        sentVersion,
        erasure: erasureView(erasure),
        receipts: deps.inbound.receipts(reportId).map((r) => r.value),
        ...renewed,
      });
      return;
    }
    if (!last) {
      if (sentVersion === 0) throw new HubError('NOT_FOUND', `no report ${reportId} was sent by this node`);
      res.json({ reportId, status, sentVersion, ...pendingSince(deps, reportId), receipts: [], ...renewed });
      return;
    }
    const receipts = deps.inbound.receipts(reportId);
    const latest = receipts.at(-1)!.value as unknown as ReceiptValue;
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
      ...renewed,
    });
  });
  return router;
}
