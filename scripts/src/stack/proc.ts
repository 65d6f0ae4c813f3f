// Small process helpers for provisioning: run a command, start a detached server, wait for a port.
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { createConnection, createServer } from 'node:net';
import { HubError } from '@hub/errors';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command to completion, capturing its output. */
export function run(cmd: string, args: string[], options: SpawnOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** The first line of `cmd --version`-style output, or undefined when the command is missing. */
export function commandVersion(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return `${r.stdout}${r.stderr}`.trim().split('\n')[0];
}

/**
 * What to tell about a server `startDetached` launched if it exits at start, by pid: set by the caller who knows
 * where the program came from (FerretDB's from a cache entry), read by `waitStarted`.
 */
const exitHints = new Map<number, string>();

/** Why `cmd` cannot be run, as far as can be told before spawning: missing, or not executable. */
function notRunnable(cmd: string, cwd: string | undefined): string {
  if (cwd !== undefined && !existsSync(cwd)) return `its working folder ${cwd} does not exist`;
  if (!cmd.includes('/')) return `${cmd} is not on PATH, or not executable`;
  if (!existsSync(cmd)) return `${cmd} does not exist`;
  try {
    accessSync(cmd, constants.X_OK);
  } catch {
    return `${cmd} is not executable by this user`;
  }
  return `${cmd} could not be run`;
}

/**
 * Start a long-running server detached from this process, its output appended to `logFile`. Returns its pid.
 * `exitHint`: said by `waitStarted` if the server exits at start (where the program came from, what to do).
 */
export function startDetached(
  cmd: string,
  args: string[],
  logFile: string,
  cwd?: string,
  exitHint?: string,
): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', fd, fd] });
    // A program that cannot be run (ENOENT, EACCES) is reported as an 'error' event after this returns, and one
    // without a listener ends the CLI with "Unhandled 'error' event": it is told here instead, by its missing pid.
    child.on('error', () => undefined);
    if (child.pid === undefined)
      throw new HubError('STACK_START_FAILED', `could not start ${cmd}: ${notRunnable(cmd, cwd)}.`);
    child.unref();
    if (exitHint) exitHints.set(child.pid, exitHint);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Each running process's children, by parent pid (Linux, from /proc; empty where /proc cannot be read). */
function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return children;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent is the 2nd field after the command name, which is in parentheses and may contain spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  return children;
}

/** The direct children of `pid` (/proc/<pid>/task/<pid>/children is not always there). */
export function childPids(pid: number): number[] {
  return childrenByParent().get(pid) ?? [];
}

/** The process `pid` and every descendant of it, deepest first (only `pid` where there is none). */
export function processTree(pid: number): number[] {
  const children = childrenByParent();
  const order: number[] = [];
  const visit = (p: number) => {
    for (const c of children.get(p) ?? []) visit(c);
    order.push(p);
  };
  visit(pid);
  return order;
}

/** The command line of a running process (Linux), to make sure a pid still belongs to our server. */
export function commandLineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Whether a service could listen on `port` now, as ours do (every address): a listener on any address of the port
 * refuses it, where `portInUse` asks 127.0.0.1 only.
 */
export function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, () => server.close(() => resolve(true)));
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  hint = '',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new HubError(
        'STACK_START_FAILED',
        `${what} did not become ready within ${Math.round(timeoutMs / 1000)} s. ${hint}`,
      );
    }
    await sleep(250);
  }
}

export async function stopPid(pid: number, timeoutMs = 20000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(200);
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}

/**
 * When the process `pid` started, in clock ticks since boot (field 22 of /proc/<pid>/stat): with the pid, what tells
 * a lock's holder from a later process given the same pid. Undefined where /proc cannot be read.
 */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The fields from the 3rd on follow the command name, which is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The locks this process holds now: one naming its own pid and not among them was left by an earlier process. */
const heldHere = new Set<string>();

/** Whether a process `pid` exists, whoever's it is (isAlive takes another user's, which it may not signal, for dead). */
function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Who holds a lock: its pid and, where it could be read, when that process started. */
interface LockHolder {
  pid?: number;
  started?: string;
}

