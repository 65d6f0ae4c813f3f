// Structured JSON logs, one event a line, with the service name on every line.
import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  destination?: DestinationStream;
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
    options.destination,
  );
}
