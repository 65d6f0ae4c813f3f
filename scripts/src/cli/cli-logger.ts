// The logger of a CLI verb that runs the hub's own code inside it (a coordinator, send-only nodes, a redrive).
import type { HubConfig } from '@hub/config';
import { createLogger, type Logger } from '@hub/observability';

/**
 * On stderr, stdout being the verb's result; at HUB_LOG_LEVEL as the configuration checked it, or warn when it is
 * not set (a verb run by hand says what it does in its own lines, not the services' info logs).
 */
export function cliLogger(service: string, config: HubConfig): Logger {
  return createLogger(service, { level: config.logLevelSet ? config.logLevel : 'warn', stderr: true });
}
