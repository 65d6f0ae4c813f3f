// The local Kafka broker: jars from Maven Central into the user cache, one KRaft broker+controller under HUB_HOME.
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HubError } from '@hub/errors';
import { BROKER_MESSAGE_MAX_BYTES } from '@hub/kafka';
import { repoRoot } from '@hub/config';
import { requireTool } from './prereqs';
import { run, startDetached } from './proc';

export interface KafkaLayout {
  libs: string;
  dataDir: string;
  configDir: string;
  logFile: string;
}

export function kafkaLayout(cacheDir: string, hubHome: string, version: string): KafkaLayout {
  return {
    libs: join(cacheDir, `kafka-${version}`, 'libs'),
    dataDir: join(hubHome, 'stack', 'kafka', 'data'),
    configDir: join(hubHome, 'stack', 'kafka'),
    logFile: join(hubHome, 'logs', 'kafka.log'),
  };
}

/** Resolve the broker's jars with Maven once; later calls find them in the cache. */
export async function ensureKafkaJars(
  layout: KafkaLayout,
  version: string,
  cacheDir: string,
  say: (s: string) => void,
): Promise<void> {
  const marker = join(layout.libs, '.complete');
  if (existsSync(marker)) return;
  requireTool('java', 'to run the local Kafka broker');
  requireTool('mvn', 'to fetch the Kafka broker jars from Maven Central');
  say(
    `Kafka ${version}: resolving the broker jars from Maven Central into ${layout.libs} (first run only, about a minute)`,
  );
  rmSync(layout.libs, { recursive: true, force: true });
  const r = await run('mvn', [
    '-q',
    '-B',
    // --strict-checksums: a jar whose checksum does not match fails the build. Maven's default only warns (which -q
    // hides), and a corrupt jar would then stay in the cache for good behind the .complete marker.
    '-C',
    '-f',
    join(repoRoot, 'infra', 'local', 'kafka', 'pom.xml'),
    'dependency:copy-dependencies',
    `-Dkafka.version=${version}`,
    '-DincludeScope=runtime',
    `-DoutputDirectory=${layout.libs}`,
    `-Dmaven.repo.local=${join(cacheDir, 'm2')}`,
  ]);
  if (r.code !== 0) {
    throw new HubError(
      'STACK_PROVISION_FAILED',
      `Maven could not fetch Kafka ${version}:\n${(r.stdout + r.stderr).slice(-2000)}`,
    );
  }
  if (!readdirSync(layout.libs).some((f) => f.startsWith('kafka_'))) {
    throw new HubError('STACK_PROVISION_FAILED', `Maven finished but no kafka_*.jar is in ${layout.libs}`);
  }
  writeFileSync(marker, new Date().toISOString());
}

/** The settings every hub broker shares, whatever its listeners and security. */
export function commonServerProperties(layout: KafkaLayout): string[] {
  return [
    `log.dirs=${layout.dataDir}`,
    'num.partitions=3',
    'auto.create.topics.enable=false',
    // A single broker: internal topics cannot have more than one replica, or groups and transactions never start.
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=-1',
    'log.segment.bytes=67108864',
    `message.max.bytes=${BROKER_MESSAGE_MAX_BYTES}`,
  ];
}

function serverProperties(layout: KafkaLayout, port: number, controllerPort: number): string {
  return [
    '# Written by `hub stack up`: one combined KRaft broker+controller for development and tests.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    ...commonServerProperties(layout),
    '',
  ].join('\n');
}

const LOG4J = `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="warn">
  <Appenders><Console name="out" target="SYSTEM_OUT"><PatternLayout pattern="[%d] %p %m (%c)%n"/></Console></Appenders>
  <Loggers>
    <Root level="warn"><AppenderRef ref="out"/></Root>
    <Logger name="kafka.server.KafkaServer" level="info"/>
    <Logger name="kafka.server.BrokerServer" level="info"/>
  </Loggers>
</Configuration>
`;

/** How the broker's processes are run: proc's `run` and `startDetached`, or a test's stand-ins that record them. */
export interface KafkaProcesses {
  run: typeof run;
  startDetached: typeof startDetached;
}

const liveProcesses: KafkaProcesses = { run, startDetached };

/**
 * How to start a broker other than the plaintext development one. Nothing secret goes on a command line (any local
 * user reads it in /proc/<pid>/cmdline): a secured broker's SCRAM credentials are made once it runs (security.ts).
 */
export interface KafkaStartOptions {
  /** The whole server.properties; default: the plaintext broker of `hub stack up`. */
  properties?: string;
  /** Maximum heap; default 512 MB. */
  heapMb?: number;
  /** Marker on the java command line that tells our processes apart; default `kafka` (`hub stack` looks for it). */
  marker?: string;
  /** The cluster id to format with: the same on every node of a multi-broker cluster; default a random one. */
  clusterId?: string;
  /** Default: the real ones. */
  processes?: KafkaProcesses;
}

/** Write the config, format the storage on first use, and start the broker. Returns its pid. */
export async function startKafka(
  layout: KafkaLayout,
  port: number,
  controllerPort: number,
  options: KafkaStartOptions = {},
): Promise<number> {
  mkdirSync(layout.dataDir, { recursive: true });
  mkdirSync(join(layout.logFile, '..'), { recursive: true });
  const props = join(layout.configDir, 'server.properties');
  const log4j = join(layout.configDir, 'log4j2.xml');
  // Readable by this user only (a secured broker's names its key files); it holds no password.
  writeFileSync(props, options.properties ?? serverProperties(layout, port, controllerPort), { mode: 0o600 });
  chmodSync(props, 0o600);
  writeFileSync(log4j, LOG4J);
  const cp = `${layout.libs}/*`;
  const java = requireTool('java', 'to run the local Kafka broker') && 'java';
  const processes = options.processes ?? liveProcesses;
  if (!existsSync(join(layout.dataDir, 'meta.properties'))) {
    const clusterId =
      options.clusterId ??
      (await processes.run(java, ['-cp', cp, 'kafka.tools.StorageTool', 'random-uuid'])).stdout
        .trim()
        .split('\n')
        .pop() ??
      '';
    const f = await processes.run(java, [
      `-Dlog4j2.configurationFile=${log4j}`,
      '-cp',
      cp,
      'kafka.tools.StorageTool',
      'format',
      // One argument with '=': a cluster id may begin with '-', which would otherwise read as an option.
      `--cluster-id=${clusterId}`,
      '-c',
      props,
    ]);
    if (f.code !== 0)
      throw new HubError('STACK_START_FAILED', `formatting Kafka storage failed:\n${f.stdout}${f.stderr}`);
  }
  const heap = options.heapMb ?? 512;
  return processes.startDetached(
    java,
    [
      `-Xms${Math.min(256, heap)}m`,
      `-Xmx${heap}m`,
      '-XX:+UseG1GC',
      `-Dlog4j2.configurationFile=${log4j}`,
      `-Dhub.stack=${options.marker ?? 'kafka'}`,
      '-cp',
      cp,
      'kafka.Kafka',
      props,
    ],
    layout.logFile,
    layout.configDir,
  );
}
