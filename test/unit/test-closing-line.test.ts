// `hub test` (npm test) ends with the reporter's line "N passed, N failed", as the README says and CI reads: its own
// line on where the time went goes to standard error, before it, even where both outputs end up in one log.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closingLineLast } from '../../scripts/src/cli/commands/test';
import { HUB_BIN, hubAsync } from '../support/cli';

/** What closingLineLast passes on for `chunks`, then what it holds back for the end. */
function relay(chunks: string[]): { written: string; closing: string | undefined } {
  let written = '';
  const out = closingLineLast((text) => (written += text));
  for (const c of chunks) out.push(c);
  const closing = out.end();
  return { written, closing };
}

describe('hub test: the closing line', function () {
  this.timeout(90000);

  it('passes the suite output on and holds back the reporter closing line, even split across chunks', () => {
    const r = relay(['  ✔ stores a report\n\n  1 pass', 'ing (2s)\n\n1 pas', 'sed, 0 failed\n']);
    expect(r.written).to.equal('  ✔ stores a report\n\n  1 passing (2s)\n\n');
    expect(r.closing).to.equal('1 passed, 0 failed');
  });

  it('keeps the closing line last after what the reporter writes later, and takes only the last as the closing one', () => {
    const r = relay([
      '3 passed, 0 failed\n',
      'a test printed the line above\n',
      '\n7 passed, 1 failed, 2 skipped\n',
      '\n[test] the suite ended 15 s ago but the process is still held by: Timeout\n',
    ]);
    expect(r.closing).to.equal('7 passed, 1 failed, 2 skipped');
    expect(r.written).to.equal(
      'a test printed the line above\n\n3 passed, 0 failed\n\n[test] the suite ended 15 s ago but the process is still held by: Timeout\n',
    );
  });

  it('passes a line that cannot be the closing one on before its end, and the rest at the end', () => {
    let written = '';
    const out = closingLineLast((text) => (written += text));
    out.push('  waiting for the broker');
    expect(written).to.equal('  waiting for the broker');
    out.push(' ...\n12');
    expect(written).to.equal('  waiting for the broker ...\n');
    expect(out.end()).to.equal(undefined);
    expect(written).to.equal('  waiting for the broker ...\n12');
  });

  describe('from the command line', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'hub-closing-'));
      writeFileSync(
        join(dir, 'closing.test.ts'),
        "describe('a small suite', () => { it('passes for the closing line', () => undefined); });\n",
      );
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const args = () => [
      'test',
      '--unit',
      '--',
      '--grep',
      'passes for the closing line',
      join(dir, 'closing.test.ts'),
    ];

    it('ends its standard output with "1 passed, 0 failed" and says where the time went on standard error', async () => {
      const run = await hubAsync(args(), process.env, 80000);
      expect(run.status, run.stdout + run.stderr).to.equal(0);
      expect(run.stdout.trimEnd().split('\n').pop()).to.equal('1 passed, 0 failed');
      expect(run.stdout).not.to.contain('exit code');
      expect(run.stderr).to.match(/^\[test\] finished in \d+ s: .*; exit code 0$/m);
    });

    it('ends with that line where both outputs go to one log, as in CI', async () => {
      const log = join(dir, 'both.log');
      const fd = openSync(log, 'w');
      const status = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [HUB_BIN, ...args()], { stdio: ['ignore', fd, fd] });
        child.on('error', reject);
        child.on('close', resolve);
      });
      closeSync(fd);
      const text = readFileSync(log, 'utf8');
      expect(status, text).to.equal(0);
      const lines = text.trimEnd().split('\n');
      expect(lines.pop()).to.equal('1 passed, 0 failed');
      expect(lines.pop()).to.match(/^\[test\] finished in .*; exit code 0$/);
    });
  });
});
