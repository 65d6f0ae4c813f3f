// /healthz and /metrics for every service, as an express router or a small stand-alone server.
import express, { type Router } from 'express';
import type { Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthCheck {
  name: string;
  /** Resolves to details when healthy; throws or returns { ok: false } when not. */
  check: () => Promise<{ ok: boolean; detail?: unknown }>;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: Record<string, { ok: boolean; detail?: unknown }>;
}

export async function runHealthChecks(checks: HealthCheck[]): Promise<HealthReport> {
  const results: HealthReport['checks'] = {};
  await Promise.all(
    checks.map(async (c) => {
      try {
        results[c.name] = await c.check();
      } catch (err) {
        results[c.name] = { ok: false, detail: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  const ok = Object.values(results).every((r) => r.ok);
  return { status: ok ? 'ok' : 'degraded', checks: results };
}

/** Router with GET /healthz (200 when every check passes, 503 otherwise) and GET /metrics. */
export function opsRouter(registry: Registry, checks: HealthCheck[]): Router {
  const router = express.Router();
  router.get('/healthz', async (_req, res) => {
    const report = await runHealthChecks(checks);
    res.status(report.status === 'ok' ? 200 : 503).json(report);
  });
  router.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  return router;
}

/** A server that only answers /healthz and /metrics, for services without an HTTP API of their own. */
export function startOpsServer(
  port: number,
  registry: Registry,
  checks: HealthCheck[],
  host = '127.0.0.1',
): Promise<Server> {
  const app = express();
  app.use(opsRouter(registry, checks));
  return new Promise((resolve, reject) => {
    // Express 5 passes a listen error (a port in use) to this callback.
    const server = app.listen(port, host, (err?: Error) => (err ? reject(err) : resolve(server)));
    server.on('error', reject);
  });
}
