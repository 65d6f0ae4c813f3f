// A list route's test harness: the node's routers on a loopback port, over a real index and inbox file in a
// directory of the test's own (KZ's: the index told of the erasure orders the inbox takes, as node.ts wires it), with
// the node's answer to a refusal (400 naming each parameter) and to its other errors
// (their status by their code: 404 NOT_FOUND, 409 CONFLICT).
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError, ValidationError } from '@hub/errors';
import { createLogger } from '@hub/observability';
import { followErasures } from '../src/erasures';
import { httpStatusOf } from '../src/error-status';
import { InboundStore } from '../src/inbox-store';
import { ReportsIndex } from '../src/reports-index';

export interface Served {
  url: string;
  reports: ReportsIndex;
  inbound: InboundStore;
  close(): void;
}

export async function serveRoutes(
  routers: (parts: { reports: ReportsIndex; inbound: InboundStore }) => Router[],
): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-node-routes-'));
  const reports = new ReportsIndex(join(dir, 'reports.idx'));
  const inbound = new InboundStore(join(dir, 'inbound.jsonl'));
  followErasures({
    inbound,
    reports,
    country: 'KZ',
    logger: createLogger('test:routes', { level: 'silent' }),
  });
  const app = express();
  for (const r of routers({ reports, inbound })) app.use(r);
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ValidationError) res.status(400).json({ errors: err.errors });
    else if (err instanceof HubError)
      res.status(httpStatusOf(err)).json({ error: { code: err.code, message: err.message } });
    else res.status(500).json({ error: String(err) });
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    reports,
    inbound,
    close() {
      server.close();
      reports.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
