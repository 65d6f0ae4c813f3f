// `hub stack up|down|status`: the local Kafka broker and MongoDB-wire store, provisioned without Docker.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { HubError } from '@hub/errors';
import { readLocalStackInfo, type HubConfig, type LocalStackInfo } from '@hub/config';
import { ensureFerretBinary, ferretLayout, startFerret, startMongod } from './ferretdb';
import { ensureKafkaJars, kafkaLayout, startKafka } from './kafka';
import { probeKafka, probeMongo } from './probes';
import { commandLineOf, isAlive, portInUse, stopPid, waitFor, withLock } from './proc';
import { stackVersions } from './versions';

export type Say = (line: string) => void;

function stackFile(hubHome: string): string {
  return join(hubHome, 'run', 'stack.json');
}

function writeStackInfo(hubHome: string, info: LocalStackInfo): void {
  mkdirSync(join(hubHome, 'run'), { recursive: true });
  writeFileSync(stackFile(hubHome), JSON.stringify(info, null, 2));
}

function ours(pid: number | undefined, marker: string): pid is number {
  return pid !== undefined && isAlive(pid) && commandLineOf(pid).includes(marker);
}

/** What the command line of a server `stack up` started contains: how a recorded pid is known to be still ours. */
const KAFKA_MARKER = 'hub.stack=kafka';
const storeMarker = (kind: LocalStackInfo['mongo']['kind'] | undefined) =>
  kind === 'mongod' ? 'mongod' : 'ferretdb';

/**
 * The pids of the local stack's store and broker while they run, for the servers this configuration uses from it
 * (not those given by HUB_MONGO_URL or HUB_KAFKA_BROKERS): the benchmark reads their CPU time.
 */
export function runningStackPids(config: HubConfig): { store?: number; kafka?: number } {
  const info = readLocalStackInfo(config.hubHome);
  const store = info?.mongo.pid;
  const kafka = info?.kafka.pid;
  return {
    store: config.mongo.fromLocalStack && ours(store, storeMarker(info?.mongo.kind)) ? store : undefined,
    kafka: config.kafka.fromLocalStack && ours(kafka, KAFKA_MARKER) ? kafka : undefined,
  };
}

/**
 * True when the server an earlier `stack up` started is still alive and answers. One that is alive but busy (a
 * broker under load can miss a 1.5 s probe) is waited for, not mistaken for another program on its port.
 */
async function stillRunning(
  pid: number | undefined,
  marker: string,
  what: string,
  probe: () => Promise<boolean>,
): Promise<boolean> {
  if (!ours(pid, marker)) return false;
  await waitFor(
    what,
    async () => isAlive(pid) && (await probe()),
    60000,
    `It was started by an earlier 'hub stack up' (pid ${pid}) and does not answer; 'hub stack down' stops it.`,
  );
  return true;
}

function mongodOnPath(): boolean {
  return spawnSync('mongod', ['--version'], { encoding: 'utf8' }).status === 0;
}

async function checkPortFree(port: number, what: string, envName: string): Promise<void> {
  if (await portInUse(port)) {
    throw new HubError(
      'PORT_IN_USE',
      `port ${port} (${what}) is already in use by another program. Stop it, or choose another port with ${envName}=<port>.`,
    );
  }
}

/** Start whatever of the local stack is needed and not yet running. Idempotent. */
export async function stackUp(config: HubConfig, say: Say): Promise<LocalStackInfo> {
  return withLock(join(config.hubHome, 'run', 'stack.lock'), 'starting the local stack', say, () =>
    stackUpLocked(config, say),
  );
}

