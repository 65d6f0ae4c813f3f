// Wiring of the query API service.
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { HubConfig } from '@hub/config';
import { createMetricsRegistry, serviceLogger, storeCommandMetrics, type Logger } from '@hub/observability';
import { PkiStore, createTrustStore } from '@hub/pki';
import { loadRegions, loadSchemaRegistry } from '@hub/schemas';
import { connectStore } from '@hub/store';
import { createApp } from './app';
import { createAuditLog } from './audit';
import { feedStreams } from './feed-stream';
import { authDir, followKeyRing } from './issuer';
import { withReadTimeout } from './store-limits';
import { topicNames } from '@hub/kafka';

export interface QueryApiOptions {
  config: HubConfig;
  logger: Logger;
  port: number;
  host?: string;
  /** How long a feed record whose signer is not known yet waits for its certificate (default 15 s). */
  feedSignerGraceMs?: number;
  /** How many records a reconnecting feed client may have read back from the broker (default 10,000). */
  feedReplayRecords?: number;
}

export interface RunningQueryApi {
  url: string;
  close(): Promise<void>;
}

export async function startQueryApi(options: QueryApiOptions): Promise<RunningQueryApi> {
  const { config } = options;
  const logger = serviceLogger(options.logger, 'query-api');
  const metrics = createMetricsRegistry('query-api');
  const store = await connectStore({
    url: config.mongo.url,
    dbName: config.mongo.dbName,
    appName: 'query-api',
    onCommand: storeCommandMetrics(metrics),
  });
  await store.ensureIndexes();
  // Followed, not read once: a signing key removed from the folder stops verifying tokens within a minute.
  const keys = followKeyRing(authDir(config.hubHome), {
    onError: (err) =>
      logger.warn({ err }, 'token signing keys could not be read again; those still on disk stay in use'),
  });
  const audit = createAuditLog(store);
  const pki = new PkiStore(join(config.hubHome, 'pki'));
  // Kept current from hub.pki once a feed stream is open; provenance also reads the CA files at each look, so a CA
  // rollover reaches it without a restart either way.
  const trust = createTrustStore(pki.caCertPem());
  const feeds = feedStreams({
    config,
    logger,
    registry: loadSchemaRegistry(),
    regions: loadRegions(),
    trust,
    audit,
    metrics,
    signerGraceMs: options.feedSignerGraceMs,
    replayRecords: options.feedReplayRecords,
    keys,
    // What is given again (held, or read back after Last-Event-ID) is judged by the store as it is now.
    store: withReadTimeout(store, config.queryTimeoutMs),
  });
  const app = createApp({
    names: topicNames(config.namespace),
    // Reads on a caller's behalf are bounded; the audit log (written for every read) and the health check are not.
    store: withReadTimeout(store, config.queryTimeoutMs),
    queryTimeoutMs: config.queryTimeoutMs,
    concurrency: config.queryConcurrency,
    totalConcurrency: config.queryTotalConcurrency,
    keys,
    audit,
    extra: [feeds.router],
    caPem: () => `${pki.caCertPem()}${trust.caBundlePem()}`,
    metrics,
    logger,
    health: [{ name: 'store', check: async () => ({ ok: await store.ping() }) }],
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port, options.host ?? '127.0.0.1', (err?: Error) =>
      err ? reject(err) : resolve(s),
    );
    s.on('error', reject);
  });
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  logger.info({ url }, 'query API ready');
  return {
    url,
    async close() {
      // No new connections; then the feed streams ended, so that their connections close too. Waiting for the
      // server first waited for every open stream's client to go away: with a dashboard's live feed open, a SIGTERM
      // ended only at the shutdown's time-out, with exit code 1.
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await feeds.close();
      await closed;
      await store.close();
    },
  };
}
