// Building FerretDB from Go's module cache, which Go keeps read-only (directories 0555, files 0444): the copy that is
// built must be writable, and removable afterwards and before a rebuild, by a user other than root, whose first
// `npm start` otherwise failed with EACCES, and every later one on the copy left behind. A stand-in `go` on PATH
// answers the download and the build; nothing is fetched.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import {
  copySource,
  ensureFerretBinary,
  ferretLayout,
  makeWritable,
  removeSourceCopy,
} from '../../scripts/src/stack/ferretdb';

const quiet = () => undefined;
/** The user the non-root checks run as when the tests run as root and setpriv is missing. */
const NOBODY = 65534;
const asRoot = process.getuid?.() === 0;
/**
 * How the checks of a user other than root run when the tests run as root (CI): root without the capabilities that
 * override file modes (setpriv), for whom the modes count as for any owner, and which still reads a clone in /root
 * (0700, which `nobody` cannot enter); `nobody` where setpriv is missing.
 */
const ownerOnly = asRoot && spawnSync('setpriv', ['--version']).status === 0;
const asNobody = asRoot && !ownerOnly;
/** Modes count for this process's checks as for an owner (not root, or root without its overrides). */
const modesCount = !asRoot || ownerOnly;

/** A module tree as Go's cache holds it: read-only directories and files, build/version/ among them. */
function readOnlyModule(dir: string): string {
  const module = join(dir, 'mod', 'ferretdb@v1.24.2');
  mkdirSync(join(module, 'build', 'version'), { recursive: true });
  mkdirSync(join(module, 'cmd', 'ferretdb'), { recursive: true });
  writeFileSync(join(module, 'go.mod'), 'module github.com/FerretDB/FerretDB\n');
  writeFileSync(join(module, 'build', 'version', 'version.go'), 'package version\n');
  writeFileSync(join(module, 'cmd', 'ferretdb', 'main.go'), 'package main\n');
  setModes(module, 0o555, 0o444);
  return module;
}

/** chmod every directory under `path` to `dirs` and every file to `files`, deepest first. */
function setModes(path: string, dirs: number, files: number): void {
  if (lstatSync(path).isDirectory()) {
    for (const entry of readdirSync(path)) setModes(join(path, entry), dirs, files);
    chmodSync(path, dirs);
  } else chmodSync(path, files);
}

/** Every path under `path` with its permission bits. */
function modes(path: string): [string, number][] {
  const mode = statSync(path).mode & 0o777;
  if (!statSync(path).isDirectory()) return [[path, mode]];
  return [[path, mode], ...readdirSync(path).flatMap((e) => modes(join(path, e)))];
}

