// `hub api`: the query API and dashboard as a process.
import { loadConfig } from '@hub/config';
import { createLogger, createShutdown, exitOnSignals } from '@hub/observability';
import { startQueryApi } from './api';

export async function runQueryApi(port: number): Promise<void> {
  const config = loadConfig(undefined, { kafkaPrincipal: 'query-api' });
  const logger = createLogger('query-api', { level: config.logLevel });
  const shutdown = createShutdown(logger);
  exitOnSignals(shutdown);
  const api = await startQueryApi({ config, logger, port, host: '0.0.0.0' });
  shutdown.add({ name: 'query-api', close: () => api.close() });
}
