// Child services of `hub start`: each verb in its own process, its log in $HUB_HOME/logs, stopped in reverse order.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
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

/** Wait until `url` answers 200, or fail naming the log to read. */
export async function waitHealthy(child: Child, url: string, timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null) {
      throw new HubError(
        'CHILD_FAILED',
        `${child.name} exited (code ${child.process.exitCode}); see ${child.logFile}`,
      );
    }
    try {
      // A national node over TLS answers with a certificate of the hub CA: agencyFetch trusts it.
      const res = await agencyFetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new HubError(
    'CHILD_FAILED',
    `${child.name} did not become healthy at ${url} within ${timeoutMs / 1000} s; see ${child.logFile}`,
  );
}
