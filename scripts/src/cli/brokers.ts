// The brokers as a CLI verb meets them: reached before its work starts, and their trouble said in a few words.
import type { HubConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import { createKafka } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import type { Admin } from 'kafkajs';

/** System error codes that mean the brokers are not there to answer (not running, no route, no such host). */
const OUT_OF_REACH: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
]);

/** `err` and its causes, outermost first (at most 5). */
function causesOf(err: unknown): Error[] {
  const causes: Error[] = [];
  for (let e: unknown = err; e instanceof Error && causes.length < 5; e = e.cause) causes.push(e);
  return causes;
}

/**
 * Whether `err` says the brokers are out of reach (refused, no route, no such host, timed out), as opposed to
 * reached but the connection failed on the way (a certificate, TLS, SASL, a connection closed): kafkajs wraps both
 * as a KafkaJSConnectionError, the socket's code kept on it.
 */
export function outOfReach(err: unknown): boolean {
  return causesOf(err).some((e) => {
    const code = (e as { code?: unknown }).code;
    return (
      (typeof code === 'string' && OUT_OF_REACH.has(code)) ||
      e.name === 'KafkaJSRequestTimeoutError' ||
      /\b(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|ETIMEDOUT)\b|connection timeout|timed out/i.test(
        e.message,
      )
    );
  });
}

/**
 * Why talking to the brokers failed, in a few words: out of reach, or what went wrong once reached (the innermost
 * cause's message: a certificate, TLS, SASL, a connection closed, or what they answered).
 */
export function brokerTrouble(brokers: string[], err: unknown): string {
  if (outOfReach(err)) return `brokers ${brokers.join(',')} unreachable`;
  const causes = causesOf(err);
  const innermost = causes[causes.length - 1];
  return `brokers ${brokers.join(',')}: ${innermost?.message ?? String(err)}`;
}

/**
 * The refusal of `verb` when the brokers cannot be reached or refuse it: one line naming them, and what to do (start
 * them only when they are out of reach; otherwise what failed, and the settings that connect to them).
 */
export function unavailable(verb: string, brokers: string[], err: unknown): HubError {
  const advice = outOfReach(err)
    ? "start them ('hub stack up') or point HUB_KAFKA_BROKERS at running ones, then run it again"
    : 'check the connection settings (HUB_KAFKA_SECURITY, HUB_KAFKA_CA_FILE, HUB_KAFKA_USERNAME, the password) against the brokers, then run it again';
  return new HubError(
    'BROKER_UNAVAILABLE',
    `hub ${verb} did nothing: ${brokerTrouble(brokers, err)}; ${advice}`,
    {
      retriable: true,
      cause: err,
    },
  );
}

/**
 * kafkajs retries of the first connection: 3 to 5 s against brokers that refuse connections (instead of the hub's
 * usual 8 retries, about 30 s), since the operator is waiting.
 */
const REACH_RETRIES = 4;

const DETAILED: ReadonlySet<string> = new Set(['debug', 'trace']);

/**
 * Make sure the brokers answer before `verb` starts its work: brokers out of reach are then said once, naming them
 * (BROKER_UNAVAILABLE), instead of kafkajs logging each retry and the verb ending with a stack trace. Each retry is
 * logged only when HUB_LOG_LEVEL asks for details (debug, trace).
 */
export async function reachBrokers(config: HubConfig, verb: string): Promise<void> {
  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: `${config.kafka.clientId}-${verb}`,
    logger: createLogger(verb, {
      level: DETAILED.has(config.logLevel) ? config.logLevel : 'silent',
      stderr: true,
    }),
    security: config.kafka.security,
    retries: REACH_RETRIES,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (err) {
    throw unavailable(verb, config.kafka.brokers, err);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Connect `admin`, a client of `config`'s brokers, for `verb`; brokers gone since reachBrokers are said as it says. */
export async function connectAdmin(admin: Admin, config: HubConfig, verb: string): Promise<void> {
  try {
    await admin.connect();
  } catch (err) {
    throw unavailable(verb, config.kafka.brokers, err);
  }
}
