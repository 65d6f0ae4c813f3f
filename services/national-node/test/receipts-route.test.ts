import { expect } from 'chai';
import type { InboundStore } from '../src/inbox-store';
import type { ReportsIndex } from '../src/reports-index';
import { receiptRoutes } from '../src/routes-receipts';
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
  /** The coordinator's receipt for a version (`null`: refused before its version was read) of a record. */
  const receipt = (subjectId: string, subjectVersion: number | null, status: string, inReplyTo: string) =>
    inbound.add({
      messageId: `receipt-${++n}`,
      messageType: 'Receipt',
      receivedAt: Date.now(),
      value: { subjectId, subjectVersion, status, inReplyTo, subjectType: 'SeizureReport', reasons: [] },
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
});
