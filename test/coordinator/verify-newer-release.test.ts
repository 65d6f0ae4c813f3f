// `hub verify` of a record a newer release of the hub stored (with a field this release's schemas do not know):
// UNVERIFIED, exit 1, naming the field; never VALID, nor called changed.
import { expect } from 'chai';
import { seizureReportFromJson } from '@hub/domain';
import { createSigner } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, type StoredReport } from '@hub/store';
import { hubAsync } from '../support/cli';
import { cliEnv, waitUntil } from '../support/env';
import { minimalReport, useRawIntake } from '../support/hub';

describe('hub verify: a report stored by a newer release of the hub', function () {
  this.timeout(120000);
  const fx = useRawIntake('verify-newer-release', ['KZ']);
  const reports = () => fx.store.collection<StoredReport>(COLLECTIONS.reports);

  it('says UNVERIFIED (exit 1) for a record with a field no version it knows has, VALID without it', async () => {
    const latest = loadSchemaRegistry().latest('SeizureReport');
    const { value } = seizureReportFromJson(minimalReport(), {
      nodeCountry: 'KZ',
      now: Date.now(),
      versionOf: () => 1,
      regions: new Set(),
    });
    const identity = fx.pki.identity('KZ');
    const { bytes } = createSigner({
      privateKey: identity.privateKey,
      certificate: identity.certificatePem,
      origin: 'KZ',
    }).signEncoded({
      messageType: 'SeizureReport',
      schemaFingerprint: latest.fingerprint,
      payload: latest.type.toBuffer(value),
    });
    const id = value.reportId;
    await fx.producer.send({
      topic: topicNames(fx.env.config.namespace).nodeOut('KZ'),
      acks: -1,
      messages: [{ key: id, value: bytes }],
    });
    await waitUntil('the report stored', () => reports().findOne({ _id: id }));
    const stored = await hubAsync(['verify', id], cliEnv(fx.env));
    expect(stored.stdout).to.match(/^VALID$/m);
    expect(stored.status, stored.stderr).to.equal(0);
    // What a coordinator whose SeizureReport adds vesselImo (default null) would have stored.
    await reports().updateOne({ _id: id }, { $set: { 'report.vesselImo': null } });
    const run = await hubAsync(['verify', id], cliEnv(fx.env));
    expect(run.stdout).to.contain(
      'content  NEWER RELEASE: the stored record has fields this release does not know (vesselImo), stored by a ' +
        'newer release of the hub: upgrade hub verify to verify it',
    );
    expect(run.stdout).to.match(/^UNVERIFIED$/m);
    expect(run.stdout).not.to.match(/^(VALID|INVALID)$/m);
    expect(run.status, run.stderr).to.equal(1);
  });
});
