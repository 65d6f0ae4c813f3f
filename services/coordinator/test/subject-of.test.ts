import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Envelope } from '@hub/envelope';
import { loadSchemaRegistry } from '@hub/schemas';
import { subjectOf } from '../src/intake';

describe('the record a refused message is about (subjectOf: a replay leaves out refusals of erased records)', () => {
  const registry = loadSchemaRegistry();
  const envelopeOf = (messageType: string, schemaFingerprint: Buffer, payload: Buffer) =>
    ({ messageType, schemaFingerprint, payload }) as unknown as Envelope;

  it('reads the subject id from the payload, and gives undefined where it cannot be read', () => {
    const reportId = randomUUID();
    const { payload, fingerprint } = registry.encode('SeizureRetraction', {
      reportId,
      version: 2,
      retractedAt: Date.now(),
      reason: 'entered twice',
      submittedBy: null,
    });
    expect(subjectOf(envelopeOf('SeizureRetraction', fingerprint, payload), registry)).to.equal(reportId);
    expect(
      subjectOf(envelopeOf('SeizureRetraction', fingerprint, Buffer.from([1, 2, 3])), registry),
    ).to.equal(undefined);
    expect(subjectOf(envelopeOf('NoSuchType', fingerprint, payload), registry)).to.equal(undefined);
    expect(subjectOf(undefined, registry)).to.equal(undefined);
  });
});
