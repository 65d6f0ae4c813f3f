// `hub node <CC>`: one national node as a process.
import { loadConfig } from '@hub/config';
import { createLogger, createShutdown, exitOnSignals } from '@hub/observability';
import { startNationalNode } from './node';

export async function runNationalNode(country: string, port: number): Promise<void> {
  const config = loadConfig(undefined, { kafkaPrincipal: `node-${country}` });
  const logger = createLogger(`national-node-${country}`, { level: config.logLevel });
  const shutdown = createShutdown(logger);
  exitOnSignals(shutdown);
  const node = await startNationalNode({ config, country, port, logger, host: config.nodeHost });
  shutdown.add({ name: 'national-node', close: () => node.close() });
}
