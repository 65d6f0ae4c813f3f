// The national node's webhook address, as the configuration reads it.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';
import { HubError } from '@hub/errors';

describe('configuration: the national node webhook', () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-config-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));

  it('takes an http(s) URL, and refuses one carrying a password without repeating it', () => {
    const read = (url: string) => loadConfig({ HUB_HOME: home, HUB_NODE_WEBHOOK_URL: url }).nodeWebhook;
    expect(read('https://cms.customs.kz/hub/events')).to.deep.include({
      url: 'https://cms.customs.kz/hub/events',
    });
    // fetch refuses such a URL: nothing would ever be delivered, and each failure would log and show it.
    let refused: unknown;
    try {
      read('https://agency:S3cretPw@cms.customs.kz/hub/events');
    } catch (err) {
      refused = err;
    }
    expect(refused).to.be.instanceOf(HubError);
    const message = (refused as Error).message;
    expect(message).to.contain(
      'HUB_NODE_WEBHOOK_URL=https://cms.customs.kz/hub/events must not carry a user',
    );
    expect(message).not.to.contain('S3cretPw');
    expect(() => read('ftp://cms.customs.kz/')).to.throw(HubError, /must be an http\(s\) URL/);
  });
});
