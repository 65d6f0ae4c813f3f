// The storage layer of infra/production is watched through exporters: each broker's JMX exporter agent (its rules in
// kafka/jmx-exporter.yml), a MongoDB exporter per member, and the node exporter. The alerts of the group hub-storage
// must ask for metrics those exporters export, under the names they give them, from the targets Prometheus scrapes.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from '@hub/config';

const production = join(repoRoot, 'infra', 'production');
const yaml = <T>(file: string) => load(readFileSync(join(production, file), 'utf8')) as T;

type Mount = string | { type?: string; source: string; target: string; read_only?: boolean; bind?: unknown };
type Service = {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  volumes?: Mount[];
  ports?: string[];
  env_file?: string[];
  depends_on?: string[];
  pid?: string;
};
type Compose = { services: Record<string, Service> };
type Prometheus = {
  scrape_configs: {
    job_name: string;
    static_configs: { targets: string[]; labels?: Record<string, string> }[];
  }[];
};
type Rule = { alert: string; expr: string; labels?: { severity?: string } };
type JmxConfig = { includeObjectNames: string[]; rules: { pattern: string; name: string; type: string }[] };

const brokers = ['kafka-1', 'kafka-2', 'kafka-3'];
const members = ['mongo-1', 'mongo-2', 'mongo-3'];
/**
 * The exporters' metrics the alerts use, as their documentation names them: percona/mongodb_exporter
 * (`mongodb_up`; `mongodb_rs_members_state{member_idx, member_state}` from --collector.replicasetstatus) and the
 * node exporter's filesystem collector.
 */
const documented = [
  'mongodb_up',
  'mongodb_rs_members_state',
  'node_filesystem_avail_bytes',
  'node_filesystem_size_bytes',
];

const storageRules = (): Rule[] =>
  yaml<{ groups: { name: string; rules: Rule[] }[] }>('monitoring/alerts.yml').groups.find(
    (g) => g.name === 'hub-storage',
  )?.rules ?? [];
const job = (name: string) =>
  yaml<Prometheus>('monitoring/prometheus.yml').scrape_configs.find((c) => c.job_name === name);

