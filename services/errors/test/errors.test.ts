import { expect } from 'chai';
import { Ajv } from 'ajv';
import { HubError, ValidationError, isRetriable } from '../src/index';
import { above, asJsonSchema, object } from '../src/openapi';

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

describe('OpenAPI schemas as a JSON Schema validator reads them', () => {
  it('turns OpenAPI 3.0 exclusive bounds into the bounds themselves, leaving the rest as it is', () => {
    const doc = {
      openapi: '3.0.3',
      components: {
        schemas: {
          Drug: object(
            { quantity: above(0), share: { type: 'number', minimum: 0, maximum: 1, exclusiveMaximum: true } },
            { purity: { type: 'number', minimum: 0, exclusiveMinimum: false } },
          ),
        },
      },
    };
    const schema = asJsonSchema(doc).components.schemas.Drug as { properties: Record<string, unknown> };
    expect(schema.properties).to.deep.equal({
      quantity: { type: 'number', exclusiveMinimum: 0 },
      share: { type: 'number', minimum: 0, exclusiveMaximum: 1 },
      purity: { type: 'number', minimum: 0 },
    });
    // The document itself is left as the node serves it.
    expect((doc.components.schemas.Drug.properties as Record<string, unknown>).quantity).to.deep.equal({
      type: 'number',
      minimum: 0,
      exclusiveMinimum: true,
    });
    const valid = new Ajv({ strict: false }).compile(schema);
    expect([0, 0.001].map((quantity) => valid({ quantity, share: 0.5 }))).to.deep.equal([false, true]);
    expect([0, 1].map((share) => valid({ quantity: 1, share }))).to.deep.equal([true, false]);
  });
});
