import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { loadConfig, repoRoot } from '@hub/config';

const production = join(repoRoot, 'infra', 'production');
const compose = readFileSync(join(production, 'docker-compose.yml'), 'utf8');
const yaml = <T>(file: string) => load(readFileSync(join(production, file), 'utf8')) as T;

type Compose = { services: Record<string, { build?: unknown; command?: string[]; volumes?: string[] }> };
type Prometheus = {
  rule_files: string[];
  scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
};
type Rule = {
  alert: string;
  expr: string;
  labels?: { severity?: string };
  annotations?: { summary?: string };
};

/** The source of every service (services/<name>/src, all levels), where the metrics are registered. */
function serviceSources(): string {
  const read = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? read(join(dir, e.name))
        : e.name.endsWith('.ts')
          ? [readFileSync(join(dir, e.name), 'utf8')]
          : [],
    );
  const services = join(repoRoot, 'services');
  return readdirSync(services)
    .flatMap((s) => read(join(services, s, 'src')))
    .join('\n');
}

describe('production layout (infra/production)', () => {
  it('uses only configuration names that the code reads', () => {
    const configSource = readFileSync(join(repoRoot, 'services', 'config', 'src', 'config.ts'), 'utf8');
    const names = [...new Set(compose.match(/\bHUB_[A-Z_]+/g) ?? [])];
    expect(names).to.include.members(['HUB_KAFKA_BROKERS', 'HUB_MONGO_URL_FILE', 'HUB_HOME']);
    for (const name of names.filter((n) => n !== 'HUB_HOME')) {
      expect(
        new RegExp(`\\b${name}\\b`).test(configSource),
        `${name} is set in docker-compose.yml but services/config never reads it`,
      ).to.equal(true);
    }
  });

  it('gives the services a three-broker cluster with replication factor 3 and the replica set', () => {
    // The store's URL is a Docker secret that the README's commands write (secrets/mongo/<user>.url).
    const readme = readFileSync(join(production, 'README.md'), 'utf8');
    const url = /printf '(mongodb:\/\/[^']+)\\n'/.exec(readme)?.[1]?.replace('%s:%s', 'coordinator:pw') ?? '';
    const env = {
      HUB_KAFKA_BROKERS: /HUB_KAFKA_BROKERS: (\S+)/.exec(compose)?.[1] ?? '',
      HUB_MONGO_URL: url,
      HUB_KAFKA_REPLICATION_FACTOR: /HUB_KAFKA_REPLICATION_FACTOR: "(\d+)"/.exec(compose)?.[1] ?? '',
      HUB_HOME: '/var/lib/hub',
    };
    const config = loadConfig(env);
    expect(config.kafka.brokers).to.have.length(3);
    expect(config.kafka.replicationFactor).to.equal(3);
    expect(config.mongo.url).to.match(
      /^mongodb:\/\/coordinator:pw@mongo-1:27017,mongo-2:27017,mongo-3:27017\//,
    );
    expect(config.mongo.url).to.contain('replicaSet=hub-rs').and.contain('w=majority');
    expect(compose).to.contain('KAFKA_MIN_INSYNC_REPLICAS: 2');
  });

  it('runs only verbs that the hub CLI has', async () => {
    const { commands } = await import('../../scripts/src/cli/commands/index');
    // The services built from our image (the others run mongod, Kafka or Prometheus images).
    const { services } = yaml<Compose>('docker-compose.yml');
    const verbs = Object.values(services)
      .filter((s) => s.build)
      .map((s) => s.command?.[0]);
    expect(verbs.length).to.be.greaterThan(2);
    const known = commands.map((c) => c.name);
    for (const verb of verbs) expect(known, `compose runs 'hub ${verb}'`).to.include(verb);
  });

  it('has Prometheus scrape every service of the layout at the port it listens on', () => {
    const { services } = yaml<Compose>('docker-compose.yml');
    // Each hub service answers /metrics on its ops port (the coordinator) or its HTTP port (the others).
    const expected = Object.entries(services).flatMap(([name, s]) => {
      const [verb, ...args] = s.command ?? [];
      if (!['coordinator', 'api', 'node'].includes(verb ?? '')) return [];
      const flag = args.findIndex((a) => a === (verb === 'coordinator' ? '--ops-port' : '--port'));
      expect(flag, `${name} names its port`).to.be.at.least(0);
      return [`${name}:${args[flag + 1]}`];
    });
    expect(expected).to.include.members(['coordinator-1:9100', 'coordinator-2:9100', 'query-api:8080']);
    const prometheus = yaml<Prometheus>('monitoring/prometheus.yml');
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((sc) => sc.targets));
    expect([...targets].sort()).to.deep.equal([...expected].sort());
    for (const job of prometheus.scrape_configs) expect(job.job_name).to.match(/^hub-/);
    // Compose runs it with both files where its configuration says.
    const mounts = services.prometheus?.volumes ?? [];
    expect(mounts).to.include('./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    expect(mounts).to.include('./monitoring/alerts.yml:/etc/prometheus/alerts.yml:ro');
    expect(prometheus.rule_files).to.deep.equal(['/etc/prometheus/alerts.yml']);
  });

  it('alerts only on metrics, labels and reasons that the services have', () => {
    const rules = yaml<{ groups: { rules: Rule[] }[] }>('monitoring/alerts.yml').groups.flatMap(
      (g) => g.rules,
    );
    expect(rules.length).to.be.at.least(8);
    const source = serviceSources();
    const registered = new Set([...source.matchAll(/name: '(hub_[a-z_]+)'/g)].map((m) => m[1]));
    expect(registered).to.include('hub_store_command_seconds');
    for (const rule of rules) {
      expect(rule.labels?.severity, rule.alert).to.be.oneOf(['page', 'ticket', 'info']);
      expect(rule.annotations?.summary, rule.alert).to.be.a('string');
      for (const [metric] of rule.expr.matchAll(/\bhub_[a-z_]+/g))
        expect(registered, `${rule.alert}: ${metric}`).to.include(metric.replace(/_(bucket|sum|count)$/, ''));
      // Quarantine reasons and the store's outcomes, as the code spells them.
      for (const [, list] of rule.expr.matchAll(/reason=~"([^"]+)"/g))
        for (const reason of list!.split('|'))
          expect(source, `${rule.alert}: reason ${reason}`).to.contain(`'${reason}'`);
      for (const [, outcome] of rule.expr.matchAll(/outcome="([^"]+)"/g))
        expect(source, `${rule.alert}: outcome ${outcome}`).to.contain(`'${outcome}'`);
    }
  });

  it('has a promtool test (monitoring/alerts.test.yml) in which each alert fires', () => {
    const rules = yaml<{ groups: { rules: Rule[] }[] }>('monitoring/alerts.yml').groups.flatMap(
      (g) => g.rules,
    );
    type Case = { alertname: string; exp_alerts: unknown[] };
    const tests = yaml<{ rule_files: string[]; tests: { alert_rule_test: Case[] }[] }>(
      'monitoring/alerts.test.yml',
    );
    expect(tests.rule_files).to.deep.equal(['alerts.yml']);
    const cases = tests.tests.flatMap((t) => t.alert_rule_test);
    // promtool compares the whole list of firing alerts at each time: a case lists those that must fire, and
    // every other series of its input stays silent.
    for (const { alert } of rules)
      expect(
        cases.some((c) => c.alertname === alert && c.exp_alerts.length > 0),
        `${alert}: a test where it fires`,
      ).to.equal(true);
  });
});
