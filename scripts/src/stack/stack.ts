// `hub stack up|down|status`: the local Kafka broker and MongoDB-wire store, provisioned without Docker.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HubError } from '@hub/errors';
import { kafkaSecretsDir, type HubConfig, type KafkaSecurity, type LocalStackInfo } from '@hub/config';
import { PRINCIPALS, servicePrincipals, topicNames } from '@hub/kafka';
import { PkiStore } from '@hub/pki';
import { redactUrl } from '@hub/store';
import { loadRegions } from '@hub/schemas';
import {
  answersVersion,
  ensureFerretBinary,
  ferretBuilt,
  ferretLayout,
  startFerret,
  startMongod,
} from './ferretdb';
import { ensureKafkaJars, kafkaLayout, startKafka, type KafkaLayout } from './kafka';
import { chooseStore, mongodVersionOutput, probeKafka, probeMongo } from './probes';
import { replaceSecretFile } from './secrets';
import {
  addScramUsers,
  principalSecurity,
  probeInternal,
  provisionHub,
  rotateScramPasswords,
  secureKafka,
  startSecureKafka,
  writeBrokerTls,
  type SecureBroker,
  type SecureStartProcesses,
} from './security';
import { commandLineOf, isAlive, portInUse, run, stopPid, waitFor, waitStarted, withLock } from './proc';
import { stackVersions } from './versions';

export type Say = (line: string) => void;

function stackFile(hubHome: string): string {
  return join(hubHome, 'run', 'stack.json');
}

function writeStackInfo(hubHome: string, info: LocalStackInfo): void {
  // 0700 when made here: run/ also holds endpoints.json, with a token and the store's URL.
  mkdirSync(join(hubHome, 'run'), { recursive: true, mode: 0o700 });
  // Written beside it and renamed over it: a full disk or a kill mid-write leaves the old record, not an empty
  // file that would make the running stack forgotten (and its broker taken for another program on the port).
  replaceSecretFile(stackFile(hubHome), JSON.stringify(info, null, 2));
}

/** What went wrong with a file operation, short: its errno code where it has one. */
const reason = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/**
 * The local stack's record (run/stack.json), undefined when there is none. One that cannot be read is an error, not
 * "nothing recorded": the servers it names may be running, and would be neither stopped nor recognised on their ports.
 */
export function readStackRecord(hubHome: string): LocalStackInfo | undefined {
  const file = stackFile(hubHome);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw unreadableRecord(hubHome, reason(err), err);
  }
  let info: Partial<LocalStackInfo>;
  try {
    info = JSON.parse(text) as Partial<LocalStackInfo>;
  } catch (err) {
    throw unreadableRecord(hubHome, text.trim() ? 'not valid JSON' : 'it is empty', err);
  }
  if (!Array.isArray(info?.kafka?.brokers) || typeof info?.mongo?.url !== 'string')
    throw unreadableRecord(hubHome, 'it lacks kafka.brokers or mongo.url');
  return info as LocalStackInfo;
}

function unreadableRecord(hubHome: string, why: string, cause?: unknown): HubError {
  return new HubError(
    'STACK_RECORD_UNREADABLE',
    `${stackFile(hubHome)}, the record of the local stack, cannot be read (${why}), so the servers it started can be ` +
      `neither recognised nor stopped. Stop any of them still running (in 'ps -ef', command lines with ` +
      `'${KAFKA_MARKER}', '${ferretMarker(hubHome).trim()}' or '${mongodMarker(hubHome).trim()}'), then remove ` +
      `that file and run again.`,
    { cause },
  );
}

function ours(pid: number | undefined, marker: string): pid is number {
  return pid !== undefined && isAlive(pid) && commandLineOf(pid).includes(marker);
}

/**
 * What the command line of a server `stack up` started contains: how a recorded pid is known to be still ours. For
 * the store, the data folder under this HUB_HOME, as startMongod and startFerret pass it (the last argument: the
 * space after it is the end of the argument), so that a user's own mongod, or another checkout's FerretDB, that
 * took over a recorded pid is never taken for ours and stopped.
 */