async function stackUpLocked(config: HubConfig, say: Say): Promise<LocalStackInfo> {
  const versions = stackVersions();
  const previous = readLocalStackInfo(config.hubHome);
  const info: LocalStackInfo = previous ?? {
    kafka: { brokers: [], version: versions.kafka },
    mongo: { url: '', version: '', kind: 'ferretdb' },
  };

  // Kafka
  if (!config.kafka.fromLocalStack) {
    info.kafka = { brokers: config.kafka.brokers, version: 'external' };
    say(`Kafka: using HUB_KAFKA_BROKERS=${config.kafka.brokers.join(',')}`);
  } else {
    const brokers = [`127.0.0.1:${config.stackPorts.kafka}`];
    if (
      await stillRunning(
        previous?.kafka.pid,
        KAFKA_MARKER,
        'Kafka',
        async () => (await probeKafka(brokers)).ok,
      )
    ) {
      say(`Kafka ${previous?.kafka.version} already running at ${brokers[0]} (pid ${previous?.kafka.pid})`);
    } else {
      const layout = kafkaLayout(config.cacheDir, config.hubHome, versions.kafka);
      await withLock(join(config.cacheDir, '.provision.lock'), 'provisioning the cache', say, () =>
        ensureKafkaJars(layout, versions.kafka, config.cacheDir, say),
      );
      await checkPortFree(config.stackPorts.kafka, 'Kafka broker', 'HUB_STACK_KAFKA_PORT');
      await checkPortFree(
        config.stackPorts.kafkaController,
        'Kafka controller',
        'HUB_STACK_KAFKA_CONTROLLER_PORT',
      );
      say(`Kafka ${versions.kafka}: starting a KRaft broker at ${brokers[0]} (log: ${layout.logFile})`);
      const pid = await startKafka(layout, config.stackPorts.kafka, config.stackPorts.kafkaController);
      info.kafka = { brokers, version: versions.kafka, pid };
      writeStackInfo(config.hubHome, info);
      await waitFor(
        'Kafka',
        async () => isAlive(pid) && (await probeKafka(brokers)).ok,
        90000,
        `See ${layout.logFile}.`,
      );
      say('Kafka is ready');
    }
  }

  // Store
  if (!config.mongo.fromLocalStack) {
    const p = await probeMongo(config.mongo.url);
    info.mongo = { url: config.mongo.url, version: p.version ?? 'unreachable', kind: 'external' };
    say(`Store: using HUB_MONGO_URL (${p.ok ? `MongoDB wire ${p.version}` : 'not reachable yet'})`);
  } else {
    const url = `mongodb://127.0.0.1:${config.stackPorts.mongo}/`;
    const marker = storeMarker(previous?.mongo.kind);
    if (
      await stillRunning(previous?.mongo.pid, marker, 'The store', async () => (await probeMongo(url)).ok)
    ) {
      say(
        `Store (${previous?.mongo.kind} ${previous?.mongo.version}) already running at ${url} (pid ${previous?.mongo.pid})`,
      );
    } else {
      await checkPortFree(config.stackPorts.mongo, 'MongoDB-wire store', 'HUB_STACK_MONGO_PORT');
      let pid: number;
      let kind: 'ferretdb' | 'mongod';
      const logFile = join(config.hubHome, 'logs', 'store.log');
      if (mongodOnPath()) {
        kind = 'mongod';
        say(`Store: a real mongod is on PATH; starting it at ${url}`);
        mkdirSync(join(config.hubHome, 'logs'), { recursive: true });
        pid = startMongod(join(config.hubHome, 'stack', 'mongod'), logFile, config.stackPorts.mongo);
      } else {
        kind = 'ferretdb';
        const layout = ferretLayout(config.cacheDir, config.hubHome, versions.ferretdb);
        await withLock(join(config.cacheDir, '.provision.lock'), 'provisioning the cache', say, () =>
          ensureFerretBinary(layout, versions.ferretdbModule, versions.ferretdb, config.cacheDir, say),
        );
        say(`FerretDB ${versions.ferretdb}: starting on SQLite at ${url} (log: ${layout.logFile})`);
        pid = startFerret(layout, config.stackPorts.mongo);
      }
      info.mongo = { url, version: '', kind, pid };
      writeStackInfo(config.hubHome, info);
      await waitFor(
        'the store',
        async () => isAlive(pid) && (await probeMongo(url)).ok,
        60000,
        `See ${config.hubHome}/logs.`,
      );
      const p = await probeMongo(url);
      info.mongo.version = p.ferretdb ?? p.version ?? '';
      say(`Store is ready (${kind} ${info.mongo.version})`);
    }
  }
  writeStackInfo(config.hubHome, info);
  return info;
}

/** Stop only what `stack up` started (pids recorded in stack.json and still running our servers). */
export async function stackDown(config: HubConfig, say: Say): Promise<void> {
  const info = readLocalStackInfo(config.hubHome);
  if (!info) {
    say('No local stack recorded; nothing to stop.');
    return;
  }
  if (ours(info.mongo.pid, storeMarker(info.mongo.kind))) {
    say(`Stopping the store (pid ${info.mongo.pid})`);
    await stopPid(info.mongo.pid);
  }
  if (ours(info.kafka.pid, KAFKA_MARKER)) {
    say(`Stopping Kafka (pid ${info.kafka.pid})`);
    await stopPid(info.kafka.pid, 30000);
  }
  rmSync(stackFile(config.hubHome), { force: true });
  say('Local stack stopped.');
}

export interface StackStatus {
  kafka: { brokers: string[]; running: boolean; version: string; pid?: number; brokerCount?: number };
  mongo: { url: string; running: boolean; version: string; kind: string; pid?: number };
}

export async function stackStatus(config: HubConfig): Promise<StackStatus> {
  const info = readLocalStackInfo(config.hubHome);
  const brokers = config.kafka.brokers;
  const k = await probeKafka(brokers);
  const m = await probeMongo(config.mongo.url);
  return {
    kafka: {
      brokers,
      running: k.ok,
      version: config.kafka.fromLocalStack ? (info?.kafka.version ?? stackVersions().kafka) : 'external',
      pid: info?.kafka.pid,
      brokerCount: k.brokers,
    },
    mongo: {
      url: config.mongo.url,
      running: m.ok,
      version: m.ferretdb
        ? `FerretDB ${m.ferretdb} (MongoDB wire ${m.version})`
        : m.version
          ? `MongoDB ${m.version}`
          : 'unknown',
      kind: config.mongo.fromLocalStack ? (info?.mongo.kind ?? 'ferretdb') : 'external',
      pid: info?.mongo.pid,
    },
  };
}
