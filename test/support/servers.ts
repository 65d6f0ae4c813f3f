// Servers a fault test owns: its own Kafka broker or FerretDB on free ports with their own data, so that stopping
// or killing them never disturbs the shared local stack (nor other test files). Built from the cached jars and
// binary that `hub stack up` provisioned.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { ferretLayout, startFerret } from '../../scripts/src/stack/ferretdb';
import { kafkaLayout, startKafka } from '../../scripts/src/stack/kafka';
import { probeKafka, probeMongo } from '../../scripts/src/stack/probes';
import { isAlive, stopPid } from '../../scripts/src/stack/proc';
import { stackVersions } from '../../scripts/src/stack/versions';
import { waitUntil } from './env';

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

export interface OwnedServer {
  /** Start (again, on the same data). */
  start(): Promise<void>;
  /** Stop gracefully (SIGTERM). */
  stop(): Promise<void>;
  /** SIGKILL. */
  kill(): void;
  running(): boolean;
}

export interface OwnedKafka extends OwnedServer {
  brokers: string[];
}

export async function ownedKafka(dir: string): Promise<OwnedKafka> {
  const config = loadConfig();
  const base = kafkaLayout(config.cacheDir, dir, stackVersions().kafka);
  const layout = { ...base, logFile: join(dir, 'kafka.log') };
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const controllerPort = await freePort();
  const brokers = [`127.0.0.1:${port}`];
  let pid: number | undefined;
  const server: OwnedKafka = {
    brokers,
    async start() {
      pid = await startKafka(layout, port, controllerPort);
      await waitUntil(
        'the test broker',
        async () => isAlive(pid) && (await probeKafka(brokers)).ok,
        90000,
        500,
      );
    },
    async stop() {
      if (pid) await stopPid(pid, 30000);
      pid = undefined;
    },
    kill() {
      if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
      pid = undefined;
    },
    running: () => isAlive(pid),
  };
  await server.start();
  return server;
}

export interface OwnedStore extends OwnedServer {
  url: string;
}

export async function ownedFerret(dir: string): Promise<OwnedStore> {
  const config = loadConfig();
  const base = ferretLayout(config.cacheDir, dir, stackVersions().ferretdb);
  const layout = { ...base, dataDir: join(dir, 'data'), logFile: join(dir, 'ferretdb.log') };
  const port = await freePort();
  const url = `mongodb://127.0.0.1:${port}/`;
  let pid: number | undefined;
  const server: OwnedStore = {
    url,
    async start() {
      pid = startFerret(layout, port);
      await waitUntil('the test store', async () => isAlive(pid) && (await probeMongo(url)).ok, 30000, 250);
    },
    async stop() {
      if (pid) await stopPid(pid, 15000);
      pid = undefined;
    },
    kill() {
      if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
      pid = undefined;
    },
    running: () => isAlive(pid),
  };
  await server.start();
  return server;
}