describe('production layout: monitoring of the brokers, the store and the host (infra/production)', () => {
  it('alerts on broker down, offline, under-replicated and under-min-ISR partitions, member state and disk', () => {
    const rules = storageRules();
    expect(rules.map((r) => r.alert)).to.include.members([
      'HubKafkaBrokerDown',
      'HubKafkaPartitionsOffline',
      'HubKafkaUnderReplicated',
      'HubKafkaUnderMinIsr',
      'HubStoreMemberUnhealthy',
      'HubDiskFilling',
    ]);
    const expr = (alert: string) => rules.find((r) => r.alert === alert)?.expr ?? '';
    expect(expr('HubKafkaUnderReplicated')).to.match(/kafka_server_under_replicated_partitions\) > 0$/);
    expect(expr('HubStoreMemberUnhealthy')).to.contain(
      'mongodb_rs_members_state != 1 and mongodb_rs_members_state != 2',
    );
    expect(expr('HubDiskFilling')).to.match(/\* 100 > 80$/);
  });

  it("asks only for the kafka_ metrics that the brokers' JMX exporter rules name, from MBeans it reads", () => {
    const jmx = yaml<JmxConfig>('kafka/jmx-exporter.yml');
    const named = new Set(jmx.rules.map((r) => r.name));
    const used = storageRules().flatMap((r) => [...r.expr.matchAll(/\bkafka_[a-z_]+/g)].map((m) => m[0]));
    expect(used.length).to.be.at.least(3);
    for (const metric of used) expect(named, metric).to.include(metric);
    // Every rule matches an MBean the agent is told to read: a rule for one it skips would export nothing.
    for (const rule of jmx.rules) {
      const [, domain, props] = /^(.+?)<(.+?)><>Value$/.exec(rule.pattern) ?? [];
      expect(domain, rule.pattern).to.be.a('string');
      const objectName = `${domain}:${props!.replace(/, /g, ',')}`;
      expect(jmx.includeObjectNames, rule.name).to.include(objectName);
      expect(rule.type, rule.name).to.equal('GAUGE');
    }
  });

  it('loads the JMX exporter agent into each broker with those rules, on the port Prometheus scrapes', () => {
    const { services } = yaml<Compose>('docker-compose.yml');
    for (const broker of brokers) {
      const s = services[broker]!;
      const agent = /^-javaagent:(\S+\.jar)=(\d+):(\S+)$/.exec(s.environment?.KAFKA_OPTS ?? '');
      expect(agent, `${broker}: KAFKA_OPTS`).to.not.equal(null);
      const [, jar, port, config] = agent!;
      expect(s.volumes, broker).to.deep.include({
        type: 'bind',
        source: './kafka/jmx_prometheus_javaagent-1.0.1.jar',
        target: jar,
        read_only: true,
        // A missing jar stops `docker compose up`, instead of an empty folder in its place.
        bind: { create_host_path: false },
      });
      expect(s.volumes, broker).to.include(`./kafka/jmx-exporter.yml:${config}:ro`);
      expect(
        job('kafka')?.static_configs.flatMap((c) => c.targets),
        broker,
      ).to.include(`${broker}:${port}`);
      // Not published: the project's network only.
      expect(
        (s.ports ?? []).some((p) => p.includes(port!)),
        broker,
      ).to.equal(false);
    }
    // The bootstrap job runs Kafka's tools in the same image: without the agent, or they would take its port.
    expect(services['kafka-bootstrap']?.environment?.KAFKA_OPTS).to.equal(undefined);
    // The README fetches the very jar the brokers mount.
    const readme = readFileSync(join(production, 'README.md'), 'utf8');
    expect(readme).to.contain(
      'mvn -q dependency:copy -Dartifact=io.prometheus.jmx:jmx_prometheus_javaagent:1.0.1 -DoutputDirectory=kafka',
    );
    expect(readme).to.match(
      /echo '[0-9a-f]{64} {2}kafka\/jmx_prometheus_javaagent-1\.0\.1\.jar' \|\n\s+sha256sum -c -/,
    );
  });

  it("runs a MongoDB exporter per member, scraped with its member's name, and the node exporter", () => {
    const { services } = yaml<Compose>('docker-compose.yml');
    const mongodb = job('mongodb')!;
    members.forEach((member, i) => {
      const exporter = services[`mongo-exporter-${i + 1}`]!;
      expect(exporter.image, member).to.match(/^percona\/mongodb_exporter:\d+\.\d+\.\d+$/);
      expect(exporter.command, member).to.include('--collector.replicasetstatus');
      expect(exporter.depends_on, member).to.deep.equal([member]);
      expect(mongodb.static_configs, member).to.deep.include({
        targets: [`mongo-exporter-${i + 1}:9216`],
        labels: { member },
      });
      expect(exporter.ports, member).to.equal(undefined);
    });
    const node = services['node-exporter']!;
    expect(node.image).to.match(/^prom\/node-exporter:v\d+\.\d+\.\d+$/);
    // The host's mount table and filesystems, read-only.
    expect(node.pid).to.equal('host');
    expect(node.command).to.include('--path.rootfs=/host');
    expect(node.volumes).to.deep.equal(['/:/host:ro,rslave']);
    expect(job('host')?.static_configs.flatMap((c) => c.targets)).to.deep.equal(['node-exporter:9100']);
  });

  it('asks the MongoDB and node exporters only for metrics they document', () => {
    const used = storageRules().flatMap((r) =>
      [...r.expr.matchAll(/\b(?:mongodb|node)_[a-z_]+/g)].map((m) => m[0]),
    );
    expect(used).to.include.members(['mongodb_rs_members_state', 'node_filesystem_avail_bytes']);
    for (const metric of used) expect(documented, metric).to.include(metric);
    // The storage jobs stay out of HubServiceDown (up{job=~"hub-.*"}), whose text is about the hub's services.
    for (const name of ['kafka', 'mongodb', 'host']) expect(job(name), name).to.not.equal(undefined);
  });
});
