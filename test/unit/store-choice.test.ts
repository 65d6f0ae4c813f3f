// Which store `stack up` starts: a mongod on PATH only when the MongoDB driver can talk to it (4.4 or later), else
// FerretDB with a line saying why; and a wait for a store (or broker) that gives up says what the probe said last,
// such as the driver refusing a server too old for it. Fakes for `mongod --version` and the probes; a FerretDB
// stand-in that exits.
import { expect } from 'chai';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadConfig } from '@hub/config';
import { stackUp, waitReady, type StackProbes } from '../../scripts/src/stack/stack';
import { chooseStore, MONGOD_MIN_VERSION, probeKafka, probeMongo } from '../../scripts/src/stack/probes';
import { ferretLayout } from '../../scripts/src/stack/ferretdb';
import { waitFor } from '../../scripts/src/stack/proc';
import { stackVersions } from '../../scripts/src/stack/versions';
import { freePorts } from '../support/servers';
import { hubErrorOf } from '../support/env';

/** What the driver says of a mongod 3.6 at every connection. */
const TOO_OLD =
  'Server at 127.0.0.1:37017 reports maximum wire version 6, but this version of the Node.js Driver requires at least 9 (MongoDB 4.4)';

describe('local stack: which store it starts', () => {
  it('takes a mongod of 4.4 or later', () => {
    expect(chooseStore('db version v4.4.0\nBuild Info: {}')).to.deep.equal({
      kind: 'mongod',
      version: '4.4.0',
    });
    expect(chooseStore('db version v8.0.4\nBuild Info: {\n "version": "8.0.4"\n}')).to.deep.equal({
      kind: 'mongod',
      version: '8.0.4',
    });
  });

  it('passes over an older mongod for FerretDB, saying why', () => {
    expect(
      chooseStore('db version v3.6.8\ngit version: 8e540c0b6db93ce994cc548f000900bdc740f80a'),
    ).to.deep.equal({
      kind: 'ferretdb',
      why: 'the mongod on PATH is 3.6.8, and the MongoDB driver needs 4.4 or later',
    });
    expect(chooseStore('db version v4.2.24')).to.include({ kind: 'ferretdb' });
  });

  it('passes over a mongod whose version it cannot read, quoting what it said', () => {
    const choice = chooseStore('mongod: some wrapper\n');
    expect(choice.kind).to.equal('ferretdb');
    expect(choice.kind === 'ferretdb' && choice.why).to.contain('"mongod: some wrapper"');
  });

  it('takes FerretDB, without a word, when no mongod is on PATH', () => {
    expect(chooseStore(undefined)).to.deep.equal({ kind: 'ferretdb' });
  });

  it("holds the driver's own minimum", () => {
    const driver = createRequire(import.meta.url)('mongodb/lib/cmap/wire_protocol/constants.js') as {
      MIN_SUPPORTED_SERVER_VERSION: string;
    };
    expect(MONGOD_MIN_VERSION.join('.')).to.equal(driver.MIN_SUPPORTED_SERVER_VERSION);
  });
});

describe('local stack: starting the store', function () {
  this.timeout(15000);
  let home: string;
  let cache: string;
  let mongoPort: number;
  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'hub-store-home-'));
    cache = mkdtempSync(join(tmpdir(), 'hub-store-cache-'));
    [mongoPort] = (await freePorts(1)) as [number];
  });
  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
    rmSync(cache, { recursive: true, force: true });
  });

  /** A built FerretDB in the cache that runs `script` instead. */
  const ferretDoing = (script: string) => {
    const { binary, complete } = ferretLayout(cache, home, stackVersions().ferretdb);
    mkdirSync(dirname(binary), { recursive: true });
    writeFileSync(binary, `#!/bin/sh\n${script}\n`);
    chmodSync(binary, 0o755);
    writeFileSync(complete, 'done');
  };
  const up = (probes: StackProbes, lines: string[]) =>
    stackUp(
      loadConfig({
        HUB_HOME: home,
        HUB_CACHE_DIR: cache,
        HUB_STACK_MONGO_PORT: String(mongoPort),
        HUB_KAFKA_BROKERS: '127.0.0.1:1',
      }),
      (l) => lines.push(l),
      {},
      probes,
    );

  it('starts FerretDB rather than a mongod 3.6 on PATH, saying why', async () => {
    ferretDoing('exit 3');
    const lines: string[] = [];
    const err = await hubErrorOf(
      up(
        {
          kafka: async () => ({ ok: true, brokers: 1 }),
          mongo: async () => ({ ok: false, error: 'ECONNREFUSED' }),
          mongodVersion: () => 'db version v3.6.8\n',
        },
        lines,
      ),
    );
    expect(err.message).to.match(/^FerretDB exited at start/);
    expect(lines).to.include(
      'Store: FerretDB rather than mongod: the mongod on PATH is 3.6.8, and the MongoDB driver needs 4.4 or later',
    );
  });

  it('says what the probe said last when the store it started never answers', async () => {
    // Runs a moment, answering the driver with a refusal, then exits.
    ferretDoing('sleep 1; exit 3');
    const err = await hubErrorOf(
      up(
        {
          kafka: async () => ({ ok: true, brokers: 1 }),
          mongo: async () => ({ ok: false, error: TOO_OLD }),
          mongodVersion: () => undefined,
        },
        [],
      ),
    );
    expect(err.message).to.match(/^FerretDB exited at start; see .*ferretdb\.log/);
    expect(err.message).to.contain(`The last probe said: ${TOO_OLD}`);
  });

  it('gives up a wait naming what the probe said last', async () => {
    const err = await hubErrorOf(
      waitReady(
        async () => ({ ok: false, error: TOO_OLD }),
        (ready) => waitFor('mongod', ready, 1000),
      ),
    );
    expect(err.code).to.equal('STACK_START_FAILED');
    expect(err.message).to.equal(`mongod did not become ready within 1 s. The last probe said: ${TOO_OLD}`);
  });

  it('has the probes say why a server does not answer', async () => {
    const [closed] = (await freePorts(1)) as [number];
    const m = await probeMongo(`mongodb://127.0.0.1:${closed}/`);
    expect(m.ok).to.equal(false);
    expect(m.error).to.contain(`127.0.0.1:${closed}`);
    const k = await probeKafka([`127.0.0.1:${closed}`]);
    expect(k.ok).to.equal(false);
    expect(k.error).to.be.a('string').and.not.equal('');
  });
});
