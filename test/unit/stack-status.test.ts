// `hub stack status` with servers of the operator's own (HUB_MONGO_URL, HUB_KAFKA_BROKERS): the store's address
// without the password, no pid of the local stack beside them, and brokers reached as the services reach them.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type KafkaSecurity } from '@hub/config';
import { stackStatus, type StackProbes } from '../../scripts/src/stack/stack';

describe('hub stack status', function () {
  this.timeout(30000);
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-status-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('names the store HUB_MONGO_URL gives without the password it may carry', async () => {
    // Nothing listens on these ports: the store and brokers are down, and said to be.
    const status = await stackStatus(
      loadConfig({
        HUB_HOME: home,
        HUB_MONGO_URL: 'mongodb://hub:S3cretPw@127.0.0.1:1/',
        HUB_KAFKA_BROKERS: '127.0.0.1:2',
      }),
    );
    expect(status.mongo).to.include({ url: 'mongodb://***@127.0.0.1:1/', running: false });
    expect(JSON.stringify(status)).not.to.contain('S3cretPw');
  });

  it("does not name the local stack's pids beside servers HUB_KAFKA_BROKERS and HUB_MONGO_URL give", async () => {
    // The local stack's record is kept while external servers are used (for 'hub stack down' to find it).
    mkdirSync(join(home, 'run'), { recursive: true });
    writeFileSync(
      join(home, 'run', 'stack.json'),
      JSON.stringify({
        kafka: { brokers: ['127.0.0.1:3'], version: '4.1.0', pid: 4242 },
        mongo: { url: 'mongodb://127.0.0.1:4/', version: '2.5.0', kind: 'ferretdb', pid: 4343 },
      }),
    );
    const status = await stackStatus(
      loadConfig({
        HUB_HOME: home,
        HUB_MONGO_URL: 'mongodb://127.0.0.1:1/',
        HUB_KAFKA_BROKERS: '127.0.0.1:2',
      }),
    );
    expect(status.kafka).to.include({ version: 'external', pid: undefined });
    expect(status.mongo).to.include({ kind: 'external', pid: undefined });
    const local = await stackStatus(loadConfig({ HUB_HOME: home }));
    expect(local.kafka.pid).to.equal(4242);
    expect(local.mongo.pid).to.equal(4343);
  });

  it('reaches a secured cluster of its own (HUB_KAFKA_SECURITY) with its security, as the services do', async () => {
    const security: KafkaSecurity = {
      protocol: 'sasl_ssl',
      mechanism: 'scram-sha-512',
      username: 'coordinator',
      password: 'pw',
      caPem: '-----BEGIN CERTIFICATE-----',
    };
    const base = loadConfig({ HUB_HOME: home, HUB_KAFKA_BROKERS: '127.0.0.1:2' });
    const config = { ...base, kafka: { ...base.kafka, security } };
    const used: unknown[] = [];
    // A secured listener answers only a client that comes with TLS and SCRAM.
    const probes: Pick<StackProbes, 'kafka' | 'mongo'> = {
      kafka: async (_brokers, given) => {
        used.push(given);
        return given === security ? { ok: true, brokers: 3 } : { ok: false, error: 'Connection error' };
      },
      mongo: async () => ({ ok: true, version: '7.0.0' }),
    };
    const status = await stackStatus(config, probes);
    expect(used).to.deep.equal([security]);
    expect(status.kafka).to.include({ running: true, brokerCount: 3, secured: true, version: 'external' });
  });
});
