// `hub verify` years later: a report stored before SeizureReport v3 added submittedBy still verifies after the upgrade.
import { expect } from 'chai';
import { seizureReportFromJson } from '@hub/domain';
import { createSigner } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, type StoredReport } from '@hub/store';
import { hubAsync } from '../support/cli';
import { cliEnv, waitUntil } from '../support/env';
import { minimalReport, useRawIntake } from '../support/hub';

describe('hub verify: a report a node wrote as SeizureReport v2, stored before and after the upgrade to v3', function () {
  this.timeout(120000);
  const fx = useRawIntake('verify-after-upgrade', ['KZ']);

  /** KZ's report written as v2 (a node of the release before v3), sent and stored; its id. */
  const sentAsV2 = async (): Promise<string> => {
    const v2 = loadSchemaRegistry().get('SeizureReport', 2);
    // The v2 fields only: submittedBy came with v3.
    const { submittedBy: _s, ...value } = seizureReportFromJson(minimalReport(), {
      nodeCountry: 'KZ',
      now: Date.now(),
      versionOf: () => 1,
      regions: new Set(),
    }).value;
    const identity = fx.pki.identity('KZ');
    const { bytes } = createSigner({
      privateKey: identity.privateKey,
      certificate: identity.certificatePem,
      origin: 'KZ',
    }).signEncoded({
      messageType: 'SeizureReport',
      schemaFingerprint: v2.fingerprint,
      payload: v2.type.toBuffer(value),
    });
    const reportId = value.reportId;
    await fx.producer.send({
      topic: topicNames(fx.env.config.namespace).nodeOut('KZ'),
      acks: -1,
      messages: [{ key: reportId, value: bytes }],
    });
    await waitUntil('the v2 report stored', () =>
      fx.store.collection<StoredReport>(COLLECTIONS.reports).findOne({ _id: reportId }),
    );
    return reportId;
  };
  const reports = () => fx.store.collection<StoredReport>(COLLECTIONS.reports);

  it('says VALID for it as a v3 coordinator stored it (submittedBy null) and as a v2 one did (no key)', async () => {
    const id = await sentAsV2();
    expect((await reports().findOne({ _id: id }))?.report).to.include({ submittedBy: null });
    const now = await hubAsync(['verify', id], cliEnv(fx.env));
    expect(now.stdout).to.contain('content  the stored record equals the signed payload');
    expect(now.stdout).to.match(/^VALID$/m);
    expect(now.status, now.stderr).to.equal(0);
    // What the coordinator of the release before v3 stored: the same record without the key v3 added.
    await reports().updateOne({ _id: id }, { $unset: { 'report.submittedBy': '' } });
    const then = await hubAsync(['verify', id], cliEnv(fx.env));
    expect(then.stdout).to.contain('content  the stored record equals the signed payload');
    expect(then.stdout).to.match(/^VALID$/m);
    expect(then.status, then.stderr).to.equal(0);
  });

  it('says INVALID once its country is changed, or a submittedBy the node never signed is set', async () => {
    const country = await sentAsV2();
    const submittedBy = await sentAsV2();
    await reports().updateOne({ _id: country }, { $set: { 'report.country': 'KG' } });
    await reports().updateOne({ _id: submittedBy }, { $set: { 'report.submittedBy': 'case-system' } });
    for (const id of [country, submittedBy]) {
      const run = await hubAsync(['verify', id], cliEnv(fx.env));
      expect(run.stdout, id).to.contain(
        'content  MISMATCH: the stored record differs from the signed payload',
      );
      expect(run.stdout, id).to.match(/^INVALID$/m);
      expect(run.status, run.stderr).to.equal(1);
    }
  });
});
