// A payload written with a schema this release does not have: the error says what the fingerprint most likely means.
import { expect } from 'chai';
import { HubError } from '@hub/errors';
import { loadSchemaRegistry } from '../src/registry';

describe('schema registry: a fingerprint it does not have', () => {
  it('refuses to decode, naming the fingerprint and that a newer release most likely wrote it', () => {
    const registry = loadSchemaRegistry();
    const fingerprint = Buffer.from('9df6841ca37a6ac7', 'hex');
    expect(() => registry.decode(fingerprint, Buffer.alloc(4), 'SeizureReport'))
      .to.throw(HubError)
      .that.deep.includes({
        code: 'UNKNOWN_SCHEMA',
        message:
          'no schema has fingerprint 9df6841ca37a6ac7 among the versions this release reads: most likely written ' +
          'by a newer release, which this service reads once upgraded',
      });
  });
});
