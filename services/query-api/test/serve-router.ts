// One router of the query API served on an ephemeral port as a given caller, for a route test to ask over HTTP
// without the token check, the caller limit or the other routes of createApp (app.ts).
import express, { type Router } from 'express';
import type { Server } from 'node:http';
import { createLogger } from '@hub/observability';
import type { Caller } from '../src/auth';
import { answerError } from '../src/app';

type Doc = Record<string, unknown>;

/** A status and the JSON body that came with it. */
export interface Answer<T> {
  status: number;
  body: T;
}

/** The router being served, and how to ask it. */
export interface ServedRouter {
  /** http://127.0.0.1:<port>, without a trailing slash. */
  url: string;
  /** GET `path` (from the root, with its query); the body read as JSON. */
  get<T = Doc>(path: string): Promise<Answer<T>>;
  /** POST `body` as JSON to `path`; the answer's body read as JSON. */
  post<T = Doc>(path: string, body: unknown): Promise<Answer<T>>;
  /** Stops serving; resolves once the server is closed. */
  close(): Promise<void>;
}

/**
 * Serves `router` with every request made by `caller` (or, given a function, by whoever it returns at the time of
 * each request, for a test that switches callers), and errors answered by createApp's own handler (answerError).
 */
export async function serveRouter(router: Router, caller: Caller | (() => Caller)): Promise<ServedRouter> {
  const callerNow = typeof caller === 'function' ? caller : () => caller;
  const app = express();
  app.use((req, _res, next) => {
    req.caller = callerNow();
    next();
  });
  app.use(router);
  app.use(answerError(createLogger('test:serve-router', { level: 'silent' }), 0));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const ask = async <T>(path: string, init?: RequestInit): Promise<Answer<T>> => {
    const r = await fetch(`${url}${path}`, init);
    return { status: r.status, body: (await r.json()) as T };
  };
  return {
    url,
    get: (path) => ask(path),
    post: (path, body) =>
      ask(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    close: () => new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve()))),
  };
}
