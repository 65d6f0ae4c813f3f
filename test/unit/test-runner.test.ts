// `hub test` itself: a suite whose process is hung (its event loop starved, so mocha's timeouts never fire) is
// stopped, with its whole process tree, once it has been silent longer than the limit, and the run fails.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hubAsync } from '../support/cli';

describe('hub test: a hung suite', function () {
  this.timeout(90000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-hung-'));
    // Never yields: mocha's own timeout cannot fire in this process.
    writeFileSync(
      join(dir, 'hung.test.ts'),
      "describe('a starved suite', () => { it('never yields to the event loop', () => { for (;;) {} }); });\n",
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is stopped after the silence limit, with its whole process tree, and fails with a message', async () => {
    const started = Date.now();
    const run = await hubAsync(
      ['test', '--unit', '--', '--grep', 'never yields to the event loop', join(dir, 'hung.test.ts')],
      { ...process.env, HUB_TEST_SILENCE_LIMIT_S: '4' },
      80000,
    );
    expect(run.status, run.stdout + run.stderr).to.equal(1);
    expect(run.stderr).to.contain('no output from the suite for 4 s: it is hung');
    expect(run.stderr).to.contain('exit code 1');
    // Stopped by the watchdog, not by hubAsync's own kill after 80 s.
    expect(Date.now() - started).to.be.below(60000);
  });

  it('refuses a silence limit that is not a whole number of seconds, before running anything', async () => {
    // Read as NaN, it had the watchdog stop a healthy suite after a second.
    const run = await hubAsync(
      ['test', '--unit', '--', '--grep', 'never yields to the event loop', join(dir, 'hung.test.ts')],
      { ...process.env, HUB_TEST_SILENCE_LIMIT_S: 'abc' },
      80000,
    );
    expect(run.status, run.stdout + run.stderr).to.equal(2);
    expect(run.stderr).to.contain(
      'HUB_TEST_SILENCE_LIMIT_S must be a whole number of seconds from 1 up, got "abc"',
    );
    expect(run.stdout + run.stderr).not.to.contain('exit code');
  });
});
