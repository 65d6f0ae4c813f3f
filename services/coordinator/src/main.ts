// `hub coordinator`: the coordination node as a process.
import { loadConfig } from '@hub/config';
import { createLogger, createShutdown, exitOnSignals } from '@hub/observability';
import { startCoordinator } from './coordinator';

export async function runCoordinator(opsPort: number): Promise<void> {
  const config = loadConfig(undefined, { kafkaPrincipal: 'coordinator' });
  const logger = createLogger('coordinator', { level: config.logLevel });
  const shutdown = createShutdown(logger);
  exitOnSignals(shutdown);
  const coordinator = await startCoordinator({ config, logger, opsPort });
  shutdown.add({ name: 'coordinator', close: () => coordinator.close() });
}
