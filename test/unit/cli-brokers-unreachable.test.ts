// Unit tier: the CLI verbs that read or write the topics themselves (`hub replay`, `hub import-annual`), and those that
// log through the hub's code (`hub ask`), against brokers that are not there: one line on stderr naming them, nothing
// on stdout, no stack trace; and an HUB_LOG_LEVEL the configuration takes (empty, padded) taken by them too.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hubSync } from '../support/cli';

describe('CLI verbs against brokers out of reach', function () {
  this.timeout(60000);
  let home: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-cli-brokers-'));
    env = {
      ...process.env,
      HUB_HOME: home,
      HUB_KAFKA_BROKERS: '127.0.0.1:1',
      HUB_MONGO_URL: 'mongodb://127.0.0.1:1/x',
    };
    delete env.HUB_LOG_LEVEL;
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const unreachable = (verb: string) =>
    `hub: hub ${verb} did nothing: brokers 127.0.0.1:1 unreachable; start them ('hub stack up') or point HUB_KAFKA_BROKERS at running ones, then run it again\n`;

  it('`hub replay` says the brokers cannot be reached in one line on stderr (exit 1)', () => {
    for (const level of [undefined, '', ' WARN ']) {
      const run = hubSync(['replay'], level === undefined ? env : { ...env, HUB_LOG_LEVEL: level });
      expect(run.status, `HUB_LOG_LEVEL=${level}: ${run.stderr}`).to.equal(1);
      expect(run.stdout, `HUB_LOG_LEVEL=${level}`).to.equal('');
      expect(run.stderr, `HUB_LOG_LEVEL=${level}`).to.equal(unreachable('replay'));
    }
  });

  it('`hub import-annual` says so once, after its reading of the file, before it sends anything (exit 1)', () => {
    const annex = join(home, 'annex.csv');
    writeFileSync(
      annex,
      'region,country,iso3,drug_group,drug_name,year,kilograms\nAsia,Kazakhstan,KAZ,Opioids,Heroin,2021,10\n',
    );
    expect(hubSync(['pki', 'init', '--bits', '2048'], env).status).to.equal(0);
    for (const level of [undefined, '']) {
      const run = hubSync(
        ['import-annual', annex],
        level === undefined ? env : { ...env, HUB_LOG_LEVEL: level },
      );
      expect(run.status, `HUB_LOG_LEVEL=${level}: ${run.stderr}`).to.equal(1);
      expect(run.stdout).to.equal('');
      const lines = run.stderr.split('\n').filter(Boolean);
      expect(
        lines.filter((l) => l.includes('127.0.0.1:1')),
        run.stderr,
      ).to.deep.equal([unreachable('import-annual').trimEnd()]);
      expect(run.stderr).not.to.match(/unexpected error|\n\s+at /);
    }
  });

  it('`hub ask` takes an empty or padded HUB_LOG_LEVEL as the configuration does, not as a crash', () => {
    for (const level of ['', ' debug ']) {
      const run = hubSync(
        ['ask', 'KZ', '--purpose', 'p', '--question', 'q', '--tlp', 'GREEN', '--wait', '0'],
        {
          ...env,
          HUB_LOG_LEVEL: level,
        },
      );
      expect(run.status, run.stderr).to.equal(1);
      expect(run.stderr).to.include('the coordination node has no key and certificate');
      expect(run.stderr).not.to.include('unexpected error');
    }
  });
});
