// What the store's server answers when it is stopping, is not the primary (any more) or ran out of time, as the code
// a caller can act on (docs/errors.md): 503 STORE_UNAVAILABLE (retry later) and 504 QUERY_TIMEOUT, never a 500.
import { expect } from 'chai';
import { MongoNetworkError, MongoServerError, MongoWriteConcernError } from 'mongodb';
import { HubError } from '@hub/errors';
import { storeErrorToHubError } from '../src/store-limits';

/** The driver's error for a server's answer with `code` (as it builds one from the reply). */
const serverError = (code: number, codeName: string) =>
  new MongoServerError({ ok: 0, code, codeName, errmsg: `${codeName} (from the store)` });

describe('query API: store errors as the codes a caller acts on', () => {
  for (const [code, codeName] of [
    [91, 'ShutdownInProgress'],
    [11600, 'InterruptedAtShutdown'],
    [10107, 'NotWritablePrimary'],
    [13435, 'NotPrimaryNoSecondaryOk'],
    [189, 'PrimarySteppedDown'],
  ] as const)
    it(`answers ${code} ${codeName} as 503 STORE_UNAVAILABLE, retriable, keeping the cause`, () => {
      const thrown = serverError(code, codeName);
      const answer = storeErrorToHubError(thrown, 120000);
      expect(answer).to.be.instanceOf(HubError);
      const e = answer as HubError;
      expect(e.code).to.equal('STORE_UNAVAILABLE');
      expect(e.retriable).to.equal(true);
      expect(e.cause).to.equal(thrown);
      expect(e.message).to.match(/retry later/);
      expect(e.message).to.not.contain(codeName);
    });

  it('answers a shutdown told in a write concern error as 503 STORE_UNAVAILABLE', () => {
    const thrown = new MongoWriteConcernError({
      writeConcernError: { code: 91, codeName: 'ShutdownInProgress', errmsg: 'shutting down' },
    } as unknown as ConstructorParameters<typeof MongoWriteConcernError>[0]);
    expect((storeErrorToHubError(thrown, 1000) as HubError).code).to.equal('STORE_UNAVAILABLE');
  });

  it('answers 262 ExceededTimeLimit as 504 QUERY_TIMEOUT naming the limit, as 50 MaxTimeMSExpired', () => {
    for (const thrown of [serverError(262, 'ExceededTimeLimit'), serverError(50, 'MaxTimeMSExpired')]) {
      const e = storeErrorToHubError(thrown, 120000) as HubError;
      expect(e).to.be.instanceOf(HubError);
      expect(e.code, String(thrown.code)).to.equal('QUERY_TIMEOUT');
      expect(e.message).to.contain('within 120 s (HUB_QUERY_TIMEOUT_S)');
      expect(e.cause).to.equal(thrown);
    }
  });

  it('still answers a network error as STORE_UNAVAILABLE, and leaves other server errors as they are', () => {
    expect((storeErrorToHubError(new MongoNetworkError('connection reset'), 0) as HubError).code).to.equal(
      'STORE_UNAVAILABLE',
    );
    const duplicate = serverError(11000, 'DuplicateKey');
    expect(storeErrorToHubError(duplicate, 0)).to.equal(duplicate);
  });
});
