// How much of the query API one caller may hold at once. Every read a request makes may scan a collection (on
// FerretDB every search does), and each such scan takes store cores the ingest shares. HUB_QUERY_TIMEOUT_S bounds
// how long one read may run; this bounds how many one caller may run together: `limit` requests of a caller are
// worked on at once, up to `limit * QUEUE_FACTOR` more wait their turn in the order they came, and any beyond that
// are answered 429 TOO_MANY_REQUESTS with Retry-After at once, before the store is asked anything. Other callers are
// not affected. The dashboard sends at most 6 requests together, so the default of 8 never makes it wait.
//
// Many callers together are bounded too (HUB_QUERY_TOTAL_CONCURRENCY): the API works on at most `total` requests of
// all its callers at once. A request that has its caller's turn waits for one of these, and they are handed out in
// turn among the callers waiting (round robin), so a caller with eight requests waiting does not hold back one with
// a single request. Beyond `total * QUEUE_FACTOR` waiting, a request is answered 503 QUERY_API_BUSY with Retry-After.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HubError } from '@hub/errors';
import { Counter, Gauge, type Logger, type Registry } from '@hub/observability';

/** Waiting requests allowed per caller, as a multiple of the requests worked on at once. */
export const QUEUE_FACTOR = 4;
/** Seconds the refused are told to wait (Retry-After). */
export const RETRY_AFTER_S = 1;
/**
 * Long-lived streams hold a connection and a place in the feed's fan-out, not the store: they do not take turns,
 * and a caller may hold `limit * QUEUE_FACTOR` of them open at once (a dashboard tab holds one per region it follows,
 * four for a coordinator: 32 by default is eight such tabs).
 */
const STREAM = /^\/v1\/feeds\/[^/]+\/stream\/?$/i;

interface CallerState {
  active: number;
  waiting: (() => void)[];
  /** Requests refused since the caller last had nothing under way (logged once per such burst). */
  refused: number;
}

/**
 * `total` turns shared by every caller, handed out in turn among the callers waiting: the caller first in line gets
 * the next turn and goes to the back of the line if it has more requests waiting.
 */
export class FairTurns {
  private active = 0;
  private waitingCount = 0;
  /** Per caller, its requests waiting in order; the Map's order is the callers' line. */
  private readonly queues = new Map<string, (() => void)[]>();

  constructor(
    readonly total: number,
    readonly maxWaiting: number,
    private readonly onWaiting: (delta: number) => void = () => undefined,
  ) {}

  get waiting(): number {
    return this.waitingCount;
  }

  /** Runs `go` once a turn is the caller's (at once if one is free); 'full' if as many wait as allowed. */
  take(key: string, go: () => void): 'full' | { cancel(): void } {
    if (this.active < this.total) {
      this.active += 1;
      go();
      return { cancel: () => undefined };
    }
    if (this.waitingCount >= this.maxWaiting) return 'full';
    let queue = this.queues.get(key);
    if (!queue) this.queues.set(key, (queue = []));
    queue.push(go);
    this.count(1);
    return {
      // A request that leaves while it waits gives up its place.
      cancel: () => {
        const q = this.queues.get(key);
        const at = q ? q.indexOf(go) : -1;
        if (at < 0) return;
        q!.splice(at, 1);
        if (q!.length === 0) this.queues.delete(key);
        this.count(-1);
      },
    };
  }

  /** Gives a turn back: to the first caller in line, which then goes to the back of the line. */
  release(): void {
    const first = this.queues.entries().next();
    if (first.done) {
      this.active -= 1;
      return;
    }
    const [key, queue] = first.value;
    const go = queue.shift()!;
    this.queues.delete(key);
    if (queue.length) this.queues.set(key, queue);
    this.count(-1);
    go(); // the turn passes on: active stays the same
  }

  private count(delta: number): void {
    this.waitingCount += delta;
    this.onWaiting(delta);
  }
}

