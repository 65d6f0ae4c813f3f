// The numbers the run verbs take (`hub start --reports`, `hub replay --timeout`, `hub test`'s
// HUB_TEST_SILENCE_LIMIT_S): a mistyped one is refused naming the option, the value and the rule, before anything
// starts, instead of being read as NaN or 0. And `hub start`'s endpoints file, with a token and the store's URL in it,
// readable by its user only.
import { expect } from 'chai';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError } from '@hub/errors';
import { startOptions, writeEndpoints, type Endpoints } from '../../scripts/src/cli/commands/start';
import { replayOptions } from '../../scripts/src/cli/commands/replay';
import { silenceLimitS } from '../../scripts/src/cli/commands/test';
import { wholeNumber } from '../../scripts/src/run/whole-number';
import { hubAsync } from '../support/cli';

function usageError(fn: () => unknown): HubError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(HubError);
    expect((err as HubError).code).to.equal('USAGE');
    return err as HubError;
  }
  expect.fail('no usage error');
}

describe('run verbs: whole numbers', () => {
  it('takes a whole number from the minimum up, and the default when none is given', () => {
    expect(wholeNumber('--n', '0', 5)).to.equal(0);
    expect(wholeNumber('--n', ' 12 ', 5)).to.equal(12);
    expect(wholeNumber('--n', undefined, 5)).to.equal(5);
    expect(wholeNumber('--n', '3', 5, { min: 3 })).to.equal(3);
  });

  for (const raw of ['abc', '', '1.5', '-1', '1e400', '0x'])
    it(`refuses ${JSON.stringify(raw)} naming the option, the value and the rule`, () => {
      const err = usageError(() => wholeNumber('--n', raw, 5, { unit: 'reports' }));
      expect(err.message)
        .to.contain('--n')
        .and.contain(JSON.stringify(raw))
        .and.contain('whole number of reports from 0');
    });

  it('hub start: --reports abc is refused, --reports 0 posts none', () => {
    const err = usageError(() => startOptions(['--reports', 'abc']));
    expect(err.message).to.match(/^--reports must be a whole number of reports from 0 up, got "abc"/);
    expect(err.message).to.contain('usage: hub start');
    expect(startOptions(['--reports', '0']).reports).to.equal(0);
    expect(startOptions([])).to.deep.equal({ reports: 300, demo: true, secure: false });
  });

  it('hub replay: --timeout must be a whole number of seconds from 1', () => {
    for (const raw of ['abc', '0', '2.5'])
      expect(usageError(() => replayOptions(['--timeout', raw])).message).to.contain(
        `--timeout must be a whole number of seconds from 1 up, got "${raw}"`,
      );
    expect(replayOptions(['--timeout', '5']).timeoutMs).to.equal(5000);
    expect(replayOptions([]).timeoutMs).to.equal(1800 * 1000);
  });

  it('hub replay: --replace with --into is refused, not run against the live database', () => {
    for (const args of [
      ['--replace', '--into', 'scratch'],
      ['--into', 'scratch', '--replace'],
    ]) {
      const err = usageError(() => replayOptions(args));
      expect(err.message).to.match(/^--replace and --into "scratch" exclude each other/);
      expect(err.message).to.contain('usage: hub replay');
    }
    expect(replayOptions(['--replace'])).to.include({ replace: true, into: undefined });
    expect(replayOptions(['--into', 'scratch'])).to.include({ replace: false, into: 'scratch' });
  });

  it('hub replay: --resume-swap stands alone, as it replays nothing', () => {
    expect(replayOptions(['--resume-swap'])).to.include({
      resumeSwap: true,
      replace: false,
      into: undefined,
    });
    expect(replayOptions([]).resumeSwap).to.equal(false);
    for (const [args, named] of [
      [['--resume-swap', '--replace'], '--replace'],
      [['--resume-swap', '--into', 'scratch'], '--into "scratch"'],
      [['--timeout', '5', '--resume-swap'], '--timeout "5"'],
    ] as const) {
      const err = usageError(() => replayOptions([...args]));
      expect(err.message).to.match(/^--resume-swap takes no other option, got /);
      expect(err.message).to.contain(named);
    }
  });

  it('hub replay: an empty --into, or one the store would refuse, is refused naming it', () => {
    expect(usageError(() => replayOptions(['--into', ''])).message).to.match(
      /^--into must name a database, got ""/,
    );
    for (const bad of ['a.b', 'a/b', 'a b', 'a$b', 'x'.repeat(64)])
      expect(usageError(() => replayOptions(['--into', bad])).message).to.contain(
        `got ${JSON.stringify(bad)}`,
      );
    expect(replayOptions(['--into', 'hub-replay_2']).into).to.equal('hub-replay_2');
    expect(replayOptions(['--into', 'x'.repeat(63)]).into).to.have.length(63);
  });

  it('hub replay: takes options only, a database named alone is refused', () => {
    const err = usageError(() => replayOptions(['mydb']));
    expect(err.message).to.match(/^hub replay takes options only .*--into <database>.*, got "mydb"/);
    expect(usageError(() => replayOptions(['--replace', 'now'])).message).to.contain('got "now"');
  });

  it('hub test: HUB_TEST_SILENCE_LIMIT_S must be a whole number of seconds from 1', () => {
    expect(usageError(() => silenceLimitS({ HUB_TEST_SILENCE_LIMIT_S: 'abc' }, false)).message).to.contain(
      'HUB_TEST_SILENCE_LIMIT_S must be a whole number of seconds from 1 up, got "abc"',
    );
    expect(() => silenceLimitS({ HUB_TEST_SILENCE_LIMIT_S: '0' }, false)).to.throw(HubError);
    expect(silenceLimitS({ HUB_TEST_SILENCE_LIMIT_S: '4' }, false)).to.equal(4);
    expect(silenceLimitS({ HUB_TEST_SILENCE_LIMIT_S: '' }, false)).to.equal(15 * 60);
    expect(silenceLimitS({}, true)).to.equal(30 * 60);
  });

  describe('from the command line', function () {
    this.timeout(60000);
    let home: string;
    let env: NodeJS.ProcessEnv;
    before(() => {
      home = mkdtempSync(join(tmpdir(), 'hub-numbers-'));
      // Should anything start after all, it would find no server of anyone's: these ports answer nothing.
      env = {
        ...process.env,
        HUB_HOME: home,
        HUB_KAFKA_BROKERS: '127.0.0.1:1',
        HUB_MONGO_URL: 'mongodb://127.0.0.1:1/',
      };
    });
    after(() => rmSync(home, { recursive: true, force: true }));

    it('hub start --reports abc exits 2 with the rule, having started nothing', async () => {
      const run = await hubAsync(['start', '--reports', 'abc'], env, 30000);
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr).to.contain('--reports must be a whole number of reports from 0 up, got "abc"');
      expect(run.stderr).not.to.match(/^\[(start|stack)\]/m);
    });

    it('hub replay --timeout abc exits 2 with the rule', async () => {
      const run = await hubAsync(['replay', '--timeout', 'abc'], env, 30000);
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr).to.contain('--timeout must be a whole number of seconds from 1 up, got "abc"');
    });

    it('hub replay --replace --into scratch exits 2 with the rule, having connected to nothing', async () => {
      const run = await hubAsync(['replay', '--replace', '--into', 'scratch'], env, 30000);
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr).to.contain('--replace and --into "scratch" exclude each other');
      expect(run.stderr).not.to.match(/^\[replay\]/m);
    });
  });
});

