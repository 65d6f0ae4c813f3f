// Unit tier: what the CLI refuses of what a person types, before it sends or starts anything, and how it says so:
// the argument, the value and the rule, on stderr, exit 2 (no servers: the brokers and the store are closed ports).
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError } from '@hub/errors';
import { countryArgument } from '../../scripts/src/cli/country';
import { onlyCountries } from '../../scripts/src/cli/commands/import-annual';
import { quarantineOptions } from '../../scripts/src/cli/commands/quarantine';
import { listeningOn, nodePort } from '../../scripts/src/cli/commands/services';
import { hubSync } from '../support/cli';

/** The HubError `f` throws (failing the test when it throws none). */
function thrown(f: () => unknown): HubError {
  try {
    f();
  } catch (err) {
    expect(err).to.be.instanceOf(HubError);
    return err as HubError;
  }
  throw new Error('nothing was refused');
}

describe('CLI refusals of what a person types', function () {
  this.timeout(60000);
  let home: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-cli-refusals-'));
    env = {
      ...process.env,
      HUB_HOME: home,
      HUB_KAFKA_BROKERS: '127.0.0.1:1',
      HUB_MONGO_URL: 'mongodb://127.0.0.1:1/x',
    };
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  /** A WDR annex file holding one row, of Kazakhstan. */
  const kazakhAnnex = () => {
    const file = join(home, 'annex.csv');
    writeFileSync(
      file,
      'region,country,iso3,drug_group,drug_name,year,kilograms\nAsia,Kazakhstan,KAZ,Opioids,Heroin,2021,10\n',
    );
    return file;
  };

  describe('input files', () => {
    it('refuses an input that cannot be read (a folder), naming it and why, having sent nothing (exit 2)', () => {
      for (const args of [
        ['import', home, '--node', 'KZ', '--url', 'http://127.0.0.1:1'],
        ['import-annual', home],
      ]) {
        const run = hubSync(args, env);
        expect(run.status, run.stderr).to.equal(2);
        expect(run.stderr).to.include(`hub: ${home}: cannot read it (EISDIR); nothing was sent`);
        expect(run.stderr).not.to.include('unexpected error');
      }
    });

    it('refuses a second file given to `hub import-annual`, which imported the first alone (exit 2)', () => {
      const run = hubSync(['import-annual', kazakhAnnex(), 'other.csv'], env);
      expect(run.status, run.stderr).to.equal(2);
      expect(run.stderr).to.include('hub import-annual takes one CSV file and options only, got "other.csv"');
      expect(run.stderr).to.include('usage: hub import-annual');
    });
  });

  describe('country codes', () => {
    it('takes ISO alpha-2 codes in any case, and HUB only where the coordination node is meant', () => {
      expect(countryArgument('kz', '--node', 'u')).to.equal('KZ');
      expect(countryArgument('HUB', 'the country', 'u', { hub: true })).to.equal('HUB');
      expect(thrown(() => countryArgument('HUB', '--node', 'u')).code).to.equal('USAGE');
    });

    it('refuses two letters that are no country, and names the code meant by an alpha-3 code or a name', () => {
      expect(thrown(() => countryArgument('ZZ', '--node', 'usage: x')).message).to.equal(
        '--node "ZZ" is not an ISO 3166-1 alpha-2 country code (two letters of the standard\'s list, like KZ)\nusage: usage: x',
      );
      expect(thrown(() => countryArgument('KAZ', '--node', 'u')).message).to.contain('; KAZ is KZ');
      expect(thrown(() => countryArgument('Kazakhstan', '--node', 'u')).message).to.contain(
        '; Kazakhstan is KZ',
      );
    });

    it('refuses ZZ as `hub pki issue`, `hub node` and `hub import --node` take it (exit 2, no PKI made)', () => {
      for (const [args, what] of [
        [['pki', 'issue', 'ZZ'], 'the country "ZZ"'],
        [['pki', 'issue-client', 'ZZ', 'customs'], 'the country "ZZ"'],
        [['node', 'ZZ', '--port', '0'], 'the node\'s country "ZZ"'],
        [['import', kazakhAnnex(), '--node', 'ZZ', '--url', 'http://127.0.0.1:1'], '--node "ZZ"'],
      ] as const) {
        const run = hubSync([...args], env);
        expect(run.status, `${args.join(' ')}: ${run.stderr}`).to.equal(2);
        expect(run.stderr).to.include(`${what} is not an ISO 3166-1 alpha-2 country code`);
      }
      expect(existsSync(join(home, 'pki')), 'no PKI made').to.equal(false);
    });

    it("takes `hub import-annual --only` alpha-2 codes, refusing the annex's alpha-3 ones with the code meant", () => {
      expect([...onlyCountries('kz, KG')]).to.deep.equal(['KZ', 'KG']);
      expect(thrown(() => onlyCountries('KAZ,KG')).message).to.match(
        /^--only takes ISO 3166-1 alpha-2 codes \(two letters, like KZ\), got "KAZ" \(that is KZ\)\n/,
      );
      expect(thrown(() => onlyCountries('ZZ')).message).to.match(/got "ZZ"\n/);
      expect(thrown(() => onlyCountries(' , ')).message).to.match(/^--only " , " names no country/);
    });

    it('says so and exits 1 when a country of --only has no row in the file, sending nothing when none has', () => {
      const annex = kazakhAnnex();
      const refused = hubSync(['import-annual', annex, '--only', 'KAZ'], env);
      expect(refused.status, refused.stderr).to.equal(2);
      expect(refused.stderr).to.include('got "KAZ" (that is KZ)');
      const absent = hubSync(['import-annual', annex, '--only', 'KG,TJ'], env);
      expect(absent.status, absent.stderr).to.equal(1);
      expect(absent.stderr).to.include(`--only KG,TJ: ${annex} has no readable row of KG, TJ`);
      expect(absent.stderr).to.include('nothing to send');
      expect(absent.stderr).not.to.include('no hub CA');
    });
  });

  describe('verbs and sub-verbs', () => {
    it('writes the usage to stderr when no verb is given (exit 2), and to stdout when asked for (exit 0)', () => {
      const bare = hubSync([], env);
      expect(bare.status).to.equal(2);
      expect(bare.stdout).to.equal('');
      expect(bare.stderr).to.match(/^hub: say which verb to run\n\nhub <verb> \[options\]/);
      const help = hubSync(['--help'], env);
      expect(help.status).to.equal(0);
      expect(help.stdout).to.match(/^hub <verb> \[options\]/);
    });

    it('names the sub-verb it does not understand (exit 2)', () => {
      for (const [args, message] of [
        [['pki', 'statuss'], 'hub pki does not know "statuss": say init, issue,'],
        [['quarantine', 'statuss'], 'hub quarantine does not know "statuss": say redrive or list'],
      ] as const) {
        const run = hubSync([...args], env);
        expect(run.status, run.stderr).to.equal(2);
        expect(run.stderr).to.include(message);
      }
    });

    it('lists every quarantine entry with a bare `hub quarantine list`, as the README shows it', () => {
      expect(quarantineOptions(['list'])).to.deep.include({ listOnly: true, ids: [] });
      expect(quarantineOptions(['list', '--reason', 'unknown-signer']).reason).to.equal('unknown-signer');
      // A re-drive of everything is seldom meant: it still names its entries.
      expect(thrown(() => quarantineOptions(['redrive'])).message).to.match(/^name the entries to redrive/);
      expect(quarantineOptions(['redrive', '--since', '1970-01-01']).since).to.equal(0);
    });
  });

  describe('the port of `hub node`', () => {
    const config = { nodeBasePort: 8101 };

    it('defaults to HUB_NODE_BASE_PORT, as documented, so that a deployment keeps its port', () => {
      expect(nodePort(config, undefined)).to.equal(8101);
      expect(nodePort(config, '9000')).to.equal(9000);
      expect(thrown(() => nodePort({ nodeBasePort: 65536 }, undefined)).message).to.equal(
        '--port defaults to HUB_NODE_BASE_PORT, which gives 65536: not a port number (0-65535); give --port or change the setting',
      );
    });

    it('refuses a port in use as a usage error naming it and --port, not a stack trace', async () => {
      const inUse = Object.assign(new Error('listen EADDRINUSE: address already in use 127.0.0.1:8101'), {
        code: 'EADDRINUSE',
      });
      let refusal: unknown;
      await listeningOn(() => Promise.reject(inUse), 8101, '--port').catch((err: unknown) => (refusal = err));
      expect(refusal).to.be.instanceOf(HubError);
      expect((refusal as HubError).code).to.equal('USAGE');
      expect((refusal as HubError).message).to.equal(
        'port 8101 is in use (another service or program listens on it): give a free one with --port <port>',
      );
      // Anything else is the service's own failure, passed on as it is.
      const other = new Error('no certificate');
      let passed: unknown;
      await listeningOn(() => Promise.reject(other), 8101, '--port').catch((err: unknown) => (passed = err));
      expect(passed).to.equal(other);
    });
  });
});
