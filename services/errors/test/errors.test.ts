import { expect } from 'chai';
import { HubError, ValidationError, isRetriable } from '../src/index';

describe('hub errors', () => {
  it('keeps code, retriable flag and cause', () => {
    const cause = new Error('socket closed');
    const err = new HubError('BROKER_UNAVAILABLE', 'broker down', { retriable: true, cause });
    expect(err.code).to.equal('BROKER_UNAVAILABLE');
    expect(isRetriable(err)).to.equal(true);
    expect(err.cause).to.equal(cause);
    expect(isRetriable(new Error('plain'))).to.equal(false);
  });

  it('lists every field error in a validation error', () => {
    const err = new ValidationError([
      { field: 'country', message: 'unknown ISO code', value: 'XX' },
      { field: 'drugs[0].quantity', message: 'must be positive', value: -1 },
    ]);
    expect(err.errors).to.have.length(2);
    expect(err.message).to.contain('country: unknown ISO code').and.contain('drugs[0].quantity');
    expect(err.retriable).to.equal(false);
  });
});
