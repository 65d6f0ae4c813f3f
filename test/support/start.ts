// `hub start` (npm start) run by a test as a user runs it: a process of its own with the test's HUB_HOME, its own
// ports for the API and the demo nodes, and demo data; stopped with SIGTERM as Ctrl-C would.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import { spawnHub, type Child } from '../../scripts/src/run/children';
import { hubSync } from './cli';
import { waitUntil, type TestEnv } from './env';
import { claimPort, freePort } from './servers';

export interface Endpoints {
  api: string;
  kafka: string;
  kafkaSecurity: string;
  mongo: string;
  nodes: Record<string, string>;
  token: string;
}

export interface StartedHub {
  child: Child;
  endpoints: Endpoints;
  /** SIGTERM, and the exit code. */
  stop(): Promise<number | null>;
}

/**
 * A free port p with p + 1 free too (the demo nodes listen on HUB_NODE_BASE_PORT + i; the coordinator's /healthz and
 * /metrics on HUB_API_PORT + 1, which, unclaimed, was once a port in use: `hub start` failed, its coordinator
 * refused with EADDRINUSE).
 */
async function twoFreePorts(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p < 65000 && (await claimPort(p + 1))) return p;
  }
}

/** The environment of `hub` commands for this test: its HUB_HOME, namespace, store and ports; two demo countries. */
export async function startEnv(env: TestEnv, more: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
  const cli: NodeJS.ProcessEnv = {
    ...process.env,
    HUB_HOME: env.home,
    HUB_NAMESPACE: env.config.namespace,
    HUB_CACHE_DIR: env.config.cacheDir,
    HUB_MONGO_URL: env.config.mongo.url,
    HUB_MONGO_URL_FILE: undefined,
    HUB_API_PORT: String(await twoFreePorts()),
    HUB_NODE_BASE_PORT: String(await twoFreePorts()),
    HUB_DEMO_COUNTRIES: 'KZ,KG',
    HUB_LOG_LEVEL: 'info',
    ...more,
  };
  delete cli.HUB_KAFKA_SECURITY;
  for (const [k, v] of Object.entries(more)) if (v === undefined) delete cli[k];
  return cli;
}

/**
 * The end of each service log that `hub start` pointed at ("see <file>": a service that exited), read now: the test's
 * HUB_HOME, where they are, is removed after it.
 */
function servicesLogs(startLog: string): string {
  return [...new Set([...startLog.matchAll(/see (\S+\.log)/g)].map((m) => m[1] as string))]
    .map((file) => {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        text = `(not readable: ${(err as Error).message})`;
      }
      return `\n--- ${file} ends:\n${text.split('\n').slice(-30).join('\n').slice(-6000)}`;
    })
    .join('');
}

/** Run `hub start <args>` and wait until it has written its endpoints (every service healthy by then). */
export async function startHub(env: TestEnv, cli: NodeJS.ProcessEnv, args: string[]): Promise<StartedHub> {
  const child = spawnHub('hub-start', ['start', ...args], join(env.home, 'test-logs'), cli);
  const file = join(env.home, 'run', 'endpoints.json');
  // Within the callers' hook limit (240 s), so that a start that hangs fails with the end of its log, not mocha's
  // bare timeout.
  const endpoints = await waitUntil(
    'hub start to write its endpoints',
    () => {
      if (child.process.exitCode !== null)
        throw new Error(
          `hub start exited (${child.process.exitCode}): ${readFileSync(child.logFile, 'utf8')}`,
        );
      try {
        return JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
      } catch {
        return undefined;
      }
    },
    200000,
    500,
  ).catch((err: Error) => {
    child.process.kill('SIGTERM');
    const log = readFileSync(child.logFile, 'utf8');
    throw new Error(`${err.message}; hub start's log ends:\n${log.slice(-4000)}${servicesLogs(log)}`);
  });
  const stop = async () => {
    if (child.process.exitCode !== null || child.process.signalCode !== null) return child.process.exitCode;
    const exited = new Promise<number | null>((r) => child.process.once('exit', r));
    child.process.kill('SIGTERM');
    return exited;
  };
  return { child, endpoints, stop };
}

/**
 * After the test: the hub stopped, with `stackDown` the local stack it started (a broker of its own), the test's
 * database dropped and its HUB_HOME removed.
 */
export async function cleanUpStart(
  env: TestEnv,
  cli: NodeJS.ProcessEnv,
  hub: StartedHub | undefined,
  options: { stackDown?: boolean } = {},
): Promise<void> {
  await hub?.stop();
  if (options.stackDown) hubSync(['stack', 'down'], cli);
  const client = new MongoClient(env.config.mongo.url);
  await client
    .db(env.config.mongo.dbName)
    .dropDatabase()
    .catch(() => undefined);
  await client.close();
  env.cleanup();
}
