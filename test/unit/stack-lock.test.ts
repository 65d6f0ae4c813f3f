// The lock `stack up` and the cache's provisioning take (a folder with the holder's pid and start time): a lock left
// by a process that is gone is taken over, even when its pid is in use again (by this very process, after a restart
// in a container; or by another program), and one that cannot be made names its folder and the setting that moves
// it. Holders are stand-ins: this process, or small node processes.
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { startTimeOf, withLock } from '../../scripts/src/stack/proc';
import { hubErrorOf } from '../support/env';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What `withLock` came to within `ms`: 'ran' once `fn` ran, else 'waiting' (and the lock is freed for its loop). */
async function within(ms: number, lockDir: string, said: string[]): Promise<'ran' | 'waiting'> {
  const taken = withLock(
    lockDir,
    'starting the local stack',
    (l) => said.push(l),
    () => Promise.resolve('ran' as const),
  );
  const outcome = await Promise.race([taken, sleep(ms).then(() => 'waiting' as const)]);
  if (outcome === 'waiting') {
    // Let the waiting call finish rather than poll on after the test.
    rmSync(lockDir, { recursive: true, force: true });
    await taken;
  }
  return outcome;
}

/** A lock as a holder leaves it: its pid and, if given, its start time. */
function leaveLock(lockDir: string, pid: number, started?: string): void {
  mkdirSync(lockDir, { recursive: true });
  if (started !== undefined) writeFileSync(join(lockDir, 'started'), started);
  writeFileSync(join(lockDir, 'pid'), String(pid));
}

/** Run as root, these tests drop root's powers with util-linux's setpriv (an essential package on Debian). */
const SETPRIV = 'setpriv (util-linux) runs these tests as root without its powers: install util-linux';

