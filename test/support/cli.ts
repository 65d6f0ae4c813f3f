// Running the `hub` CLI from a test, as a user would: a process of its own with the environment given.
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';

export const HUB_BIN = join(repoRoot, 'scripts', 'bin', 'hub.mjs');

export interface HubRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `hub <args>` without blocking this process (for when services under test run in it), killed after `timeoutMs`.
 * Both outputs are read, so a child that logs much never blocks on a full pipe.
 */
export function hubAsync(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120000): Promise<HubRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HUB_BIN, ...args], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** `hub <args>` to completion, blocking (nothing of the test runs in this process meanwhile). */
export function hubSync(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [HUB_BIN, ...args], { env, encoding: 'utf8', timeout: timeoutMs });
}
