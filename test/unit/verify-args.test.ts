// Unit tier: `hub verify`'s arguments, refused before it reaches for the store (no servers: the store's address
// given is one nothing listens on, and the refusal comes first).
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hubSync } from '../support/cli';

describe('hub verify arguments', function () {
  this.timeout(60000);
  let home: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-verify-'));
    env = { ...process.env, HUB_HOME: home, HUB_MONGO_URL: 'mongodb://127.0.0.1:1/none' };
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('refuses a second report id rather than checking the first alone (exit 2)', () => {
    const run = hubSync(['verify', 'report-a', 'report-b'], env);
    expect(run.status, run.stderr).to.equal(2);
    expect(run.stderr).to.include('hub verify takes one report id');
    expect(run.stderr).to.include('"report-b"');
    expect(run.stderr).not.to.include('unexpected error');
  });

  it('refuses a --version that is not a whole number from 1, naming the value (exit 2)', () => {
    for (const version of ['abc', '0', '1.5', '-2']) {
      const run = hubSync(['verify', 'report-a', `--version=${version}`], env);
      expect(run.status, `${version}: ${run.stderr}`).to.equal(2);
      expect(run.stderr).to.include(`--version "${version}": a version is a whole number from 1`);
    }
  });
});