describe('hub start: the endpoints file', () => {
  let home: string;
  const endpoints: Endpoints = {
    api: 'http://127.0.0.1:8080',
    kafka: '127.0.0.1:39092',
    kafkaSecurity: 'plaintext',
    mongo: 'mongodb://hub:S3cretPw@127.0.0.1:27017/',
    nodes: { KZ: 'http://127.0.0.1:8101' },
    token: 'eyJ.analyst.token',
  };
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-endpoints-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('is readable by its user only, in a folder of the same when made here', () => {
    const file = writeEndpoints(home, endpoints);
    expect(file).to.equal(join(home, 'run', 'endpoints.json'));
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal(endpoints);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(statSync(join(home, 'run')).mode & 0o777).to.equal(0o700);
  });

  it('replaces a world-readable one written before, in a folder made before (by the stack lock) made 0700', () => {
    mkdirSync(join(home, 'run'), { recursive: true, mode: 0o755 });
    chmodSync(join(home, 'run'), 0o755);
    const file = join(home, 'run', 'endpoints.json');
    writeFileSync(file, '{}');
    chmodSync(file, 0o644);
    writeEndpoints(home, endpoints);
    expect(statSync(file).mode & 0o777).to.equal(0o600);
    expect(statSync(join(home, 'run')).mode & 0o777).to.equal(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal(endpoints);
  });
});
