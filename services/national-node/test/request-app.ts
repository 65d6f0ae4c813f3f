// A national node's information request routes without a stack, for the request tests: the routes over a real
// requests log and inbound store in a directory of the test's own (or one given: the node started again over the same
// files), and a submitter that signs nothing but keeps what it was given.
import { expect } from 'chai';
import express, { type NextFunction, type Request, type Response } from 'express';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError, ValidationError } from '@hub/errors';
import type { SchemaRegistry } from '@hub/schemas';
import { httpStatusOf } from '../src/error-status';
import { InboundStore } from '../src/inbox-store';
import { RequestsLog } from '../src/requests-log';
import { requestRoutes, type RequestRoutesDeps } from '../src/routes-requests';

export const NOW = Date.UTC(2026, 2, 14, 9, 0);
export const HOUR = 3600000;
export const regions = new Set(['central-asia']);

export type Body = Record<string, unknown> & { error?: { code: string; message: string } };

export interface RequestNode {
  /** The node's folder (its inbound.jsonl, requests.jsonl). */
  dir: string;
  inbound: InboundStore;
  submitted: { type: string; key: string; value: Record<string, unknown> }[];
  now: number;
  post(path: string, body: unknown): Promise<{ status: number; body: Body }>;
  list(query?: string): Promise<Record<string, unknown>[]>;
  /** Stops the server; `keepFiles`: leaves its folder, for the node to be started again over it. */
  close(keepFiles?: boolean): void;
}

/**
 * `country`'s node: its request routes, its requests log and inbound store in a fresh directory or in `dir`;
 * `registry`: what its routes read again the notices kept unreadable with (default: this release's schemas);
 * `submitter`, `requests`, `clock`: the node's own, in place of one that keeps what it is given (`submitted`), a
 * requests log in its directory and a clock standing at `now`.
 */
export async function startRequestNode(
  country: string,
  options: {
    dir?: string;
    registry?: SchemaRegistry;
    submitter?: RequestRoutesDeps['submitter'];
    requests?: RequestsLog;
    clock?: () => number;
  } = {},
): Promise<RequestNode> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'hub-node-requests-'));
  const inbound = new InboundStore(join(dir, 'inbound.jsonl'));
  const node = { dir, inbound, submitted: [], now: NOW } as unknown as RequestNode;
  const app = express();
  app.use(express.json());
  app.use(
    requestRoutes({
      country,
      submitter: options.submitter ?? {
        async submit(type, key, value) {
          node.submitted.push({ type, key, value: value as Record<string, unknown> });
          return { messageId: randomUUID() };
        },
      },
      inbound,
      requests: options.requests ?? new RequestsLog(join(dir, 'requests.jsonl')),
      regions,
      clock: options.clock ?? (() => node.now),
      ...(options.registry && { registry: options.registry }),
    }),
  );
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ValidationError) res.status(400).json({ errors: err.errors });
    else if (err instanceof HubError)
      res.status(httpStatusOf(err)).json({ error: { code: err.code, message: err.message } });
    else res.status(500).json({ error: { code: 'INTERNAL', message: String(err) } });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return Object.assign(node, {
    async post(path: string, body: unknown) {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Body };
    },
    async list(query = '') {
      const res = await fetch(`${url}/v1/requests${query}`);
      expect(res.status).to.equal(200);
      return ((await res.json()) as { requests: Record<string, unknown>[] }).requests;
    },
    close(keepFiles = false) {
      server.closeAllConnections();
      server.close();
      if (!keepFiles) rmSync(dir, { recursive: true, force: true });
    },
  });
}
