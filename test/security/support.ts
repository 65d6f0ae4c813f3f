// Small helpers of the broker security tests: free ports for a broker of their own, and reading a refusal.
import { freePorts } from '../support/servers';

/** Three distinct free ports for a broker of a test's own: client, internal and controller listeners. */
export async function listenerPorts(): Promise<{ client: number; internal: number; controller: number }> {
  const [client, internal, controller] = (await freePorts(3)) as [number, number, number];
  return { client, internal, controller };
}

interface KafkaJsError {
  type?: string;
  originalError?: unknown;
  cause?: unknown;
  errors?: unknown[];
}

/** The kafkajs error type of a refusal (TOPIC_AUTHORIZATION_FAILED, ...), looking through retry and aggregate wrappers. */
export function refusal(err: unknown): string {
  let e = err as KafkaJsError | undefined;
  for (let i = 0; i < 5 && e; i++) {
    if (e.type && e.type !== 'UNKNOWN') return e.type;
    e = (e.originalError ?? e.cause ?? e.errors?.[0]) as KafkaJsError | undefined;
  }
  return `${(err as Error).name}: ${(err as Error).message}`;
}

/** What the broker answered to `action`; fails the test when it was allowed. */
export async function refusedWith(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
  } catch (err) {
    return refusal(err);
  }
  throw new Error('the broker allowed it');
}
