// Small helpers of the broker security tests: free ports for a broker of their own, and reading a refusal.
import { createServer } from 'node:net';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
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
