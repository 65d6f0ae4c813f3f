import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { loadConfig, repoRoot } from '@hub/config';

const production = join(repoRoot, 'infra', 'production');
const compose = readFileSync(join(production, 'docker-compose.yml'), 'utf8');
const yaml = <T>(file: string) => load(readFileSync(join(production, file), 'utf8')) as T;

type Service = {
  build?: unknown;
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: (string | { source: string; target: string })[];
  ports?: string[];
  stop_grace_period?: string;
  healthcheck?: { test?: string[] };
  mem_limit?: string;
  init?: boolean;
  logging?: { driver?: string; options?: Record<string, string> };
};
type Compose = { services: Record<string, Service> };
type Prometheus = {
  rule_files: string[];
  scrape_configs: {
    job_name: string;
    scheme?: string;
    tls_config?: { ca_file?: string };
    static_configs: { targets: string[]; labels?: Record<string, string> }[];
  }[];
};
/** The storage layer's scrape jobs: not hub-*, so that HubServiceDown leaves them to their own alerts. */
const storageJobs = ['kafka', 'mongodb', 'host'];

/** A compose memory size ('512m', '2g') in bytes. */
function bytes(size: string | undefined): number {
  const m = /^(\d+)([kmg])$/.exec(size ?? '');
  if (!m) throw new Error(`memory size ${String(size)}: expected <number>k|m|g`);
  return Number(m[1]) * 1024 ** { k: 1, m: 2, g: 3 }[m[2] as 'k' | 'm' | 'g'];
}
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
    const { services } = yaml<Compose>('docker-compose.yml');
    const hub = Object.entries(services).filter(([, s]) => s.build);
    expect(hub.length).to.be.greaterThan(2);
    for (const [name, s] of hub) {
      // As each service reads its own environment (YAML merges its anchors), not a pattern over the file's text.
      const factor = s.environment?.HUB_KAFKA_REPLICATION_FACTOR;
      expect(factor, `${name}: HUB_KAFKA_REPLICATION_FACTOR`).to.be.a('string');
      const config = loadConfig({
        HUB_KAFKA_BROKERS: s.environment?.HUB_KAFKA_BROKERS ?? '',
        HUB_MONGO_URL: url,
        HUB_KAFKA_REPLICATION_FACTOR: factor,
        HUB_HOME: '/var/lib/hub',
      });
      expect(config.kafka.brokers, name).to.have.length(3);
      expect(config.kafka.replicationFactor, name).to.equal(3);
    }
    const config = loadConfig({
      HUB_KAFKA_BROKERS: services['coordinator-1']?.environment?.HUB_KAFKA_BROKERS ?? '',
      HUB_MONGO_URL: url,
      HUB_HOME: '/var/lib/hub',
    });
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
    const targets = prometheus.scrape_configs
      .filter((c) => c.job_name.startsWith('hub-'))
      .flatMap((c) => c.static_configs.flatMap((sc) => sc.targets));
    expect([...targets].sort()).to.deep.equal([...expected].sort());
    for (const job of prometheus.scrape_configs)
      expect(job.job_name).to.satisfy((n: string) => n.startsWith('hub-') || storageJobs.includes(n));
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

  it('gives the hub services 30 s to stop and Kafka and the store 60 s', () => {
    const { services } = yaml<Compose>('docker-compose.yml');
    const hub = Object.entries(services).filter(([, s]) => s.build);
    expect(hub.length).to.be.greaterThan(2);
    // Their shutdown budget is 15 s, plus the drains of consumers and producers.
    for (const [name, s] of hub) expect(s.stop_grace_period, name).to.equal('30s');
    // A broker moves leadership away and closes its logs; a primary steps down.
    for (const name of ['kafka-1', 'kafka-2', 'kafka-3', 'mongo-1', 'mongo-2', 'mongo-3'])
      expect(services[name]?.stop_grace_period, name).to.equal('60s');
  });

  it("checks each hub service's /healthz on the port it serves it, with node (fetch; https.get for the node over TLS)", () => {
    const { services } = yaml<Compose>('docker-compose.yml');
    const expected: Record<string, string> = {
      'coordinator-1': 'http://127.0.0.1:9100/healthz',
      'coordinator-2': 'http://127.0.0.1:9100/healthz',
      'query-api': 'http://127.0.0.1:8080/healthz',
      'node-kz': 'https://127.0.0.1:8101/healthz',
    };
    const hub = Object.entries(services).filter(([, s]) => s.build);
    expect(hub.map(([n]) => n).sort()).to.deep.equal(Object.keys(expected).sort());
    for (const [name, s] of hub) {
      const test = s.healthcheck?.test ?? [];
      expect(test[0], name).to.equal('CMD');
      const script = test[test.length - 1] ?? '';
      expect(test[test.length - 2], name).to.equal('-e');
      expect(test[test.length - 3], name).to.equal('node');
      // The node's over TLS, with https.get: fetch cannot be given the CAs to trust (see node-healthcheck.test.ts).
      expect(script, name).to.contain(
        name === 'node-kz' ? `require('https').get('${expected[name]}'` : `fetch('${expected[name]}')`,
      );
      // The port checked is the one the service is told to listen on.
      const [verb, ...args] = s.command ?? [];
      const port = args[args.indexOf(verb === 'coordinator' ? '--ops-port' : '--port') + 1];
      expect(expected[name], name).to.contain(`:${port}/`);
    }
    // The node's own certificate is from a hub CA: the check trusts those of its pki/ca/, the service's process is
    // untouched.
    expect(services['node-kz']?.healthcheck?.test?.at(-1)).to.contain("dir = '/var/lib/hub/pki/ca'");
    expect(services['node-kz']?.environment).not.to.have.property('NODE_EXTRA_CA_CERTS');
  });

  it('serves the national node over TLS, Prometheus checks it against the hub CAs, the query API on loopback', () => {
    const { services } = yaml<Compose>('docker-compose.yml');
    const node = services['node-kz']!;
    expect(node.environment?.HUB_NODE_HOST).to.equal('0.0.0.0');
    expect(node.environment?.HUB_NODE_TLS_CERT_FILE).to.equal('/var/lib/hub/pki/servers/node-kz.crt');
    expect(node.environment?.HUB_NODE_TLS_KEY_FILE).to.equal('/var/lib/hub/pki/servers/node-kz.key');
    // Inside the node's read-only pki/ mount, where the README's commands put them.
    expect(node.volumes).to.include('./secrets/node-KZ/pki:/var/lib/hub/pki:ro');
    const prometheus = yaml<Prometheus>('monitoring/prometheus.yml');
    const job = prometheus.scrape_configs.find((c) => c.job_name === 'hub-national-node');
    expect(job?.scheme).to.equal('https');
    expect(job?.tls_config?.ca_file).to.equal('/etc/prometheus/hub-ca.crt');
    expect(services.prometheus?.volumes).to.include(
      './secrets/prometheus/hub-ca.crt:/etc/prometheus/hub-ca.crt:ro',
    );
    // Plain HTTP: published on loopback only, for a TLS-terminating proxy in front.
    expect(services['query-api']?.ports).to.deep.equal(['127.0.0.1:8080:8080']);
    const readme = readFileSync(join(production, 'README.md'), 'utf8');
    expect(readme).to.contain('TLS-terminating reverse proxy');
    expect(readme).to.match(/npx hub pki issue-server node-kz --host node-kz,/);
  });

  it("lists every alert of alerts.yml in the README's table, with its severity", () => {
    const rules = yaml<{ groups: { rules: Rule[] }[] }>('monitoring/alerts.yml').groups.flatMap(
      (g) => g.rules,
    );
    const readme = readFileSync(join(production, 'README.md'), 'utf8');
    const table = new Map(
      [...readme.matchAll(/^\| `(Hub[A-Za-z]+)` \|.*\| (page|ticket|info) \|$/gm)].map((m) => [m[1]!, m[2]!]),
    );
    expect(table.size).to.be.at.least(8);
    for (const rule of rules) expect(table.get(rule.alert), rule.alert).to.equal(rule.labels?.severity);
    const names = new Set(rules.map((r) => r.alert));
    for (const alert of table.keys())
      expect(names.has(alert), `${alert}: in the README, not in alerts.yml`).to.equal(true);
  });

  it('limits the memory of every service and rotates every log', () => {
    const { services } = yaml<Compose>('docker-compose.yml');
    expect(Object.keys(services).length).to.be.greaterThan(10);
    for (const [name, s] of Object.entries(services)) {
      expect(bytes(s.mem_limit), `${name}: mem_limit`).to.be.greaterThan(0);
      expect(s.logging?.driver, `${name}: logging`).to.equal('json-file');
      expect(s.logging?.options, `${name}: logging`).to.deep.equal({ 'max-size': '50m', 'max-file': '5' });
    }
  });

  it("keeps each mongod's cache, each broker's heap and each node's heap inside its memory limit", () => {
    const { services } = yaml<Compose>('docker-compose.yml');
    const members = ['mongo-1', 'mongo-2', 'mongo-3'];
    for (const name of members) {
      const command = services[name]?.command ?? [];
      const at = command.indexOf('--wiredTigerCacheSizeGB');
      expect(at, `${name}: --wiredTigerCacheSizeGB`).to.be.at.least(0);
      const cache = Number(command[at + 1]) * 1024 ** 3;
      expect(cache, name).to.be.greaterThan(0);
      // mongod needs memory beyond its cache: connections, sorts, index builds.
      expect(cache, name).to.be.at.most(bytes(services[name]?.mem_limit) / 2);
    }
    for (const name of ['kafka-1', 'kafka-2', 'kafka-3']) {
      const heap = /^-Xmx(\d+)g -Xms\1g$/.exec(services[name]?.environment?.KAFKA_HEAP_OPTS ?? '');
      expect(heap, `${name}: KAFKA_HEAP_OPTS`).to.not.equal(null);
      // The rest is the JVM's own and the page cache Kafka reads its logs through.
      expect(Number(heap![1]) * 1024 ** 3, name).to.be.at.most(bytes(services[name]?.mem_limit) / 2);
    }
    const hub = Object.entries(services).filter(([, s]) => s.build);
    expect(hub.length).to.be.greaterThan(2);
    for (const [name, s] of hub) {
      const heap = /--max-old-space-size=(\d+)/.exec(s.environment?.NODE_OPTIONS ?? '');
      expect(heap, `${name}: NODE_OPTIONS`).to.not.equal(null);
      expect(Number(heap![1]) * 1024 ** 2, name).to.be.below(bytes(s.mem_limit));
      // An init process forwards SIGTERM: node as PID 1 would ignore it until its handlers are installed.
      expect(s.init, `${name}: init`).to.equal(true);
    }
  });

  it('publishes Prometheus, which has no login, on loopback only', () => {
    const { services } = yaml<Compose>('docker-compose.yml');
    expect(services.prometheus?.ports).to.deep.equal(['127.0.0.1:9090:9090']);
    const published = Object.entries(services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => [name, p] as const),
    );
    // Published on every interface: the brokers' EXTERNAL listeners and the national node (TLS, tokens) only.
    expect(published.filter(([, p]) => !p.startsWith('127.0.0.1:')).map(([n]) => n)).to.have.members([
      'kafka-1',
      'kafka-2',
      'kafka-3',
      'node-kz',
    ]);
  });

  it('builds the services on a Node.js line that package.json allows and that is still supported', () => {
    const dockerfile = readFileSync(join(production, 'Dockerfile'), 'utf8');
    const major = Number(/^FROM node:(\d+)-/m.exec(dockerfile)?.[1]);
    const engines = (
      JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } }
    ).engines.node;
    const floor = Number(/^>=(\d+)/.exec(engines)?.[1]);
    expect(major).to.be.at.least(floor);
    // Node.js 20 reached its end of life in April 2026.
    expect(major).to.be.at.least(22);
  });

  describe('mongo-init', () => {
    let dir: string;
    const script = () => {
      const { services } = yaml<Compose>('docker-compose.yml');
      const entrypoint = services['mongo-init']?.entrypoint ?? [];
      expect(entrypoint.slice(0, 2)).to.deep.equal(['/bin/sh', '-c']);
      // Compose turns $$ into $ before the shell sees it.
      return (entrypoint[2] ?? '').replace(/\$\$/g, '$');
    };
    /**
     * Runs the job with a stand-in mongosh: `hello` maps a member to what its db.hello() tells (setName and primary,
     * '-' for none) or to null for a member that does not answer. The clock moves 10 s at each look; sleep takes none.
     */
    const run = (hello: Record<string, string | null>) => {
      const bin = join(dir, 'bin');
      mkdirSync(bin, { recursive: true });
      const tool = (name: string, body: string) => {
        writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
        chmodSync(join(bin, name), 0o755);
      };
      const answers = Object.entries(hello).map(([member, says]) =>
        says === null ? `*"--host ${member} "*) exit 1;;` : `*"--host ${member} "*) echo "hello ${says}";;`,
      );
      tool(
        'mongosh',
        [
          `echo "$*" >> '${join(dir, 'calls')}'`,
          'case "$* " in',
          '  *replica-set.js*) exit 0;;',
          ...answers,
          'esac',
        ].join('\n'),
      );
      tool('sleep', 'exit 0');
      tool(
        'date',
        `t=$(cat '${join(dir, 'clock')}' 2>/dev/null || echo 1000000)\necho $((t + 10)) > '${join(dir, 'clock')}'\necho $t`,
      );
      const result = spawnSync('/bin/sh', ['-c', script()], {
        encoding: 'utf8',
        env: { PATH: `${bin}:${process.env.PATH}` },
        timeout: 20000,
      });
      const calls = readFileSync(join(dir, 'calls'), 'utf8').split('\n').filter(Boolean);
      return { ...result, calls, init: calls.filter((c) => c.includes('/init/replica-set.js')) };
    };
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'hub-mongo-init-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('gives up on a first initiation, naming the member, when one does not answer within 2 minutes', () => {
      const result = run({ 'mongo-1': '- -', 'mongo-2': null, 'mongo-3': '- -' });
      expect(result.status, result.stderr).to.equal(1);
      expect(result.stderr).to.contain('mongo-init: mongo-2 did not answer within 2 minutes');
      const tries = result.calls.filter((c) => c.includes('mongo-2')).length;
      // About 2 minutes of 10 s looks: gave up after some tries, never reached the init script.
      expect(tries).to.be.within(5, 20);
      expect(result.init).to.deep.equal([]);
    });

    it('initiates the set over localhost once all three members answer, none initiated', () => {
      const result = run({ 'mongo-1': '- -', 'mongo-2': '- -', 'mongo-3': '- -' });
      expect(result.status, result.stderr).to.equal(0);
      expect(result.init).to.deep.equal(['--host 127.0.0.1 --quiet /init/replica-set.js']);
    });

    it('with the set initiated and mongo-2 silent, sets the users on mongo-1, the primary, at once', () => {
      const result = run({
        'mongo-1': 'hub-rs mongo-1:27017',
        'mongo-2': null,
        'mongo-3': 'hub-rs mongo-1:27017',
      });
      expect(result.status, result.stderr).to.equal(0);
      expect(result.init).to.deep.equal(['--host 127.0.0.1 --quiet /init/replica-set.js']);
      // One look at each member, no waiting for mongo-2.
      expect(result.calls.filter((c) => c.includes('--host mongo-2'))).to.have.length(1);
      expect(result.stderr).to.contain('not answering: mongo-2');
    });

    it('with mongo-1 not the primary, sets the users on the primary over the replica set', () => {
      const result = run({
        'mongo-1': 'hub-rs mongo-3:27017',
        'mongo-2': null,
        'mongo-3': 'hub-rs mongo-3:27017',
      });
      expect(result.status, result.stderr).to.equal(0);
      expect(result.init).to.deep.equal([
        'mongodb://mongo-1:27017,mongo-2:27017,mongo-3:27017/?replicaSet=hub-rs --quiet /init/replica-set.js',
      ]);
    });

    it('with the set initiated but no primary elected within 2 minutes, fails saying so', () => {
      const result = run({ 'mongo-1': null, 'mongo-2': 'hub-rs -', 'mongo-3': 'hub-rs -' });
      expect(result.status).to.equal(1);
      expect(result.stderr).to.contain('mongo-init: replica set hub-rs has no primary after 2 minutes');
      expect(result.stderr).to.contain('not answering: mongo-1');
      expect(result.init).to.deep.equal([]);
    });
  });
});
