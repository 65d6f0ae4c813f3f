// `stack up` and `stack down` with servers an earlier `stack up` started: a broker or store of ours is found where it
// was started (run/stack.json), even after the port setting changed, and a recorded pid is ours only while its
// command line names this HUB_HOME's data (another program that took the pid over is never stopped). Stand-ins for
// the servers: idle processes with the command lines ours have; fakes for the probes.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type LocalStackInfo } from '@hub/config';
import { stackDown, stackUp, type StackProbes } from '../../scripts/src/stack/stack';
import { commandLineOf, isAlive } from '../../scripts/src/stack/proc';
import { waitUntil } from '../support/env';
import { freePorts } from '../support/servers';

/**
 * An idle process whose command line ends with `args`, as a server's does; resolved once it shows them (until its
 * exec, a child's command line is its parent's).
 */
async function standIn(...args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)', '--', ...args], {
    stdio: 'ignore',
  });
  await waitUntil('the stand-in', () => commandLineOf(child.pid!).includes(args.join(' ')), 5000, 10);
  return child;
}

/** Probes of servers that answer only at `up` (an address each), and no mongod on PATH. */
function answeringAt(up: { kafka?: string; mongo?: string }): StackProbes & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    kafka: async (brokers) => {
      asked.push(brokers.join(','));
      return brokers.join(',') === up.kafka ? { ok: true, brokers: 1 } : { ok: false, error: 'ECONNREFUSED' };
    },
    mongo: async (url) => {
      asked.push(url);
      return url === up.mongo ? { ok: true, version: '7.0.0' } : { ok: false, error: 'ECONNREFUSED' };
    },
    mongodVersion: () => undefined,
  };
}

