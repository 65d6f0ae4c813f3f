import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, repoRoot } from '@hub/config';

const compose = readFileSync(join(repoRoot, 'infra', 'production', 'docker-compose.yml'), 'utf8');

describe('production layout (infra/production)', () => {
  it('uses only configuration names that the code reads', () => {
    const configSource = readFileSync(join(repoRoot, 'services', 'config', 'src', 'config.ts'), 'utf8');
    const names = [...new Set(compose.match(/\bHUB_[A-Z_]+/g) ?? [])];
    expect(names).to.include.members(['HUB_KAFKA_BROKERS', 'HUB_MONGO_URL', 'HUB_HOME']);
    for (const name of names.filter((n) => n !== 'HUB_HOME')) {
      expect(
        new RegExp(`\\b${name}\\b`).test(configSource),
        `${name} is set in docker-compose.yml but services/config never reads it`,
      ).to.equal(true);
    }
  });

  it('gives the services a three-broker cluster with replication factor 3 and the replica set', () => {
    const env = {
      HUB_KAFKA_BROKERS: /HUB_KAFKA_BROKERS: (\S+)/.exec(compose)?.[1] ?? '',
      HUB_MONGO_URL: /HUB_MONGO_URL: (\S+)/.exec(compose)?.[1] ?? '',
      HUB_KAFKA_REPLICATION_FACTOR: /HUB_KAFKA_REPLICATION_FACTOR: "(\d+)"/.exec(compose)?.[1] ?? '',
      HUB_HOME: '/var/lib/hub',
    };
    const config = loadConfig(env);
    expect(config.kafka.brokers).to.have.length(3);
    expect(config.kafka.replicationFactor).to.equal(3);
    expect(config.mongo.url).to.contain('replicaSet=hub-rs');
    expect(compose).to.contain('KAFKA_MIN_INSYNC_REPLICAS: 2');
  });

  it('runs only verbs that the hub CLI has', async () => {
    const { commands } = await import('../../scripts/src/cli/commands/index');
    const verbs = [...compose.matchAll(/command: \[\s*['"]([a-z-]+)['"]/g)].map((m) => m[1]);
    expect(verbs.length).to.be.greaterThan(2);
    const known = commands.map((c) => c.name);
    for (const verb of verbs) expect(known, `compose runs 'hub ${verb}'`).to.include(verb);
  });
});
