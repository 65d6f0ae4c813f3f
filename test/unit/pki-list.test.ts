// Unit tier: `hub pki list` and `hub pki issue --days` as an operator runs them, on a PKI in a temporary HUB_HOME
// (no broker or store is needed: nothing is published).
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PkiStore, certificatesOf, createCa, fingerprintOf } from '@hub/pki';
import { hubSync } from '../support/cli';

type Row = { subject: string; fingerprint: string; daysLeft: number; status: string; reason?: string };

describe('hub pki list: every certificate, its expiry and its status', function () {
  this.timeout(60000);
  let home: string;
  const hub = (...args: string[]) => hubSync(['pki', ...args], { ...process.env, HUB_HOME: home });
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-pki-list-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('lists the CA, current, previous, soon-expiring and revoked certificates, as a table and as JSON', () => {
    expect(hub('init').status).to.equal(0);
    const first = hub('issue', 'KZ', '--days', '20').stdout.trim();
    const renewed = hub('issue', 'KZ').stdout.trim();
    const tj = hub('issue', 'TJ', '--days', '100').stdout.trim();
    expect(hub('issue', 'UZ', '--days', '25').status).to.equal(0);
    const system = hub('issue-client', 'KZ', 'customs-kz', '--days', '10').stdout.trim();
    expect(hub('issue-server', 'node-kz', '--host', 'node-kz.example.org', '--days', '90').status).to.equal(
      0,
    );
    // Revoked locally, as `hub pki revoke` records it before publishing.
    new PkiStore(join(home, 'pki')).addRevocation({
      fingerprint: tj,
      revokedAt: Date.now(),
      reason: 'key lost',
    });

    const json = hub('list', '--json');
    expect(json.status, json.stderr).to.equal(0);
    const rows = JSON.parse(json.stdout) as Row[];
    expect(rows.map((r) => [r.subject, r.status, r.daysLeft])).to.deep.equal([
      ['CA', 'ca', 3649],
      ['KZ', 'current', 396],
      ['KZ', 'previous', 19],
      ['TJ', 'revoked', 99],
      ['UZ', 'current', 24],
      ['KZ/customs-kz', 'current', 9],
      ['server node-kz', 'current', 89],
    ]);
    expect(rows[5]!.fingerprint).to.equal(system);
    expect(rows[1]!.fingerprint).to.equal(renewed);
    expect(rows[2]!.fingerprint).to.equal(first);
    expect(rows[3]!.reason).to.equal('key lost');

    const table = hub('list').stdout.split('\n');
    expect(table[0]).to.match(/^subject\s+agency\s+fingerprint\s+valid until\s+days left\s+status$/);
    expect(table.find((l) => l.startsWith('UZ'))).to.match(/ 24\s+current, renew soon$/);
    expect(table.find((l) => l.startsWith('TJ'))).to.match(/revoked: key lost$/);
    expect(table.find((l) => l.startsWith('KZ/customs-kz'))).to.match(/ 9\s+current, renew soon$/);
    expect(table.find((l) => l.startsWith('KZ') && l.includes(first.slice(0, 16)))).to.match(/previous$/);
  });

  it('says to roll over a CA with less than 180 days left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-pki-list-ca-'));
    try {
      // A CA made 9.7 years ago for 10 years: about 110 days left.
      const ca = createCa({ bits: 2048, now: new Date(Date.now() - 9.7 * 365 * 86_400_000) });
      mkdirSync(join(dir, 'pki', 'ca'), { recursive: true });
      writeFileSync(join(dir, 'pki', 'ca', 'ca.crt'), ca.certPem);
      writeFileSync(join(dir, 'pki', 'ca', 'ca.key'), ca.keyPem, { mode: 0o600 });
      const list = (...args: string[]) =>
        hubSync(['pki', 'list', ...args], { ...process.env, HUB_HOME: dir });
      const rows = JSON.parse(list('--json').stdout) as Row[];
      expect(rows.map((r) => [r.subject, r.status])).to.deep.equal([['CA', 'ca']]);
      expect(rows[0]!.daysLeft).to.be.within(108, 111);
      expect(list().stdout.split('\n')[1]).to.match(/\sca, roll over soon$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a validity it cannot issue, saying what it takes', () => {
    for (const days of ['2.5', '0', 'year', '4000']) {
      const r = hub('issue', 'KG', '--days', days);
      expect(r.status, days).to.equal(2);
      expect(r.stderr, days).to.contain(
        `--days must be a whole number of days from 1 to 3650, got "${days}"`,
      );
    }
    expect(new PkiStore(join(home, 'pki')).hasIdentity('KG'), 'nothing issued').to.equal(false);
    const refused = hub('issue-client', 'KZ');
    expect(refused.status).to.equal(2);
    expect(refused.stderr).to.contain("give the country (like KZ) and the system's name");
    const badName = hub('issue-client', 'KZ', 'a/b');
    expect(badName.status).to.not.equal(0);
    expect(badName.stderr).to.contain("a system's name is 1-64 letters");
    expect(hub('issue-server', 'node-kz', '--host', 'not a host').stderr).to.contain('not a DNS hostname');
  });
  it('after a CA rollover: lists the previous CA and says which current certificates to issue again', async () => {
    const rolled = mkdtempSync(join(tmpdir(), 'hub-pki-rolled-'));
    try {
      const run = (...args: string[]) => hubSync(['pki', ...args], { ...process.env, HUB_HOME: rolled });
      expect(run('init').status).to.equal(0);
      const kz = run('issue', 'KZ').stdout.trim();
      const tj = run('issue', 'TJ').stdout.trim();
      expect(run('issue-client', 'KZ', 'customs-kz').status).to.equal(0);
      // As `hub pki rollover` makes it before publishing the new CA.
      const pki = new PkiStore(join(rolled, 'pki'));
      await pki.rolloverCa({ bits: 2048, validityYears: 12 });
      const reissued = run('issue', 'KZ').stdout.trim();

      const rows = JSON.parse(run('list', '--json').stdout) as (Row & { reissue?: boolean })[];
      expect(rows.map((r) => [r.subject, r.status, r.reissue ?? false])).to.deep.equal([
        ['CA', 'ca', false],
        ['CA (previous)', 'previous', false],
        ['KZ', 'current', false],
        ['KZ', 'previous', false],
        ['TJ', 'current', true],
        ['KZ/customs-kz', 'current', true],
      ]);
      expect(rows[0]!.daysLeft, 'the new CA: 12 years').to.be.within(4380 - 4, 4380);
      expect(rows[2]!.fingerprint).to.equal(reissued);
      expect(rows[3]!.fingerprint).to.equal(kz);
      expect(rows[4]!.fingerprint).to.equal(tj);
      const table = run('list').stdout.split('\n');
      expect(table.find((l) => l.startsWith('TJ'))).to.match(/current, issue again \(previous CA\)$/);
      // The bundle to hand out: the current CA first, then the previous one.
      const bundle = run('bundle');
      expect(bundle.status, bundle.stderr).to.equal(0);
      expect(certificatesOf(bundle.stdout).map(fingerprintOf)).to.deep.equal([
        rows[0]!.fingerprint,
        rows[1]!.fingerprint,
      ]);

      for (const [flag, value, message] of [
        ['--years', '1', '--years must be a whole number from 2 to 30, got "1"'],
        ['--bits', '1024', '--bits must be 2048, 3072 or 4096, got "1024"'],
      ] as const) {
        const refused = run('rollover', flag, value);
        expect(refused.status, flag).to.equal(2);
        expect(refused.stderr, flag).to.contain(message);
      }
      expect(pki.previousCaPems(), 'no rollover made by a refused command').to.have.length(1);
    } finally {
      rmSync(rolled, { recursive: true, force: true });
    }
  });
});
