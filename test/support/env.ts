// Test environment on the real local stack: each test file gets its own namespace (topics, groups, database)
// and its own HUB_HOME, so files never see each other's leftovers and can run on one broker and store.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type HubConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import { createLogger, type Logger } from '@hub/observability';

export interface TestEnv {
  config: HubConfig;
  logger: Logger;
  /** A fresh folder for keys, outboxes and other files of this test; removed by `cleanup`. */
  home: string;
  cleanup(): void;
}

/** A namespace-isolated config pointing at the running local stack (or HUB_KAFKA_BROKERS / HUB_MONGO_URL). */
export function createTestEnv(name: string): TestEnv {
  const namespace = `t-${name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 20)}-${randomBytes(3).toString('hex')}`;
  const home = mkdtempSync(join(tmpdir(), `hub-${name.slice(0, 20)}-`));
  const base = loadConfig(process.env);
  const config: HubConfig = {
    ...base,
    hubHome: home,
    namespace,
    mongo: { ...base.mongo, dbName: `seizurehub-${namespace}` },
  };
  const logger = createLogger(`test:${name}`, { level: process.env.HUB_TEST_LOG_LEVEL ?? 'silent' });
  return {
    config,
    logger,
    home,
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `probe` returns a value other than undefined/false, or fail with `what` after `timeoutMs`. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 20000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v as T;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`,
      );
    }
    await sleep(everyMs);
  }
}

/** The test env as environment variables, for running the `hub` CLI against it. */
export function cliEnv(env: TestEnv): NodeJS.ProcessEnv {
  return {
    ...process.env,
    HUB_HOME: env.home,
    HUB_NAMESPACE: env.config.namespace,
    HUB_KAFKA_BROKERS: env.config.kafka.brokers.join(','),
    HUB_MONGO_URL: env.config.mongo.url,
    // Given as the URL itself: a file naming one too would be refused beside it.
    HUB_MONGO_URL_FILE: undefined,
  };
}

/** The HubError `p` rejects with (fails the test if it resolves, or rejects with anything else). */
export async function hubErrorOf(p: Promise<unknown>): Promise<HubError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).to.be.instanceOf(HubError);
  return err as HubError;
}