export interface CallerLimitOptions {
  /** Requests of one caller worked on at once (HUB_QUERY_CONCURRENCY); 0: no limit. */
  limit: number;
  /** Requests of all callers worked on at once (HUB_QUERY_TOTAL_CONCURRENCY); absent or 0: no limit. */
  total?: number;
  metrics?: Registry;
  /**
   * How long a request whose caller left keeps its turn if its route does not finish first: about the longest its
   * store reads may run (HUB_QUERY_TIMEOUT_S). Default 120 s.
   */
  abandonedHoldMs?: number;
  /** Told of a caller's first refusal in a burst (one burst lasts until the caller has nothing under way). */
  logger?: Pick<Logger, 'warn'>;
}

export function callerLimit(options: CallerLimitOptions): RequestHandler {
  const { limit, total = 0, abandonedHoldMs = 120_000 } = options;
  if (limit <= 0 && total <= 0) return (_req, _res, next) => next();
  const queueMax = limit * QUEUE_FACTOR;
  const callers = new Map<string, CallerState>();
  const streams = new Map<string, { open: number; refused: number }>();
  const registers = options.metrics ? [options.metrics] : [];
  const waitingGauge = new Gauge({
    name: 'hub_query_requests_waiting',
    help: "Requests waiting for one of their caller's turns (HUB_QUERY_CONCURRENCY)",
    registers,
  });
  const working = new Gauge({
    name: 'hub_query_requests_working',
    help: 'Requests being worked on (HUB_QUERY_CONCURRENCY, HUB_QUERY_TOTAL_CONCURRENCY): being answered, or their work going on after the caller left',
    registers,
  });
  const waitingShared = new Gauge({
    name: 'hub_query_requests_waiting_total_limit',
    help: "Requests that have their caller's turn, waiting for one of the turns all callers share (HUB_QUERY_TOTAL_CONCURRENCY)",
    registers,
  });
  const refusedBusy = new Counter({
    name: 'hub_query_requests_refused_busy_total',
    help: 'Requests answered 503 QUERY_API_BUSY: as many requests of all callers were waiting as HUB_QUERY_TOTAL_CONCURRENCY allows',
    registers,
  });
  const shared =
    total > 0 ? new FairTurns(total, total * QUEUE_FACTOR, (d) => waitingShared.inc(d)) : undefined;
  /** Busy refusals since the shared line was last empty (logged once per such burst). */
  let busyRefusals = 0;
  const refused = new Counter({
    name: 'hub_query_requests_refused_total',
    help: 'Requests answered 429 TOO_MANY_REQUESTS: their caller had as many waiting (or feed streams open) as allowed',
    registers,
  });
  const streamsOpen = new Gauge({
    name: 'hub_query_feed_streams_open',
    help: 'Feed streams open (at most four times HUB_QUERY_CONCURRENCY per caller)',
    registers,
  });
  const refuse = (
    req: Request,
    res: Response,
    next: NextFunction,
    first: boolean,
    fields: Record<string, unknown>,
    message: string,
  ) => {
    refused.inc();
    const caller = req.caller!;
    if (first)
      options.logger?.warn(
        { caller: caller.sub, country: caller.country, path: `${req.baseUrl}${req.path}`, limit, ...fields },
        'caller refused: too many requests at once (HUB_QUERY_CONCURRENCY)',
      );
    res.setHeader('retry-after', String(RETRY_AFTER_S));
    next(new HubError('TOO_MANY_REQUESTS', message));
  };
  const refuseBusy = (req: Request, res: Response, next: NextFunction) => {
    refusedBusy.inc();
    const caller = req.caller!;
    if (busyRefusals++ === 0)
      options.logger?.warn(
        {
          caller: caller.sub,
          country: caller.country,
          path: `${req.baseUrl}${req.path}`,
          total,
          waiting: shared!.waiting,
        },
        'request refused: the query API is busy with requests of many callers (HUB_QUERY_TOTAL_CONCURRENCY)',
      );
    res.setHeader('retry-after', String(RETRY_AFTER_S));
    next(
      new HubError(
        'QUERY_API_BUSY',
        `the query API is working on ${total} requests of its callers (HUB_QUERY_TOTAL_CONCURRENCY=${total}) and ${shared!.waiting} more are waiting; send this again after ${RETRY_AFTER_S} s`,
        { retriable: true },
      ),
    );
  };

  /** A feed stream: counted while open, refused beyond `queueMax` open. */
  const stream = (key: string, req: Request, res: Response, next: NextFunction) => {
    let st = streams.get(key);
    if (!st) streams.set(key, (st = { open: 0, refused: 0 }));
    const s = st;
    if (limit > 0 && s.open >= queueMax)
      return refuse(
        req,
        res,
        next,
        s.refused++ === 0,
        { streams: s.open },
        `${req.caller!.sub} has ${s.open} feed streams open, the most allowed (four times HUB_QUERY_CONCURRENCY=${limit}); close one (a dashboard tab), then connect again`,
      );
    s.open += 1;
    streamsOpen.inc();
    res.once('close', () => {
      s.open -= 1;
      streamsOpen.dec();
      if (s.open === 0) streams.delete(key);
    });
    next();
  };

  const release = (key: string, state: CallerState) => {
    const next = state.waiting.shift();
    if (next) {
      waitingGauge.dec();
      next(); // the turn passes on: active stays the same
      return;
    }
    state.active -= 1;
    if (state.active === 0) callers.delete(key);
  };

  return (req: Request, res: Response, next: NextFunction) => {
    const caller = req.caller;
    if (!caller) return next();
    const key = `${caller.country}/${caller.sub}`;
    if (STREAM.test(`${req.baseUrl}${req.path}`)) return stream(key, req, res, next);
    let state = callers.get(key);
    if (!state) callers.set(key, (state = { active: 0, waiting: [], refused: 0 }));
    const s = state;
    // A turn ends when the request's work does, not when its caller leaves: a caller that sends searches and
    // hangs up at once must not start more store reads than its turns. Every route answers once, at the end of its
    // work (res.end), also after the caller has left; a route that would not is given `abandonedHoldMs`.
    const start = () => {
      let done = false;
      let ended = false;
      let closed = false;
      /** Whether the request holds one of the shared turns (or none are counted) and is being worked on. */
      let underWay = false;
      /** Gives up the place in the shared line while the request waits in it. */
      const wait = { cancel: (): void => undefined };
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (underWay) {
          working.dec();
          shared?.release();
        } else wait.cancel();
        if (shared && shared.waiting === 0) busyRefusals = 0;
        release(key, s);
      };
      const end = res.end;
      res.end = function (this: Response, ...args: unknown[]) {
        ended = true;
        if (closed) finish();
        return (end as (...a: unknown[]) => Response).apply(this, args);
      } as Response['end'];
      res.once('close', () => {
        closed = true;
        // A caller that leaves while its request waits for a shared turn gives it up: it never reaches the store.
        if (ended || !underWay) finish();
        else timer = setTimeout(finish, abandonedHoldMs).unref();
      });
      const go = () => {
        underWay = true;
        working.inc();
        next();
      };
      if (!shared) return go();
      const taken = shared.take(key, go);
      if (taken === 'full') return refuseBusy(req, res, next);
      wait.cancel = taken.cancel;
    };
    if (limit <= 0 || s.active < limit) {
      s.active += 1;
      return start();
    }
    if (s.waiting.length >= queueMax)
      return refuse(
        req,
        res,
        next,
        s.refused++ === 0,
        { waiting: queueMax },
        `${caller.sub} has ${limit} requests being answered and ${queueMax} waiting (HUB_QUERY_CONCURRENCY=${limit}); wait for them, then send this again`,
      );
    // A caller that leaves while waiting gives up its place, and never reaches the store.
    const turn = () => {
      res.off('close', leave);
      start();
    };
    const leave = () => {
      const at = s.waiting.indexOf(turn);
      if (at < 0) return;
      s.waiting.splice(at, 1);
      waitingGauge.dec();
      if (s.active === 0 && s.waiting.length === 0) callers.delete(key);
    };
    res.once('close', leave);
    s.waiting.push(turn);
    waitingGauge.inc();
  };
}
