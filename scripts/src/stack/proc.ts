// Small process helpers for provisioning: run a command, start a detached server, wait for a port.
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
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

/** Start a long-running server detached from this process, its output appended to `logFile`. Returns its pid. */
export function startDetached(cmd: string, args: string[], logFile: string, cwd?: string): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { cwd, detached: true, stdio: ['ignore', fd, fd] });
    if (child.pid === undefined) throw new HubError('STACK_START_FAILED', `could not start ${cmd}`);
    child.unref();
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
 * Run `fn` holding an exclusive lock (a directory made atomically, with the holder's pid inside), so that two
 * `stack up`s, or two checkouts sharing the cache, never provision or start the same thing at once. A lock left
 * by a process that died is taken over.
 */
export async function withLock<T>(
  lockDir: string,
  what: string,
  say: (line: string) => void,
  fn: () => Promise<T>,
): Promise<T> {
  mkdirSync(dirname(lockDir), { recursive: true });
  const pidFile = join(lockDir, 'pid');
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lockDir);
      writeFileSync(pidFile, String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder: number | undefined;
      try {
        holder = Number(readFileSync(pidFile, 'utf8')) || undefined;
      } catch {
        holder = undefined; // being created right now, or left half-made by a crash
      }
      const stale =
        (holder !== undefined && !isAlive(holder)) ||
        (holder === undefined && Date.now() - statSync(lockDir).mtimeMs > 10000);
      if (stale) {
        rmSync(lockDir, { recursive: true, force: true });
        continue;
      }
      if (!announced) say(`waiting for another process (pid ${holder ?? '?'}) that is ${what}`);
      announced = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
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
  if (exited) throw new HubError('STACK_START_FAILED', `${what} exited at start; see ${logFile}`);
}
