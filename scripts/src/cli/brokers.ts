// The brokers as a CLI verb meets them: reached before its work starts, and their trouble said in a few words.
import type { HubConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import { createKafka } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import type { Admin } from 'kafkajs';

/** Why talking to the brokers failed, in a few words: out of reach, or what they answered. */
export function brokerTrouble(brokers: string[], err: unknown): string {
  const causes: string[] = [];
  for (let e: unknown = err; e instanceof Error && causes.length < 5; e = e.cause)
    causes.push(`${e.name} ${e.message}`);
  const text = causes.join(' ');
  return /connect|ECONNREFUSED|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EAI_AGAIN|timed? ?out/i.test(text)
    ? `brokers ${brokers.join(',')} unreachable`
    : `brokers ${brokers.join(',')}: ${(err as Error)?.message ?? String(err)}`;
}

/** The refusal of `verb` when the brokers cannot be reached or refuse it: one line naming them, and what to do. */
function unavailable(verb: string, brokers: string[], err: unknown): HubError {
  return new HubError(
    'BROKER_UNAVAILABLE',
    `hub ${verb} did nothing: ${brokerTrouble(brokers, err)}; start them ('hub stack up') or point HUB_KAFKA_BROKERS at running ones, then run it again`,
    { retriable: true, cause: err },
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
