// The kafkajs client behind our own small module, so that a change of client touches one place.
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from '@hub/observability';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  ssl?: ConnectionOptions;
  sasl?: SASLOptions;
  connectionTimeoutMs?: number;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

// kafkajs logs transient coordinator start-up errors at ERROR level although it retries them; they are noise.
const TRANSIENT =
  /coordinator is (loading|not available)|not the correct coordinator|leadership election|There is no leader/i;

export function createKafka(options: KafkaClientOptions): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    retry: { initialRetryTime: 200, retries: 8, maxRetryTime: 10000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const lvl = TRANSIENT.test(String(rest.error ?? message)) ? 'debug' : (LEVELS[level] ?? 'info');
        log[lvl]({ ...rest, timestamp: undefined, logger: undefined }, message);
      },
  };
  if (options.ssl) config.ssl = options.ssl;
  if (options.sasl) config.sasl = options.sasl;
  return new Kafka(config);
}