describe('local stack: the servers an earlier stack up started', function () {
  // The wait for a server of ours that does not answer is 60 s: a test that reaches it has failed.
  this.timeout(10000);
  let home: string;
  const servers: ChildProcess[] = [];
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-running-'));
  });
  afterEach(() => {
    for (const s of servers.splice(0)) s.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  });

  const server = async (...args: string[]) => {
    const s = await standIn(...args);
    servers.push(s);
    return s;
  };
  /** The configuration of `env` in this HUB_HOME, with a cache where nothing can be provisioned. */
  const configOf = (env: NodeJS.ProcessEnv = {}) => {
    writeFileSync(join(home, 'no-cache'), '');
    return loadConfig({ HUB_HOME: home, HUB_CACHE_DIR: join(home, 'no-cache'), ...env });
  };
  const record = (info: LocalStackInfo) => {
    mkdirSync(join(home, 'run'), { recursive: true });
    writeFileSync(join(home, 'run', 'stack.json'), JSON.stringify(info));
  };

  it('finds its broker at the recorded port when HUB_STACK_KAFKA_PORT now says another, and says so', async () => {
    const [started, asked] = (await freePorts(2)) as [number, number];
    const kafka = await server('hub.stack=kafka');
    record({
      kafka: { brokers: [`127.0.0.1:${started}`], version: '4.1.0', pid: kafka.pid },
      mongo: { url: 'mongodb://127.0.0.1:1/', version: '', kind: 'ferretdb' },
    });
    const probes = answeringAt({ kafka: `127.0.0.1:${started}`, mongo: 'mongodb://127.0.0.1:1/' });
    const lines: string[] = [];
    const up = await stackUp(
      loadConfig({
        HUB_HOME: home,
        HUB_STACK_KAFKA_PORT: String(asked),
        HUB_MONGO_URL: 'mongodb://127.0.0.1:1/',
      }),
      (l) => lines.push(l),
      {},
      probes,
    );
    expect(up.kafka.brokers).to.deep.equal([`127.0.0.1:${started}`]);
    expect(up.launched).to.deep.equal({});
    const moved = lines.find((l) => l.includes('HUB_STACK_KAFKA_PORT'));
    expect(moved, lines.join('\n')).to.be.a('string');
    expect(moved).to.contain(`Kafka runs at 127.0.0.1:${started}, not at port ${asked}`);
    expect(moved).to.contain("'hub stack down'");
    expect(probes.asked).not.to.include(`127.0.0.1:${asked}`);
  });

  it('finds its store at the recorded URL when HUB_STACK_MONGO_PORT now says another, and says so', async () => {
    const [started, asked] = (await freePorts(2)) as [number, number];
    const store = await server(`--state-dir=${join(home, 'stack', 'ferretdb')}`);
    const url = `mongodb://127.0.0.1:${started}/`;
    record({
      kafka: { brokers: ['127.0.0.1:1'], version: '4.1.0' },
      mongo: { url, version: '2.5.0', kind: 'ferretdb', pid: store.pid },
    });
    const probes = answeringAt({ kafka: '127.0.0.1:2', mongo: url });
    const lines: string[] = [];
    const up = await stackUp(
      configOf({ HUB_STACK_MONGO_PORT: String(asked), HUB_KAFKA_BROKERS: '127.0.0.1:2' }),
      (l) => lines.push(l),
      {},
      probes,
    );
    expect(up.mongo).to.include({ url, pid: store.pid });
    expect(up.launched).to.deep.equal({});
    const moved = lines.find((l) => l.includes('HUB_STACK_MONGO_PORT'));
    expect(moved, lines.join('\n')).to.contain(`The store runs at ${url}, not at port ${asked}`);
    expect(moved).to.contain("'hub stack down'");
  });

  it("never stops a user's own mongod that took over the recorded pid", async () => {
    const theirs = await server('mongod', '--dbpath', '/var/lib/mongodb', '--port', '27017');
    record({
      kafka: { brokers: ['127.0.0.1:1'], version: '4.1.0' },
      mongo: { url: 'mongodb://127.0.0.1:2/', version: '7.0.0', kind: 'mongod', pid: theirs.pid },
    });
    const lines: string[] = [];
    await stackDown(configOf(), (l) => lines.push(l));
    expect(isAlive(theirs.pid), 'their mongod still runs').to.equal(true);
    expect(lines).to.deep.equal(['No server of the local stack was running; its record is removed.']);
  });

  it('stops the mongod it started on the data under this HUB_HOME', async () => {
    const mongod = await server(
      '--dbpath',
      join(home, 'stack', 'mongod'),
      '--port',
      '2',
      '--bind_ip',
      '127.0.0.1',
    );
    record({
      kafka: { brokers: ['127.0.0.1:1'], version: '4.1.0' },
      mongo: { url: 'mongodb://127.0.0.1:2/', version: '7.0.0', kind: 'mongod', pid: mongod.pid },
    });
    await stackDown(configOf(), () => undefined);
    expect(isAlive(mongod.pid)).to.equal(false);
  });

  it("never stops another checkout's FerretDB that took over the recorded pid, but stops its own", async () => {
    const other = await server('--handler=sqlite', '--state-dir=/home/someone/.hub/stack/ferretdb');
    record({
      kafka: { brokers: ['127.0.0.1:1'], version: '4.1.0' },
      mongo: { url: 'mongodb://127.0.0.1:2/', version: '2.5.0', kind: 'ferretdb', pid: other.pid },
    });
    await stackDown(configOf(), () => undefined);
    expect(isAlive(other.pid), "the other checkout's FerretDB still runs").to.equal(true);

    const own = await server('--handler=sqlite', `--state-dir=${join(home, 'stack', 'ferretdb')}`);
    record({
      kafka: { brokers: ['127.0.0.1:1'], version: '4.1.0' },
      mongo: { url: 'mongodb://127.0.0.1:2/', version: '2.5.0', kind: 'ferretdb', pid: own.pid },
    });
    await stackDown(configOf(), () => undefined);
    expect(isAlive(own.pid)).to.equal(false);
  });
});
