// Servers a fault test owns: its own Kafka broker or FerretDB on free ports with their own data, so that stopping
// or killing them never disturbs the shared local stack (nor other test files). Built from the cached jars and
// binary that `hub stack up` provisioned.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { ferretLayout, startFerret } from '../../scripts/src/stack/ferretdb';
import { commonServerProperties, kafkaLayout, startKafka } from '../../scripts/src/stack/kafka';
import { probeKafka, probeMongo } from '../../scripts/src/stack/probes';
import { isAlive, stopPid } from '../../scripts/src/stack/proc';
import { stackVersions } from '../../scripts/src/stack/versions';
import { waitUntil } from './env';

/** Ports this process handed out already: a test that chose its ports earlier may not have bound them yet. */
const handedOut = new Set<number>();

/** Takes `port` when it is free on loopback now and was not handed out before; whether it did. */
/** Whether `port` was handed out in this process (by freePorts, freePort or claimPort). */
export function handedOutBefore(port: number): boolean {
  return handedOut.has(port);
}

export async function claimPort(port: number): Promise<boolean> {
  if (handedOut.has(port)) return false;
  const free = await new Promise<boolean>((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
  if (free) handedOut.add(port);
  return free;
}

/**
 * `count` distinct free ports, none handed out before in this process: every socket is held until all are chosen,
 * so that the system cannot give one twice (it did: a broker's client and controller listeners on one port).
 */
export async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const s = createServer();
      held.push(s);
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve());
      });
      const port = (s.address() as AddressInfo).port;
      if (!handedOut.has(port)) ports.push(port);
    }
    for (const p of ports) handedOut.add(p);
    return ports;
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

export interface OwnedServer {
  /** Start (again, on the same data). */
  start(): Promise<void>;
  /** Stop gracefully (SIGTERM). */
  stop(): Promise<void>;
  /** SIGKILL. */
  kill(): void;
  /** Freeze (SIGSTOP) for `ms`, then let it go on (SIGCONT): a server that hangs without closing anything. */
  freeze(ms: number): Promise<void>;
  running(): boolean;
}

/** start/stop/kill/running around a server process whose pid `start` returns. */
function ownedProcess(
  start: () => Promise<number>,
  ready: (pid: number) => Promise<unknown>,
  stopMs: number,
): OwnedServer {
  let pid: number | undefined;
  return {
    async start() {
      pid = await start();
      await ready(pid);
    },
    async stop() {
      if (pid) await stopPid(pid, stopMs);
      pid = undefined;
    },
    kill() {
      if (pid && isAlive(pid)) process.kill(pid, 'SIGKILL');
      pid = undefined;
    },
    async freeze(ms) {
      if (!pid) throw new Error('not running');
      process.kill(pid, 'SIGSTOP');
      try {
        await new Promise((r) => setTimeout(r, ms));
      } finally {
        process.kill(pid, 'SIGCONT');
      }
    },
    running: () => isAlive(pid),
  };
}

export interface OwnedKafka extends OwnedServer {
  brokers: string[];
}

export async function ownedKafka(dir: string): Promise<OwnedKafka> {
  const config = loadConfig();
  const base = kafkaLayout(config.cacheDir, dir, stackVersions().kafka);
  const layout = { ...base, logFile: join(dir, 'kafka.log') };
  mkdirSync(dir, { recursive: true });
  const [port, controllerPort] = (await freePorts(2)) as [number, number];
  const brokers = [`127.0.0.1:${port}`];
  const server: OwnedKafka = {
    brokers,
    ...ownedProcess(
      () => startKafka(layout, port, controllerPort),
      (pid) =>
        waitUntil('the test broker', async () => isAlive(pid) && (await probeKafka(brokers)).ok, 90000, 500),
      30000,
    ),
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
  const server: OwnedStore = {
    url,
    ...ownedProcess(
      async () => startFerret(layout, port),
      (pid) =>
        waitUntil('the test store', async () => isAlive(pid) && (await probeMongo(url)).ok, 30000, 250),
      15000,
    ),
  };
  await server.start();
  return server;
}

export interface OwnedCluster {
  brokers: string[];
  nodes: OwnedServer[];
  stopAll(): Promise<void>;
}

/**
 * Three KRaft nodes on loopback ports, each broker and controller, replicating everything three ways with
 * min.insync.replicas=2 (internal topics too): losing any one broker loses nothing and stops nothing.
 */
export async function ownedCluster(dir: string, size = 3): Promise<OwnedCluster> {
  const config = loadConfig();
  // Base64url of 16 random bytes, as Kafka's own ids; like Kafka, never one that begins with '-'.
  let clusterId = randomBytes(16).toString('base64url');
  while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url');
  const all = await freePorts(2 * size);
  const ports = Array.from({ length: size }, (_, i) => [all[2 * i]!, all[2 * i + 1]!] as const);
  const voters = ports.map(([, c], i) => `${i + 1}@127.0.0.1:${c}`).join(',');
  const brokers = ports.map(([p]) => `127.0.0.1:${p}`);
  const nodes = ports.map(([port, controllerPort], i) => {
    const nodeDir = join(dir, `broker-${i + 1}`);
    mkdirSync(nodeDir, { recursive: true });
    const layout = {
      ...kafkaLayout(config.cacheDir, nodeDir, stackVersions().kafka),
      logFile: join(nodeDir, 'kafka.log'),
    };
    const properties = [
      `# A node of a ${size}-broker test cluster.`,
      'process.roles=broker,controller',
      `node.id=${i + 1}`,
      `controller.quorum.voters=${voters}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      ...commonServerProperties(layout),
      // Later lines win: the cluster replicates its internal topics too.
      `offsets.topic.replication.factor=${size}`,
      `transaction.state.log.replication.factor=${size}`,
      'transaction.state.log.min.isr=2',
      `share.coordinator.state.topic.replication.factor=${size}`,
      'share.coordinator.state.topic.min.isr=2',
      'min.insync.replicas=2',
      `default.replication.factor=${size}`,
      '',
    ].join('\n');
    return ownedProcess(
      () =>
        startKafka(layout, port as number, controllerPort as number, {
          properties,
          clusterId,
          heapMb: 384,
          marker: 'kafka-test-cluster',
        }),
      async () => undefined,
      30000,
    );
  });
  // The controllers need each other for a quorum: start all, then wait for the cluster.
  await Promise.all(nodes.map((n) => n.start()));
  await waitUntil(
    'the test cluster',
    async () => (await probeKafka(brokers)).brokers === size || undefined,
    120000,
    1000,
  );
  return { brokers, nodes, stopAll: async () => void (await Promise.all(nodes.map((n) => n.stop()))) };
}
