// infra/production gives each service only what it reads: its own folder of secrets, read-only, and nobody the hub
// CA's key; the store only to the services that use it, each as a user of its own, on a replica set that runs with
// access control. The README's commands make exactly those folders from the CA machine's HUB_HOME.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { load } from 'js-yaml';
import { loadConfig, repoRoot } from '@hub/config';
import { loadMatchSecret } from '@hub/coordinator/correlate';
import { PkiStore } from '@hub/pki';
import { authDir, loadKeyRing } from '@hub/query-api';

const production = join(repoRoot, 'infra', 'production');
const readme = readFileSync(join(production, 'README.md'), 'utf8');

type Service = {
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: (string | { source: string; target: string; read_only?: boolean })[];
  secrets?: string[];
  env_file?: string[];
  network_mode?: string;
  depends_on?: Record<string, { condition: string }> | string[];
};
type Compose = {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
};
const compose = load(readFileSync(join(production, 'docker-compose.yml'), 'utf8')) as Compose;
const service = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
/** The services that run the hub's own image: a coordinator, the query API, a national node. */
const hubServices = Object.keys(compose.services).filter((n) =>
  ['coordinator', 'api', 'node'].includes(service(n).command?.[0] ?? ''),
);
const mongoMembers = ['mongo-1', 'mongo-2', 'mongo-3'];
/** A volume as its short syntax reads, `source:target[:ro]`, whichever syntax the compose file uses. */
const mountLine = (mount: NonNullable<Service['volumes']>[number]): string =>
  typeof mount === 'string' ? mount : `${mount.source}:${mount.target}${mount.read_only ? ':ro' : ''}`;

/** The README's shell block that starts with the comment `# <title>`. */
function readmeBlock(title: string): string {
  const block = readme
    .split('```sh\n')
    .slice(1)
    .map((b) => b.slice(0, b.indexOf('```')))
    .find((b) => b.startsWith(`# ${title}`));
  if (!block) throw new Error(`README.md has no shell block starting '# ${title}'`);
  return block;
}

/** Every file under `dir`, relative to it, sorted. */
function filesUnder(dir: string): string[] {
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(d, e.name)) : [relative(dir, join(d, e.name))],
    );
  return walk(dir).sort();
}

function runSh(script: string, cwd: string): void {
  const run = spawnSync('sh', ['-e', '-c', script], { cwd, encoding: 'utf8' });
  expect(run.status, `${run.stderr}\n${script}`).to.equal(0);
}

