// HUB_QUERY_TIMEOUT_S as the configuration reads it: a timer takes at most 2^31-1 ms, and Node fires one set longer
// at once, so a value past that would have every read of the query API time out after a millisecond.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '@hub/config';

describe('configuration: the query API read time limit (HUB_QUERY_TIMEOUT_S)', () => {
  let home: string;
  before(() => {
    home = mkdtempSync(join(tmpdir(), 'hub-config-timeout-'));
  });
  after(() => rmSync(home, { recursive: true, force: true }));
  const timeout = (value: string) =>
    loadConfig({ HUB_HOME: home, HUB_QUERY_TIMEOUT_S: value }).queryTimeoutMs;

  it('takes 0 (no limit) and up to 2,147,483 s, and refuses more, saying so', () => {
    expect(timeout('0')).to.equal(0);
    expect(timeout('2147483')).to.equal(2_147_483_000);
    expect(() => timeout('9999999')).to.throw(
      'HUB_QUERY_TIMEOUT_S=9999999 must be a number of seconds: 0 (no limit) or at least 0.001 and at most 2147483',
    );
  });
});
