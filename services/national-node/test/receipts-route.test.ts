import { expect } from 'chai';
import type { InboundStore } from '../src/inbox-store';
import type { ReportsIndex } from '../src/reports-index';
import { receiptRoutes, unansweredWatch } from '../src/routes-receipts';
import { serveRoutes, type Served } from './serve';

describe("a node's list of what it sent: the status of each record's latest version", () => {
  let served: Served;
  let reports: ReportsIndex;
  let inbound: InboundStore;
  let url: string;
  beforeEach(async () => {
    served = await serveRoutes((parts) => [receiptRoutes(parts)]);
    ({ url, reports, inbound } = served);
  });
  afterEach(() => served.close());

  let n = 0;
  /**
   * The coordinator's receipt for a version (`null`: refused before its version was read) of a record, or for the
   * message of another type that names it (`subjectType`).
   */
  const receipt = (
    subjectId: string,
    subjectVersion: number | null,
    status: string,
    inReplyTo: string,
    subjectType = 'SeizureReport',
  ) =>
    inbound.add({
      messageId: `receipt-${++n}`,
      messageType: 'Receipt',
      receivedAt: Date.now(),
      value: { subjectId, subjectVersion, status, inReplyTo, subjectType, reasons: [] },
    });

  it('is pending while the latest version sent has no receipt, whatever the earlier ones got', async () => {
    reports.record('a', 1, 'da1', 'ma1');
    receipt('a', 1, 'accepted', 'ma1');
    reports.record('a', 2, 'da2', 'ma2'); // a new version, its receipt not back yet

    reports.record('b', 1, 'db1', 'mb1');
    receipt('b', null, 'rejected', 'mb1'); // refused, for the version sent

    reports.record('c', 1, 'dc1', 'mc1');
    receipt('c', null, 'rejected', 'mc1');
    reports.record('c', 2, 'dc2', 'mc2'); // corrected and sent again: the refusal was of the first

    reports.record('d', 1); // sent without its envelope's id kept (a route, a return): a refusal is taken as its
    receipt('d', null, 'rejected', 'unknown');

    reports.record('e', 1, 'de1', 'me1');
    receipt('e', 1, 'accepted', 'me1');

    const res = await fetch(`${url}/v1/receipts`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as {
      counts: Record<string, number>;
      records: { id: string; status: string; sentVersion: number; version?: number | null }[];
    };
    expect(body.records.map((r) => [r.id, r.status, r.sentVersion])).to.deep.equal([
      ['e', 'accepted', 1],
      ['d', 'rejected', 1],
      ['c', 'pending', 2],
      ['b', 'rejected', 1],
      ['a', 'pending', 2],
    ]);
    expect(body.records.find((r) => r.id === 'a')!.version, 'the receipt it has, of version 1').to.equal(1);
    expect(body.counts).to.deep.equal({ pending: 2, accepted: 1, rejected: 2 });
    const pending = (await (await fetch(`${url}/v1/receipts?status=pending`)).json()) as {
      records: { id: string }[];
    };
    expect(pending.records.map((r) => r.id)).to.deep.equal(['c', 'a']);
  });

  it("leaves a record's status as it was when a renewal of it is answered, and lists that answer apart", async () => {
    reports.record('a', 1, 'da1', 'ma1');
    receipt('a', 1, 'accepted', 'ma1');
    reports.record('b', 1, 'db1', 'mb1');
    receipt('b', null, 'rejected', 'mb1');
    reports.record('c', 1, 'dc1', 'mc1');
    receipt('c', 1, 'accepted', 'mc1');
    reports.record('c', 2, 'dc2', 'mc2'); // its receipt not back yet
    // The renewals the agencies asked for at retention review: a RetentionRenewal has no version.
    const list = () => fetch(`${url}/v1/receipts`).then((r) => r.json()) as Promise<{ counts: unknown }>;
    const before = await list();
    const watch = unansweredWatch({ reports, inbound }, () => Date.parse('2100-01-01'));
    const waitingBefore = watch();
    receipt('a', null, 'accepted', 'renewal-a', 'RetentionRenewal');
    receipt('b', null, 'accepted', 'renewal-b', 'RetentionRenewal');
    receipt('c', null, 'rejected', 'renewal-c', 'RetentionRenewal');

    const after = await list();
    expect(after.counts).to.deep.equal({ pending: 1, accepted: 1, rejected: 1 });
    expect(after.counts, 'the counts as before the renewals').to.deep.equal(before.counts);
    const waiting = watch();
    expect(waiting.count, 'waiting for the hub: c version 2 only').to.equal(1);
    expect(waiting).to.deep.equal(waitingBefore);

    const one = async (id: string) => {
      const res = await fetch(`${url}/v1/receipts/${id}`);
      expect(res.status).to.equal(200);
      return (await res.json()) as {
        status: string;
        version: number | null;
        receipts: { inReplyTo: string }[];
        renewals?: { inReplyTo: string; status: string; subjectType: string }[];
      };
    };
    const a = await one('a');
    expect(a).to.include({ status: 'accepted', version: 1 });
    expect(
      a.receipts.map((r) => r.inReplyTo),
      "the record's own receipts",
    ).to.deep.equal(['ma1']);
    expect(
      a.renewals!.map((r) => [r.inReplyTo, r.status, r.subjectType]),
      'whether the hub took the renewal',
    ).to.deep.equal([['renewal-a', 'accepted', 'RetentionRenewal']]);
    const b = await one('b');
    expect(b).to.include({ status: 'rejected', version: null });
    expect(b.receipts.map((r) => r.inReplyTo)).to.deep.equal(['mb1']);
    expect(b.renewals!.map((r) => [r.inReplyTo, r.status])).to.deep.equal([['renewal-b', 'accepted']]);
    const c = await one('c');
    expect(c).to.include({ status: 'pending', version: 1 });
    expect(c.renewals!.map((r) => [r.inReplyTo, r.status])).to.deep.equal([['renewal-c', 'rejected']]);

    // A record never renewed has no such list.
    reports.record('d', 1, 'dd1', 'md1');
    receipt('d', 1, 'accepted', 'md1');
    expect(await one('d')).to.not.have.property('renewals');
  });

  it("lists a renewal's answer for a record whose version has no receipt yet", async () => {
    reports.record('e', 1, 'de1', 'me1');
    receipt('e', null, 'accepted', 'renewal-e', 'RetentionRenewal');
    const body = (await (await fetch(`${url}/v1/receipts/e`)).json()) as Record<string, unknown>;
    expect(body).to.include({ status: 'pending', sentVersion: 1 });
    expect(body.receipts).to.deep.equal([]);
    expect((body.renewals as { inReplyTo: string }[]).map((r) => r.inReplyTo)).to.deep.equal(['renewal-e']);
  });
});
