// Unit tier: the security settings of HubConfig and the ACL plan, without a broker.
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { loadConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import {
  coordinatorAcls,
  nodeAcls,
  queryApiAcls,
  scramOptions,
  securityOptions,
  toAclEntries,
  topicNames,
  type HubAcl,
} from '@hub/kafka';
import {
  BROKER_OU,
  NODE_API_OU,
  PkiStore,
  buildCertificate,
  certificatesOf,
  fingerprintOf,
  generateRsaKeyPair,
  issueServerCertificate,
} from '@hub/pki';
import { securityProperties } from '@hub/cli/stack/security';
import { loadRegions } from '@hub/schemas';
import { hubSync } from '../support/cli';

const grants = (acls: HubAcl[], op: string) =>
  acls
    .filter((a) => a.operations.includes(op as never))
    .map((a) => `${a.resourceType}:${a.pattern}:${a.name}`);

describe('broker security settings (HUB_KAFKA_SECURITY)', () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-security-config-'));
    new PkiStore(join(home, 'pki')).initCa({ bits: 2048 });
    writeFileSync(join(home, 'kz.password'), 's3cret\nignored second line\n');
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('is plaintext unless asked for', () => {
    expect(loadConfig({ HUB_HOME: home }).kafka.security).to.equal(undefined);
    expect(loadConfig({ HUB_HOME: home, HUB_KAFKA_SECURITY: 'plaintext' }).kafka.security).to.equal(
      undefined,
    );
  });

  it('reads the principal, the first line of the password file and the hub CA by default', () => {
    const security = loadConfig({
      HUB_HOME: home,
      HUB_KAFKA_SECURITY: 'sasl_ssl',
      HUB_KAFKA_USERNAME: 'node-KZ',
      HUB_KAFKA_PASSWORD_FILE: join(home, 'kz.password'),
    }).kafka.security;
    expect(security).to.include({ protocol: 'sasl_ssl', mechanism: 'scram-sha-512', username: 'node-KZ' });
    expect(security?.password).to.equal('s3cret');
    expect(security?.passwordFile).to.equal(join(home, 'kz.password'));
    expect(security?.caPem).to.contain('BEGIN CERTIFICATE');
  });

  it('trusts every hub CA for the brokers by default after a rollover, the current one first', async () => {
    const rolled = mkdtempSync(join(tmpdir(), 'hub-security-rolled-'));
    try {
      const pki = new PkiStore(join(rolled, 'pki'));
      pki.initCa({ bits: 2048 });
      const old = fingerprintOf(new X509Certificate(pki.currentCaPem()));
      await pki.rolloverCa({ bits: 2048 });
      const current = fingerprintOf(new X509Certificate(pki.currentCaPem()));
      writeFileSync(join(rolled, 'kz.password'), 's3cret\n');
      const security = loadConfig({
        HUB_HOME: rolled,
        HUB_KAFKA_SECURITY: 'sasl_ssl',
        HUB_KAFKA_USERNAME: 'node-KZ',
        HUB_KAFKA_PASSWORD_FILE: join(rolled, 'kz.password'),
      }).kafka.security!;
      expect(certificatesOf(security.caPem).map(fingerprintOf)).to.deep.equal([current, old]);
      // A file given is taken as it is.
      const given = loadConfig({
        HUB_HOME: rolled,
        HUB_KAFKA_SECURITY: 'sasl_ssl',
        HUB_KAFKA_USERNAME: 'node-KZ',
        HUB_KAFKA_PASSWORD_FILE: join(rolled, 'kz.password'),
        HUB_KAFKA_CA_FILE: pki.caCertPath,
      }).kafka.security!;
      expect(certificatesOf(given.caPem).map(fingerprintOf)).to.deep.equal([current]);
    } finally {
      rmSync(rolled, { recursive: true, force: true });
    }
  });

  it('gives kafkajs a password read from its file at each authentication, so a rotated one is taken', () => {
    const file = join(home, 'rotating.password');
    writeFileSync(file, 'first\n');
    const security = loadConfig({
      HUB_HOME: home,
      HUB_KAFKA_SECURITY: 'sasl_ssl',
      HUB_KAFKA_USERNAME: 'node-KZ',
      HUB_KAFKA_PASSWORD_FILE: file,
    }).kafka.security!;
    const sasl = securityOptions(security).sasl as { mechanism: string; username: string; password: string };
    expect(sasl).to.include({ mechanism: 'scram-sha-512', username: 'node-KZ', password: 'first' });
    writeFileSync(file, 'second\n');
    expect(sasl.password, 'read again').to.equal('second');
    writeFileSync(file, '');
    expect(sasl.password, 'an empty file: the last one').to.equal('second');
    rmSync(file);
    expect(sasl.password, 'no file: the last one').to.equal('second');
    // Without a file, or apart from the file's (another than it holds), the password given.
    const plain = scramOptions({ ...security, passwordFile: undefined, password: 'given' }) as {
      password: string;
    };
    expect(plain.password).to.equal('given');
    writeFileSync(file, 'in-the-file\n');
    const apart = scramOptions({ ...security, password: 'given' }) as { password: string };
    expect(apart.password).to.equal('given');
  });

  it('`hub security rotate` says what it needs: principals, and the secured local broker (or kafka-configs on a cluster)', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, HUB_HOME: home };
    delete env.HUB_KAFKA_BROKERS;
    const none = hubSync(['security', 'rotate'], env);
    expect(none.status).to.equal(2);
    expect(none.stderr).to.contain("name the principals (like node-KZ coordinator), or 'all'");
    const plain = hubSync(['security', 'rotate', 'node-KZ'], env);
    expect(plain.status).to.equal(2);
    expect(plain.stderr).to.contain(
      "does not run the security profile: start it with 'hub stack up --secure'",
    );
    const cluster = hubSync(['security', 'rotate', 'all'], { ...env, HUB_KAFKA_BROKERS: 'kafka-1:9093' });
    expect(cluster.status).to.equal(2);
    expect(cluster.stderr).to.contain('on a cluster, change the credential with kafka-configs.sh');
  });

  it('`hub security certs <broker>=<public name>` issues the broker one certificate naming both', () => {
    const out = join(home, 'brokers');
    const env: NodeJS.ProcessEnv = { ...process.env, HUB_HOME: home };
    const certs = (...args: string[]) => {
      const run = hubSync(['security', 'certs', ...args, '--out', out], env);
      expect(run.status, run.stderr).to.equal(0);
      return new X509Certificate(readFileSync(join(out, 'kafka-1', 'broker.pem'), 'utf8'));
    };
    const plain = certs('kafka-1');
    expect(plain.checkHost('kafka-1')).to.equal('kafka-1');
    expect(plain.checkHost('kafka-1.hub.gov.example')).to.equal(undefined);
    // A public name given later: the certificate is issued again, with the compose name still in it.
    const both = certs('kafka-1=kafka-1.hub.gov.example,kafka-1.alt.example', 'kafka-bootstrap');
    expect(both.fingerprint256).not.to.equal(plain.fingerprint256);
    for (const name of ['kafka-1', 'kafka-1.hub.gov.example', 'kafka-1.alt.example', 'localhost'])
      expect(both.checkHost(name), name).to.equal(name);
    expect(both.subject.split('\n')).to.include(`OU=${BROKER_OU}`);
    // One folder per broker, named by its compose name; none for the public names.
    expect(existsSync(join(out, 'kafka-1.hub.gov.example'))).to.equal(false);
    expect(existsSync(join(out, 'kafka-bootstrap', 'broker.pem'))).to.equal(true);
    // A public address rather than a name goes in as an IP address, which is what TLS checks an address against;
    // given again, the certificate that names it is kept.
    const byAddress = certs('kafka-1=203.0.113.5');
    expect(byAddress.checkIP('203.0.113.5')).to.equal('203.0.113.5');
    expect(certs('kafka-1=203.0.113.5').fingerprint256).to.equal(byAddress.fingerprint256);
  });

  it('refuses what it cannot use, saying which variable to fix', () => {
    const attempt = (env: NodeJS.ProcessEnv) => {
      try {
        loadConfig({ HUB_HOME: home, HUB_KAFKA_SECURITY: 'sasl_ssl', ...env });
      } catch (err) {
        expect(err).to.be.instanceOf(HubError);
        return (err as HubError).message;
      }
      return 'accepted';
    };
    expect(attempt({ HUB_KAFKA_SECURITY: 'ssl' })).to.match(/HUB_KAFKA_SECURITY=ssl is not known/);
    expect(attempt({ HUB_KAFKA_PASSWORD: 'x' })).to.match(/needs HUB_KAFKA_USERNAME/);
    expect(attempt({ HUB_KAFKA_USERNAME: 'coordinator' })).to.match(/HUB_KAFKA_PASSWORD_FILE/);
    expect(
      attempt({ HUB_KAFKA_USERNAME: 'coordinator', HUB_KAFKA_PASSWORD_FILE: join(home, 'missing') }),
    ).to.match(/HUB_KAFKA_PASSWORD_FILE=.*cannot be read/);
    expect(
      attempt({
        HUB_KAFKA_USERNAME: 'coordinator',
        HUB_KAFKA_PASSWORD: 'x',
        HUB_KAFKA_CA_FILE: join(home, 'kz.password'),
      }),
    ).to.match(/HUB_KAFKA_CA_FILE=.* holds no PEM certificate/);
  });

  it('on a local stack started --secure, connects each service as its own principal with the stack’s passwords', () => {
    const local = mkdtempSync(join(tmpdir(), 'hub-security-local-'));
    try {
      new PkiStore(join(local, 'pki')).initCa({ bits: 2048 });
      mkdirSync(join(local, 'run'), { recursive: true });
      mkdirSync(join(local, 'secrets', 'kafka'), { recursive: true });
      for (const p of ['coordinator', 'hub-admin', 'node-KZ'])
        writeFileSync(join(local, 'secrets', 'kafka', `${p}.password`), `pw-of-${p}\n`);
      const stack = (security?: string) =>
        writeFileSync(
          join(local, 'run', 'stack.json'),
          JSON.stringify({
            kafka: { brokers: ['127.0.0.1:39092'], version: '4.1.1', ...(security ? { security } : {}) },
            mongo: { url: 'mongodb://127.0.0.1:37017/', version: '', kind: 'ferretdb' },
          }),
        );
      stack('sasl_ssl');
      const as = (env: NodeJS.ProcessEnv, principal?: string) =>
        loadConfig({ HUB_HOME: local, ...env }, { kafkaPrincipal: principal }).kafka.security;
      expect(as({}, 'coordinator')).to.include({ protocol: 'sasl_ssl', username: 'coordinator' });
      expect(as({}, 'coordinator')?.password).to.equal('pw-of-coordinator');
      expect(as({}, 'node-KZ')?.password).to.equal('pw-of-node-KZ');
      // Commands that are not a service (hub replay, hub security apply) go as the super user.
      expect(as({})).to.include({ username: 'hub-admin', password: 'pw-of-hub-admin' });
      // The environment still decides where it speaks.
      expect(as({ HUB_KAFKA_USERNAME: 'node-KZ' }, 'coordinator')?.password).to.equal('pw-of-node-KZ');
      expect(as({ HUB_KAFKA_SECURITY: 'plaintext' }, 'coordinator')).to.equal(undefined);
      // Other brokers than the local stack's are plaintext unless HUB_KAFKA_SECURITY says otherwise.
      expect(as({ HUB_KAFKA_BROKERS: 'kafka-1:9092' }, 'coordinator')).to.equal(undefined);
      // A missing password names the file it looked for.
      expect(() => as({}, 'query-api')).to.throw(/query-api\.password cannot be read/);
      // A country the stack gave no credential is told how to get one.
      expect(() => as({}, 'node-UZ')).to.throw(
        /Add UZ to HUB_DEMO_COUNTRIES and run 'hub stack up --secure'/,
      );
      stack();
      expect(as({}, 'coordinator')).to.equal(undefined);
    } finally {
      rmSync(local, { recursive: true, force: true });
    }
  });
});