function readHolder(lockDir: string): LockHolder {
  const read = (name: string) => {
    try {
      return readFileSync(join(lockDir, name), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  // `started` is written before `pid`: a pid read comes with its start time, unless an earlier version wrote it.
  const started = read('started') || undefined;
  return { pid: Number(read('pid')) || undefined, started };
}

/**
 * Whether the lock `lockDir`, held by `holder`, was left behind by a process that is gone: its pid dead; this very
 * process's pid (as after a restart in a container, where pids repeat) in a lock this process does not hold; or a
 * live pid that started at another time than the holder did (the pid given anew). A lock without a pid is being
 * made, or was left half-made by a crash: stale after 10 s.
 */
function isStale(lockDir: string, holder: LockHolder): boolean {
  const { pid, started } = holder;
  if (pid === undefined) {
    try {
      return Date.now() - statSync(lockDir).mtimeMs > 10000;
    } catch {
      return false; // removed meanwhile: the next try takes it
    }
  }
  if (pid === process.pid) return !heldHere.has(resolvePath(lockDir));
  if (!exists(pid)) return true;
  const now = startTimeOf(pid);
  return started !== undefined && now !== undefined && now !== started;
}

/**
 * The lock's own file operations, their errors (a read-only or foreign folder) turned into one that names the lock
 * and what to do, instead of an "unexpected error" with a stack trace.
 */
function lockStep<T>(lockDir: string, setting: string | undefined, step: () => T): T {
  try {
    return step();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    const where = setting
      ? `choose another folder with ${setting}`
      : "choose another folder: HUB_HOME for the hub's own files, HUB_CACHE_DIR for the download cache";
    throw new HubError(
      'LOCK_FAILED',
      `could not take the lock ${lockDir} (${code}). Make ${dirname(lockDir)} writable for this user, or ${where}.`,
      { cause: err, details: { path: lockDir, code } },
    );
  }
}

/**
 * Run `fn` holding an exclusive lock (a directory made atomically, with the holder's pid and start time inside), so
 * that two `stack up`s, or two checkouts sharing the cache, never provision or start the same thing at once. A lock
 * left by a process that died is taken over. `setting`: the environment variable that moves the lock's folder
 * (HUB_HOME, HUB_CACHE_DIR), named when the folder cannot be written.
 */
export async function withLock<T>(
  lockDir: string,
  what: string,
  say: (line: string) => void,
  fn: () => Promise<T>,
  setting?: string,
): Promise<T> {
  lockStep(lockDir, setting, () => mkdirSync(dirname(lockDir), { recursive: true }));
  let announced = false;
  for (;;) {
    const made = lockStep(lockDir, setting, () => {
      try {
        mkdirSync(lockDir);
        return true;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw err;
      }
    });
    if (made) {
      lockStep(lockDir, setting, () => {
        try {
          const started = startTimeOf(process.pid);
          if (started !== undefined) writeFileSync(join(lockDir, 'started'), started);
          writeFileSync(join(lockDir, 'pid'), String(process.pid));
        } catch (err) {
          rmSync(lockDir, { recursive: true, force: true });
          throw err;
        }
      });
      heldHere.add(resolvePath(lockDir));
      break;
    }
    const holder = readHolder(lockDir);
    if (isStale(lockDir, holder)) {
      // Read again just before: another waiter may have taken the stale lock over meanwhile (then it is its lock).
      const now = readHolder(lockDir);
      if (now.pid === holder.pid && now.started === holder.started)
        lockStep(lockDir, setting, () => rmSync(lockDir, { recursive: true, force: true }));
      continue;
    }
    if (!announced)
      say(
        `waiting for another process (pid ${holder.pid ?? '?'}) that is ${what}; its lock is ${lockDir} ` +
          '(remove it if no such process runs)',
      );
    announced = true;
    await sleep(500);
  }
  try {
    return await fn();
  } finally {
    heldHere.delete(resolvePath(lockDir));
    rmSync(lockDir, { recursive: true, force: true });
  }
}

/**
 * Wait until the server just started as `pid` answers `probe`. One that exits first (its port taken, its data
 * unreadable) fails at once, naming its log, instead of after the whole wait.
 */
export async function waitStarted(
  what: string,
  pid: number,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  logFile: string,
): Promise<void> {
  let exited = false;
  await waitFor(
    what,
    async () => {
      // waitFor takes an error from the probe as "not yet": an exit is told apart after it returns.
      if (!isAlive(pid)) return (exited = true);
      return probe();
    },
    timeoutMs,
    `See ${logFile}.`,
  );
  const hint = exitHints.get(pid);
  exitHints.delete(pid);
  if (exited)
    throw new HubError(
      'STACK_START_FAILED',
      `${what} exited at start; see ${logFile}${hint ? `. ${hint}` : ''}`,
    );
}
