// The production bootstrap script (infra/production/security/bootstrap-security.sh, rendered by
// scripts/src/stack/security-production.ts) run with stand-ins for Kafka's tools that record what they are asked:
// it must never create a SCRAM credential from a password file that is missing or empty.
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

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-production-bootstrap-'));
    passwords = join(dir, 'passwords');
    calls = join(dir, 'kafka-configs.calls');
    mkdirSync(passwords);
    for (const p of productionPrincipals(plan.countries))
      writeFileSync(join(passwords, `${p}.password`), `pw-of-${p}\n`, { mode: 0o600 });
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    // kafka-configs.sh records its arguments and, for a credential, the file's content; the others succeed.
    const tools: Record<string, string> = {
      'kafka-topics.sh': 'exit 0',
      'kafka-acls.sh': 'exit 0',
      'kafka-configs.sh': [
        `echo "$*" >> '${calls}'`,
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

  const run = () =>
    spawnSync('sh', [join(dir, 'bootstrap-security.sh')], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        KAFKA_BIN: join(dir, 'bin'),
        KAFKA_PASSWORD_DIR: passwords,
        KAFKA_TLS_DIR: join(dir, 'tls'),
        KAFKA_INTERNAL_BOOTSTRAP: 'broker:9094',
      },
    });
  const recorded = () => readFileSync(calls, 'utf8');

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
});
