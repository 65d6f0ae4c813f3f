// Waiting for a server `stack up` has just started: one that exits at start (its port taken, its data unreadable)
// fails at once, naming its log, rather than after the whole 60 or 90 s wait. Stand-ins for the servers: short
// processes started as the stack starts its own.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, startDetached, stopPid, waitStarted } from '../../scripts/src/stack/proc';
import { hubErrorOf } from '../support/env';

describe('local stack: waiting for a server to start', function () {
  this.timeout(40000);
  let dir: string;
  let logFile: string;
  const pids: number[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-start-'));
    logFile = join(dir, 'kafka.log');
  });
  afterEach(async () => {
    for (const pid of pids.splice(0)) await stopPid(pid, 2000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails at once, naming the log, when the server exits at start', async () => {
    const pid = startDetached('sh', ['-c', 'echo "port 39092 in use" >&2; exit 1'], logFile);
    // Given ten minutes to answer, far beyond this test's time-out: only a wait that ends on the exit can pass. (How
    // long it waits has no seam to count by: the wait polls on real timers. Speed belongs in the benchmarks.)
    const err = await hubErrorOf(
      waitStarted('Kafka', pid, () => Promise.resolve(false), 10 * 60_000, logFile),
    );
    expect(err.code).to.equal('STACK_START_FAILED');
    expect(err.message).to.equal(`Kafka exited at start; see ${logFile}`);
  });

  it('waits for a server that runs until it answers', async () => {
    const pid = startDetached(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], logFile);
    pids.push(pid);
    let probes = 0;
    await waitStarted('FerretDB', pid, () => Promise.resolve(++probes >= 3), 30000, logFile);
    expect(probes).to.equal(3);
    expect(isAlive(pid)).to.equal(true);
  });

  it('gives up after the wait, naming the log, on a server that runs but never answers', async () => {
    const pid = startDetached(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], logFile);
    pids.push(pid);
    const err = await hubErrorOf(waitStarted('mongod', pid, () => Promise.resolve(false), 1000, logFile));
    expect(err.message).to.equal(`mongod did not become ready within 1 s. See ${logFile}.`);
  });
});
