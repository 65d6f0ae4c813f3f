// /healthz and /metrics for every service, as an express router or a small stand-alone server.
import express, { type RequestHandler, type Router } from 'express';
import type { Server } from 'node:http';
import { Histogram, type Registry } from 'prom-client';

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

/**
 * `hub_http_request_seconds`, by method, route (the path pattern that answered, such as `/v1/seizures/:reportId`;
 * `unmatched` for none) and status (`aborted`: the caller left before the answer): how many requests each route
 * answered, how long they took and how they ended. Mounted first, so that it sees every request.
 */
export function httpRequestMetrics(registry: Registry): RequestHandler {
  const seconds = new Histogram({
    name: 'hub_http_request_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status (aborted: the caller left first)',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.025, 0.1, 0.5, 2.5, 10, 60, 300],
    registers: [registry],
  });
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.once('close', () => {
      const pattern = (req.route as { path?: unknown } | undefined)?.path;
      seconds.observe(
        {
          method: req.method,
          route: typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : 'unmatched',
          status: res.writableFinished ? String(res.statusCode) : 'aborted',
        },
        Number(process.hrtime.bigint() - start) / 1e9,
      );
    });
    next();
  };
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