describe('production layout: what each service is given (infra/production)', () => {
  it('mounts into no service the CA folder or a CA key, nor hands it one as a secret', () => {
    expect(hubServices).to.include.members(['coordinator-1', 'coordinator-2', 'query-api', 'node-kz']);
    for (const [name, s] of Object.entries(compose.services))
      for (const mount of (s.volumes ?? []).map(mountLine)) {
        expect(mount, name).not.to.match(/secrets\/hub(\/|:|$)/);
        expect(mount, name).not.to.match(/ca\.key|\/ca(:|$)/);
      }
    for (const [name, { file }] of Object.entries(compose.secrets))
      expect(file, name).not.to.match(/secrets\/hub(\/|$)|\.key$/);
  });

  it('gives each hub service its own folder read-only, and a national node its state on a volume', () => {
    expect(service('coordinator-1').volumes).to.deep.equal(['./secrets/coordinator:/var/lib/hub:ro']);
    expect(service('coordinator-2').volumes).to.deep.equal(['./secrets/coordinator:/var/lib/hub:ro']);
    expect(service('query-api').volumes).to.deep.equal(['./secrets/query-api:/var/lib/hub:ro']);
    // The node writes nodes/KZ/ (outbox, index, logs) under HUB_HOME: a named volume, its pki/ read-only over it.
    expect(service('node-kz').volumes).to.deep.equal([
      'node-kz:/var/lib/hub',
      './secrets/node-KZ/pki:/var/lib/hub/pki:ro',
    ]);
    expect(compose.volumes).to.have.property('node-kz');
    for (const name of hubServices) {
      expect(service(name).environment?.HUB_HOME, name).to.equal('/var/lib/hub');
      for (const mount of (service(name).volumes ?? []).map(mountLine))
        if (mount.startsWith('./')) expect(mount, `${name} mounts ${mount}`).to.match(/:ro$/);
    }
  });

  it('gives each service only its own Docker secrets', () => {
    const secrets = (name: string) => [...(service(name).secrets ?? [])].sort();
    expect(secrets('coordinator-1')).to.deep.equal(['kafka-coordinator', 'mongo-url-coordinator']);
    expect(secrets('coordinator-2')).to.deep.equal(['kafka-coordinator', 'mongo-url-coordinator']);
    expect(secrets('query-api')).to.deep.equal(['kafka-query-api', 'mongo-url-query-api']);
    expect(secrets('node-kz')).to.deep.equal(['kafka-node-KZ', 'node-KZ-clients']);
    for (const m of mongoMembers) expect(secrets(m), m).to.deep.equal(['mongo-keyfile']);
    expect(secrets('mongo-init')).to.deep.equal([
      'mongo-password-coordinator',
      'mongo-password-hub-admin',
      'mongo-password-monitoring',
      'mongo-password-query-api',
    ]);
    expect(compose.secrets['mongo-keyfile']?.file).to.equal('./secrets/mongo/keyfile');
    for (const user of ['hub-admin', 'coordinator', 'query-api', 'monitoring'])
      expect(compose.secrets[`mongo-password-${user}`]?.file).to.equal(`./secrets/mongo/${user}.password`);
    // The exporters take no Docker secret (the image reads none): each its member's URL from an env file.
    mongoMembers.forEach((m, i) => {
      expect(secrets(`mongo-exporter-${i + 1}`)).to.deep.equal([]);
      expect(service(`mongo-exporter-${i + 1}`).env_file).to.deep.equal([
        `./secrets/mongo/monitoring-${m}.env`,
      ]);
    });
  });

  it('runs the replica set with a keyFile and access control, its users made at init', () => {
    for (const m of mongoMembers) {
      const command = service(m).command ?? [];
      expect(command, m).to.include.members(['mongod', '--auth', '--keyFile']);
      expect(command.slice(command.indexOf('--replSet'), command.indexOf('--replSet') + 2)).to.deep.equal([
        '--replSet',
        'hub-rs',
      ]);
      const keyFile = command[command.indexOf('--keyFile') + 1];
      // mongod refuses a keyFile others may read: the secret is copied 0400 for its user before it starts.
      expect((service(m).entrypoint ?? []).join(' '), m).to.contain(
        `install -m 0400 -o mongodb -g mongodb /run/secrets/mongo-keyfile ${keyFile} && exec docker-entrypoint.sh`,
      );
    }
    const init = service('mongo-init');
    // The first user may be created from localhost only: the job runs in mongo-1's network.
    expect(init.network_mode).to.equal('service:mongo-1');
    expect((init.entrypoint ?? []).join(' ')).to.contain(
      'mongosh --host 127.0.0.1 --quiet /init/replica-set.js',
    );
    const script = readFileSync(join(production, 'mongo', 'replica-set.js'), 'utf8');
    expect(script).to.contain('/run/secrets/mongo-password-${user}');
    expect(script).to.match(/createUser\(\{ user: 'hub-admin', pwd: adminPassword, roles: \['root'\] \}\)/);
    expect(script).to.contain(
      "for (const user of ['coordinator', 'query-api']) setUser(user, [{ role: 'readWrite', db: DB }]);",
    );
    // The exporters' user reads server and replica-set status, no data.
    expect(script).to.match(
      /setUser\('monitoring', \[\s*\{ role: 'clusterMonitor', db: 'admin' \},\s*\{ role: 'read', db: 'local' \},\s*\]\);/,
    );
    expect(script).to.contain("const DB = 'seizurehub';");
    expect(loadConfig({ HUB_HOME: tmpdir() }).mongo.dbName).to.equal('seizurehub');
  });

  it('gives the store only to the coordinator and the query API, each its own user from a Docker secret', () => {
    for (const [name, s] of Object.entries(compose.services))
      expect(s.environment ?? {}, `${name}: a store URL in the compose file`).not.to.have.property(
        'HUB_MONGO_URL',
      );
    for (const [name, user] of [
      ['coordinator-1', 'coordinator'],
      ['coordinator-2', 'coordinator'],
      ['query-api', 'query-api'],
    ] as const) {
      expect(service(name).environment?.HUB_MONGO_URL_FILE, name).to.equal(`/run/secrets/mongo-url-${user}`);
      expect(service(name).depends_on).to.deep.include({
        'mongo-init': { condition: 'service_completed_successfully' },
      });
    }
    expect(compose.secrets['mongo-url-coordinator']?.file).to.equal('./secrets/mongo/coordinator.url');
    expect(compose.secrets['mongo-url-query-api']?.file).to.equal('./secrets/mongo/query-api.url');
    const node = service('node-kz');
    expect(Object.keys(node.environment ?? {}).filter((k) => k.startsWith('HUB_MONGO'))).to.deep.equal([]);
    expect((node.secrets ?? []).filter((s) => s.startsWith('mongo-url'))).to.deep.equal([]);
    expect(node.depends_on ?? {}).not.to.have.property('mongo-init');
    // ... and needs none: the national node's code never opens the store.
    const nodeSources = join(repoRoot, 'services', 'national-node', 'src');
    for (const file of filesUnder(nodeSources).filter((f) => f.endsWith('.ts'))) {
      const source = readFileSync(join(nodeSources, file), 'utf8');
      expect(source, file).not.to.match(/@hub\/store|config\.mongo|connectStore/);
    }
  });

  describe("the README's commands, on the CA machine", function () {
    this.timeout(60000);
    let dir: string;
    let folders: { coordinator: string; queryApi: string; node: string };
    let made: Record<string, string[]>;

    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'hub-production-secrets-'));
      const hub = join(dir, 'secrets', 'hub');
      // What `hub pki init`, `hub pki issue HUB|KZ|UZ`, a renewal, a rollover, a revocation and `hub token` leave.
      const pki = new PkiStore(join(hub, 'pki'));
      pki.initCa({ bits: 2048 });
      pki.issue({ country: 'HUB', agency: 'Regional coordination centre' });
      pki.issue({ country: 'KZ', agency: 'customs' });
      pki.issue({ country: 'KZ', agency: 'customs' });
      pki.issue({ country: 'UZ', agency: 'customs' });
      pki.issueServer('node-kz', { hostnames: ['node-kz', 'node-kz.customs.kz'] });
      mkdirSync(join(hub, 'pki', 'ca', 'previous'));
      copyFileSync(pki.caCertPath, join(hub, 'pki', 'ca', 'previous', 'ca-old.crt'));
      writeFileSync(join(hub, 'pki', 'ca', 'previous', 'ca-old.key'), 'the previous CA key');
      pki.addRevocation({ fingerprint: '00'.repeat(32), revokedAt: 0, reason: 'test' });
      loadKeyRing(authDir(hub));
      runSh(readmeBlock('secrets/<service>'), dir);
      folders = {
        coordinator: join(dir, 'secrets', 'coordinator'),
        queryApi: join(dir, 'secrets', 'query-api'),
        node: join(dir, 'secrets', 'node-KZ'),
      };
      made = Object.fromEntries(Object.entries(folders).map(([k, d]) => [k, filesUnder(d)]));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("make each service's folder with what it reads and nothing else, no CA key", () => {
      const trust = ['pki/ca/ca.crt', 'pki/ca/previous/ca-old.crt'];
      const kz = filesUnder(join(dir, 'secrets', 'hub', 'pki', 'nodes', 'KZ'));
      expect(kz.filter((f) => /^node-.*\.crt$/.test(f))).to.have.length(1);
      expect(made.coordinator).to.deep.equal(
        [
          ...trust,
          'pki/coordinator/node.crt',
          'pki/coordinator/node.key',
          ...kz.filter((f) => f.endsWith('.crt')).map((f) => `pki/nodes/KZ/${f}`),
          'pki/nodes/UZ/node.crt',
          'pki/revocations.json',
          'secrets/match-key',
        ].sort(),
      );
      expect(made.queryApi).to.deep.equal(
        [...trust, ...filesUnder(authDir(join(dir, 'secrets', 'hub'))).map((f) => `auth/${f}`)].sort(),
      );
      expect(made.node).to.deep.equal(
        [
          ...trust,
          'pki/nodes/KZ/node.crt',
          'pki/nodes/KZ/node.key',
          'pki/servers/node-kz.crt',
          'pki/servers/node-kz.key',
        ].sort(),
      );
      // Prometheus: the hub CAs' certificates in one file, to check the node's TLS certificate; nothing else.
      expect(filesUnder(join(dir, 'secrets', 'prometheus'))).to.deep.equal(['hub-ca.crt']);
      const bundle = readFileSync(join(dir, 'secrets', 'prometheus', 'hub-ca.crt'), 'utf8');
      expect(bundle.match(/BEGIN CERTIFICATE/g)).to.have.length(2);
      expect(bundle).not.to.match(/PRIVATE KEY|previous CA key/);
      const caKey = readFileSync(join(dir, 'secrets', 'hub', 'pki', 'ca', 'ca.key'), 'utf8');
      for (const [name, d] of Object.entries(folders))
        for (const f of made[name]!) {
          expect(readFileSync(join(d, f), 'utf8'), `${name}: ${f}`).not.to.equal(caKey);
          expect(f, name).not.to.match(/ca\.key|ca-old\.key/);
        }
    });

    it('give the services what they start with, and they write nothing into their read-only folders', () => {
      const coordinator = new PkiStore(join(folders.coordinator, 'pki'));
      expect(coordinator.identity('HUB').origin).to.equal('HUB');
      expect(coordinator.trustStore()).to.be.an('object');
      expect(() => coordinator.ca()).to.throw(/CA key is not at/);
      expect(loadMatchSecret(folders.coordinator)).to.have.length(32);

      const node = new PkiStore(join(folders.node, 'pki'));
      expect(node.identity('KZ').origin).to.equal('KZ');
      expect(node.caCertPem().match(/BEGIN CERTIFICATE/g)).to.have.length(2);
      expect(() => node.ca()).to.throw(/CA key is not at/);
      expect(node.hasIdentity('UZ')).to.equal(false);
      // Its API over TLS, with the files compose names (HUB_NODE_TLS_*, under the mounted pki/).
      const servers = join(folders.node, 'pki', 'servers');
      const tls = loadConfig({
        HUB_HOME: folders.node,
        HUB_NODE_TLS_CERT_FILE: join(servers, 'node-kz.crt'),
        HUB_NODE_TLS_KEY_FILE: join(servers, 'node-kz.key'),
      }).nodeTls;
      expect(new X509Certificate(tls!.certPem).checkHost('node-kz'), 'the name Prometheus scrapes').to.equal(
        'node-kz',
      );
      expect(compose.services['node-kz']?.environment?.HUB_NODE_TLS_CERT_FILE).to.equal(
        '/var/lib/hub/pki/servers/node-kz.crt',
      );
      // The Kafka client trusts the hub CAs of its HUB_HOME by default.
      const kafka = loadConfig({
        HUB_HOME: folders.node,
        HUB_KAFKA_BROKERS: 'kafka-1:9092',
        HUB_KAFKA_SECURITY: 'sasl_ssl',
        HUB_KAFKA_USERNAME: 'node-KZ',
        HUB_KAFKA_PASSWORD: 'test',
      }).kafka.security;
      expect(kafka?.caPem.match(/BEGIN CERTIFICATE/g)).to.have.length(2);

      expect(loadKeyRing(authDir(folders.queryApi)).byKid.size).to.equal(1);
      expect(new PkiStore(join(folders.queryApi, 'pki')).caCertPem()).to.contain('BEGIN CERTIFICATE');

      for (const [name, d] of Object.entries(folders)) expect(filesUnder(d), name).to.deep.equal(made[name]);
    });

    it("make the store's keyFile, passwords and URLs, keeping the passwords when run again", () => {
      const block = readmeBlock('secrets/mongo');
      runSh(block, dir);
      const mongo = join(dir, 'secrets', 'mongo');
      expect(filesUnder(mongo)).to.deep.equal(
        [
          'coordinator.password',
          'coordinator.url',
          'hub-admin.password',
          'keyfile',
          'monitoring-mongo-1.env',
          'monitoring-mongo-2.env',
          'monitoring-mongo-3.env',
          'monitoring.password',
          'query-api.password',
          'query-api.url',
        ].sort(),
      );
      const users = ['hub-admin', 'coordinator', 'query-api', 'monitoring'];
      const password = (u: string) => readFileSync(join(mongo, `${u}.password`), 'utf8').trim();
      const before = users.map(password);
      // replica-set.js takes 16 or more URL-safe characters.
      for (const p of before) expect(p).to.match(/^[A-Za-z0-9_-]{16,}$/);
      expect(new Set(before).size).to.equal(4);
      // Each exporter's env file: the monitoring user's URL of its member alone.
      for (const m of mongoMembers)
        expect(readFileSync(join(mongo, `monitoring-${m}.env`), 'utf8')).to.equal(
          `MONGODB_URI=mongodb://monitoring:${password('monitoring')}@${m}:27017/admin\n`,
        );
      expect(readFileSync(join(mongo, 'keyfile'), 'utf8').replace(/\s/g, '')).to.match(
        /^[A-Za-z0-9+/=]{6,1024}$/,
      );
      runSh(block, dir);
      expect(users.map(password)).to.deep.equal(before);
      for (const user of ['coordinator', 'query-api']) {
        const { mongo: store } = loadConfig({
          HUB_HOME: folders.coordinator,
          HUB_MONGO_URL_FILE: join(mongo, `${user}.url`),
        });
        expect(store.url).to.equal(
          `mongodb://${user}:${password(user)}@mongo-1:27017,mongo-2:27017,mongo-3:27017/?replicaSet=hub-rs&w=majority&authSource=admin`,
        );
        expect(store.fromLocalStack).to.equal(false);
      }
    });
  });
});
