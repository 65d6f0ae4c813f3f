// A store URL the driver cannot parse is a setting to correct, refused as one (CONFIG_INVALID, no stack trace), not a
// store that is down: nothing is asked of any server here.
import { expect } from 'chai';
import { HubError } from '@hub/errors';
import { connectStore, redactUrl } from '../src/store';

async function refusal(url: string): Promise<HubError> {
  try {
    const store = await connectStore({ url, dbName: 'never', serverSelectionTimeoutMs: 100 });
    await store.close();
  } catch (err) {
    expect(err).to.be.instanceOf(HubError);
    return err as HubError;
  }
  throw new Error(`${url} was taken`);
}

describe('store: connecting with a URL the driver cannot parse', () => {
  it('refuses a URL without a mongodb:// scheme as a setting, naming it and why', async () => {
    const err = await refusal('localhost:27017');
    expect(err.code).to.equal('CONFIG_INVALID');
    expect(err.retriable).to.equal(false);
    expect(err.message).to.match(
      /^the store's URL localhost:27017 is not a MongoDB connection string the driver takes .*: Invalid scheme/,
    );
    expect((err.cause as Error).name).to.equal('MongoParseError');
  });

  it('refuses an option the driver does not know, without repeating the password', async () => {
    const err = await refusal('mongodb://coordinator:S3cretPw0123@mongo-1:27017/?replicaSett=hub-rs');
    expect(err.code).to.equal('CONFIG_INVALID');
    expect(err.message).to.contain('mongodb://***@mongo-1:27017/?replicaSett=hub-rs');
    expect(err.message).to.contain('replicasett');
    expect(err.message).not.to.contain('S3cretPw0123');
  });

  it('hides a user and password in the URLs it shows, with a scheme or without', () => {
    expect(redactUrl('mongodb://u:pw@h1:27017,h2:27017/?replicaSet=rs')).to.equal(
      'mongodb://***@h1:27017,h2:27017/?replicaSet=rs',
    );
    expect(redactUrl('u:pw@h1:27017')).to.equal('***@h1:27017');
    expect(redactUrl('mongodb://h1:27017/')).to.equal('mongodb://h1:27017/');
  });
});