describe('local stack: building FerretDB from the read-only module cache', function () {
  this.timeout(60000);
  let dir: string;
  let path: string | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-ferret-'));
    path = process.env.PATH;
  });
  afterEach(() => {
    process.env.PATH = path;
    // The module tree is read-only: as a user other than root, rm alone could not remove it.
    setModes(dir, 0o755, 0o644);
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * Run `lines` (with copySource and removeSourceCopy in scope) in a process for which file modes count as for any
   * user: as root, without the capabilities that override them (or as `nobody`, see ownerOnly); else as this user.
   */
  function asUser(lines: string[]) {
    if (asNobody) chownSync(dir, NOBODY, NOBODY);
    const script = [
      `import { copySource, removeSourceCopy } from ${JSON.stringify(join(repoRoot, 'scripts/src/stack/ferretdb.ts'))};`,
      ...lines,
    ].join('\n');
    const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
    const [command, ...args] = ownerOnly
      ? ['setpriv', '--bounding-set=-dac_override,-dac_read_search,-fowner', '--', ...node]
      : node;
    return spawnSync(command!, args, {
      cwd: repoRoot,
      encoding: 'utf8',
      ...(asNobody ? { uid: NOBODY, gid: NOBODY, env: { ...process.env, HOME: dir } } : {}),
    });
  }

  it('copies the module writable for its owner, writes version.txt, and removes the copy again', () => {
    const module = readOnlyModule(dir);
    const src = join(dir, 'ferretdb-src-v1.24.2');
    copySource(module, src, 'v1.24.2');
    expect(readFileSync(join(src, 'build', 'version', 'version.txt'), 'utf8')).to.equal('v1.24.2\n');
    const copied = modes(src);
    expect(copied.length).to.equal(9);
    for (const [p, mode] of copied) {
      const wanted = statSync(p).isDirectory() ? 0o700 : 0o600;
      expect(mode & wanted, `${p}: ${mode.toString(8)}`).to.equal(wanted);
    }
    // The cache itself is left as Go made it.
    for (const [p, mode] of modes(module)) expect(mode & 0o222, p).to.equal(0);
    removeSourceCopy(src);
    expect(existsSync(src)).to.equal(false);
  });

  it('removes a read-only copy an earlier run left behind', () => {
    const left = readOnlyModule(dir);
    makeWritable(join(left, 'build'));
    for (const [p, mode] of modes(join(left, 'build'))) expect(mode & 0o200, p).to.equal(0o200);
    expect(statSync(left).mode & 0o200).to.equal(0);
    removeSourceCopy(left);
    expect(existsSync(left)).to.equal(false);
    // Nothing there: nothing to do.
    removeSourceCopy(left);
  });

  it('copies and removes as a user other than root, where read-only modes refuse rm', () => {
    const module = readOnlyModule(dir);
    const work = join(dir, 'cache');
    mkdirSync(work);
    if (asNobody) chownSync(work, NOBODY, NOBODY);
    const src = JSON.stringify(join(work, 'ferretdb-src-v1.24.2'));
    const run = asUser([
      `copySource(${JSON.stringify(module)}, ${src}, 'v1.24.2');`,
      // What a failed build leaves behind: the copy, which the next run removes before copying again.
      `copySource(${JSON.stringify(module)}, ${src}, 'v1.24.2');`,
      // Left read-only, as the cache's modes were copied before 2026-12-07: removed all the same.
      `const fs = await import('node:fs');`,
      `const ro = (p) => { if (fs.statSync(p).isDirectory()) { for (const e of fs.readdirSync(p)) ro(p + '/' + e); fs.chmodSync(p, 0o555); } else fs.chmodSync(p, 0o444); };`,
      `ro(${src});`,
      `removeSourceCopy(${src});`,
    ]);
    expect(run.status, run.stderr).to.equal(0);
    expect(existsSync(join(work, 'ferretdb-src-v1.24.2'))).to.equal(false);
  });

  it('builds with a writable module cache and removes its copy after the build', async () => {
    const module = readOnlyModule(dir);
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const record = join(dir, 'build-record');
    // A stand-in `go`: the download names the read-only module; the build records GOFLAGS and the modes it sees.
    writeFileSync(
      join(bin, 'go'),
      [
        '#!/bin/sh',
        'case "$1" in version) echo "go version go1.22.0 linux/amd64 (stand-in)"; exit 0;; esac',
        `if [ "$1" = mod ]; then printf '{"Dir": "%s"}\\n' '${module}'; exit 0; fi`,
        `printf '%s\\n' "$GOFLAGS" "$(stat -c %a build/version)" > '${record}'`,
        'prev=; for a in "$@"; do [ "$prev" = -o ] && out="$a"; prev="$a"; done',
        'mkdir -p "$(dirname "$out")" && : > "$out"',
        '',
      ].join('\n'),
    );
    chmodSync(join(bin, 'go'), 0o755);
    process.env.PATH = `${bin}:${path}`;
    const cache = join(dir, 'cache');
    mkdirSync(cache);
    const layout = ferretLayout(cache, join(dir, 'home'), 'v1.24.2');
    await ensureFerretBinary(layout, 'github.com/FerretDB/FerretDB', 'v1.24.2', cache, quiet);
    const [goflags, versionMode] = readFileSync(record, 'utf8').trim().split('\n');
    expect(goflags!.split(' ')).to.include('-modcacherw');
    expect(goflags!.split(' ')).to.include('-mod=mod');
    expect(Number.parseInt(versionMode!, 8) & 0o700).to.equal(0o700);
    expect(existsSync(layout.binary)).to.equal(true);
    expect(existsSync(join(cache, 'ferretdb-src-v1.24.2'))).to.equal(false);
  });

  it('says what to do, as a provisioning error, when the copy cannot be removed', () => {
    // In a folder this user cannot write (root's, or read-only): no chmod of the copy lets it go.
    const locked = join(dir, 'locked');
    mkdirSync(join(locked, 'ferretdb-src-v1.24.2'), { recursive: true });
    if (modesCount) chmodSync(locked, 0o555);
    const src = JSON.stringify(join(locked, 'ferretdb-src-v1.24.2'));
    const run = asUser([
      `try { removeSourceCopy(${src}); } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }`,
    ]);
    expect(run.status, run.stderr).to.equal(0);
    const err = JSON.parse(run.stdout) as { code: string; message: string };
    expect(err.code).to.equal('STACK_PROVISION_FAILED');
    expect(err.message)
      .to.contain(`could not remove ${join(locked, 'ferretdb-src-v1.24.2')}`)
      .and.contain(`chmod -R u+w '${join(locked, 'ferretdb-src-v1.24.2')}'`)
      .and.contain('and run again');
  });
});
