// Unit tier: the error report of `hub import-annual`. Written when every row of the --only countries is unreadable (the
// operator learns which line, column and value failed, though nothing is sent); and its path checked only when a
// report will be written, so that a clean annex is not refused for a folder it would write nothing to.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hubSync } from '../support/cli';

const HEADER = 'region,country,iso3,drug_group,drug_name,year,kilograms';

describe('hub import-annual: its error report', function () {
  this.timeout(60000);
  let home: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-import-annual-report-'));
    env = {
      ...process.env,
      HUB_HOME: home,
      HUB_KAFKA_BROKERS: '127.0.0.1:1',
      HUB_MONGO_URL: 'mongodb://127.0.0.1:1/x',
    };
    delete env.HUB_LOG_LEVEL;
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it('writes the unreadable rows when every row of the --only countries is unreadable, then exits 1', () => {
    const annex = join(home, 'annex.csv');
    writeFileSync(
      annex,
      `${HEADER}\nAsia,Kazakhstan,KAZ,Opioids,Heroin,2021,ten\nAsia,Kyrgyzstan,KGZ,Opioids,Heroin,2021,5\n`,
    );
    const run = hubSync(['import-annual', annex, '--only', 'KZ'], env);
    expect(run.status, run.stderr).to.equal(1);
    expect(run.stderr).to.include('nothing to send');
    expect(run.stderr).to.include(`see ${annex}.errors.csv`);
    const report = readFileSync(`${annex}.errors.csv`, 'utf8').split('\n');
    expect(report[0]).to.equal('line,column,value,message');
    expect(report[1], 'line 2, its kilograms, the value read').to.match(/^2,kilograms,ten,/);
    // Nothing was sent: it stopped before the hub CA and the brokers.
    expect(run.stderr).not.to.match(/no hub CA|unreachable/);
  });

  it('gives the report on stderr when it cannot be written, rather than losing it', () => {
    const annex = join(home, 'annex.csv');
    writeFileSync(annex, `${HEADER}\nAsia,Kazakhstan,KAZ,Opioids,Heroin,2021,ten\n`);
    const errors = join(home, 'no-such-folder', 'e.csv');
    const run = hubSync(['import-annual', annex, '--only', 'KZ', '--errors', errors], env);
    expect(run.status, run.stderr).to.equal(1);
    expect(run.stderr).to.include(`cannot write the error report to ${errors} (ENOENT); here it is:`);
    expect(run.stderr).to.match(/\n2,kilograms,ten,/);
  });

  it('does not refuse a clean annex for an error report it cannot write: it has none to write', () => {
    const annex = join(home, 'annex.csv');
    writeFileSync(annex, `${HEADER}\nAsia,Kazakhstan,KAZ,Opioids,Heroin,2021,10\n`);
    const errors = join(home, 'no-such-folder', 'e.csv');
    const run = hubSync(['import-annual', annex, '--errors', errors], env);
    // Past the report's check: to the hub CA, which is not made here (exit 1), not a usage error about --errors.
    expect(run.stderr).not.to.include('cannot write it');
    expect(run.stderr).to.include('no hub CA');
    expect(run.status, run.stderr).to.equal(1);
    expect(existsSync(errors)).to.equal(false);
  });
});
