// The local MongoDB-wire store: FerretDB built from the Go module proxy into the user cache, SQLite under HUB_HOME.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { HubError } from '@hub/errors';
import { requireTool } from './prereqs';
import { run, startDetached } from './proc';

export interface FerretLayout {
  binary: string;
  /** Written once the binary is whole: a build killed half-way leaves none, and the next run builds again. */
  complete: string;
  dataDir: string;
  logFile: string;
}

export function ferretLayout(cacheDir: string, hubHome: string, version: string): FerretLayout {
  const entry = join(cacheDir, `ferretdb-${version}`);
  return {
    binary: join(entry, 'ferretdb'),
    complete: join(entry, '.complete'),
    dataDir: join(hubHome, 'stack', 'ferretdb'),
    logFile: join(hubHome, 'logs', 'ferretdb.log'),
  };
}

/**
 * Whether `binary` runs and says it is FerretDB `version` ("version: v1.24.2" among the lines of --version): how a
 * binary cached before the `.complete` marker existed is told whole from one a killed build left half-copied.
 */
export function answersVersion(binary: string, version: string): boolean {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 10000 });
  return !r.error && r.status === 0 && r.stdout.split('\n').some((l) => l.trim() === `version: ${version}`);
}

/** What went wrong with a file operation, short: its errno code where it has one. */
const reason = (err: unknown) => (err as NodeJS.ErrnoException).code ?? (err as Error).message;

/**
 * Give this user write access to everything under `path` (symbolic links left alone: chmod would follow them). Go
 * keeps its module cache read-only (directories 0555, files 0444) and a copy keeps those modes, which would stop a
 * user other than root from writing version.txt and from removing the copy afterwards.
 */
export function makeWritable(path: string): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  chmodSync(path, st.mode | (st.isDirectory() ? 0o700 : 0o600));
  if (st.isDirectory()) for (const entry of readdirSync(path)) makeWritable(join(path, entry));
}

/** Remove FerretDB's build copy `src`, whatever modes it was left with (by an earlier version, or a failed build). */
export function removeSourceCopy(src: string): void {
  if (!existsSync(src)) return;
  try {
    makeWritable(src);
    rmSync(src, { recursive: true, force: true });
  } catch (err) {
    throw new HubError(
      'STACK_PROVISION_FAILED',
      `could not remove ${src}, the copy of FerretDB's source an earlier build left (${reason(err)}). ` +
        `Remove it yourself (chmod -R u+w '${src}' && rm -rf '${src}') and run again.`,
      { cause: err },
    );
  }
}

/** Copy the module's source from Go's read-only cache to `src`, writable, with the version.txt the zip lacks. */
export function copySource(moduleDir: string, src: string, version: string): void {
  removeSourceCopy(src);
  try {
    cpSync(moduleDir, src, { recursive: true });
    makeWritable(src);
    writeFileSync(join(src, 'build', 'version', 'version.txt'), `${version}\n`);
  } catch (err) {
    throw new HubError(
      'STACK_PROVISION_FAILED',
      `could not copy FerretDB's source from ${moduleDir} to ${src} (${reason(err)}). ` +
        `Check that this user can write there (HUB_CACHE_DIR chooses another cache), and run again.`,
      { cause: err },
    );
  }
}

/** Whether the cache holds a whole build: its marker, written after the binary was renamed into place, and the binary. */
export function ferretBuilt(layout: FerretLayout): boolean {
  return existsSync(layout.complete) && existsSync(layout.binary);
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
  if (ferretBuilt(layout)) return;
  // Cached by an earlier version of this code, which wrote no marker: kept if whole, else built again.
  const cached = existsSync(layout.binary);
  if (cached && answersVersion(layout.binary, version)) {
    writeFileSync(layout.complete, new Date().toISOString());
    return;
  }
  requireTool('go', 'to build FerretDB, the local MongoDB-wire store');
  say(
    cached
      ? `FerretDB ${version}: ${layout.binary} does not run (left half-written by an interrupted build?); building it again (1-3 minutes)`
      : `FerretDB ${version}: building from the Go module proxy into ${layout.binary} (first run only, 1-3 minutes)`,
  );
  const env = {
    ...process.env,
    GOPATH: join(cacheDir, 'go'),
    GOMODCACHE: join(cacheDir, 'go', 'mod'),
    // -modcacherw: the modules downloaded stay writable, so that the user can delete the cache with rm -rf; go
    // reuses them all the same (it checks them against their recorded hashes, not their modes).
    GOFLAGS: '-mod=mod -modcacherw',
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
  copySource(dir, src, version);
  // Built beside the binary and renamed into place, with the marker last: go copies its output in place where its
  // temporary folder and the cache are on different filesystems, and a kill mid-copy left a truncated binary that
  // every later run then started ("ferretdb: 1: ELF: not found").
  // Of this process: a build another process made after taking a lock it deemed stale is not removed under it.
  const partial = `${layout.binary}.${process.pid}.partial`;
  mkdirSync(dirname(partial), { recursive: true });
  rmSync(partial, { force: true });
  const b = await run('go', ['build', '-trimpath', '-o', partial, './cmd/ferretdb'], { env, cwd: src });
  if (b.code !== 0) {
    rmSync(partial, { force: true });
    throw new HubError(
      'STACK_PROVISION_FAILED',
      `building FerretDB failed:\n${(b.stdout + b.stderr).slice(-2000)}`,
    );
  }
  renameSync(partial, layout.binary);
  writeFileSync(layout.complete, new Date().toISOString());
  removeSourceCopy(src);
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
    undefined,
    `It ran ${layout.binary}: if that log says it cannot run (not found, exec format error), the build in the ` +
      `cache is broken; remove ${dirname(layout.binary)} and start again to build it anew.`,
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
