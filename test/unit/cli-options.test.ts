// Unit tier: the CLI's option parsing, as a user types it (no servers: `hub token` only reads its key folder).
import { expect } from 'chai';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError } from '@hub/errors';
import { parse } from '@hub/cli/cli/command';
import { startOptions } from '../../scripts/src/cli/commands/start';
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

  it('refuses an error report it cannot write before it sends anything, naming --errors (exit 2)', () => {
    const template = join(repoRoot, 'docs', 'templates', 'ids-seizures.csv');
    // The node's URL a closed port: an import let through would say it cannot reach it (exit 1) instead.
    const node = ['--node', 'KZ', '--url', 'http://127.0.0.1:1'];
    for (const [errors, why] of [
      [join(home, 'no-such-folder', 'errors.csv'), 'ENOENT'],
      [home, 'EISDIR'],
    ] as const) {
      const run = hubSync(['import', template, ...node, '--errors', errors], env);
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr).to.include(`--errors ${errors}: cannot write it (${why}); nothing was sent`);
      expect(run.stderr).not.to.include('unexpected error');
      expect(run.stderr).not.to.include('cannot reach');
    }
    // The default, <file>.errors.csv beside the file, where it cannot be written either (a folder of that name).
    const file = join(home, 'seizures.csv');
    copyFileSync(template, file);
    mkdirSync(`${file}.errors.csv`);
    const byDefault = hubSync(['import', file, ...node], env);
    expect(byDefault.status, byDefault.stderr).to.equal(2);
    expect(byDefault.stderr).to.include(
      `the error report goes to ${file}.errors.csv (<file>.errors.csv), which cannot be written (EISDIR): give --errors <path>`,
    );
    // A path that can be written is only tried, not left behind, when the import then stops (the node is not there).
    const writable = join(home, 'errors.csv');
    const unreachable = hubSync(['import', file, ...node, '--errors', writable], env);
    expect(unreachable.status, unreachable.stderr).to.equal(1);
    expect(unreachable.stderr).to.include('cannot reach the KZ node at http://127.0.0.1:1');
    expect(existsSync(writable)).to.equal(false);
    // `hub import-annual` too, with a row unreadable (a report to write), before it looks for the hub CA or the brokers.
    const annex = join(home, 'annex.csv');
    writeFileSync(
      annex,
      'region,country,iso3,drug_group,drug_name,year,kilograms\nAsia,Kazakhstan,KAZ,Opioids,Heroin,2021,10\nAsia,Kyrgyzstan,KGZ,Opioids,Heroin,2021,ten\n',
    );
    const annual = hubSync(['import-annual', annex, '--errors', join(home, 'no-such-folder', 'e.csv')], env);
    expect(annual.status, annual.stderr).to.equal(2);
    expect(annual.stderr).to.include(
      `--errors ${join(home, 'no-such-folder', 'e.csv')}: cannot write it (ENOENT); nothing was sent`,
    );
    expect(annual.stderr).not.to.include('no hub CA');
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
  /** The environment of a command that must refuse before it starts anything: should it start, no server answers. */
  const refusing = () => ({
    ...env,
    HUB_KAFKA_BROKERS: '127.0.0.1:1',
    HUB_MONGO_URL: 'mongodb://127.0.0.1:1/',
  });

  /** `hub <args>` must exit 2 with `message` and the verb's usage, having started nothing. */
  const refusedWithUsage = (cases: [string[], string, string][]) => {
    for (const [args, message, usage] of cases) {
      // HUB_API_PORT at the last port: `hub start` let through would refuse its coordinator's port, HUB_API_PORT + 1.
      const run = hubSync(args, { ...refusing(), HUB_API_PORT: '65535' });
      expect(run.status, `${args.join(' ')}: ${run.stderr}`).to.equal(2);
      expect(run.stderr, args.join(' ')).to.include(message);
      expect(run.stderr, args.join(' ')).to.include(usage);
      expect(run.stderr, args.join(' ')).not.to.match(/^\[(start|stack|pki)\]/m);
    }
    expect(existsSync(join(home, 'pki')), 'no PKI made').to.equal(false);
  };

  // Where a verb let through would start a service, an option that refuses too comes after the stray word: nothing
  // starts either way.
  it('refuses an argument `hub stack`, `hub audit` or a service verb does not take, with its usage (exit 2)', () =>
    refusedWithUsage([
      [['stack', 'up', 'x'], 'hub stack up takes options only, got "x"', 'usage: hub stack up'],
      [['stack', 'down', 'x'], 'hub stack down takes no arguments, got "x"', 'usage: hub stack up'],
      [
        ['stack', 'status', 'x', 'y'],
        'hub stack status takes no arguments, got "x" "y"',
        'usage: hub stack up',
      ],
      [['audit', 'x'], 'hub audit takes options only, got "x"', 'usage: hub audit'],
      [['api', 'x', '--port', '99999'], 'hub api takes options only, got "x"', 'usage: hub api'],
      [
        ['coordinator', 'x', '--ops-port', '99999'],
        'hub coordinator takes options only, got "x"',
        'usage: hub coordinator',
      ],
      [
        ['node', 'KZ', 'x', '--port', '99999'],
        'hub node takes the country and options only, got "x"',
        'usage: hub node',
      ],
    ]));

  it('refuses an argument `hub token`, `hub pki list|rollover` or `hub start` does not take, with its usage (exit 2)', () =>
    refusedWithUsage([
      [
        ['token', 'x', '--role', 'analyst', '--country', 'KZ'],
        'hub token takes options only, got "x"',
        'usage: hub token',
      ],
      [['pki', 'list', 'x'], 'hub pki list takes options only, got "x"', 'usage: hub pki init'],
      [
        ['pki', 'rollover', 'x', '--years', '1'],
        'hub pki rollover takes options only, got "x"',
        'usage: hub pki init',
      ],
      [['start', 'extra'], 'hub start takes options only, got "extra"', 'usage: hub start'],
    ]));

  it('reads `hub start` options only, refusing a stray word before anything starts', () => {
    expect(() => startOptions(['--no-demo', 'extra'])).to.throw(
      HubError,
      'hub start takes options only, got "extra"',
    );
    expect(startOptions(['--no-demo']).demo).to.equal(false);
  });

  it('checks `hub pki issue` --bits and --days before it creates the hub CA (exit 2)', () => {
    for (const [args, message] of [
      [['--bits', 'abc'], '--bits must be 2048, 3072 or 4096, got "abc"'],
      [['--bits', '1024'], '--bits must be 2048, 3072 or 4096, got "1024"'],
      [['--days', '0'], '--days must be a whole number of days from 1 to 3650, got "0"'],
    ] as const) {
      const run = hubSync(['pki', 'issue', 'KZ', ...args], refusing());
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr).to.include(message);
      expect(existsSync(join(home, 'pki', 'ca')), `${args.join(' ')}: no CA made`).to.equal(false);
    }
  });

  it('refuses an empty --ttl, which minted an already expired token (exit 2)', () => {
    for (const ttl of ['', ' ', 'abc', '1.5']) {
      const run = hubSync(['token', '--role', 'analyst', '--country', 'KZ', '--ttl', ttl], env);
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stdout).to.equal('');
      expect(run.stderr).to.include(
        `--ttl must be a whole number of seconds (negative: an already expired token), got ${JSON.stringify(ttl)}`,
      );
    }
  });

  it('refuses a service port past 65535 that HUB_API_PORT or HUB_NODE_BASE_PORT gives `hub start` (exit 2)', () => {
    for (const [settings, message] of [
      [
        { HUB_API_PORT: '65535' },
        "the port of the coordinator's /healthz and /metrics, HUB_API_PORT + 1, is 65536: not a port number (0-65535); choose a lower HUB_API_PORT",
      ],
      [
        { HUB_NODE_BASE_PORT: '65534', HUB_DEMO_COUNTRIES: 'KZ,KG,TJ' },
        'the port of the national node TJ, HUB_NODE_BASE_PORT + 2, is 65536: not a port number (0-65535); choose a lower HUB_NODE_BASE_PORT',
      ],
    ] as const) {
      const run = hubSync(['start', '--no-demo'], { ...refusing(), ...settings });
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr).to.include(message);
      expect(run.stderr).to.include('usage: hub start');
      expect(run.stderr).not.to.include('unexpected error');
      expect(run.stderr).not.to.match(/^\[(start|stack)\]/m);
    }
  });
});
