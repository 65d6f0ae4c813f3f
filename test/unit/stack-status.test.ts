// `hub stack status` with a store of the operator's own (HUB_MONGO_URL): its address without the password.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { stackStatus } from '../../scripts/src/stack/stack';

describe('hub stack status', function () {
  this.timeout(30000);
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-status-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('names the store HUB_MONGO_URL gives without the password it may carry', async () => {
    // Nothing listens on these ports: the store and brokers are down, and said to be.
    const status = await stackStatus(
      loadConfig({
        HUB_HOME: home,
        HUB_MONGO_URL: 'mongodb://hub:S3cretPw@127.0.0.1:1/',
        HUB_KAFKA_BROKERS: '127.0.0.1:2',
      }),
    );
    expect(status.mongo).to.include({ url: 'mongodb://***@127.0.0.1:1/', running: false });
    expect(JSON.stringify(status)).not.to.contain('S3cretPw');
  });
});
