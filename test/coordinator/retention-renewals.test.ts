// Retention renewals the store refuses, on the real stack: a renewal of no record the hub keeps (an id mistyped),
// of another country's record, or naming another kind of record is refused, and its node told why in the receipt;
// the originator's own renewal of its record is taken and renews it.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { routeReportFromJson, seizureReportFromJson } from '@hub/domain';
import { topicNames } from '@hub/kafka';
import { COLLECTIONS } from '@hub/store';
import { waitUntil } from '../support/env';
import { minimalReport, signedAs, useRawIntake } from '../support/hub';

interface StoredReceipt {
  _id: string;
  inReplyTo: string;
  status: string;
  origin: string;
  subjectId: string | null;
  reasons: { code: string; field: string | null; message: string }[];
}

describe('coordinator: retention renewals the store refuses', function () {
  this.timeout(120000);
  const fx = useRawIntake('retention-renewals', ['KZ', 'UZ']);
  const names = () => topicNames(fx.env.config.namespace);

  const report = (country: string) =>
    seizureReportFromJson(
      { ...minimalReport(), reportId: randomUUID(), country },
      { nodeCountry: country, now: Date.now(), versionOf: () => 1, regions: new Set() },
    ).value;
  /** `value` as `origin`'s node writes it to its topic, keyed by its subject. */
  const send = async (origin: string, messageType: string, key: string, value: object) => {
    const signed = signedAs(fx.env, origin, messageType, value);
    await fx.producer.send({
      topic: names().nodeOut(origin),
      acks: -1,
      messages: [{ key, value: signed.bytes }],
    });
    return signed.envelope.messageId;
  };
  const renew = (origin: string, subjectId: string, subjectType = 'SeizureReport') =>
    send(origin, 'RetentionRenewal', subjectId, {
      renewalId: randomUUID(),
      subjectType,
      subjectId,
      reason: 'case still open in court',
      requestedAt: Date.now(),
    });
  const receiptOf = (messageId: string) =>
    waitUntil(`the receipt of ${messageId}`, () =>
      fx.store.collection<StoredReceipt>(COLLECTIONS.receipts).findOne({ inReplyTo: messageId }),
    );
  const retention = () =>
    fx.store.collection<{ _id: string; reviewAt: Date; renewals: unknown[] }>(COLLECTIONS.retention);

  it('refuses a renewal of no record kept, of another country’s, or of another kind, naming id and rule', async () => {
    const kz = report('KZ');
    const uz = report('UZ');
    const kzReport = String(kz.reportId);
    const uzReport = String(uz.reportId);
    await send('KZ', 'SeizureReport', kzReport, kz);
    await send('UZ', 'SeizureReport', uzReport, uz);
    const entries = await waitUntil('both reports kept for review', async () => {
      const found = await retention()
        .find({ _id: { $in: [kzReport, uzReport] } })
        .toArray();
      return found.length === 2 ? found : undefined;
    });
    const before = entries.find((e) => e._id === kzReport)!.reviewAt.getTime();

    const mistyped = randomUUID();
    const refusals = [
      {
        messageId: await renew('KZ', mistyped),
        subjectId: mistyped,
        code: 'invalid-content',
        field: 'subjectId',
        message: `the hub keeps no record ${mistyped} to renew (none was stored under this id, or it was erased)`,
      },
      {
        messageId: await renew('KZ', uzReport),
        subjectId: uzReport,
        code: 'country-mismatch',
        field: 'subjectId',
        message: `${uzReport} is a record of UZ: only UZ may renew it`,
      },
      {
        messageId: await renew('KZ', kzReport, 'AnnualSeizureReturn'),
        subjectId: kzReport,
        code: 'invalid-content',
        field: 'subjectType',
        message: `must be SeizureReport, the kind of record ${kzReport} is`,
      },
    ];
    for (const r of refusals) {
      const receipt = await receiptOf(r.messageId);
      expect(receipt, r.message).to.include({ status: 'rejected', origin: 'KZ', subjectId: r.subjectId });
      expect(receipt.reasons).to.deep.equal([{ code: r.code, field: r.field, message: r.message }]);
      // Quarantined with its reason, not archived as taken.
      const entry = await fx.store.collection(COLLECTIONS.quarantine).findOne({ messageId: r.messageId });
      expect(entry?.reasonCode, r.message).to.equal(r.code);
      expect(
        await fx.store
          .collection<{ _id: string }>(COLLECTIONS.envelopes)
          .countDocuments({ _id: r.messageId }),
      ).to.equal(0);
    }
    // Nothing renewed: neither UZ's record nor KZ's.
    for (const e of await retention()
      .find({ _id: { $in: [kzReport, uzReport] } })
      .toArray())
      expect(e.renewals, e._id).to.deep.equal([]);

    // The originator's own renewal of its report, of its kind: taken, and the report kept longer.
    const own = await renew('KZ', kzReport);
    expect(await receiptOf(own)).to.include({ status: 'accepted', subjectId: kzReport });
    const renewed = await waitUntil('the report renewed', async () => {
      const e = await retention().findOne({ _id: kzReport });
      return e?.renewals.length === 1 ? e : undefined;
    });
    expect(renewed.reviewAt.getTime()).to.be.greaterThan(before);
  });

  it('renews a trafficking route, as a route: routes are reviewed under the seizure policy too', async () => {
    const route = routeReportFromJson(
      { name: 'Pamir highway', legs: [{ from: 'TJ', to: 'KZ' }], handling: { tlp: 'GREEN' } },
      { nodeCountry: 'KZ', now: Date.now(), versionOf: () => 1, regions: new Set() },
    ).value as unknown as Record<string, unknown>;
    const routeId = String(route.routeId);
    await send('KZ', 'TraffickingRoute', routeId, route);
    await waitUntil('the route kept for review', () => retention().findOne({ _id: routeId }));
    // Named as a report: refused, saying which kind it is; as a route: taken, and the route kept longer.
    const asReport = await receiptOf(await renew('KZ', routeId));
    expect(asReport.reasons).to.deep.equal([
      {
        code: 'invalid-content',
        field: 'subjectType',
        message: `must be TraffickingRoute, the kind of record ${routeId} is`,
      },
    ]);
    expect(await receiptOf(await renew('KZ', routeId, 'TraffickingRoute'))).to.include({
      status: 'accepted',
      subjectId: routeId,
    });
    await waitUntil('the route renewed', async () => {
      const e = await retention().findOne({ _id: routeId });
      return e?.renewals.length === 1 || undefined;
    });
  });

  it('applies a renewal read twice once: its review date and notice not again', async () => {
    const kz = report('KZ');
    const id = String(kz.reportId);
    await send('KZ', 'SeizureReport', id, kz);
    await waitUntil('the report kept for review', () => retention().findOne({ _id: id }));
    // The same signed renewal written twice, as a node's outbox sent again from an earlier point writes it.
    const signed = signedAs(fx.env, 'KZ', 'RetentionRenewal', {
      renewalId: randomUUID(),
      subjectType: 'SeizureReport',
      subjectId: id,
      reason: 'case still open in court',
      requestedAt: Date.now(),
    });
    const write = () =>
      fx.producer.send({
        topic: names().nodeOut('KZ'),
        acks: -1,
        messages: [{ key: id, value: signed.bytes }],
      });
    await write();
    const once = await waitUntil('the renewal applied', async () => {
      const e = await retention().findOne({ _id: id });
      return e?.renewals.length === 1 ? e : undefined;
    });
    await write();
    // A later renewal after it, to know the second copy was read before it.
    const later = await renew('KZ', id);
    expect(await receiptOf(later)).to.include({ status: 'accepted' });
    const after = await waitUntil('the later renewal applied', async () => {
      const e = await retention().findOne({ _id: id });
      return e && e.renewals.length >= 2 ? e : undefined;
    });
    expect(after.renewals, 'the copy applied again').to.have.length(2);
    expect(once.renewals).to.have.length(1);
  });
});
