import { expect } from 'chai';
import { seizureReportFromJson } from '@hub/domain';
import { createSigner } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS } from '@hub/store';
import { waitUntil } from '../support/env';
import { minimalReport, useRawIntake } from '../support/hub';

describe('schema evolution on the wire: a node still writing SeizureReport v1, a coordinator reading v2', function () {
  this.timeout(90000);
  const fx = useRawIntake('evolution', ['KZ']);

  it('accepts a v1 record and stores it with the defaults v2 added', async () => {
    const registry = loadSchemaRegistry();
    const v1 = registry.get('SeizureReport', 1);
    expect(registry.latest('SeizureReport').version).to.be.greaterThan(1);
    const minimal = minimalReport();
    const { value } = seizureReportFromJson(minimal, {
      nodeCountry: 'KZ',
      now: Date.now(),
      versionOf: () => 1,
      regions: new Set(),
    });
    // What an older node writes: the v1 fields only.
    const { reportingChannel: _rc, ...v1Value } = value;
    const old = { ...v1Value, drugs: value.drugs.map(({ packageCount: _p, ...d }) => d) };
    const payload = v1.type.toBuffer(old);
    const identity = fx.pki.identity('KZ');
    const signer = createSigner({
      privateKey: identity.privateKey,
      certificate: identity.certificatePem,
      origin: 'KZ',
    });
    const { bytes } = signer.signEncoded({
      messageType: 'SeizureReport',
      schemaFingerprint: v1.fingerprint,
      payload,
    });
    await fx.producer.send({
      topic: topicNames(fx.env.config.namespace).nodeOut('KZ'),
      acks: -1,
      messages: [{ key: value.reportId, value: bytes }],
    });
    const stored = await waitUntil('the v1 report stored', () =>
      fx.store.collection(COLLECTIONS.reports).findOne({ _id: value.reportId as never }),
    );
    const report = stored.report as {
      reportingChannel: unknown;
      drugs: { packageCount: unknown; quantity: number }[];
      country: string;
    };
    expect(report.country).to.equal('KZ');
    expect(report.reportingChannel).to.equal(null);
    expect(report.drugs[0]).to.include({ quantity: 12.5, packageCount: null });
  });
});
