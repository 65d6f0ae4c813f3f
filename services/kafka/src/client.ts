// The kafkajs client behind our own small module, so that a change of client touches one place.
import { Kafka, logLevel, type KafkaConfig, type LogEntry, type SASLOptions } from 'kafkajs';
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import type { Logger } from '@hub/observability';
import './kafkajs-fixes';

/** The broker security profile as HubConfig carries it (`config.kafka.security`). */
export interface KafkaClientSecurity {
  protocol: 'sasl_ssl';
  mechanism: 'scram-sha-512';
  username: string;
  password: string;
  /** The file `password` was read from: read again at each new connection (its first line). */
  passwordFile?: string;
  /** The CA that issued the brokers' certificates, PEM. */
  caPem: string;
}

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** TLS and SASL/SCRAM from the configuration; `ssl` and `sasl` below override its parts. */
  security?: KafkaClientSecurity;
  ssl?: ConnectionOptions;
  sasl?: SASLOptions;
  connectionTimeoutMs?: number;
  /** Retries of a failed connection or request before giving up (default 8, about a minute in all). */
  retries?: number;
}

/** kafkajs's `ssl` and `sasl` for the security profile: the hub CA as the only trust anchor, SCRAM-SHA-512. */
export function securityOptions(security: KafkaClientSecurity): {
  ssl: ConnectionOptions;
  sasl: SASLOptions;
} {
  return {
    ssl: { ca: [security.caPem], rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    sasl: scramOptions(security),
  };
}

/**
 * SCRAM-SHA-512 as kafkajs takes it. kafkajs keeps this object and reads `password` at each authentication (each new
 * connection to a broker), so when the password was read from a file (`passwordFile` holds it now), the getter gives
 * the file's current password: once a password is rotated (the broker's credential changed, then the file), every
 * new connection uses the new one, without a restart. Connections already open stay authenticated. An unreadable or
 * empty file leaves the last password read. A password given apart from its file (another than the file holds) is
 * used as given.
 */
export function scramOptions(security: KafkaClientSecurity): SASLOptions {
  const read = (file: string): string | undefined => {
    try {
      return readFileSync(file, 'utf8').split(/\r?\n/)[0] || undefined;
    } catch {
      return undefined; // being replaced, or gone
    }
  };
  const file =
    security.passwordFile && read(security.passwordFile) === security.password
      ? security.passwordFile
      : undefined;
  let last = security.password;
  const password = (): string => (file ? (last = read(file) ?? last) : last);
  const sasl = { mechanism: 'scram-sha-512', username: security.username } as SASLOptions;
  Object.defineProperty(sasl, 'password', { get: password, enumerable: true });
  return sasl;
}

const LEVELS: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

// kafkajs logs transient coordinator start-up errors at ERROR level although it retries them, and warns at every
// producer it creates about its partitioner change and about retries we limit on purpose; all are noise.
const TRANSIENT =
  /coordinator is (loading|not available)|not the correct coordinator|leadership election|There is no leader|switched default partitioner|Limiting retries for the idempotent producer/i;

export function createKafka(options: KafkaClientOptions): Kafka {
  const log = options.logger.child({ component: 'kafkajs' });
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: options.brokers,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    retry: { initialRetryTime: 200, retries: options.retries ?? 8, maxRetryTime: 10000 },
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        const lvl = TRANSIENT.test(String(rest.error ?? message)) ? 'debug' : (LEVELS[level] ?? 'info');
        log[lvl]({ ...rest, timestamp: undefined, logger: undefined }, message);
      },
  };
  if (options.security) Object.assign(config, securityOptions(options.security));
  if (options.ssl) config.ssl = options.ssl;
  if (options.sasl) config.sasl = options.sasl;
  return new Kafka(config);
}
