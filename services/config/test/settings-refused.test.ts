// Settings the configuration refuses at start with CONFIG_INVALID, naming the variable, its value and what it takes,
// where they used to be taken and fail later (a stack trace, a timer firing every millisecond, a client speaking
// plaintext to a SASL_SSL listener).
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { HubError } from '@hub/errors';

describe('configuration: settings refused at start', () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-config-refused-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  const load = (env: NodeJS.ProcessEnv) => loadConfig({ HUB_HOME: home, ...env });
  const refusal = (env: NodeJS.ProcessEnv): string => {
    try {
      load(env);
    } catch (err) {
      expect(err).to.be.instanceOf(HubError);
      expect((err as HubError).code).to.equal('CONFIG_INVALID');
      return (err as Error).message;
    }
    throw new Error(`the configuration was taken: ${JSON.stringify(env)}`);
  };

  describe('HUB_LOG_LEVEL', () => {
    it("takes pino's levels, in any case, and info when unset or empty", () => {
      for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
        expect(load({ HUB_LOG_LEVEL: level }).logLevel).to.equal(level);
      expect(load({ HUB_LOG_LEVEL: 'DEBUG' }).logLevel).to.equal('debug');
      expect(load({}).logLevel).to.equal('info');
      expect(load({ HUB_LOG_LEVEL: '' }).logLevel).to.equal('info');
      expect(load({ HUB_LOG_LEVEL: '  ' }).logLevel).to.equal('info');
    });

    it('refuses anything else, naming it and the levels there are', () => {
      expect(refusal({ HUB_LOG_LEVEL: 'verbose' })).to.equal(
        'HUB_LOG_LEVEL=verbose is not a log level: use one of trace, debug, info, warn, error, fatal, silent',
      );
      expect(refusal({ HUB_LOG_LEVEL: 'warning' })).to.match(/^HUB_LOG_LEVEL=warning is not a log level/);
    });
  });

  describe('HUB_MONGO_URL', () => {
    it('refuses a URL without the mongodb:// or mongodb+srv:// scheme, as the file is refused', () => {
      expect(refusal({ HUB_MONGO_URL: 'localhost:27017' })).to.match(
        /^HUB_MONGO_URL=localhost:27017 is not a MongoDB connection string: it starts with mongodb:\/\/ or mongodb\+srv:\/\//,
      );
      expect(refusal({ HUB_MONGO_URL: 'http://db.example:27017/' })).to.contain(
        'HUB_MONGO_URL=http://db.example:27017/ is not a MongoDB connection string',
      );
    });

    it('never repeats a password it refuses', () => {
      const message = refusal({ HUB_MONGO_URL: 'coordinator:S3cretPw0123@mongo-1:27017' });
      expect(message).not.to.contain('S3cretPw0123');
      expect(message).to.contain('HUB_MONGO_URL=***@mongo-1:27017 is not');
      const withScheme = refusal({ HUB_MONGO_URL: 'mongo://coordinator:S3cretPw0123@mongo-1:27017/' });
      expect(withScheme).not.to.contain('S3cretPw0123');
      expect(withScheme).to.contain('HUB_MONGO_URL=mongo://***@mongo-1:27017/ is not');
    });

    it('takes mongodb:// and mongodb+srv:// URLs', () => {
      expect(load({ HUB_MONGO_URL: 'mongodb://db.example:27017/' }).mongo.url).to.equal(
        'mongodb://db.example:27017/',
      );
      expect(load({ HUB_MONGO_URL: 'mongodb+srv://u:p@cluster.example/' }).mongo.url).to.equal(
        'mongodb+srv://u:p@cluster.example/',
      );
    });
  });

  describe('HUB_RETENTION_*', () => {
    const minutes = (value: string) => load({ HUB_RETENTION_CHECK_MINUTES: value }).retention.checkMinutes;

    it("takes minutes between reviews up to a timer's longest, and refuses more, saying so", () => {
      expect(minutes('60')).to.equal(60);
      expect(minutes('0.5')).to.equal(0.5);
      // 35,791 minutes is 2,147,460,000 ms: within 2^31-1, past which Node fires the timer every millisecond.
      expect(minutes('35791') * 60_000).to.be.at.most(2 ** 31 - 1);
      expect(refusal({ HUB_RETENTION_CHECK_MINUTES: '35792' })).to.equal(
        "HUB_RETENTION_CHECK_MINUTES=35792 must be a number of minutes from 0.001 to 35791 (a timer's longest, about 24.8 days)",
      );
      expect(refusal({ HUB_RETENTION_CHECK_MINUTES: '100000' })).to.match(
        /^HUB_RETENTION_CHECK_MINUTES=100000 must/,
      );
      // Too short is a timer of under a millisecond: Node would fire it every millisecond too.
      expect(refusal({ HUB_RETENTION_CHECK_MINUTES: '0.00001' })).to.match(
        /^HUB_RETENTION_CHECK_MINUTES=0\.00001 must be a number of minutes from 0\.001/,
      );
      expect(refusal({ HUB_RETENTION_CHECK_MINUTES: '0' })).to.match(/^HUB_RETENTION_CHECK_MINUTES=0 must/);
      expect(refusal({ HUB_RETENTION_CHECK_MINUTES: 'hourly' })).to.match(
        /^HUB_RETENTION_CHECK_MINUTES=hourly must/,
      );
    });

    it('takes retention periods and warnings up to a century, whose review dates stay dates', () => {
      expect(load({ HUB_RETENTION_SEIZURE_DAYS: '36500' }).retention.seizureDays).to.equal(36_500);
      // A billion days: the review date is past the last Date, which the store would keep as 1970.
      expect(Number.isNaN(new Date(Date.now() + 1e9 * 86_400_000).getTime())).to.equal(true);
      for (const name of [
        'HUB_RETENTION_SEIZURE_DAYS',
        'HUB_RETENTION_ANNUAL_DAYS',
        'HUB_RETENTION_WARN_DAYS',
      ]) {
        expect(refusal({ [name]: '1000000000' })).to.equal(
          `${name}=1000000000 must be a number of days above 0 and at most 36500 (100 years)`,
        );
        expect(refusal({ [name]: '-1' })).to.match(
          new RegExp(`^${name}=-1 must be a number of days above 0`),
        );
      }
    });
  });

  describe('Kafka credentials', () => {
    it('refuses a user and password without HUB_KAFKA_SECURITY=sasl_ssl, which alone sends them', () => {
      const passwordFile = join(home, 'coordinator.password');
      writeFileSync(passwordFile, 'pw\n');
      const brokers = { HUB_KAFKA_BROKERS: 'kafka-1:9092' };
      expect(
        refusal({ ...brokers, HUB_KAFKA_USERNAME: 'coordinator', HUB_KAFKA_PASSWORD_FILE: passwordFile }),
      ).to.equal(
        'HUB_KAFKA_USERNAME, HUB_KAFKA_PASSWORD_FILE are set, but HUB_KAFKA_SECURITY is not set (plaintext): credentials are sent only with HUB_KAFKA_SECURITY=sasl_ssl. Set it to connect with them, or unset them',
      );
      expect(refusal({ ...brokers, HUB_KAFKA_PASSWORD: 'pw' })).to.match(
        /^HUB_KAFKA_PASSWORD is set, but HUB_KAFKA_SECURITY is not set .*HUB_KAFKA_SECURITY=sasl_ssl/,
      );
      expect(
        refusal({ ...brokers, HUB_KAFKA_SECURITY: 'plaintext', HUB_KAFKA_USERNAME: 'coordinator' }),
      ).to.match(
        /^HUB_KAFKA_USERNAME is set, but HUB_KAFKA_SECURITY=plaintext: .*HUB_KAFKA_SECURITY=sasl_ssl/,
      );
      // Empty ones are as unset.
      expect(load({ ...brokers, HUB_KAFKA_USERNAME: '', HUB_KAFKA_PASSWORD: '' }).kafka.security).to.equal(
        undefined,
      );
    });
  });

  describe('HUB_MONGO_DB', () => {
    it("takes an empty or blank name as unset, not as the driver's own default database (test)", () => {
      for (const blank of ['', '  ']) {
        expect(load({ HUB_MONGO_DB: blank }).mongo.dbName).to.equal('seizurehub');
        expect(load({ HUB_MONGO_DB: blank, HUB_NAMESPACE: 'eu' }).mongo.dbName).to.equal('seizurehub-eu');
      }
      expect(load({ HUB_MONGO_DB: 'hub_prod' }).mongo.dbName).to.equal('hub_prod');
    });

    it('refuses a name the store refuses, by the rule `hub replay --into` checks', () => {
      expect(refusal({ HUB_MONGO_DB: 'a.b c' })).to.equal(
        'HUB_MONGO_DB=a.b c is not a database name the store takes: it must not contain / \\ . space " $ * < > : | ? or a NUL',
      );
      expect(refusal({ HUB_MONGO_DB: 'x'.repeat(64) })).to.match(
        /^HUB_MONGO_DB=x{64} is not a database name the store takes: it must be at most 63 bytes long$/,
      );
    });
  });

  describe('HUB_DEMO_COUNTRIES', () => {
    it('takes ISO alpha-2 codes in any case, blanks skipped', () => {
      expect(load({ HUB_DEMO_COUNTRIES: 'kz, KG,,tj ' }).demoCountries).to.deep.equal(['KZ', 'KG', 'TJ']);
      expect(load({}).demoCountries).to.deep.equal(['KZ', 'KG', 'TJ', 'UZ', 'TM']);
    });

    it('refuses an entry that is not an alpha-2 code, naming it and the code meant', () => {
      expect(refusal({ HUB_DEMO_COUNTRIES: 'KZ,KAZ,kz,12' })).to.equal(
        'HUB_DEMO_COUNTRIES=KZ,KAZ,kz,12: "KAZ" is not an ISO 3166-1 alpha-2 country code (two letters, like KZ); KZ is the alpha-2 code of KAZ',
      );
      expect(refusal({ HUB_DEMO_COUNTRIES: 'KZ,12' })).to.equal(
        'HUB_DEMO_COUNTRIES=KZ,12: "12" is not an ISO 3166-1 alpha-2 country code (two letters, like KZ)',
      );
      expect(refusal({ HUB_DEMO_COUNTRIES: 'KZ,ZZ' })).to.match(
        /^HUB_DEMO_COUNTRIES=KZ,ZZ: "ZZ" is not an ISO/,
      );
    });

    it('refuses a country named twice, which would start two nodes signing as it', () => {
      expect(refusal({ HUB_DEMO_COUNTRIES: 'KZ,KG,kz' })).to.equal(
        'HUB_DEMO_COUNTRIES=KZ,KG,kz: "kz" names KZ again: each country once (one node each)',
      );
    });
  });

  describe('HUB_KAFKA_BROKERS and HUB_KAFKA_REPLICATION_FACTOR', () => {
    it('refuses a list that names no broker, or a broker without its port', () => {
      expect(refusal({ HUB_KAFKA_BROKERS: ',' })).to.match(
        /^HUB_KAFKA_BROKERS=, names no broker: give host:port/,
      );
      expect(refusal({ HUB_KAFKA_BROKERS: 'kafka-1:9092,localhost' })).to.equal(
        'HUB_KAFKA_BROKERS=kafka-1:9092,localhost: "localhost" is not a broker\'s host:port (a host name or address, a colon, a port 1-65535; e.g. kafka-1:9092)',
      );
      expect(refusal({ HUB_KAFKA_BROKERS: 'mongodb://x:1' })).to.contain('"mongodb://x:1" is not a broker');
    });

    it("takes host:port brokers, and the local stack's when unset or blank", () => {
      expect(load({ HUB_KAFKA_BROKERS: ' kafka-1:9092 , 10.0.0.2:9093,' }).kafka.brokers).to.deep.equal([
        'kafka-1:9092',
        '10.0.0.2:9093',
      ]);
      expect(load({ HUB_KAFKA_BROKERS: ' ' }).kafka.brokers).to.deep.equal(['127.0.0.1:39092']);
    });

    it('says a replication factor of 0 is no number of replicas, rather than no port', () => {
      expect(refusal({ HUB_KAFKA_REPLICATION_FACTOR: '0' })).to.match(
        /^HUB_KAFKA_REPLICATION_FACTOR=0 must be a whole number of replicas from 1 to 32767 /,
      );
      expect(refusal({ HUB_KAFKA_REPLICATION_FACTOR: '2.5' })).to.match(
        /^HUB_KAFKA_REPLICATION_FACTOR=2\.5 must/,
      );
      expect(load({ HUB_KAFKA_REPLICATION_FACTOR: '3' }).kafka.replicationFactor).to.equal(3);
      expect(load({ HUB_KAFKA_BROKERS: 'a:1,b:2' }).kafka.replicationFactor).to.equal(2);
    });
  });

  it('says whether HUB_LOG_LEVEL was set, for the CLI verbs that log less unless it is', () => {
    expect(load({}).logLevelSet).to.equal(false);
    expect(load({ HUB_LOG_LEVEL: ' ' }).logLevelSet).to.equal(false);
    expect(load({ HUB_LOG_LEVEL: ' Info ' })).to.include({ logLevel: 'info', logLevelSet: true });
  });

  it('takes an empty HUB_KAFKA_CLIENT_ID as unset', () => {
    expect(load({ HUB_KAFKA_CLIENT_ID: '' }).kafka.clientId).to.equal('seizure-hub');
    expect(load({ HUB_KAFKA_CLIENT_ID: 'hub-kz' }).kafka.clientId).to.equal('hub-kz');
  });
});
