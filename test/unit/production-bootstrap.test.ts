// The production bootstrap script (infra/production/security/bootstrap-security.sh, rendered by
// scripts/src/stack/security-production.ts) run with stand-ins for Kafka's tools that record what they are asked:
// it must never create a SCRAM credential from a password file that is missing or empty, nor set another hub's, nor
// hub-admin's once the cluster has one.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRegions } from '@hub/schemas';
import { bootstrapScript, productionPrincipals } from '../../scripts/src/stack/security-production';

const plan = {
  brokers: ['kafka-1', 'kafka-2', 'kafka-3'],
  countries: ['KZ', 'UZ'],
  regions: loadRegions(),
  partitions: 3,
  replicationFactor: 3,
};

describe('production bootstrap script: SCRAM credentials from the password files', () => {
  let dir: string;
  let passwords: string;
  let calls: string;
  /** The users the stand-in cluster holds a SCRAM credential for, one a line (what `--describe` reports). */
  let credentials: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-production-bootstrap-'));
    passwords = join(dir, 'passwords');
    calls = join(dir, 'kafka-configs.calls');
    credentials = join(dir, 'credentials');
    mkdirSync(passwords);
    for (const p of productionPrincipals(plan.countries))
      writeFileSync(join(passwords, `${p}.password`), `pw-of-${p}\n`, { mode: 0o600 });
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    // kafka-configs.sh records its arguments and, for a credential, the file's content; the others succeed.
    const tools: Record<string, string> = {
      // As Kafka's tool prints the brokers the cluster lists: one block per registered (unfenced) broker.
      'kafka-broker-api-versions.sh': [
        `n=$(cat '${join(dir, 'brokers')}' 2>/dev/null || echo 3)`,
        `echo "$n" >> '${join(dir, 'broker-looks')}'`,
        'i=1',
        'while [ "$i" -le "$n" ]; do',
        '  printf \'kafka-%s:9094 (id: %s rack: null isFenced: false) -> (\\n\\tProduce(0): 3 to 12 [usable: 12]\\n)\\n\' "$i" "$i"',
        '  i=$((i + 1))',
        'done',
      ].join('\n'),
      'kafka-topics.sh': `echo "$*" >> '${join(dir, 'kafka-topics.calls')}'`,
      // The script waits between looks; the test does not.
      sleep: 'exit 0',
      'kafka-acls.sh': 'exit 0',
      'kafka-configs.sh': [
        `echo "$*" >> '${calls}'`,
        // What Kafka's ConfigCommand prints for a user holding a credential.
        'case " $* " in *" --describe "*)',
        `  for u in $(cat '${credentials}' 2>/dev/null); do`,
        `    case " $* " in *" --entity-name $u "*) echo "SCRAM credential configs for user-principal '$u' are SCRAM-SHA-512=iterations=8192";; esac`,
        '  done;;',
        'esac',
        'while [ $# -gt 0 ]; do',
        `  if [ "$1" = --add-config-file ]; then cat "$2" >> '${calls}'; fi`,
        '  shift',
        'done',
      ].join('\n'),
    };
    for (const [name, body] of Object.entries(tools)) {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    }
    writeFileSync(join(dir, 'bootstrap-security.sh'), bootstrapScript(plan));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const run = (script = join(dir, 'bootstrap-security.sh')) =>
    spawnSync('sh', [script], {
      encoding: 'utf8',
      env: {
        PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
        KAFKA_BIN: join(dir, 'bin'),
        KAFKA_PASSWORD_DIR: passwords,
        KAFKA_TLS_DIR: join(dir, 'tls'),
        KAFKA_INTERNAL_BOOTSTRAP: 'broker:9094',
      },
    });
  const recorded = () => readFileSync(calls, 'utf8');
  /** The users whose credential the script set. */
  const credentialsSet = () =>
    [...recorded().matchAll(/--alter --entity-type users --entity-name (\S+) --add-config-file/g)].map(
      (m) => m[1],
    );

  it("sets each principal's credential to its file's password", () => {
    const result = run();
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/broker security profile applied: 5 principals/);
    for (const p of productionPrincipals(plan.countries)) {
      expect(recorded()).to.contain(`--entity-type users --entity-name ${p} --add-config-file`);
      expect(recorded()).to.contain(`SCRAM-SHA-512=iterations=8192,password=pw-of-${p}\n`);
    }
    expect(recorded()).not.to.match(/password=\n/);
  });

  it('stops, naming the file, when a password file is missing', () => {
    const file = join(passwords, 'node-KZ.password');
    rmSync(file);
    const result = run();
    expect(result.status).to.not.equal(0);
    expect(result.stderr).to.contain(`no password for node-KZ: cannot read ${file}`);
    expect(result.stdout).not.to.contain('broker security profile applied');
    expect(recorded()).not.to.contain('--entity-name node-KZ');
    expect(recorded()).not.to.match(/password=\n/);
  });

  it('stops, naming the file, when a password file is empty or its first line is', () => {
    for (const content of ['', '\nsecond-line\n']) {
      const file = join(passwords, 'coordinator.password');
      writeFileSync(file, content);
      rmSync(calls, { force: true });
      const result = run();
      expect(result.status, JSON.stringify(content)).to.not.equal(0);
      expect(result.stderr).to.contain(`no password for coordinator: the first line of ${file} is empty`);
      expect(recorded()).not.to.contain('--entity-name coordinator');
      expect(recorded()).not.to.match(/password=\n/);
      // Nothing after it ran: no topic, no grant, no other credential.
      expect(recorded()).not.to.contain('--entity-name query-api');
    }
  });

  it("keeps the cluster's hub-admin credential when it has one, and still sets the hub's own", () => {
    writeFileSync(credentials, 'hub-admin\n');
    const result = run();
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.contain('hub-admin has a SCRAM-SHA-512 credential on the cluster: kept');
    expect(credentialsSet()).to.have.members(
      productionPrincipals(plan.countries).filter((p) => p !== 'hub-admin'),
    );
    expect(recorded()).not.to.contain('password=pw-of-hub-admin');
  });

  it("sets the credentials of hub b's principals only, on a cluster hub a set up", () => {
    // Hub a (namespace hub-a) bootstrapped the cluster: hub-admin and its own principals hold credentials.
    writeFileSync(credentials, `${productionPrincipals(plan.countries, 'hub-a').join('\n')}\n`);
    const b = { ...plan, namespace: 'hub-b' };
    for (const p of productionPrincipals(b.countries, 'hub-b'))
      writeFileSync(join(passwords, `${p}.password`), `pw-of-${p}\n`, { mode: 0o600 });
    const script = join(dir, 'bootstrap-hub-b.sh');
    writeFileSync(script, bootstrapScript(b));

    const result = run(script);

    expect(result.status, result.stderr).to.equal(0);
    expect(credentialsSet()).to.have.members([
      'hub-b.coordinator',
      'hub-b.query-api',
      'hub-b.node-KZ',
      'hub-b.node-UZ',
    ]);
    for (const p of productionPrincipals(plan.countries, 'hub-a'))
      expect(recorded(), p).not.to.contain(`password=pw-of-${p}\n`);
    // Its topics and grants are its namespace's and its principals'.
    const lines = readFileSync(script, 'utf8').split('\n');
    expect(
      lines.filter((l) => l.startsWith('topic ')).every((l) => l.startsWith('topic hub-b.hub.')),
    ).to.equal(true);
    expect(
      lines.filter((l) => l.startsWith('acl ')).every((l) => / --allow-principal User:hub-b\.[a-z]/.test(l)),
    ).to.equal(true);
  });

  describe('waits for the brokers that the topics are replicated to', () => {
    const looks = () =>
      readFileSync(join(dir, 'broker-looks'), 'utf8').split('\n').filter(Boolean).map(Number);
    const topicsCreated = () => {
      try {
        return readFileSync(join(dir, 'kafka-topics.calls'), 'utf8')
          .split('\n')
          .filter((l) => l.includes('--create'));
      } catch {
        return [];
      }
    };

    it('keeps waiting while 2 of 3 brokers are registered, then gives up naming the count, having made nothing', () => {
      writeFileSync(join(dir, 'brokers'), '2\n');
      const result = run();
      expect(result.status).to.not.equal(0);
      expect(result.stderr).to.contain(
        '2 brokers answer at broker:9094 after 5 minutes; the topics need 3 (KAFKA_TOPIC_REPLICAS)',
      );
      // 60 looks 5 s apart, and one more to say how many answered.
      expect(looks()).to.have.length(61);
      expect(topicsCreated()).to.deep.equal([]);
      expect(() => recorded()).to.throw(/ENOENT/);
    });

    it('goes on once the third broker registers', () => {
      // Two answer for the first looks, then three.
      const bin = join(dir, 'bin', 'kafka-broker-api-versions.sh');
      const tool = readFileSync(bin, 'utf8').replace(
        /^n=.*$/m,
        `n=2; if [ "$(wc -l < '${join(dir, 'broker-looks')}' 2>/dev/null || echo 0)" -ge 4 ]; then n=3; fi`,
      );
      writeFileSync(bin, tool);
      const result = run();
      expect(result.status, result.stderr).to.equal(0);
      expect(looks()).to.deep.equal([2, 2, 2, 2, 3]);
      expect(topicsCreated().length).to.be.greaterThan(3);
      expect(topicsCreated().every((l) => l.includes('--replication-factor 3'))).to.equal(true);
    });

    it('waits for KAFKA_TOPIC_REPLICAS brokers only, on a one-broker test cluster', () => {
      writeFileSync(join(dir, 'brokers'), '1\n');
      const result = spawnSync('sh', [join(dir, 'bootstrap-security.sh')], {
        encoding: 'utf8',
        env: {
          PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
          KAFKA_BIN: join(dir, 'bin'),
          KAFKA_PASSWORD_DIR: passwords,
          KAFKA_TLS_DIR: join(dir, 'tls'),
          KAFKA_INTERNAL_BOOTSTRAP: 'broker:9094',
          KAFKA_TOPIC_REPLICAS: '1',
        },
      });
      expect(result.status, result.stderr).to.equal(0);
      expect(looks()).to.deep.equal([1]);
      expect(topicsCreated().every((l) => l.includes('--replication-factor 1'))).to.equal(true);
    });
  });
});
