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
  /** Told of a caller's first refusal in a burst (one burst lasts until the caller has nothing under way). */
  logger?: Pick<Logger, 'warn'>;
}

export function callerLimit(options: CallerLimitOptions): RequestHandler {
  const { limit } = options;
  if (limit <= 0) return (_req, _res, next) => next();
  const queueMax = limit * QUEUE_FACTOR;
  const callers = new Map<string, CallerState>();
  const registers = options.metrics ? [options.metrics] : [];
  const waitingGauge = new Gauge({
    name: 'hub_query_requests_waiting',
    help: "Requests waiting for one of their caller's turns (HUB_QUERY_CONCURRENCY)",
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
    const start = () => {
      let done = false;
      res.once('close', () => {
        if (done) return;
        done = true;
        release(key, s);
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
