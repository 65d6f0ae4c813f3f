// The store's URL as the configuration reads it: from HUB_MONGO_URL, or from a file (a Docker secret) when it
// carries the service's password.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { HubError } from '@hub/errors';

const URL_WITH_PASSWORD =
  'mongodb://coordinator:S3cretPw0123456789@mongo-1:27017,mongo-2:27017,mongo-3:27017/?replicaSet=hub-rs&w=majority&authSource=admin';

describe('configuration: the store URL (HUB_MONGO_URL, HUB_MONGO_URL_FILE)', () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-config-mongo-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  const secretFile = (name: string, content: string): string => {
    const file = join(home, name);
    writeFileSync(file, content, { mode: 0o600 });
    return file;
  };
  const refusal = (env: NodeJS.ProcessEnv): Error => {
    try {
      loadConfig({ HUB_HOME: home, ...env });
    } catch (err) {
      expect(err).to.be.instanceOf(HubError);
      return err as Error;
    }
    throw new Error('the configuration was taken');
  };

  it('reads the URL from the first line of HUB_MONGO_URL_FILE, as a store of the operator', () => {
    const file = secretFile('mongo-url-coordinator', `${URL_WITH_PASSWORD}\nignored second line\n`);
    const { mongo } = loadConfig({ HUB_HOME: home, HUB_MONGO_URL_FILE: file });
    expect(mongo.url).to.equal(URL_WITH_PASSWORD);
    expect(mongo.fromLocalStack).to.equal(false);
    expect(mongo.dbName).to.equal('seizurehub');
  });

  it('still reads HUB_MONGO_URL, and the local stack when neither is set', () => {
    const given = loadConfig({ HUB_HOME: home, HUB_MONGO_URL: 'mongodb://db.example:27017/' }).mongo;
    expect(given).to.deep.include({ url: 'mongodb://db.example:27017/', fromLocalStack: false });
    const local = loadConfig({ HUB_HOME: home, HUB_STACK_MONGO_PORT: '37999' }).mongo;
    expect(local).to.deep.include({ url: 'mongodb://127.0.0.1:37999/', fromLocalStack: true });
  });

  it('refuses both at once, a missing file and a file without a URL, never repeating what the file holds', () => {
    const file = secretFile('both', URL_WITH_PASSWORD);
    expect(
      refusal({ HUB_MONGO_URL: 'mongodb://db.example:27017/', HUB_MONGO_URL_FILE: file }).message,
    ).to.contain('HUB_MONGO_URL and HUB_MONGO_URL_FILE');
    expect(refusal({ HUB_MONGO_URL_FILE: join(home, 'absent') }).message).to.match(
      /HUB_MONGO_URL_FILE=.*absent cannot be read/,
    );
    const notUrl = secretFile('not-a-url', 'S3cretPw0123456789\n');
    const message = refusal({ HUB_MONGO_URL_FILE: notUrl }).message;
    expect(message).to.contain(`HUB_MONGO_URL_FILE=${notUrl} holds no MongoDB connection string`);
    expect(message).not.to.contain('S3cretPw');
    expect(refusal({ HUB_MONGO_URL_FILE: secretFile('empty', '\n') }).message).to.contain(
      'holds no MongoDB connection string',
    );
  });
});
