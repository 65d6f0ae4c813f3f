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

  describe('a record erased at retention review', () => {
    const erase = (subjectId: string, versionsUpTo: number) =>
      inbound.add({
        messageId: `erasure-${subjectId}`,
        messageType: 'ErasureNotice',
        receivedAt: Date.now(),
        value: {
          erasureId: `erasure-${subjectId}`,
          subjectType: 'SeizureReport',
          subjectId,
          versionsUpTo,
          originCountry: 'KZ',
          reasonCode: 'retention_expired',
          orderedAt: Date.parse('2026-12-01T00:00:00Z'),
        },
      });
    const one = async (id: string) => {
      const res = await fetch(`${url}/v1/receipts/${id}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    type Listed = { counts: Record<string, number>; records: { id: string }[]; nextCursor?: string };
    const list = async (query = '') => (await (await fetch(`${url}/v1/receipts${query}`)).json()) as Listed;

    it('answers erased, with the order that erased it and none of its receipts', async () => {
      reports.record('a', 1, 'da1', 'ma1');
      receipt('a', 1, 'accepted', 'ma1');
      reports.record('a', 2, 'da2', 'ma2');
      receipt('a', 2, 'accepted', 'ma2');
      receipt('a', null, 'accepted', 'renewal-a', 'RetentionRenewal');
      expect((await one('a')).body.status).to.equal('accepted');
      erase('a', 2);
      const erased = await one('a');
      expect(erased.status).to.equal(200);
      expect(erased.body).to.deep.equal({
        reportId: 'a',
        status: 'erased',
        sentVersion: 2,
        erasure: {
          erasureId: 'erasure-a',
          subjectType: 'SeizureReport',
          reasonCode: 'retention_expired',
          versionsUpTo: 2,
          orderedAt: '2026-12-01T00:00:00.000Z',
        },
        receipts: [],
      });
      // A renewal sent too late is answered after the erasure: shown, apart, as before.
      receipt('a', null, 'rejected', 'renewal-late', 'RetentionRenewal');
      const late = await one('a');
      expect(late.body.status).to.equal('erased');
      expect((late.body.renewals as { inReplyTo: string }[]).map((r) => r.inReplyTo)).to.deep.equal([
        'renewal-late',
      ]);
      // A record erased that this node never sent is not its to answer for.
      erase('z', 1);
      expect((await one('z')).status).to.equal(404);
    });

    it('is left out of the list, its pages and its counts, and waits for no receipt', async () => {
      for (const id of ['a', 'b', 'c', 'd', 'e']) reports.record(id, 1, `d${id}`, `m${id}`);
      receipt('a', 1, 'accepted', 'ma');
      receipt('c', 1, 'rejected', 'mc');
      // b, d and e wait for their receipts.
      const watch = unansweredWatch({ reports, inbound }, () => Date.parse('2100-01-01'));
      expect((await list()).counts, 'the book made before the erasures').to.deep.equal({
        pending: 3,
        accepted: 1,
        rejected: 1,
      });
      expect(watch().count).to.equal(3);
      erase('b', 1);
      erase('c', 1);
      erase('e', 1);
      const all = await list();
      expect(all.records.map((r) => r.id)).to.deep.equal(['d', 'a']);
      expect(all.counts).to.deep.equal({ pending: 1, accepted: 1, rejected: 0 });
      expect(watch().count, 'd only').to.equal(1);
      expect((await list('?status=rejected')).records).to.deep.equal([]);
      // A page at a time: the erased ones passed over, and no page after the last record listed.
      const first = await list('?limit=1');
      expect(first.records.map((r) => r.id)).to.deep.equal(['d']);
      const second = await list(`?limit=1&cursor=${first.nextCursor}`);
      expect(second.records.map((r) => r.id)).to.deep.equal(['a']);
      expect(second).not.to.have.property('nextCursor');
      const pair = await list('?limit=2');
      expect(pair.records.map((r) => r.id)).to.deep.equal(['d', 'a']);
      expect(pair, 'only erased records before a').not.to.have.property('nextCursor');
    });

    it('keeps a version sent after the erased ones (taken by the hub as a new record), with its receipt', async () => {
      reports.record('a', 1, 'da1', 'ma1');
      receipt('a', 1, 'accepted', 'ma1');
      reports.record('a', 2, 'da2', 'ma2'); // sent as the hub erased version 1
      erase('a', 1);
      expect((await one('a')).body.status, 'waits for its receipt').to.equal('pending');
      receipt('a', 2, 'accepted', 'ma2');
      const answer = await one('a');
      expect(answer.body).to.include({ status: 'accepted', version: 2 });
      expect((answer.body.receipts as { inReplyTo: string }[]).map((r) => r.inReplyTo)).to.deep.equal([
        'ma2',
      ]);
      expect((await list()).records.map((r) => r.id)).to.deep.equal(['a']);
    });
  });
});
