// Starting a server of the local stack: a program that cannot be run (missing, not executable) is a HubError naming
// it, where the spawn's 'error' event, without a listener, had ended the CLI with "Unhandled 'error' event"; and a
// FerretDB that exits at start names the cache entry its binary came from. Stand-ins: files made here.
import { expect } from 'chai';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ferretLayout, startFerret } from '../../scripts/src/stack/ferretdb';
import { startDetached, waitStarted } from '../../scripts/src/stack/proc';
import { hubErrorOf } from '../support/env';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The HubError `start` throws, after a pause in which an unhandled 'error' event would fail this test. */
async function startError(start: () => number): Promise<{ code: string; message: string }> {
  return hubErrorOf(
    (async () => {
      try {
        start();
      } finally {
        await sleep(300);
      }
    })(),
  );
}

describe('local stack: starting a server', function () {
  this.timeout(20000);
  let dir: string;
  let logFile: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-detached-'));
    logFile = join(dir, 'server.log');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('names a binary that does not exist', async () => {
    const binary = join(dir, 'ferretdb-v1.24.2', 'ferretdb');
    const err = await startError(() => startDetached(binary, ['--version'], logFile));
    expect(err.code).to.equal('STACK_START_FAILED');
    expect(err.message).to.equal(`could not start ${binary}: ${binary} does not exist.`);
  });

  it('names a program that is not on PATH', async () => {
    const err = await startError(() => startDetached('hub-no-such-program', [], logFile));
    expect(err.message).to.contain('could not start hub-no-such-program: hub-no-such-program is not on PATH');
  });

  it('names a binary that is not executable', async () => {
    const binary = join(dir, 'ferretdb');
    writeFileSync(binary, '#!/bin/sh\nexit 0\n');
    chmodSync(binary, 0o644);
    const err = await startError(() => startDetached(binary, [], logFile));
    expect(err.message).to.equal(`could not start ${binary}: ${binary} is not executable by this user.`);
  });

  it("names FerretDB's cache entry when a half-written binary exits at start", async () => {
    const layout = ferretLayout(join(dir, 'cache'), join(dir, 'home'), 'v1.24.2');
    mkdirSync(dirname(layout.binary), { recursive: true });
    // What a copy killed half-way leaves: the start of an ELF file, which the system hands to sh.
    writeFileSync(layout.binary, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]));
    chmodSync(layout.binary, 0o755);
    const pid = startFerret(layout, 1);
    const err = await hubErrorOf(
      waitStarted('FerretDB', pid, () => Promise.resolve(false), 10000, layout.logFile),
    );
    expect(err.code).to.equal('STACK_START_FAILED');
    expect(err.message).to.contain(`FerretDB exited at start; see ${layout.logFile}`);
    expect(err.message).to.contain(`It ran ${layout.binary}`);
    expect(err.message).to.contain(`remove ${join(dir, 'cache', 'ferretdb-v1.24.2')} and start again`);
  });
});
