// `stack up` and the provisioning cache (HUB_CACHE_DIR): a complete cache is used without its lock (it may be
// another user's, read-only, or being provisioned by another checkout for something else), and a lock that cannot
// be made is an error naming it and HUB_CACHE_DIR. Fakes for the probes; the servers never start (a port taken, or a
// FerretDB stand-in that exits at once).
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '@hub/config';
import { stackUp, type StackProbes } from '../../scripts/src/stack/stack';
import { kafkaLayout } from '../../scripts/src/stack/kafka';
import { ferretLayout } from '../../scripts/src/stack/ferretdb';
import { stackVersions } from '../../scripts/src/stack/versions';
import { freePorts } from '../support/servers';
import { hubErrorOf } from '../support/env';

const probes: StackProbes = {
  kafka: async () => ({ ok: true, brokers: 1 }),
  mongo: async () => ({ ok: false, error: 'ECONNREFUSED' }),
  mongodVersion: () => undefined,
};

/** What `stack up` says; waiting for the cache's lock fails the test at once (it would wait for ever here). */
function sayingNoWait(lines: string[]) {
  return (line: string) => {
    lines.push(line);
    if (line.includes('waiting for another process')) throw new Error(`stack up waited: ${line}`);
  };
}

describe('local stack: the provisioning cache', function () {
  this.timeout(15000);
  let home: string;
  let cache: string;
  let ports: number[];
  let taken: Server | undefined;
  let holder: ChildProcess | undefined;
  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'hub-cache-home-'));
    cache = mkdtempSync(join(tmpdir(), 'hub-cache-'));
    ports = await freePorts(4);
  });
  afterEach(async () => {
    if (taken) await new Promise((resolve) => taken!.close(resolve));
    taken = undefined;
    holder?.kill('SIGKILL');
    holder = undefined;
    rmSync(home, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });

  /** The cache's lock, held by another live process, as one provisioning something else. */
  const holdLock = () => {
    holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' });
    mkdirSync(join(cache, '.provision.lock'));
    writeFileSync(join(cache, '.provision.lock', 'pid'), String(holder.pid));
  };
  const env = (more: NodeJS.ProcessEnv) => ({
    HUB_HOME: home,
    HUB_CACHE_DIR: cache,
    HUB_STACK_KAFKA_PORT: String(ports[0]),
    HUB_STACK_KAFKA_CONTROLLER_PORT: String(ports[1]),
    HUB_STACK_KAFKA_INTERNAL_PORT: String(ports[2]),
    HUB_STACK_MONGO_PORT: String(ports[3]),
    ...more,
  });

  it('uses complete Kafka jars without taking the lock', async () => {
    const libs = kafkaLayout(cache, home, stackVersions().kafka).libs;
    mkdirSync(libs, { recursive: true });
    writeFileSync(join(libs, '.complete'), 'done');
    holdLock();
    // The broker's port taken: stack up stops right after the cache, before it would start a broker.
    taken = createServer();
    await new Promise<void>((resolve) => taken!.listen(ports[0], '127.0.0.1', resolve));
    const lines: string[] = [];
    const err = await hubErrorOf(
      stackUp(loadConfig(env({ HUB_MONGO_URL: 'mongodb://127.0.0.1:1/' })), sayingNoWait(lines), {}, probes),
    );
    expect(err.code, err.message).to.equal('PORT_IN_USE');
    expect(err.message).to.contain(`port ${ports[0]}`);
  });

  it('uses a built FerretDB without taking the lock', async () => {
    const { binary, complete } = ferretLayout(cache, home, stackVersions().ferretdb);
    mkdirSync(dirname(binary), { recursive: true });
    writeFileSync(binary, '#!/bin/sh\nexit 3\n');
    chmodSync(binary, 0o755);
    writeFileSync(complete, 'done');
    holdLock();
    const lines: string[] = [];
    const err = await hubErrorOf(
      stackUp(loadConfig(env({ HUB_KAFKA_BROKERS: '127.0.0.1:1' })), sayingNoWait(lines), {}, probes),
    );
    expect(err.message).to.match(/^FerretDB exited at start; see /);
  });

  it('names the lock and HUB_CACHE_DIR when the lock cannot be made', async () => {
    // A cache that is a file: nothing can be made in it, as in a read-only folder of another user.
    const file = join(cache, 'not-a-folder');
    writeFileSync(file, '');
    const err = await hubErrorOf(
      stackUp(
        loadConfig(env({ HUB_CACHE_DIR: file, HUB_MONGO_URL: 'mongodb://127.0.0.1:1/' })),
        () => undefined,
        {},
        probes,
      ),
    );
    expect(err.message).to.contain(`could not take the lock ${join(file, '.provision.lock')}`);
    expect(err.message).to.contain('choose another folder with HUB_CACHE_DIR');
  });
});