const KAFKA_MARKER = 'hub.stack=kafka';
const mongodDataDir = (hubHome: string) => join(hubHome, 'stack', 'mongod');
const mongodMarker = (hubHome: string) => `--dbpath ${mongodDataDir(hubHome)} `;
// FerretDB's data folder depends on HUB_HOME alone, whatever the cache and version.
const ferretMarker = (hubHome: string) => `--state-dir=${ferretLayout('', hubHome, '').dataDir} `;
const storeMarker = (hubHome: string, kind: LocalStackInfo['mongo']['kind'] | undefined) =>
  kind === 'mongod' ? mongodMarker(hubHome) : ferretMarker(hubHome);

/**
 * The pids of the local stack's store and broker while they run, for the servers this configuration uses from it
 * (not those given by HUB_MONGO_URL or HUB_KAFKA_BROKERS): the benchmark reads their CPU time.
 */
export function runningStackPids(config: HubConfig): { store?: number; kafka?: number } {
  const info = readStackRecord(config.hubHome);
  const store = info?.mongo.pid;
  const kafka = info?.kafka.pid;
  return {
    store:
      config.mongo.fromLocalStack && ours(store, storeMarker(config.hubHome, info?.mongo.kind))
        ? store
        : undefined,
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
  address: string,
  probe: Probe,
): Promise<boolean> {
  if (!ours(pid, marker)) return false;
  await waitReady(probe, (ready) =>
    waitFor(
      what,
      async () => isAlive(pid) && (await ready()),
      60000,
      `It was started by an earlier 'hub stack up' (pid ${pid}) at ${address} and does not answer there; 'hub stack down' stops it.`,
    ),
  );
  return true;
}

/** A readiness probe that says why it failed. */
type Probe = () => Promise<{ ok: boolean; error?: string }>;

/**
 * `wait` (waitFor, waitStarted) on `probe` as the yes/no it takes; when it gives up, its error says what the probe
 * said last: the driver refusing a server too old for it, a refused connection, a failed authentication.
 */
export async function waitReady(
  probe: Probe,
  wait: (ready: () => Promise<boolean>) => Promise<void>,
): Promise<void> {
  let said: string | undefined;
  try {
    await wait(async () => {
      const r = await probe();
      said = r.ok ? undefined : r.error;
      return r.ok;
    });
  } catch (err) {
    if (!(err instanceof HubError) || err.code !== 'STACK_START_FAILED' || !said) throw err;
    throw new HubError(err.code, `${err.message.trimEnd()} The last probe said: ${said}`, { cause: err });
  }
}

/**
 * The line for a server of the local stack found running at another port than the setting now asks for (started
 * while HUB_STACK_*_PORT said another): which runs, which is asked, and how to move it.
 */
function movedPortLine(what: string, running: string, port: number, envName: string): string {
  return (
    `${what} runs at ${running}, not at port ${port}, which ${envName} (or its default) gives now: it was started ` +
    `while that setting said another. The hub uses the running one (run/stack.json records its address); to move ` +
    `it to port ${port}, run 'hub stack down', then start again.`
  );
}

/**
 * The probes and look-ups `stack up` and `stack status` decide from: the real ones, or fakes in a test that checks
 * a decision without servers.
 */
export interface StackProbes {
  kafka: typeof probeKafka;
  mongo: typeof probeMongo;
  /** What `mongod --version` prints; undefined when there is no mongod on PATH. */
  mongodVersion: () => string | undefined;
}

const liveProbes: StackProbes = {
  kafka: probeKafka,
  mongo: probeMongo,
  mongodVersion: mongodVersionOutput,
};

/**
 * Provision something into the cache unless it is there already (`complete`). The lock is taken only when there is
 * something to do: a complete cache may be another user's and read-only (a lock that cannot be made there is an
 * error naming it and HUB_CACHE_DIR). `provision` checks again under the lock: another process may have finished
 * meanwhile.
 */
async function provisionCache(
  config: HubConfig,
  say: Say,
  complete: () => boolean,
  provision: () => Promise<void>,
): Promise<void> {
  if (complete()) return;
  await withLock(
    join(config.cacheDir, '.provision.lock'),
    'provisioning the cache',
    say,
    provision,
    'HUB_CACHE_DIR',
  );
}

async function checkPortFree(port: number, what: string, envName: string): Promise<void> {
  if (await portInUse(port)) {
    throw new HubError(
      'PORT_IN_USE',
      `port ${port} (${what}) is already in use by another program. Stop it, or choose another port with ${envName}=<port>.`,
    );
  }
}

export interface StackUpOptions {
  /**
   * `sasl_ssl`: the broker security profile (`hub stack up --secure`); `plaintext`: the development broker. Either
   * refuses a running broker of the other kind. Unset: the running broker whatever its kind, else a plaintext one.
   */
  security?: 'plaintext' | 'sasl_ssl';
}

/** Start whatever of the local stack is needed and not yet running. Idempotent. */
export async function stackUp(
  config: HubConfig,
  say: Say,
  options: StackUpOptions = {},
  probes: StackProbes = liveProbes,
): Promise<StackUp> {
  return withLock(
    join(config.hubHome, 'run', 'stack.lock'),
    'starting the local stack',
    say,
    () => stackUpLocked(config, say, options, probes),
    'HUB_HOME',
  );
}

type LocalKafka = LocalStackInfo['kafka'];

/**
 * The principals a secured local stack holds SCRAM credentials for: hub-admin, and this namespace's services and demo
 * countries' nodes (`<ns>.coordinator`, ...): another namespace's stack up on the same broker adds its own beside them.
 */
export function localPrincipals(config: Pick<HubConfig, 'namespace' | 'demoCountries'>): string[] {
  return [PRINCIPALS.admin, ...servicePrincipals(topicNames(config.namespace), config.demoCountries)];
}

function adminSecurity(hubHome: string): KafkaSecurity {
  return principalSecurity(hubHome, PRINCIPALS.admin, new PkiStore(join(hubHome, 'pki')).caCertPem());
}

/** The principals the secured broker's storage holds SCRAM credentials for (kept beside it, not in stack.json). */
const credentialedFile = (layout: KafkaLayout) => join(layout.configDir, 'scram-principals.json');

function readCredentialed(layout: KafkaLayout): string[] {
  try {
    return JSON.parse(readFileSync(credentialedFile(layout), 'utf8')) as string[];
  } catch {
    return [PRINCIPALS.admin];
  }
}

function writeCredentialed(layout: KafkaLayout, principals: string[]): void {
  mkdirSync(layout.configDir, { recursive: true });
  writeFileSync(credentialedFile(layout), JSON.stringify(principals));
}

/** Add a principal to the record once the broker holds its credential. */
function recordCredential(layout: KafkaLayout, principal: string): void {
  const held = readCredentialed(layout);
  if (!held.includes(principal)) writeCredentialed(layout, [...held, principal]);
}

/**
 * The record, kept only while it can be the broker's: hub-admin's credential is made last, so a record naming it
 * while the broker refuses hub-admin (one written before any credential was, as until 2026-12-08) is dropped.
 */
function trustedCredentialed(layout: KafkaLayout): string[] {
  const held = readCredentialed(layout);
  const trusted = held.includes(PRINCIPALS.admin) ? [] : held;
  writeCredentialed(layout, trusted);
  return trusted;
}

/** A refusal of the principal's password (kafkajs' SASL authentication error), not a broker that does not answer. */
const SASL_REFUSED = /SASL|[Aa]uthenticat/;

/**
 * Start the secured local broker (startSecureKafka) for this configuration's principals, recording each credential
 * once it is made: a new storage starts with an empty record, so a start stopped midway leaves the record of what
 * the broker holds, and the next `stack up` makes the rest.
 */
export async function startLocalSecureKafka(
  config: HubConfig,
  layout: KafkaLayout,
  onStart: (pid: number) => void,
  processes?: SecureStartProcesses,
): Promise<SecureBroker> {
  if (!existsSync(join(layout.dataDir, 'meta.properties'))) writeCredentialed(layout, []);
  let first = true;
  return startSecureKafka({
    layout,
    hubHome: config.hubHome,
    listeners: {
      client: config.stackPorts.kafka,
      internal: config.stackPorts.kafkaInternal,
      controller: config.stackPorts.kafkaController,
    },
    principals: localPrincipals(config),
    marker: 'kafka',
    onStart,
    // Credentials are made only when hub-admin is refused: the record is checked before the first is added.
    onCredential: (principal) => {
      if (first) trustedCredentialed(layout);
      first = false;
      recordCredential(layout, principal);
    },
    ...(processes ? { processes } : {}),
  });
}

/**
 * hub-admin signing in to the secured broker an earlier `stack up` started. When the broker answers on INTERNAL but
 * refuses hub-admin (a first start stopped before hub-admin's credential, made last), the credentials this
 * configuration needs and the record lacks are made there first (once; hub-admin's last), each recorded once made.
 */
export function runningSecureKafkaProbe(
  config: HubConfig,
  say: Say,
  kafka: LocalKafka,
  probe: StackProbes['kafka'],
  processes: Pick<SecureStartProcesses, 'run' | 'internalReady'> = { run, internalReady: probeInternal },
): Probe {
  let repaired = false;
  const asAdmin = () => probe(kafka.brokers, adminSecurity(config.hubHome));
  return async () => {
    const r = await asAdmin();
    if (r.ok || repaired || !SASL_REFUSED.test(r.error ?? '')) return r;
    const layout = secureKafkaLayout(config, kafka.version);
    const tls = writeBrokerTls(new PkiStore(join(config.hubHome, 'pki')), join(layout.configDir, 'tls'));
    const internal = kafka.internal ?? [`127.0.0.1:${config.stackPorts.kafkaInternal}`];
    if (!(await processes.internalReady(internal, tls))) return r;
    repaired = true;
    const held = trustedCredentialed(layout);
    const others = localPrincipals(config).filter((p) => p !== PRINCIPALS.admin && !held.includes(p));
    const missing = [...others, PRINCIPALS.admin];
    say(
      `Kafka: the running broker refuses hub-admin (a start stopped before its credentials were all made): SCRAM credentials for ${missing.join(', ')}`,
    );
    try {
      await addScramUsers({
        libs: layout.libs,
        internal,
        hubHome: config.hubHome,
        tls,
        principals: missing,
        run: processes.run,
        onMade: (p) => recordCredential(layout, p),
      });
    } catch (err) {
      // The wait goes on to its end and names this (a probe that throws would say nothing).
      return { ok: false, error: `the running broker refuses hub-admin, and ${(err as Error).message}` };
    }
    return asAdmin();
  };
}

/** The secured broker keeps its data and configuration apart from the plaintext one's (formatted differently). */
function secureKafkaLayout(config: HubConfig, version: string): KafkaLayout {
  const plain = kafkaLayout(config.cacheDir, config.hubHome, version);
  const dir = join(config.hubHome, 'stack', 'kafka-secure');
  return { ...plain, configDir: dir, dataDir: join(dir, 'data') };
}

/** The local broker: the one running if it is ours and of the kind asked for, else a new one. */
async function localKafka(
  config: HubConfig,
  say: Say,
  previous: LocalStackInfo | undefined,
  wanted: StackUpOptions['security'],
  record: (kafka: LocalKafka) => void,
  probes: StackProbes,
): Promise<LocalKafka> {
  const versions = stackVersions();
  const brokers = [`127.0.0.1:${config.stackPorts.kafka}`];
  // A broker of ours is probed where it was started, which the setting need no longer say.
  const recorded = previous?.kafka.brokers ?? brokers;
  const running = previous?.kafka.security ?? 'plaintext';
  if (wanted && wanted !== running && ours(previous?.kafka.pid, KAFKA_MARKER)) {
    throw new HubError(
      'STACK_MISMATCH',
      running === 'sasl_ssl'
        ? `the local stack's Kafka broker (pid ${previous?.kafka.pid}) runs the security profile, and this needs the plaintext one. Stop it with 'hub stack down' first.`
        : `the local stack's Kafka broker (pid ${previous?.kafka.pid}) runs in plaintext. Stop it with 'hub stack down', then start again with --secure.`,
    );
  }
  const secured = (wanted ?? running) === 'sasl_ssl';
  const probe: Probe =
    secured && previous
      ? runningSecureKafkaProbe(config, say, previous.kafka, probes.kafka)
      : () => probes.kafka(recorded);
  if (await stillRunning(previous?.kafka.pid, KAFKA_MARKER, 'Kafka', recorded.join(','), probe)) {
    say(
      `Kafka ${previous?.kafka.version} already running at ${recorded.join(',')} (pid ${previous?.kafka.pid}${secured ? ', security profile' : ''})`,
    );
    if (recorded.join(',') !== brokers.join(','))
      say(movedPortLine('Kafka', recorded.join(','), config.stackPorts.kafka, 'HUB_STACK_KAFKA_PORT'));
    const kafka = previous!.kafka;
    if (secured) await provisionSecured(config, say, kafka);
    return kafka;
  }
  const layout = secured
    ? secureKafkaLayout(config, versions.kafka)
    : kafkaLayout(config.cacheDir, config.hubHome, versions.kafka);
  await provisionCache(
    config,
    say,
    // What ensureKafkaJars leaves when the jars are all there.
    () => existsSync(join(layout.libs, '.complete')),
    () => ensureKafkaJars(layout, versions.kafka, config.cacheDir, say),
  );
  await checkPortFree(config.stackPorts.kafka, 'Kafka broker', 'HUB_STACK_KAFKA_PORT');
  await checkPortFree(
    config.stackPorts.kafkaController,
    'Kafka controller',
    'HUB_STACK_KAFKA_CONTROLLER_PORT',
  );
  if (!secured) {
    say(`Kafka ${versions.kafka}: starting a KRaft broker at ${brokers[0]} (log: ${layout.logFile})`);
    const pid = await startKafka(layout, config.stackPorts.kafka, config.stackPorts.kafkaController);
    const kafka: LocalKafka = { brokers, version: versions.kafka, pid };
    record(kafka);
    await waitReady(
      () => probes.kafka(brokers),
      (ready) => waitStarted('Kafka', pid, ready, 90000, layout.logFile),
    );
    say('Kafka is ready');
    return kafka;
  }
  await checkPortFree(
    config.stackPorts.kafkaInternal,
    'Kafka internal listener',
    'HUB_STACK_KAFKA_INTERNAL_PORT',
  );
  say(
    `Kafka ${versions.kafka}: starting a KRaft broker with the security profile at ${brokers[0]} (TLS from the hub CA, ` +
      `SASL/SCRAM per service, ACLs; log: ${layout.logFile})`,
  );
  let kafka: LocalKafka = { brokers, version: versions.kafka, security: 'sasl_ssl' };
  const broker = await startLocalSecureKafka(config, layout, (pid) => record((kafka = { ...kafka, pid })));
  kafka = { ...kafka, internal: broker.internal };
  record(kafka);
  say('Kafka is ready');
  await provisionSecured(config, say, kafka);
  return kafka;
}

/**
 * On the secured local broker, as hub-admin: SCRAM credentials for demo countries it has none for yet, then every
 * hub topic and ACL for the demo countries (both idempotent).
 */
async function provisionSecured(config: HubConfig, say: Say, kafka: LocalKafka): Promise<void> {
  const layout = secureKafkaLayout(config, kafka.version);
  const credentialed = readCredentialed(layout);
  const missing = localPrincipals(config).filter((p) => !credentialed.includes(p));
  if (missing.length) {
    say(`Kafka: SCRAM credentials for ${missing.join(', ')}`);
    await addScramUsers({
      libs: layout.libs,
      internal: kafka.internal ?? [`127.0.0.1:${config.stackPorts.kafkaInternal}`],
      hubHome: config.hubHome,
      tls: writeBrokerTls(new PkiStore(join(config.hubHome, 'pki')), join(layout.configDir, 'tls')),
      principals: missing,
      onMade: (p) => recordCredential(layout, p),
    });
  }
  const admin = secureKafka(kafka.brokers, adminSecurity(config.hubHome)).admin();
  await admin.connect();
  try {
    const r = await provisionHub(admin, {
      names: topicNames(config.namespace),
      countries: config.demoCountries,
      regions: loadRegions(),
      topics: { partitions: 3, replicationFactor: 1 },
    });
    say(
      `Kafka security profile: ${r.acls} ACL entries for the coordinator, the query API and ${config.demoCountries.join(', ')}; ` +
        `passwords in ${kafkaSecretsDir(config.hubHome)}`,
    );
  } finally {
    await admin.disconnect();
  }
}

/** The servers a `stackUp` call launched itself (absent: found running, or external): what its caller may stop. */
export interface Launched {
  kafka?: number;
  store?: number;
}

/**
 * What `stackUp` resolves to: the servers in use (those HUB_KAFKA_BROKERS / HUB_MONGO_URL give too) and what it
 * launched.
 */
export interface StackUp extends LocalStackInfo {
  launched: Launched;
}

/**
 * The local stack's record as `stack up` keeps it: only servers of the local stack. An entry for an external server
 * (what an earlier version wrote, its URL redacted) is replaced by the local default, which records no pid.
 */
function localRecord(config: HubConfig, previous: LocalStackInfo | undefined): LocalStackInfo {
  const versions = stackVersions();
  return {
    kafka:
      previous && previous.kafka.version !== 'external'
        ? previous.kafka
        : { brokers: [`127.0.0.1:${config.stackPorts.kafka}`], version: versions.kafka },
    mongo:
      previous && previous.mongo.kind !== 'external'
        ? previous.mongo
        : { url: `mongodb://127.0.0.1:${config.stackPorts.mongo}/`, version: '', kind: 'ferretdb' },
  };
}

async function stackUpLocked(
  config: HubConfig,
  say: Say,
  options: StackUpOptions,
  probes: StackProbes,
): Promise<StackUp> {
  const versions = stackVersions();
  const previous = readStackRecord(config.hubHome);
  // run/stack.json records the local stack alone, whatever this call uses: external servers are taken from the
  // environment each time (never remembered, with their password redacted, in place of the local stack's pids,
  // which `stack down` would then no longer find).
  const record = localRecord(config, previous);
  const save = () => writeStackInfo(config.hubHome, record);
  const launched: Launched = {};

  // Kafka
  let kafka: LocalKafka;
  if (!config.kafka.fromLocalStack) {
    if (options.security === 'sasl_ssl' && !config.kafka.security)
      throw new HubError(
        'USAGE',
        `--secure starts the local stack's broker in the security profile, but HUB_KAFKA_BROKERS names other brokers (${config.kafka.brokers.join(',')}). To reach those securely, set HUB_KAFKA_SECURITY=sasl_ssl with HUB_KAFKA_USERNAME and HUB_KAFKA_PASSWORD_FILE; or unset HUB_KAFKA_BROKERS.`,
      );
    kafka = { brokers: config.kafka.brokers, version: 'external' };
    say(`Kafka: using HUB_KAFKA_BROKERS=${config.kafka.brokers.join(',')}`);
  } else {
    const before = ours(record.kafka.pid, KAFKA_MARKER) ? record.kafka.pid : undefined;
    kafka = await localKafka(
      config,
      say,
      record,
      options.security,
      (k) => {
        record.kafka = k;
        save();
      },
      probes,
    );
    record.kafka = kafka;
    if (kafka.pid !== undefined && kafka.pid !== before) launched.kafka = kafka.pid;
  }

  // Store
  let mongo: LocalStackInfo['mongo'];
  if (!config.mongo.fromLocalStack) {
    const p = await probes.mongo(config.mongo.url);
    // Returned for the caller to print: without the password HUB_MONGO_URL may carry.
    mongo = { url: redactUrl(config.mongo.url), version: p.version ?? 'unreachable', kind: 'external' };
    say(`Store: using HUB_MONGO_URL (${p.ok ? `MongoDB wire ${p.version}` : 'not reachable yet'})`);
  } else {
    const url = `mongodb://127.0.0.1:${config.stackPorts.mongo}/`;
    const previousStore = record.mongo;
    if (
      await stillRunning(
        previousStore.pid,
        storeMarker(config.hubHome, previousStore.kind),
        'The store',
        // Where it was started, which the setting need no longer say.
        previousStore.url,
        () => probes.mongo(previousStore.url),
      )
    ) {
      say(
        `Store (${previousStore.kind} ${previousStore.version}) already running at ${previousStore.url} (pid ${previousStore.pid})`,
      );
      if (previousStore.url !== url)
        say(movedPortLine('The store', previousStore.url, config.stackPorts.mongo, 'HUB_STACK_MONGO_PORT'));
    } else {
      await checkPortFree(config.stackPorts.mongo, 'MongoDB-wire store', 'HUB_STACK_MONGO_PORT');
      let pid: number;
      let logFile = join(config.hubHome, 'logs', 'store.log');
      const choice = chooseStore(probes.mongodVersion());
      if (choice.kind === 'mongod') {
        say(`Store: mongod ${choice.version} is on PATH; starting it at ${url}`);
        mkdirSync(join(config.hubHome, 'logs'), { recursive: true });
        pid = startMongod(mongodDataDir(config.hubHome), logFile, config.stackPorts.mongo);
      } else {
        if (choice.why) say(`Store: FerretDB rather than mongod: ${choice.why}`);
        const layout = ferretLayout(config.cacheDir, config.hubHome, versions.ferretdb);
        await provisionCache(
          config,
          say,
          // What ensureFerretBinary takes for a whole build (a binary of an earlier version of this code: if it runs).
          () =>
            ferretBuilt(layout) ||
            (existsSync(layout.binary) && answersVersion(layout.binary, versions.ferretdb)),
          () => ensureFerretBinary(layout, versions.ferretdbModule, versions.ferretdb, config.cacheDir, say),
        );
        say(`FerretDB ${versions.ferretdb}: starting on SQLite at ${url} (log: ${layout.logFile})`);
        pid = startFerret(layout, config.stackPorts.mongo);
        logFile = layout.logFile;
      }
      const kind = choice.kind;
      launched.store = pid;
      record.mongo = { url, version: '', kind, pid };
      save();
      await waitReady(
        () => probes.mongo(url),
        (ready) => waitStarted(kind === 'mongod' ? 'mongod' : 'FerretDB', pid, ready, 60000, logFile),
      );
      const p = await probes.mongo(url);
      record.mongo.version = p.ferretdb ?? p.version ?? '';
      say(`Store is ready (${kind} ${record.mongo.version})`);
    }
    mongo = record.mongo;
  }
  // Nothing to record when both servers are external and there was no local stack; an earlier record is kept.
  if (previous || config.kafka.fromLocalStack || config.mongo.fromLocalStack) save();
  return { kafka, mongo, launched };
}

/**
 * Stop only what `stack up` started (pids recorded in stack.json and still running our servers). `only`: of
 * those, just the ones it names (what one `stackUp` launched), the others left running and recorded.
 */
export async function stackDown(config: HubConfig, say: Say, only?: Launched): Promise<void> {
  const info = readStackRecord(config.hubHome);
  if (!info) {
    say('No local stack recorded; nothing to stop.');
    return;
  }
  const chosen = (pid: number | undefined, wanted: number | undefined) => !only || pid === wanted;
  const stopped: string[] = [];
  if (
    ours(info.mongo.pid, storeMarker(config.hubHome, info.mongo.kind)) &&
    chosen(info.mongo.pid, only?.store)
  ) {
    say(`Stopping the store (pid ${info.mongo.pid})`);
    await stopPid(info.mongo.pid);
    stopped.push('the store');
    delete info.mongo.pid;
  }
  if (ours(info.kafka.pid, KAFKA_MARKER) && chosen(info.kafka.pid, only?.kafka)) {
    say(`Stopping Kafka (pid ${info.kafka.pid})`);
    await stopPid(info.kafka.pid, 30000);
    stopped.push('Kafka');
    delete info.kafka.pid;
  }
  if (!only) rmSync(stackFile(config.hubHome), { force: true });
  else if (stopped.length) writeStackInfo(config.hubHome, info);
  if (!only)
    say(
      stopped.length
        ? 'Local stack stopped.'
        : 'No server of the local stack was running; its record is removed.',
    );
  else if (stopped.length) say(`Stopped ${stopped.join(' and ')}, started by this run.`);
}

export interface StackStatus {
  kafka: {
    brokers: string[];
    running: boolean;
    version: string;
    pid?: number;
    brokerCount?: number;
    /** The brokers are reached with the security profile (TLS, SASL/SCRAM): the local broker's, or HUB_KAFKA_SECURITY's. */
    secured: boolean;
  };
  mongo: { url: string; running: boolean; version: string; kind: string; pid?: number };
}

export async function stackStatus(
  config: HubConfig,
  probes: Pick<StackProbes, 'kafka' | 'mongo'> = liveProbes,
): Promise<StackStatus> {
  const info = readStackRecord(config.hubHome);
  const brokers = config.kafka.brokers;
  // The security the services reach the brokers with (HUB_KAFKA_SECURITY for a secured cluster of one's own); the
  // secured local stack's is hub-admin's.
  const security =
    config.kafka.security ??
    (config.kafka.fromLocalStack && info?.kafka.security === 'sasl_ssl'
      ? adminSecurity(config.hubHome)
      : undefined);
  const secured = security !== undefined;
  const k = await probes.kafka(brokers, security);
  const m = await probes.mongo(config.mongo.url);
  return {
    kafka: {
      brokers,
      running: k.ok,
      version: config.kafka.fromLocalStack ? (info?.kafka.version ?? stackVersions().kafka) : 'external',
      pid: config.kafka.fromLocalStack ? info?.kafka.pid : undefined,
      brokerCount: k.brokers,
      secured,
    },
    mongo: {
      url: redactUrl(config.mongo.url),
      running: m.ok,
      version: m.ferretdb
        ? `FerretDB ${m.ferretdb} (MongoDB wire ${m.version})`
        : m.version
          ? `MongoDB ${m.version}`
          : 'unknown',
      kind: config.mongo.fromLocalStack ? (info?.mongo.kind ?? 'ferretdb') : 'external',
      pid: config.mongo.fromLocalStack ? info?.mongo.pid : undefined,
    },
  };
}

/**
 * New passwords for principals of the secured local broker (`hub security rotate`): each changed on the running
 * broker, then in its file, which the services read again at their next connection. `principals` empty: every
 * principal the broker has a credential for.
 */
export async function rotateLocalKafkaPasswords(
  config: HubConfig,
  principals: string[],
  say: Say,
): Promise<string[]> {
  const info = readStackRecord(config.hubHome);
  if (
    !config.kafka.fromLocalStack ||
    info?.kafka.security !== 'sasl_ssl' ||
    !ours(info.kafka.pid, KAFKA_MARKER) ||
    !info.kafka.internal
  )
    throw new HubError(
      'USAGE',
      config.kafka.fromLocalStack
        ? "the local stack's broker does not run the security profile: start it with 'hub stack up --secure'"
        : `HUB_KAFKA_BROKERS names other brokers (${config.kafka.brokers.join(',')}): on a cluster, change the credential with kafka-configs.sh (--alter --entity-type users --entity-name <principal> --add-config-file <file>), then write the new password into the service's HUB_KAFKA_PASSWORD_FILE: it is read again at the next connection`,
    );
  const layout = secureKafkaLayout(config, info.kafka.version);
  const credentialed = readCredentialed(layout);
  const chosen = principals.length ? principals : credentialed;
  const unknown = chosen.filter((p) => !credentialed.includes(p));
  if (unknown.length)
    throw new HubError(
      'USAGE',
      `no credential on the local broker for ${unknown.join(', ')}; it has ${credentialed.join(', ')}`,
    );
  const tlsDir = join(layout.configDir, 'tls');
  await rotateScramPasswords({
    libs: layout.libs,
    internal: info.kafka.internal,
    hubHome: config.hubHome,
    // The files the running broker was started with.
    tls: { keystore: join(tlsDir, 'broker.pem'), truststore: join(tlsDir, 'ca.crt') },
    principals: chosen,
  });
  say(
    `new passwords for ${chosen.join(', ')} on the broker and in ${kafkaSecretsDir(config.hubHome)}: services take them at their next connection`,
  );
  return chosen;
}
