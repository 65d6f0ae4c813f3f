// Child services of `hub start`: each verb in its own process, its log in $HUB_HOME/logs, stopped in reverse order.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HubError } from '@hub/errors';
import { agencyFetch } from '../cli/agency-headers';

const HUB_BIN = fileURLToPath(new URL('../../bin/hub.mjs', import.meta.url));

export interface Child {
  name: string;
  process: ChildProcess;
  logFile: string;
}

/**
 * Run `hub <args>` in the background, output appended to `<logsDir>/<name>.log`; with `stderr: 'inherit'`, its
 * stderr (a crash's stack) goes to the caller's instead, as the tests want it in their own output.
 */
export function spawnHub(
  name: string,
  args: string[],
  logsDir: string,
  env: NodeJS.ProcessEnv = process.env,
  options: { stderr?: 'log' | 'inherit' } = {},
): Child {
  mkdirSync(logsDir, { recursive: true });
  const logFile = join(logsDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [HUB_BIN, ...args], {
    stdio: ['ignore', fd, options.stderr === 'inherit' ? 'inherit' : fd],
    env,
  });
  closeSync(fd);
  return { name, process: child, logFile };
}

/** Run `hub <args>` to completion and return its stdout; fail with its stderr. */
export function runHub(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HUB_BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new HubError('CHILD_FAILED', `hub ${args.join(' ')} failed (exit ${code}):\n${err.trim()}`)),
    );
  });
}

/** Stop the children: the entry points first (API, nodes) together, the coordinator last. */
export async function stopChildren(children: Child[], say: (s: string) => void): Promise<void> {
  const stopOne = async (c: Child) => {
    if (c.process.exitCode !== null || c.process.signalCode !== null) return;
    say(`stopping ${c.name}`);
    c.process.kill('SIGTERM');
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        c.process.kill('SIGKILL');
        resolve();
      }, 20000);
      c.process.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  };
  await Promise.all(children.filter((c) => c.name !== 'coordinator').map(stopOne));
  await Promise.all(children.filter((c) => c.name === 'coordinator').map(stopOne));
}

/** The inodes of the sockets that listen on TCP `port` (Linux: /proc/net/tcp, tcp6); undefined where unreadable. */
function listeningInodes(port: number): Set<string> | undefined {
  const inodes = new Set<string>();
  let read = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
      read = true;
    } catch {
      continue;
    }
    // After the heading, one socket a line: sl, local ADDRESS:PORT in hex, remote, state (0A: listening), ..., inode.
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[3] === '0A' && Number.parseInt(f[1]!.split(':')[1]!, 16) === port)
        inodes.add(f[9]!);
    }
  }
  return read ? inodes : undefined;
}

/**
 * Whether process `pid` itself listens on TCP `port` (each `hub` verb runs its service in its own process): false
 * too once it has exited; undefined where /proc cannot tell (not Linux).
 */
export function listensOn(pid: number, port: number): boolean | undefined {
  const inodes = listeningInodes(port);
  if (!inodes) return undefined;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone
  }
  return fds.some((fd) => {
    try {
      const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      return socket !== undefined && inodes.has(socket);
    } catch {
      return false; // closed meanwhile
    }
  });
}

/** The port `url` reaches. */
function portOf(url: URL): number {
  return Number(url.port || (url.protocol === 'https:' ? 443 : 80));
}

/**
 * Wait until `url` answers 200 from `child` itself, or fail naming the log to read. A 200 from another process on
 * the port (the services of a second `hub start` of the same checkout, say) fails at once: the child cannot listen
 * there, and must not be taken for healthy while it has not yet tried.
 */
export async function waitHealthy(child: Child, url: string, timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const port = portOf(new URL(url));
  const exited = () => child.process.exitCode !== null || child.process.signalCode !== null;
  const failed = () =>
    new HubError(
      'CHILD_FAILED',
      `${child.name} exited (${child.process.signalCode ?? `code ${child.process.exitCode}`}); see ${child.logFile}`,
    );
  while (Date.now() < deadline) {
    if (exited()) throw failed();
    let ok = false;
    try {
      // A national node over TLS answers with a certificate of the hub CA: agencyFetch trusts it.
      ok = (await agencyFetch(url)).ok;
    } catch {
      // not listening yet
    }
    if (ok) {
      if (exited()) throw failed();
      const pid = child.process.pid;
      if (pid !== undefined && listensOn(pid, port) !== false) return;
      throw new HubError(
        'PORT_IN_USE',
        `${url} answers, but not from ${child.name}${pid === undefined ? '' : ` (pid ${pid})`}: another program listens on port ${port}, ` +
          `perhaps a 'hub start' already running. Stop it, or choose other ports (HUB_API_PORT, HUB_NODE_BASE_PORT).`,
      );
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new HubError(
    'CHILD_FAILED',
    `${child.name} did not become healthy at ${url} within ${timeoutMs / 1000} s; see ${child.logFile}`,
  );
}
