// Structured JSON logs, one event a line, with the service name on every line.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  destination?: DestinationStream;
  /** Log to stderr instead of stdout (a CLI verb whose stdout is its result). */
  stderr?: boolean;
}

/** A pino logger for one service. Never log payloads, signatures or keys: log ids (reportId, messageId, node). */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: service,
      level: options.level ?? 'info',
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: [
          '*.privateKey',
          '*.signature',
          '*.payload',
          'authorization',
          '*.authorization',
          '*.password',
          '*.*.password',
        ],
        censor: '[redacted]',
      },
    },
    options.destination ?? (options.stderr ? pino.destination(2) : undefined),
  );
}

/**
 * The logger a service uses inside a process: the process's own when it is that service (`hub coordinator`), or a
 * child marked `role: <service>` when it runs inside another's (the tests, the bench). Never a second `service` key:
 * pino does not merge bindings, and a line with a key twice is refused by stricter JSON readers (Elasticsearch).
 */
export function serviceLogger(logger: Logger, service: string): Logger {
  return logger.bindings().service === service ? logger : logger.child({ role: service });
}
