// How much of the query API one caller may hold at once. Every read a request makes may scan a collection (on
// FerretDB every search does), and each such scan takes store cores the ingest shares. HUB_QUERY_TIMEOUT_S bounds
// how long one read may run; this bounds how many one caller may run together: `limit` requests of a caller are
// worked on at once, up to `limit * QUEUE_FACTOR` more wait their turn in the order they came, and any beyond that
// are answered 429 TOO_MANY_REQUESTS with Retry-After at once, before the store is asked anything. Other callers are
// not affected. The dashboard sends at most 6 requests together, so the default of 8 never makes it wait.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { HubError } from '@hub/errors';
import { Counter, Gauge, type Logger, type Registry } from '@hub/observability';

/** Waiting requests allowed per caller, as a multiple of the requests worked on at once. */
export const QUEUE_FACTOR = 4;
/** Seconds the refused are told to wait (Retry-After). */
export const RETRY_AFTER_S = 1;
/** Long-lived streams hold a connection, not the store: they are not counted. */
const EXEMPT = /^\/v1\/feeds\/[^/]+\/stream$/;

interface CallerState {
  active: number;
  waiting: (() => void)[];
  /** Requests refused since the caller last had nothing under way (logged once per such burst). */
  refused: number;
}

export interface CallerLimitOptions {
  /** Requests of one caller worked on at once (HUB_QUERY_CONCURRENCY); 0: no limit. */
  limit: number;
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
  const { limit, abandonedHoldMs = 120_000 } = options;
  if (limit <= 0) return (_req, _res, next) => next();
  const queueMax = limit * QUEUE_FACTOR;
  const callers = new Map<string, CallerState>();
  const registers = options.metrics ? [options.metrics] : [];
  const waitingGauge = new Gauge({
    name: 'hub_query_requests_waiting',
    help: "Requests waiting for one of their caller's turns (HUB_QUERY_CONCURRENCY)",
    registers,
  });
  const working = new Gauge({
    name: 'hub_query_requests_working',
    help: "Requests holding one of their caller's turns (HUB_QUERY_CONCURRENCY): being answered, or their work going on after the caller left",
    registers,
  });
  const refused = new Counter({
    name: 'hub_query_requests_refused_total',
    help: 'Requests answered 429 TOO_MANY_REQUESTS: their caller had as many waiting as allowed',
    registers,
  });

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
    const path = `${req.baseUrl}${req.path}`;
    if (!caller || EXEMPT.test(path)) return next();
    const key = `${caller.country}/${caller.sub}`;
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
      let timer: NodeJS.Timeout | undefined;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        working.dec();
        release(key, s);
      };
      const end = res.end;
      res.end = function (this: Response, ...args: unknown[]) {
        ended = true;
        if (closed) finish();
        return (end as (...a: unknown[]) => Response).apply(this, args);
      } as Response['end'];
      working.inc();
      res.once('close', () => {
        closed = true;
        if (ended) finish();
        else timer = setTimeout(finish, abandonedHoldMs).unref();
      });
      next();
    };
    if (s.active < limit) {
      s.active += 1;
      return start();
    }
    if (s.waiting.length >= queueMax) {
      refused.inc();
      if (s.refused++ === 0)
        options.logger?.warn(
          { caller: caller.sub, country: caller.country, path, limit, waiting: queueMax },
          'caller refused: too many requests at once (HUB_QUERY_CONCURRENCY)',
        );
      res.setHeader('retry-after', String(RETRY_AFTER_S));
      return next(
        new HubError(
          'TOO_MANY_REQUESTS',
          `${caller.sub} has ${limit} requests being answered and ${queueMax} waiting (HUB_QUERY_CONCURRENCY=${limit}); wait for them, then send this again`,
        ),
      );
    }
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
