// The local stack's record (run/stack.json) when servers of the operator's own are used (HUB_KAFKA_BROKERS,
// HUB_MONGO_URL): it keeps the local stack's pids, so `stack down` still stops them, and never names the external
// servers, so later commands without those variables use the local stack again. And `hub test` stops afterwards
// only what it started itself. Stand-ins for the servers: idle processes whose command lines carry the markers a
// server of `stack up` has; nothing listens on the ports given.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, readLocalStackInfo, type LocalStackInfo } from '@hub/config';
import { stackDown, stackUp } from '../../scripts/src/stack/stack';
import { stackForSuite } from '../../scripts/src/cli/commands/test';
import { isAlive } from '../../scripts/src/stack/proc';
import { freePorts } from '../support/servers';

/** An idle process whose command line contains `marker`, as a server of `stack up` does. */
function standIn(marker: string): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)', '--', marker], { stdio: 'ignore' });
}

const quiet = () => undefined;

describe('the local stack record with external servers', function () {
  this.timeout(30000);
  let home: string;
  let local: NodeJS.ProcessEnv;
  let external: NodeJS.ProcessEnv;
  let kafka: ChildProcess;
  let store: ChildProcess;
  let recorded: LocalStackInfo;

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'hub-record-'));
    const [kafkaPort, controller, internal, mongo, nobody] = await freePorts(5);
    local = {
      HUB_HOME: home,
      HUB_STACK_KAFKA_PORT: String(kafkaPort),
      HUB_STACK_KAFKA_CONTROLLER_PORT: String(controller),
      HUB_STACK_KAFKA_INTERNAL_PORT: String(internal),
      HUB_STACK_MONGO_PORT: String(mongo),
    };
    external = {
      ...local,
      HUB_KAFKA_BROKERS: `ext-kafka.invalid:9092`,
      HUB_MONGO_URL: `mongodb://hub:S3cretPw@127.0.0.1:${nobody}/`,
    };
    kafka = standIn('hub.stack=kafka');
    // FerretDB's command line names its data under HUB_HOME.
    store = standIn(`--state-dir=${join(home, 'stack', 'ferretdb')}`);
    recorded = {
      kafka: { brokers: [`127.0.0.1:${kafkaPort}`], version: '4.1.0', pid: kafka.pid },
      mongo: { url: `mongodb://127.0.0.1:${mongo}/`, version: '2.5.0', kind: 'ferretdb', pid: store.pid },
    };
  });
  afterEach(() => {
    kafka.kill('SIGKILL');
    store.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  const record = (info: LocalStackInfo) => {
    mkdirSync(join(home, 'run'), { recursive: true });
    writeFileSync(join(home, 'run', 'stack.json'), JSON.stringify(info));
  };

  it("keeps a running local stack's record, so that stack down still stops its servers", async () => {
    record(recorded);
    const used = await stackUp(loadConfig(external), quiet);
    expect(used.kafka).to.deep.include({ brokers: ['ext-kafka.invalid:9092'], version: 'external' });
    expect(used.mongo).to.include({ kind: 'external' });
    expect(readLocalStackInfo(home)).to.deep.equal(recorded);

    const later = loadConfig(local);
    expect(later.kafka).to.include({ fromLocalStack: true });
    expect(later.kafka.brokers).to.deep.equal(recorded.kafka.brokers);
    expect(later.mongo.url).to.equal(recorded.mongo.url);

    await stackDown(later, quiet);
    expect(isAlive(kafka.pid), 'the broker stopped').to.equal(false);
    expect(isAlive(store.pid), 'the store stopped').to.equal(false);
    expect(used.launched, 'what this stack up launched').to.deep.equal({});
  });

  it('records no external server (nor its redacted password) when there is no local stack', async () => {
    await stackUp(loadConfig(external), quiet);
    const later = loadConfig(local);
    expect(later.kafka.brokers).to.deep.equal([`127.0.0.1:${local.HUB_STACK_KAFKA_PORT}`]);
    expect(later.mongo.url).to.equal(`mongodb://127.0.0.1:${local.HUB_STACK_MONGO_PORT}/`);
    const file = readLocalStackInfo(home);
    expect(JSON.stringify(file ?? {})).not.to.match(/ext-kafka|\*\*\*|S3cretPw/);
  });

  it('drops the external servers a record of an earlier version named, keeping the local pids', async () => {
    record({
      kafka: { brokers: ['ext-kafka.invalid:9092'], version: 'external' },
      mongo: { url: 'mongodb://***@127.0.0.1:1/', version: '7.0', kind: 'external' },
    });
    await stackUp(loadConfig(external), quiet);
    const later = loadConfig(local);
    expect(later.kafka.brokers).to.deep.equal([`127.0.0.1:${local.HUB_STACK_KAFKA_PORT}`]);
    expect(later.mongo.url).to.equal(`mongodb://127.0.0.1:${local.HUB_STACK_MONGO_PORT}/`);
  });

  it('leaves the pid of a server that is not ours out of what it stops', async () => {
    // A recorded pid now running something else (no marker): never stopped.
    const other = standIn('something-else');
    try {
      record({ ...recorded, kafka: { ...recorded.kafka, pid: other.pid } });
      await stackDown(loadConfig(local), quiet);
      expect(isAlive(other.pid)).to.equal(true);
      expect(isAlive(store.pid)).to.equal(false);
    } finally {
      other.kill('SIGKILL');
    }
  });
});

