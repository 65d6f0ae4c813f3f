// The local MongoDB-wire store: FerretDB built from the Go module proxy into the user cache, SQLite under HUB_HOME.
import { cpSync, chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HubError } from '@hub/errors';
import { requireTool } from './prereqs';
import { run, startDetached } from './proc';

export interface FerretLayout {
  binary: string;
  dataDir: string;
  logFile: string;
}

export function ferretLayout(cacheDir: string, hubHome: string, version: string): FerretLayout {
  return {
    binary: join(cacheDir, `ferretdb-${version}`, 'ferretdb'),
    dataDir: join(hubHome, 'stack', 'ferretdb'),
    logFile: join(hubHome, 'logs', 'ferretdb.log'),
  };
}

/**
 * Build FerretDB once. `go install module@version` is refused by the proxy here (it asks for the module's
 * version list), and the module zip lacks build/version/version.txt, so we download the exact version,
 * copy it, write version.txt and build.
 */
export async function ensureFerretBinary(
  layout: FerretLayout,
  module: string,
  version: string,
  cacheDir: string,
  say: (s: string) => void,
): Promise<void> {
  if (existsSync(layout.binary)) return;
  requireTool('go', 'to build FerretDB, the local MongoDB-wire store');
  say(
    `FerretDB ${version}: building from the Go module proxy into ${layout.binary} (first run only, 1-3 minutes)`,
  );
  const env = {
    ...process.env,
    GOPATH: join(cacheDir, 'go'),
    GOMODCACHE: join(cacheDir, 'go', 'mod'),
    GOFLAGS: '-mod=mod',
  };
  const dl = await run('go', ['mod', 'download', '-json', `${module}@${version}`], { env, cwd: cacheDir });
  const dir = /"Dir":\s*"([^"]+)"/.exec(dl.stdout)?.[1];
  if (dl.code !== 0 || !dir) {
    throw new HubError(
      'STACK_PROVISION_FAILED',
      `go could not download ${module}@${version}:\n${(dl.stdout + dl.stderr).slice(-2000)}`,
    );
  }
  const src = join(cacheDir, `ferretdb-src-${version}`);
  rmSync(src, { recursive: true, force: true });
  cpSync(dir, src, { recursive: true });
  chmodSync(join(src, 'build', 'version'), 0o755);
  writeFileSync(join(src, 'build', 'version', 'version.txt'), `${version}\n`);
  const b = await run('go', ['build', '-trimpath', '-o', layout.binary, './cmd/ferretdb'], { env, cwd: src });
  if (b.code !== 0) {
    throw new HubError(
      'STACK_PROVISION_FAILED',
      `building FerretDB failed:\n${(b.stdout + b.stderr).slice(-2000)}`,
    );
  }
  rmSync(src, { recursive: true, force: true });
}

export function startFerret(layout: FerretLayout, port: number): number {
  mkdirSync(layout.dataDir, { recursive: true });
  mkdirSync(join(layout.logFile, '..'), { recursive: true });
  return startDetached(
    layout.binary,
    [
      '--handler=sqlite',
      `--sqlite-url=file:${layout.dataDir}/`,
      `--listen-addr=127.0.0.1:${port}`,
      '--telemetry=disable',
      '--log-level=warn',
      '--debug-addr=-',
      '--state-dir=' + layout.dataDir,
    ],
    layout.logFile,
  );
}

export function startMongod(dataDir: string, logFile: string, port: number): number {
  mkdirSync(dataDir, { recursive: true });
  return startDetached(
    'mongod',
    ['--dbpath', dataDir, '--port', String(port), '--bind_ip', '127.0.0.1'],
    logFile,
  );
}
