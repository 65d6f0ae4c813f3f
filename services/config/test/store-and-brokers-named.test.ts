// Which database a blank HUB_MONGO_DB means (the one HUB_MONGO_URL names, as the driver took an empty name, so that a
// deployment does not start against an empty database), and brokers named by an IPv6 literal, which the Kafka client
// cannot connect to (it splits host:port at the first colon), refused at start.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { HubError } from '@hub/errors';
import { urlDatabase } from '../src/config';

describe('configuration: the store and the brokers named', () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-config-named-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  const load = (env: NodeJS.ProcessEnv) => loadConfig({ HUB_HOME: home, ...env });

  describe('a blank HUB_MONGO_DB', () => {
    it('means the database HUB_MONGO_URL names', () => {
      expect(load({ HUB_MONGO_URL: 'mongodb://h/hubprod', HUB_MONGO_DB: '' }).mongo.dbName).to.equal(
        'hubprod',
      );
      expect(
        load({
          HUB_MONGO_URL: 'mongodb://hub:p%2Fw@m1:27017,m2:27017/hub_eu?replicaSet=rs0&authSource=admin',
          HUB_MONGO_DB: ' ',
          HUB_NAMESPACE: 'eu',
        }).mongo.dbName,
        'the URL’s database as it is, under a namespace too',
      ).to.equal('hub_eu');
    });

    it('means the default when HUB_MONGO_URL names no database, with the namespace', () => {
      for (const url of ['mongodb://h/', 'mongodb://h', 'mongodb://h/?replicaSet=rs0']) {
        expect(load({ HUB_MONGO_URL: url, HUB_MONGO_DB: '' }).mongo.dbName, url).to.equal('seizurehub');
        expect(
          load({ HUB_MONGO_URL: url, HUB_MONGO_DB: '', HUB_NAMESPACE: 'eu' }).mongo.dbName,
          url,
        ).to.equal('seizurehub-eu');
      }
    });

    it('is overridden by a name given, and unset means the default', () => {
      expect(load({ HUB_MONGO_URL: 'mongodb://h/hubprod', HUB_MONGO_DB: 'other' }).mongo.dbName).to.equal(
        'other',
      );
      expect(load({ HUB_MONGO_URL: 'mongodb://h/hubprod' }).mongo.dbName).to.equal('seizurehub');
    });

    it('reads the database from a connection string’s path only', () => {
      expect(urlDatabase('mongodb+srv://u:p@cluster.example.com/hub?retryWrites=true')).to.equal('hub');
      expect(urlDatabase('mongodb://u:p%40x@h:1/')).to.equal(undefined);
      expect(urlDatabase('mongodb://h:1')).to.equal(undefined);
      expect(urlDatabase('mongodb://h:1/?authSource=admin')).to.equal(undefined);
    });
  });

  describe('HUB_KAFKA_BROKERS', () => {
    it('refuses an IPv6 literal, bracketed or not, saying to name the broker by a host name', () => {
      for (const broker of ['[::1]:9092', '[2001:db8::1]:9093', '::1:9092']) {
        let said = '';
        try {
          load({ HUB_KAFKA_BROKERS: `kafka-1:9092,${broker}` });
        } catch (err) {
          expect(err).to.be.instanceOf(HubError);
          expect((err as HubError).code).to.equal('CONFIG_INVALID');
          said = (err as Error).message;
        }
        expect(said, broker).to.equal(
          `HUB_KAFKA_BROKERS=kafka-1:9092,${broker}: ${JSON.stringify(broker)} is an IPv6 address, which the Kafka client cannot connect to (it splits host:port at the first colon): name the broker by a host name that resolves to it (e.g. localhost, or one in /etc/hosts), or by its IPv4 address`,
        );
      }
    });

    it('still takes host names and IPv4 addresses', () => {
      expect(
        load({ HUB_KAFKA_BROKERS: 'kafka-1:9092,10.0.0.2:9093,Kafka_1.example.com:9094' }).kafka.brokers,
      ).to.deep.equal(['kafka-1:9092', '10.0.0.2:9093', 'Kafka_1.example.com:9094']);
    });
  });
});