describe('hub test: the servers it stops afterwards', function () {
  this.timeout(30000);
  let home: string;
  let kafka: ChildProcess;
  let store: ChildProcess;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'hub-suite-'));
    const [kafkaPort, controller, internal, mongo, nobody] = await freePorts(5);
    kafka = standIn('hub.stack=kafka');
    // FerretDB's command line names its data under HUB_HOME.
    store = standIn(`--state-dir=${join(home, 'stack', 'ferretdb')}`);
    env = {
      HUB_HOME: home,
      HUB_STACK_KAFKA_PORT: String(kafkaPort),
      HUB_STACK_KAFKA_CONTROLLER_PORT: String(controller),
      HUB_STACK_KAFKA_INTERNAL_PORT: String(internal),
      HUB_STACK_MONGO_PORT: String(mongo),
    };
    mkdirSync(join(home, 'run'), { recursive: true });
    writeFileSync(
      join(home, 'run', 'stack.json'),
      JSON.stringify({
        kafka: { brokers: [`127.0.0.1:${kafkaPort}`], version: '4.1.0', pid: kafka.pid },
        mongo: { url: `mongodb://127.0.0.1:${mongo}/`, version: '2.5.0', kind: 'ferretdb', pid: store.pid },
      } satisfies LocalStackInfo),
    );
    // Servers that do not answer the probes: as a busy broker may not within its 1.5 s.
    env = {
      ...env,
      HUB_KAFKA_BROKERS: '127.0.0.1:' + nobody,
      HUB_MONGO_URL: `mongodb://127.0.0.1:${nobody}/`,
    };
  });
  afterEach(() => {
    kafka.kill('SIGKILL');
    store.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  it('is nothing when the probes fail but stack up launches nothing', async () => {
    const launched = await stackForSuite(loadConfig(env), quiet);
    expect(launched).to.deep.equal({});
  });

  it('stops only the servers named, leaving the others running and recorded', async () => {
    const config = loadConfig({ ...env, HUB_KAFKA_BROKERS: '', HUB_MONGO_URL: '' });
    await stackDown(config, quiet, {});
    expect(isAlive(kafka.pid) && isAlive(store.pid), 'nothing named, nothing stopped').to.equal(true);
    await stackDown(config, quiet, { store: store.pid });
    expect(isAlive(store.pid)).to.equal(false);
    expect(isAlive(kafka.pid)).to.equal(true);
    const left = JSON.parse(readFileSync(join(home, 'run', 'stack.json'), 'utf8')) as LocalStackInfo;
    expect(left.kafka.pid).to.equal(kafka.pid);
    expect(left.mongo.pid).to.equal(undefined);
  });
});
