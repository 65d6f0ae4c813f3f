// The FerretDB binary in the cache is used only once whole: a build killed half-way (go copies its output in place
// where its temporary folder is on another filesystem) once left a truncated binary that every later run started,
// "ferretdb: 1: ELF: not found". A stand-in `go` on PATH answers the download and builds stand-in binaries (shell
// scripts that answer --version as FerretDB does); nothing is fetched.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { repoRoot } from '@hub/config';
import { ensureFerretBinary, ferretLayout, type FerretLayout } from '../../scripts/src/stack/ferretdb';
import { hubErrorOf } from '../support/env';

const VERSION = 'v1.24.2';
const MODULE = 'github.com/FerretDB/FerretDB';
const quiet = () => undefined;

/** A stand-in FerretDB binary: answers --version as the real one does, and records each run in `runs`. */
const binaryScript = (runs: string) =>
  `#!/bin/sh\necho run >> '${runs}'\n[ "$1" = --version ] && printf 'version: ${VERSION}\\ncommit: unknown\\n'\nexit 0\n`;

/** What a copy killed half-way leaves: the start of an ELF file, which the system hands to sh, which fails. */
const TRUNCATED = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]);

describe('local stack: the FerretDB binary in the cache', function () {
  this.timeout(30000);
  let dir: string;
  let cache: string;
  let layout: FerretLayout;
  let builds: string;
  let runs: string;
  let path: string | undefined;

  /**
   * A stand-in `go` on PATH: the download names a module folder; the build records itself in `builds` and writes a
   * whole stand-in binary to its -o path; or, `killed`, half of one before it kills its parent, as when the hub is
   * killed mid-copy; or, `failed`, fails.
   */
  function standInGo(build: 'whole' | 'killed' | 'failed'): void {
    const module = join(dir, 'mod', `ferretdb@${VERSION}`);
    mkdirSync(join(module, 'build', 'version'), { recursive: true });
    const whole = join(dir, 'whole-binary');
    writeFileSync(whole, binaryScript(runs));
    writeFileSync(
      join(dir, 'bin', 'go'),
      [
        '#!/bin/sh',
        'case "$1" in version) echo "go version go1.22.0 linux/amd64 (stand-in)"; exit 0;; esac',
        `if [ "$1" = mod ]; then printf '{"Dir": "%s"}\\n' '${module}'; exit 0; fi`,
        `echo build >> '${builds}'`,
        'prev=; for a in "$@"; do [ "$prev" = -o ] && out="$a"; prev="$a"; done',
        {
          whole: `cp '${whole}' "$out" && chmod 755 "$out"`,
          // Half the binary written, then the hub (go's parent) killed.
          killed: `head -c 8 '${whole}' > "$out"; chmod 755 "$out"; kill -9 $PPID; exit 1`,
          failed: 'echo "cmd/ferretdb: build failed" >&2; exit 1',
        }[build],
        '',
      ].join('\n'),
    );
    chmodSync(join(dir, 'bin', 'go'), 0o755);
  }

  /** A file at the binary's place, as an earlier version of this code left it: no `.complete` marker. */
  function cachedBinary(content: string | Buffer): void {
    mkdirSync(dirname(layout.binary), { recursive: true });
    writeFileSync(layout.binary, content);
    chmodSync(layout.binary, 0o755);
  }

  const count = (file: string) =>
    existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').length : 0;
  const version = () => spawnSync(layout.binary, ['--version'], { encoding: 'utf8' });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-ferret-cache-'));
    mkdirSync(join(dir, 'bin'));
    cache = join(dir, 'cache');
    mkdirSync(cache);
    layout = ferretLayout(cache, join(dir, 'home'), VERSION);
    builds = join(dir, 'builds');
    runs = join(dir, 'runs');
    path = process.env.PATH;
    process.env.PATH = `${join(dir, 'bin')}:${path}`;
  });
  afterEach(() => {
    process.env.PATH = path;
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds again over a half-written binary that an interrupted build left', async () => {
    standInGo('whole');
    cachedBinary(TRUNCATED);
    await ensureFerretBinary(layout, MODULE, VERSION, cache, quiet);
    expect(count(builds)).to.equal(1);
    expect(version().stdout).to.contain(`version: ${VERSION}`);
    expect(existsSync(layout.complete)).to.equal(true);
  });

  it('leaves no binary in its place when the hub is killed mid-build, so that the next run builds it', async () => {
    standInGo('killed');
    // The hub, in a process of its own, killed while go writes the binary.
    const script = [
      `import { ensureFerretBinary, ferretLayout } from ${JSON.stringify(join(repoRoot, 'scripts/src/stack/ferretdb.ts'))};`,
      `const layout = ferretLayout(${JSON.stringify(cache)}, ${JSON.stringify(join(dir, 'home'))}, '${VERSION}');`,
      `await ensureFerretBinary(layout, '${MODULE}', '${VERSION}', ${JSON.stringify(cache)}, () => {});`,
    ].join('\n');
    const killed = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot,
      encoding: 'utf8',
    });
    expect(killed.signal, killed.stderr).to.equal('SIGKILL');
    expect(count(builds)).to.equal(1);
    standInGo('whole');
    await ensureFerretBinary(layout, MODULE, VERSION, cache, quiet);
    expect(count(builds)).to.equal(2);
    expect(version().status).to.equal(0);
    expect(version().stdout).to.contain(`version: ${VERSION}`);
    expect(existsSync(layout.complete)).to.equal(true);
  });

  it('marks nothing complete when the build fails', async () => {
    standInGo('failed');
    const err = await hubErrorOf(ensureFerretBinary(layout, MODULE, VERSION, cache, quiet));
    expect(err.code).to.equal('STACK_PROVISION_FAILED');
    expect(existsSync(layout.complete)).to.equal(false);
  });

  it('keeps, and marks complete, a whole binary that an earlier version cached without the marker', async () => {
    standInGo('whole');
    cachedBinary(binaryScript(runs));
    await ensureFerretBinary(layout, MODULE, VERSION, cache, quiet);
    expect(count(builds)).to.equal(0);
    expect(count(runs)).to.equal(1); // its --version
    expect(existsSync(layout.complete)).to.equal(true);
  });

  it('builds again over a cached binary of another version', async () => {
    standInGo('whole');
    cachedBinary(binaryScript(runs).replace(VERSION, 'v1.23.0'));
    await ensureFerretBinary(layout, MODULE, VERSION, cache, quiet);
    expect(count(builds)).to.equal(1);
    expect(version().stdout).to.contain(`version: ${VERSION}`);
  });

  it('takes a binary marked complete as it is, without running or building it', async () => {
    standInGo('whole');
    cachedBinary(binaryScript(runs));
    writeFileSync(layout.complete, new Date().toISOString());
    await ensureFerretBinary(layout, MODULE, VERSION, cache, quiet);
    expect(count(builds)).to.equal(0);
    expect(count(runs)).to.equal(0);
  });

  it('builds again where the marker stands without its binary (removed by hand, or a cache half cleaned)', async () => {
    standInGo('whole');
    mkdirSync(dirname(layout.complete), { recursive: true });
    writeFileSync(layout.complete, new Date().toISOString());
    await ensureFerretBinary(layout, MODULE, VERSION, cache, quiet);
    expect(count(builds)).to.equal(1);
    expect(version().stdout).to.contain(`version: ${VERSION}`);
  });
});
