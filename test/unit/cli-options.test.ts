// Unit tier: the CLI's option parsing, as a user types it (no servers: `hub token` only reads its key folder).
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@hub/cli/cli/command';
import { repoRoot } from '@hub/config';
import { hubSync } from '../support/cli';

describe('CLI options', function () {
  this.timeout(60000);
  /** A HUB_HOME of the test's own, for the commands run as a user would (removed after each test). */
  let home: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-cli-'));
    env = { ...process.env, HUB_HOME: home };
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('takes a negative number after an option as its value, and leaves the rest as parseArgs reads it', () => {
    const options = { ttl: { type: 'string' }, verbose: { type: 'boolean' } } as const;
    expect(parse(['--ttl', '-60'], options, 'usage').values.ttl).to.equal('-60');
    expect(parse(['--ttl=-1.5', '--verbose'], options, 'usage').values).to.deep.equal({
      ttl: '-1.5',
      verbose: true,
    });
    expect(parse(['--ttl', '30', 'x'], options, 'usage').positionals).to.deep.equal(['x']);
    // Not a number: still an unknown option, refused.
    expect(() => parse(['--ttl', '-x'], options, 'usage')).to.throw(/usage/);
  });

  it('mints an expired token with `hub token --ttl -60`, as CONTRACT.md promises', () => {
    const run = hubSync(['token', '--role', 'analyst', '--country', 'KZ', '--ttl', '-60'], env);
    expect(run.status, run.stderr).to.equal(0);
    const claims = JSON.parse(Buffer.from(run.stdout.trim().split('.')[1]!, 'base64url').toString()) as {
      exp: number;
    };
    expect(claims.exp).to.be.below(Date.now() / 1000 - 50);
  });

  it('refuses a hub CA of a size it does not make, saying which it does (exit 2)', () => {
    for (const bits of ['abc', '1024']) {
      const run = hubSync(['pki', 'init', '--bits', bits], env);
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr).to.include(`--bits must be 2048, 3072 or 4096, got "${bits}"`);
    }
  });

  it('says what to fix for a CA file it cannot read, and for a default port past the last one (exit 2)', () => {
    const verify = hubSync(['verify', 'a-report', '--ca', join(home, 'missing.pem')], env);
    expect(verify.status, verify.stderr).to.equal(2);
    expect(verify.stderr).to.include(`--ca ${join(home, 'missing.pem')}: cannot read it (ENOENT)`);
    const coordinator = hubSync(['coordinator'], { ...env, HUB_API_PORT: '65535' });
    expect(coordinator.status, coordinator.stderr).to.equal(2);
    expect(coordinator.stderr).to.include('--ops-port defaults to HUB_API_PORT+1, which gives 65536');
  });

  it('refuses an option `hub test` or `hub import-annual` does not know, before it starts anything (exit 2)', () => {
    const test = hubSync(['test', '--unti'], process.env);
    expect(test.status, test.stderr).to.equal(2);
    expect(test.stderr).to.include("unknown option --unti (mocha's own go after --)");
    for (const concurrency of ['0', 'abc']) {
      const annex = join(repoRoot, 'test', 'fixtures', 'wdr2025_annex7.1_seizures_2019-2023.csv');
      const run = hubSync(['import-annual', annex, '--concurrency', concurrency], process.env);
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr).to.include(
        `--concurrency must be a whole number from 1 to 16, got "${concurrency}"`,
      );
    }
  });

  it('refuses `hub bench` arguments and mistyped BENCH_* settings before it starts the stack (exit 2)', () => {
    const cases: [string[], NodeJS.ProcessEnv, string][] = [
      [
        ['--quick'],
        {},
        'hub bench takes no arguments (got --quick); its settings are BENCH_* in the environment',
      ],
      [[], { BENCH_REPORTS: 'abc' }, 'BENCH_REPORTS must be a whole number of reports from 1 up, got "abc"'],
      [[], { BENCH_INGEST_RUNS: '0' }, 'BENCH_INGEST_RUNS must be a whole number of runs from 1 up, got "0"'],
      [[], { BENCH_QUICK: 'true' }, 'BENCH_QUICK must be 1 (a short run) or 0 (the full run), got "true"'],
      [
        [],
        { BENCH_SECTIONS: 'ingest,qurey' },
        'BENCH_SECTIONS must name sections among ingest, query, memory',
      ],
    ];
    for (const [args, settings, message] of cases) {
      // HUB_KAFKA_BROKERS at a closed port: had the check come after the stack's start, this would say so instead.
      const run = hubSync(['bench', ...args], { ...env, HUB_KAFKA_BROKERS: '127.0.0.1:1', ...settings });
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr).to.include(message);
    }
  });
});