describe('local stack: the provisioning lock', function () {
  this.timeout(30000);
  let dir: string;
  let lockDir: string;
  const sleepers: ChildProcess[] = [];

  /** A live process that is not this one, as another `stack up` would be. */
  async function otherProcess(): Promise<number> {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' });
    sleepers.push(child);
    await new Promise((r) => child.once('spawn', r));
    return child.pid!;
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-lock-'));
    lockDir = join(dir, 'run', 'stack.lock');
  });
  afterEach(() => {
    for (const c of sleepers.splice(0)) c.kill('SIGKILL');
    chmodSync(dir, 0o755);
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a process start time from /proc, the same for the same process and another for another', async () => {
    const mine = startTimeOf(process.pid);
    expect(mine).to.match(/^\d+$/);
    expect(startTimeOf(process.pid)).to.equal(mine);
    const other = await otherProcess();
    expect(startTimeOf(other)).to.match(/^\d+$/);
    expect(startTimeOf(2 ** 22 + 1)).to.equal(undefined);
  });

  it('takes over a lock that names this very process, left by an earlier run given the same pid', async () => {
    // A .hub in a container: the first run was killed during stack up, the next one got the same pid.
    leaveLock(lockDir, process.pid, '1');
    const said: string[] = [];
    expect(await within(3000, lockDir, said)).to.equal('ran');
    expect(said).to.deep.equal([]);
    expect(existsSync(lockDir)).to.equal(false);
  });

  it('takes over a lock whose pid now belongs to a process that started at another time', async () => {
    const other = await otherProcess();
    leaveLock(lockDir, other, String(Number(startTimeOf(other)) - 1000));
    expect(await within(3000, lockDir, [])).to.equal('ran');
  });

  it('waits for a live holder, naming its pid and the lock, and takes the lock once the holder is gone', async () => {
    const other = await otherProcess();
    leaveLock(lockDir, other, startTimeOf(other));
    const said: string[] = [];
    let ran = false;
    const taken = withLock(
      lockDir,
      'starting the local stack',
      (l) => said.push(l),
      async () => {
        ran = true;
        // Held by this call now: this process's pid and start time.
        return [readFileSync(join(lockDir, 'pid'), 'utf8'), readFileSync(join(lockDir, 'started'), 'utf8')];
      },
    );
    await sleep(1500);
    expect(ran).to.equal(false);
    expect(said).to.have.length(1);
    expect(said[0]).to.contain(`waiting for another process (pid ${other}) that is starting the local stack`);
    expect(said[0]).to.contain(lockDir);
    sleepers.pop()!.kill('SIGKILL');
    expect(await taken).to.deep.equal([String(process.pid), startTimeOf(process.pid)]);
    expect(existsSync(lockDir)).to.equal(false);
  });

  it('waits for a live holder that an earlier version recorded without its start time', async () => {
    leaveLock(lockDir, await otherProcess());
    expect(await within(1500, lockDir, [])).to.equal('waiting');
  });

  it("waits for a live holder of another user's, which this user may not signal", () => {
    // pid 1 is root's: as root, the check runs as nobody, for whom signalling it is refused (EPERM), not dead.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) expect(spawnSync('setpriv', ['--version']).status, SETPRIV).to.equal(0);
    leaveLock(lockDir, 1, startTimeOf(1));
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'run'), 0o755);
    const script = [
      `import { withLock } from ${JSON.stringify(join(repoRoot, 'scripts/src/stack/proc.ts'))};`,
      `const taken = withLock(${JSON.stringify(lockDir)}, 'provisioning the cache', () => {}, async () => 'ran');`,
      "const outcome = await Promise.race([taken, new Promise((r) => setTimeout(() => r('waiting'), 1500))]);",
      'console.log(outcome);',
      'process.exit(0);',
    ].join('\n');
    const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
    const [command, ...args] = asRoot
      ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', ...node]
      : node;
    const run = spawnSync(command!, args, {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, HOME: dir },
    });
    expect(run.stdout.trim(), run.stderr).to.equal('waiting');
    expect(readFileSync(join(lockDir, 'pid'), 'utf8')).to.equal('1');
  });

  it('runs two holders in this one process one after the other', async () => {
    const order: string[] = [];
    const hold = (name: string) =>
      withLock(
        lockDir,
        'provisioning the cache',
        () => undefined,
        async () => {
          order.push(`${name} in`);
          await sleep(300);
          order.push(`${name} out`);
        },
      );
    await Promise.all([hold('a'), hold('b')]);
    expect(order).to.deep.equal(['a in', 'a out', 'b in', 'b out']);
  });

  it('names the lock and the settings that move it when its folder cannot be made', async () => {
    // A file where the folder should be: refused even to root.
    writeFileSync(join(dir, 'run'), '');
    const err = await hubErrorOf(
      withLock(
        lockDir,
        'starting the local stack',
        () => undefined,
        async () => 1,
      ),
    );
    expect(err.code).to.equal('LOCK_FAILED');
    expect(err.message).to.contain(`could not take the lock ${lockDir}`);
    expect(err.message).to.contain('HUB_HOME');
    expect(err.message).to.contain('HUB_CACHE_DIR');
  });

  it('names the lock and the setting given when the folder is read-only (EACCES)', () => {
    const asRoot = process.getuid?.() === 0;
    // Root without the capabilities that override file modes, for whom a read-only folder is read-only.
    if (asRoot) expect(spawnSync('setpriv', ['--version']).status, SETPRIV).to.equal(0);
    chmodSync(dir, 0o555);
    const script = [
      `import { withLock } from ${JSON.stringify(join(repoRoot, 'scripts/src/stack/proc.ts'))};`,
      `try { await withLock(${JSON.stringify(lockDir)}, 'provisioning the cache', () => {}, async () => 1, 'HUB_CACHE_DIR'); }`,
      'catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }',
    ].join('\n');
    const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
    const [command, ...args] = asRoot
      ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search,-fowner', '--', ...node]
      : node;
    const run = spawnSync(command!, args, { cwd: repoRoot, encoding: 'utf8' });
    expect(run.status, run.stderr).to.equal(0);
    const err = JSON.parse(run.stdout) as { code: string; message: string };
    expect(err.code).to.equal('LOCK_FAILED');
    expect(err.message).to.contain(`could not take the lock ${lockDir} (EACCES)`);
    expect(err.message).to.contain('choose another folder with HUB_CACHE_DIR');
  });
});
