// Unit tier: what a national node knows of the hub's answers to what it sent: when it took each version (kept in its
// index, read back after a restart, absent from lines of the earlier format), and which records still wait for their
// receipt and since when (the node's hub_node_unanswered metrics).
import { expect } from 'chai';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unanswered } from '@hub/national-node/routes-receipts';
import { ReportsIndex } from '@hub/national-node/reports-index';
import type { InboundItem } from '@hub/national-node/inbox-store';

describe('national node: records waiting for the hub to answer', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-receipt-status-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Receipts by subject, as the node's inbound store gives them (not what is tested here). */
  const receiptsOf = (
    byId: Record<string, { inReplyTo: string; status: string; version: number | null }>,
  ) => ({
    receipts: (id: string) =>
      byId[id]
        ? [
            {
              value: {
                inReplyTo: byId[id]!.inReplyTo,
                status: byId[id]!.status,
                subjectVersion: byId[id]!.version,
              },
              receivedAt: 0,
            } as unknown as InboundItem,
          ]
        : [],
  });

  it('keeps when each version was taken, across a restart, and reads the earlier lines without it', () => {
    const file = join(dir, 'reports.idx');
    // A line of the format before: id, version, digest, envelope id.
    appendFileSync(file, 'old-report 1 abc m-old\n');
    const first = new ReportsIndex(file);
    first.record('a', 1, 'd1', 'm-a1', 1_000);
    first.record('b', 1, undefined, 'm-b1', 2_000);
    first.record('b', 2, undefined, 'm-b2', 5_000);
    first.close();
    const again = new ReportsIndex(file);
    try {
      expect(again.sentAtOf('a')).to.equal(1_000);
      expect(again.sentAtOf('b')).to.equal(5_000);
      expect(again.latest('b')).to.equal(2);
      expect(again.messageIdOf('old-report')).to.equal('m-old');
      expect(again.sentAtOf('old-report')).to.equal(undefined);
    } finally {
      again.close();
    }
  });

  it('counts the records whose latest version has no receipt, and how long the oldest has waited', () => {
    const reports = new ReportsIndex(join(dir, 'waiting.idx'));
    try {
      reports.record('answered', 1, 'd', 'm-1', 1_000);
      reports.record('refused', 1, 'd', 'm-2', 2_000);
      reports.record('waiting', 1, 'd', 'm-3', 3_000);
      // Version 1 answered, version 2 not yet: it waits, since version 2 was taken.
      reports.record('newer', 1, 'd', 'm-4', 500);
      reports.record('newer', 2, 'd', 'm-5', 4_000);
      const inbound = receiptsOf({
        answered: { inReplyTo: 'm-1', status: 'accepted', version: 1 },
        refused: { inReplyTo: 'm-2', status: 'rejected', version: null },
        newer: { inReplyTo: 'm-4', status: 'accepted', version: 1 },
      });
      expect(unanswered({ reports, inbound }, 10_000)).to.deep.equal({ count: 2, oldestMs: 7_000 });
      const all = receiptsOf({
        answered: { inReplyTo: 'm-1', status: 'accepted', version: 1 },
        refused: { inReplyTo: 'm-2', status: 'rejected', version: null },
        waiting: { inReplyTo: 'm-3', status: 'accepted', version: 1 },
        newer: { inReplyTo: 'm-5', status: 'accepted', version: 2 },
      });
      expect(unanswered({ reports, inbound: all }, 10_000)).to.deep.equal({ count: 0, oldestMs: 0 });
    } finally {
      reports.close();
    }
  });
});
