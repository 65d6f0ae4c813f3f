// Graceful shutdown on SIGTERM/SIGINT: stop taking work, drain, close clients, in reverse start order.
import type { Logger } from 'pino';

export interface Closable {
  name: string;
  close: () => Promise<void>;
}

export interface ShutdownController {
  /** Register something to close; closed in reverse order of registration. */
  add(closable: Closable): void;
  /** Close everything once; later calls return the same promise. */
  shutdown(reason: string): Promise<void>;
  readonly stopping: boolean;
}

export function createShutdown(logger: Logger, timeoutMs = 15000): ShutdownController {
  const items: Closable[] = [];
  let running: Promise<void> | undefined;
  const controller: ShutdownController = {
    add: (c) => {
      items.push(c);
    },
    get stopping() {
      return running !== undefined;
    },
    shutdown(reason) {
      running ??= (async () => {
        logger.info({ reason }, 'shutting down');
        const timer = setTimeout(() => {
          logger.error({ timeoutMs }, 'shutdown timed out; exiting');
          process.exit(1);
        }, timeoutMs);
        timer.unref();
        for (const item of [...items].reverse()) {
          try {
            await item.close();
            logger.info({ component: item.name }, 'closed');
          } catch (err) {
            logger.error({ component: item.name, err }, 'close failed');
          }
        }
        clearTimeout(timer);
      })();
      return running;
    },
  };
  return controller;
}

/** Wire SIGTERM and SIGINT to the controller, then exit 0. */
export function exitOnSignals(controller: ShutdownController): void {
  const handler = (signal: NodeJS.Signals) => {
    void controller.shutdown(signal).then(() => process.exit(0));
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
