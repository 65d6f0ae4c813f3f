// A record id is one country's, whatever kind of record or message names it. A node reads other countries' ids on the
// feeds and in alerts; were each kind checked alone, a "next version" of another country's report sent as a route or
// an annual return, or a withdrawal naming another country's route, would be taken and claim that version number, and
// the originator's own next version and withdrawal would be refused as stale ever after.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { annualReturnFromJson, routeReportFromJson, seizureReportFromJson } from '@hub/domain';
import { topicNames } from '@hub/kafka';
import { COLLECTIONS, type StoredQuarantine } from '@hub/store';
import { waitUntil } from '../support/env';
import { minimalReport, signedAs, useRawIntake } from '../support/hub';

const minimal = minimalReport();

interface StoredReceipt {
  inReplyTo: string;
  status: string;
  reasons: { code: string; field: string | null; message: string }[];
}

describe('coordinator: one owner per record id, across reports, routes and annual returns', function () {
  this.timeout(120000);
  const fx = useRawIntake('record-owners', ['KZ', 'UZ']);
  const names = () => topicNames(fx.env.config.namespace);
  const ctx = (cc: string, version: number) => ({
    nodeCountry: cc,
    now: Date.now(),
    versionOf: () => version,
    regions: new Set<string>(),
  });

  /** Signs `value` as `cc`'s node and writes it to its topic (as a node, or one writing straight to the broker). */
  const send = async (cc: string, messageType: string, value: Record<string, unknown>, key: string) => {
    const signed = signedAs(fx.env, cc, messageType, value);
    await fx.producer.send({
      topic: names().nodeOut(cc),
      acks: -1,
      messages: [{ key, value: signed.bytes }],
    });
    return signed.envelope.messageId;
  };
  const report = (cc: string, reportId: string, version: number, notes: string) =>
    send(
      cc,
      'SeizureReport',
      seizureReportFromJson({ ...minimal, country: cc, reportId, notes }, ctx(cc, version)).value as never,
      reportId,
    );
  const route = (cc: string, routeId: string | undefined, version: number, name: string) => {
    const value = routeReportFromJson(
      { ...(routeId && { routeId }), name, legs: [{ from: 'TJ', to: cc }], handling: { tlp: 'GREEN' } },
      ctx(cc, version),
    ).value as unknown as Record<string, unknown>;
    return {
      routeId: String(value.routeId),
      sent: send(cc, 'TraffickingRoute', value, String(value.routeId)),
    };
  };
  /** An annual return under `returnId`: a node's API derives it from country and year (the coordinator checks it). */
  const annual = (cc: string, returnId: string, version: number) => {
    const value = annualReturnFromJson(
      {
        year: 2025,
        rows: [{ drugName: 'Heroin', drugGroup: 'Opioids', kilograms: 10 }],
        handling: { tlp: 'GREEN' },
      },
      ctx(cc, version),
    ).value as unknown as Record<string, unknown>;
    return send(cc, 'AnnualSeizureReturn', { ...value, returnId }, returnId);
  };
  const retraction = (cc: string, reportId: string, version: number) =>
    send(
      cc,
      'SeizureRetraction',
      { reportId, version, retractedAt: Date.now(), reason: 'withdrawn', submittedBy: null },
      reportId,
    );

  const receiptOf = (messageId: string) =>
    waitUntil(`the receipt of ${messageId}`, () =>
      fx.store.collection<StoredReceipt>(COLLECTIONS.receipts).findOne({ inReplyTo: messageId }),
    );
  /** Refused as another country's record: answered so, quarantined with the owner named, and nothing of it kept. */
  const expectRefused = async (messageId: string, id: string) => {
    const detail = `${id} is a record of KZ: only KZ may send a new version of it or withdraw it`;
    const receipt = await receiptOf(messageId);
    expect(receipt.status, messageId).to.equal('rejected');
    expect(receipt.reasons.map((r) => [r.code, r.message])).to.deep.equal([['country-mismatch', detail]]);
    const quarantined = await waitUntil('the envelope quarantined', () =>
      fx.store.collection<StoredQuarantine>(COLLECTIONS.quarantine).findOne({ messageId }),
    );
    expect(quarantined).to.include({ reasonCode: 'country-mismatch', detail });
    expect(
      await fx.store.collection(COLLECTIONS.envelopes).countDocuments({ _id: messageId as never }),
      'not archived',
    ).to.equal(0);
  };
  const expectAccepted = async (messageId: string) =>
    expect((await receiptOf(messageId)).status, messageId).to.equal('accepted');
  const historyOf = async (id: string) =>
    (await fx.store.collection(COLLECTIONS.reportVersions).find({ reportId: id }).toArray())
      .map((h) => [h.version, h.originCountry])
      .sort();

  it("refuses another country's route and annual return under a report's id, claiming no version, and takes the report's next version and withdrawal", async () => {
    const reportId = randomUUID();
    await expectAccepted(await report('KZ', reportId, 1, 'KZ, as sent'));
    // UZ read the id on a feed: "version 2" of it, as a trafficking route and as an annual return of its own.
    const asRoute = route('UZ', reportId, 2, 'Rewritten by UZ');
    await expectRefused(await asRoute.sent, reportId);
    // As an annual return it is refused before its owner is looked for: a return's id is its country's and year's.
    const asAnnual = await receiptOf(await annual('UZ', reportId, 2));
    expect(asAnnual.reasons.map((r) => [r.code, r.field])).to.deep.equal([['invalid-content', 'returnId']]);
    expect(await historyOf(reportId), 'version 2 not claimed').to.deep.equal([[1, 'KZ']]);
    expect(await fx.store.collection(COLLECTIONS.routes).countDocuments({ _id: reportId as never })).to.equal(
      0,
    );
    expect(
      await fx.store.collection(COLLECTIONS.annualReturns).countDocuments({ _id: reportId as never }),
    ).to.equal(0);
    // KZ's own version 2, then its withdrawal (version 3), are taken.
    await expectAccepted(await report('KZ', reportId, 2, 'KZ, corrected'));
    await expectAccepted(await retraction('KZ', reportId, 3));
    const current = await fx.store.collection(COLLECTIONS.reports).findOne({ _id: reportId as never });
    expect(current).to.include({ status: 'retracted', version: 3, originCountry: 'KZ' });
    expect(await historyOf(reportId)).to.deep.equal([
      [1, 'KZ'],
      [2, 'KZ'],
      [3, 'KZ'],
    ]);
  });

  it("refuses another country's withdrawal or report under a route's id, claiming no version, and takes the route's next version", async () => {
    const kzRoute = route('KZ', undefined, 1, 'Northern route');
    const { routeId } = kzRoute;
    await expectAccepted(await kzRoute.sent);
    await expectRefused(await retraction('UZ', routeId, 2), routeId);
    await expectRefused(await report('UZ', routeId, 2, 'UZ, under the route’s id'), routeId);
    expect(await historyOf(routeId), 'version 2 not claimed').to.deep.equal([[1, 'KZ']]);
    expect(await fx.store.collection(COLLECTIONS.reports).countDocuments({ _id: routeId as never })).to.equal(
      0,
    );
    await expectAccepted(await route('KZ', routeId, 2, 'Northern route, corrected').sent);
    expect(await fx.store.collection(COLLECTIONS.routes).findOne({ _id: routeId as never })).to.include({
      version: 2,
      originCountry: 'KZ',
    });
    expect(await historyOf(routeId)).to.deep.equal([
      [1, 'KZ'],
      [2, 'KZ'],
    ]);
  });
});