describe('broker and node API server certificates (issueServerCertificate)', () => {
  const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
  const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
  // The brokers' mapping of a client certificate's name (RFC 2253: most specific first) to their super user.
  const rule = securityProperties({ keystore: 'k', truststore: 't' })
    .find((l) => l.startsWith('ssl.principal.mapping.rules='))!
    .match(/RULE:(\^.*\$)\/hub-broker\//)![1]!;
  const rfc2253 = (cert: X509Certificate) => cert.subject.split('\n').reverse().join(',');
  const isBrokerPrincipal = (cert: X509Certificate) => new RegExp(rule).test(rfc2253(cert));
  let home: string;
  let pki: PkiStore;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-server-cert-'));
    pki = new PkiStore(join(home, 'pki'));
    pki.initCa({ bits: 2048 });
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('is issued by the hub CA for loopback and the given hostnames, as a broker', () => {
    const issued = issueServerCertificate(pki.ca(), { role: 'broker', hostnames: ['kafka-1'] });
    const cert = new X509Certificate(issued.certificatePem);
    const ca = new X509Certificate(pki.caCertPem());
    expect(cert.checkIssued(ca) && cert.verify(ca.publicKey)).to.equal(true);
    expect(cert.checkHost('kafka-1')).to.equal('kafka-1');
    expect(cert.checkHost('localhost')).to.equal('localhost');
    expect(cert.checkIP('127.0.0.1')).to.equal('127.0.0.1');
    expect(cert.subject).to.contain(`OU=${BROKER_OU}`);
    expect(cert.keyUsage, 'a broker is a client of the other brokers too').to.have.members([
      SERVER_AUTH,
      CLIENT_AUTH,
    ]);
    expect(isBrokerPrincipal(cert)).to.equal(true);
    expect(() => issueServerCertificate(pki.ca(), { role: 'broker', hostnames: ['not a host'] })).to.throw(
      /not a DNS hostname/,
    );
  });

  it("gives a national node's API (hub pki issue-server) a server certificate the brokers never take as theirs", () => {
    const files = pki.issueServer('node-kz', { hostnames: ['node-kz.customs.kz'] });
    const cert = new X509Certificate(files.certificatePem);
    expect(cert.subject).to.contain(`OU=${NODE_API_OU}`);
    expect(cert.keyUsage, 'a server only: no TLS peer takes it as a client').to.deep.equal([SERVER_AUTH]);
    expect(isBrokerPrincipal(cert), `${rfc2253(cert)} must not map to hub-broker`).to.equal(false);
    // What `hub pki issue-server` gave before 2026-12-07 (OU=kafka-broker, client and server): the rule refuses it.
    const before = new X509Certificate(
      buildCertificate(
        {
          subject: [
            { name: 'organizationName', value: 'Seizure Exchange Hub' },
            { shortName: 'OU', value: 'kafka-broker' },
            { name: 'commonName', value: 'node-kz.customs.kz' },
          ],
          publicKeyPem: generateRsaKeyPair().publicKeyPem,
          notBefore: new Date(),
          notAfter: new Date(Date.now() + 86400000),
          isCa: false,
        },
        { certPem: pki.caCertPem(), keyPem: pki.ca().keyPem },
      ),
    );
    expect(isBrokerPrincipal(before), 'an old node API certificate').to.equal(false);
    // An agency system's certificate is a client only, of its own node.
    const client = new X509Certificate(
      pki.issueClient({ country: 'KZ', system: 'case-system' }).certificatePem,
    );
    expect(client.keyUsage).to.deep.equal([CLIENT_AUTH]);
    expect(isBrokerPrincipal(client)).to.equal(false);
  });
});

describe('the ACL plan (DESIGN.md topic table)', () => {
  const names = topicNames('prod-a');
  const regions = loadRegions();

  it('lets a node write only its own out topic and hub.pki, and read its in topic, hub.pki and its regions', () => {
    const kz = nodeAcls(names, 'KZ', regions);
    expect(grants(kz, 'write')).to.have.members([
      'topic:literal:prod-a.hub.node.KZ.out',
      'topic:literal:prod-a.hub.pki',
    ]);
    expect(grants(kz, 'read')).to.have.members([
      'topic:literal:prod-a.hub.node.KZ.in',
      'topic:literal:prod-a.hub.pki',
      'topic:literal:prod-a.hub.feed.central-asia',
      'topic:literal:prod-a.hub.feed.northern-route',
      'group:prefixed:prod-a.node-KZ-',
    ]);
    expect(grants(kz, 'idempotent-write')).to.deep.equal(['cluster:literal:kafka-cluster']);
    expect(kz.every((a) => a.principal === 'prod-a.node-KZ')).to.equal(true);
  });

  it("never lets the coordinator write a country's out topic, only its own, nor the query API write anything", () => {
    const coordinator = coordinatorAcls(names, ['KZ', 'UZ']);
    expect(grants(coordinator, 'write')).to.include.members([
      'topic:literal:prod-a.hub.node.KZ.in',
      'topic:literal:prod-a.hub.node.UZ.in',
      'topic:literal:prod-a.hub.node.HUB.out',
      'topic:prefixed:prod-a.hub.feed.',
    ]);
    expect(
      grants(coordinator, 'write').filter((g) => g.endsWith('.out') || g.endsWith('hub.node.')),
    ).to.deep.equal(['topic:literal:prod-a.hub.node.HUB.out']);
    expect(grants(coordinator, 'read')).to.include('topic:prefixed:prod-a.hub.node.');
    expect(grants(queryApiAcls(names), 'write')).to.deep.equal([]);
  });

  it("names the coordination node's own topic like a node's out topic, read with them, of no country", () => {
    expect(names.hubOut).to.equal('prod-a.hub.node.HUB.out');
    expect(names.nodeOutPattern.test(names.hubOut)).to.equal(true);
    expect(names.nodeOutPattern.test(names.nodeOut('KZ'))).to.equal(true);
    expect(names.nodeOutPattern.test('prod-a.hub.node.HUB.in')).to.equal(false);
    expect(names.nodeOutPattern.test('hub.node.HUB.out'), 'another namespace').to.equal(false);
    expect(names.countryOf(names.hubOut)).to.equal('HUB');
    expect(names.countryOf(names.nodeIn('UZ'))).to.equal('UZ');
    expect(names.countryOf('prod-a.hub.node.HUB.in')).to.equal(undefined);
    expect(names.countryOf('prod-a.hub.node.HUBX.out')).to.equal(undefined);
  });

  it('becomes one allow entry per operation for kafkajs', () => {
    const entries = toAclEntries(nodeAcls(names, 'KZ', regions));
    expect(entries.every((e) => e.principal === 'User:prod-a.node-KZ' && e.host === '*')).to.equal(true);
    expect(entries.length).to.equal(
      nodeAcls(names, 'KZ', regions).reduce((n, a) => n + a.operations.length, 0),
    );
  });
});

describe("a national node's TLS and client certificates (HUB_NODE_TLS_*, HUB_NODE_CLIENT_CERTIFICATES)", () => {
  let home: string;
  let files: { certFile: string; keyFile: string };
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-node-tls-config-'));
    const pki = new PkiStore(join(home, 'pki'));
    pki.initCa({ bits: 2048 });
    files = pki.issueServer('node-kz', { hostnames: ['node-kz.example.org'] });
  });
  after(() => rmSync(home, { recursive: true, force: true }));
  const load = (env: Record<string, string>) => loadConfig({ HUB_HOME: home, ...env });

  it('serves plain HTTP and asks for no certificate by default', () => {
    const config = load({});
    expect(config.nodeTls).to.equal(undefined);
    expect(config.nodeClientCertificates).to.equal(false);
  });

  it('reads the server certificate and key, and asks for client certificates when told to', () => {
    const config = load({
      HUB_NODE_TLS_CERT_FILE: files.certFile,
      HUB_NODE_TLS_KEY_FILE: files.keyFile,
      HUB_NODE_CLIENT_CERTIFICATES: 'require',
    });
    expect(new X509Certificate(config.nodeTls!.certPem).subjectAltName).to.include('DNS:node-kz.example.org');
    expect(config.nodeTls!.keyPem).to.match(/PRIVATE KEY/);
    expect(config.nodeClientCertificates).to.equal(true);
  });

  it('refuses settings it cannot use, naming the variable and what to set', () => {
    expect(() => load({ HUB_NODE_TLS_CERT_FILE: files.certFile })).to.throw(
      HubError,
      /go together: set both/,
    );
    expect(() => load({ HUB_NODE_CLIENT_CERTIFICATES: 'require' })).to.throw(
      /needs TLS: set HUB_NODE_TLS_CERT_FILE and HUB_NODE_TLS_KEY_FILE/,
    );
    expect(() => load({ HUB_NODE_CLIENT_CERTIFICATES: 'maybe' })).to.throw(/must be require or off/);
    expect(() =>
      load({ HUB_NODE_TLS_CERT_FILE: files.keyFile, HUB_NODE_TLS_KEY_FILE: files.keyFile }),
    ).to.throw(/holds no PEM certificate/);
    expect(() =>
      load({ HUB_NODE_TLS_CERT_FILE: join(home, 'missing.crt'), HUB_NODE_TLS_KEY_FILE: files.keyFile }),
    ).to.throw(/HUB_NODE_TLS_CERT_FILE=.*missing.crt cannot be read/);
  });
});
