// `hub test` stopped by Ctrl-C or SIGTERM: the suite's whole process tree goes, and so do the servers this run
// launched (they run detached, so the signal never reaches them, and later runs found them "running" and left them
// be); the run exits 130 or 143. The stack is a stand-in that records what it is asked to stop; the suite is a real
// mocha run of a test that starts a process of its own and never ends.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { HUB_BIN } from '../support/cli';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether `pid` runs (a zombie, ended but not yet reaped, does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

interface Outcome {
  status: number | null;
  stderr: string;
  /** The test's process (mocha's worker) and the process it started, as they wrote them. */
  pids: number[];
}

describe('hub test: interrupted', function () {
  this.timeout(90000);
  let dir: string;
  let pidFile: string;
  let spec: string;
  const children: ChildProcess[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-interrupt-'));
    spec = join(dir, 'endless.test.ts');
    writeFileSync(
      spec,
      [
        "import { spawn } from 'node:child_process';",
        "import { writeFileSync } from 'node:fs';",
        "describe('an endless suite', () => {",
        "  it('runs until it is stopped', function () {",
        '    this.timeout(0);',
        "    const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' });",
        '    writeFileSync(process.env.HUB_TEST_PID_FILE!, `${process.pid} ${c.pid}`);',
        '    return new Promise(() => setInterval(() => {}, 60000));',
        '  });',
        '});',
        '',
      ].join('\n'),
    );
  });
  beforeEach(() => {
    pidFile = join(dir, `pids-${Date.now()}`);
  });
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    if (existsSync(pidFile))
      for (const pid of readFileSync(pidFile, 'utf8').split(' ').map(Number))
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone, as it should be
        }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const suiteRuns = () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').includes(' ');

  /**
   * Run `command` (with HUB_TEST_PID_FILE set), send it `signal` once `ready` (the test runs; `twice`: again 50 ms
   * later, as a Ctrl-C reaches it from the terminal and from npm), wait for its end.
   */
  async function interrupt(
    command: string[],
    signal: NodeJS.Signals,
    ready = suiteRuns,
    twice = false,
  ): Promise<Outcome> {
    const child = spawn(command[0]!, command.slice(1), {
      cwd: repoRoot,
      env: { ...process.env, HUB_TEST_PID_FILE: pidFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((r) => child.on('close', r));
    const deadline = Date.now() + 60000;
    while (!ready()) {
      if (Date.now() > deadline) throw new Error(`the suite did not start:\n${stderr}`);
      await sleep(100);
    }
    const pids = existsSync(pidFile) ? readFileSync(pidFile, 'utf8').split(' ').map(Number) : [];
    child.kill(signal);
    if (twice) {
      await sleep(50);
      child.kill(signal);
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    const status = await closed;
    clearTimeout(timer);
    return { status, stderr, pids };
  }

  /**
   * runSuite in a process of its own, with a stand-in stack that launched two servers and records its stop; with
   * `starting`, its start writes that file and then takes 2 s.
   */
  function suiteWithStack(stopped: string, starting?: string): string[] {
    const script = [
      `import { writeFileSync } from 'node:fs';`,
      `import { runSuite } from ${JSON.stringify(join(repoRoot, 'scripts/src/cli/commands/test.ts'))};`,
      'const code = await runSuite(',
      `  { mochaArgs: [${JSON.stringify(spec)}], env: process.env, silenceLimit: 600, keepStack: false },`,
      '  {',
      '    up: async () => {',
      starting
        ? `      writeFileSync(${JSON.stringify(starting)}, ''); await new Promise((r) => setTimeout(r, 2000));`
        : '',
      '      return { kafka: 4242, store: 4343 };',
      '    },',
      `    down: async (launched) => writeFileSync(${JSON.stringify(stopped)}, JSON.stringify(launched)),`,
      '  },',
      '  (line) => process.stderr.write(`${line}\\n`),',
      ');',
      'process.exit(code);',
    ].join('\n');
    return [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
  }

  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    it(`on ${signal}, stops the suite's process tree and the servers this run launched, and exits ${code}`, async () => {
      const stopped = join(dir, `stopped-${signal}`);
      const run = await interrupt(suiteWithStack(stopped), signal);
      expect(run.status, run.stderr).to.equal(code);
      expect(JSON.parse(readFileSync(stopped, 'utf8'))).to.deep.equal({ kafka: 4242, store: 4343 });
      expect(run.stderr).to.contain(`${signal}: stopping the suite, then the servers this run started`);
      expect(run.stderr).to.contain(`exit code ${code}`);
      await sleep(500);
      for (const pid of run.pids) expect(running(pid), `pid ${pid}`).to.equal(false);
    });
  }

  it('takes one Ctrl-C that reaches it twice (from the terminal and from npm) as one: the servers are stopped all the same', async () => {
    const stopped = join(dir, 'stopped-twice');
    const run = await interrupt(suiteWithStack(stopped), 'SIGINT', suiteRuns, true);
    expect(run.status, run.stderr).to.equal(130);
    expect(JSON.parse(readFileSync(stopped, 'utf8'))).to.deep.equal({ kafka: 4242, store: 4343 });
    expect(run.stderr).not.to.contain('again: exiting now');
  });

  it('on SIGTERM while the stack starts, runs no suite, stops the servers once started, and exits 143', async () => {
    const stopped = join(dir, 'stopped-starting');
    const starting = join(dir, 'starting');
    const run = await interrupt(suiteWithStack(stopped, starting), 'SIGTERM', () => existsSync(starting));
    expect(run.status, run.stderr).to.equal(143);
    expect(JSON.parse(readFileSync(stopped, 'utf8'))).to.deep.equal({ kafka: 4242, store: 4343 });
    expect(run.stderr).to.contain('SIGTERM: stopping once the stack has started');
    expect(existsSync(pidFile)).to.equal(false);
  });

  it('exits 143 from `hub test --unit` on SIGTERM, its suite stopped', async () => {
    const run = await interrupt(
      [
        process.execPath,
        HUB_BIN,
        'test',
        '--unit',
        '--',
        '--grep',
        'an endless suite runs until it is stopped',
        spec,
      ],
      'SIGTERM',
    );
    expect(run.status, run.stderr).to.equal(143);
    await sleep(500);
    for (const pid of run.pids) expect(running(pid), `pid ${pid}`).to.equal(false);
  });
});
