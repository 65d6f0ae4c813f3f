// Unit tier: what a national node knows of the hub's answers to what it sent: when it took each version (kept in its
// index, read back after a restart, absent from lines of the earlier format), and which records still wait for their
// receipt and since when (the node's hub_node_unanswered metrics), followed as versions and receipts come.
import { expect } from 'chai';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unansweredWatch } from '@hub/national-node/routes-receipts';
import { ReportsIndex } from '@hub/national-node/reports-index';
import { InboundStore, type InboundItem } from '@hub/national-node/inbox-store';

describe('national node: records waiting for the hub to answer', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-receipt-status-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A receipt as the node's inbound store keeps it. */
  const receipt = (subjectId: string, inReplyTo: string, status: string, version: number | null) =>
    ({
      messageId: `r-${inReplyTo}`,
      messageType: 'Receipt',
      receivedAt: 0,
      value: { subjectId, inReplyTo, status, subjectVersion: version, reasons: [] },
    }) as InboundItem;

  it('keeps when each version was taken, across a restart, and reads the earlier lines without it', () => {
    const file = join(dir, 'reports.idx');
    // A line of the format before: id, version, digest, envelope id.
    appendFileSync(file, 'old-report 1 abc m-old\n');
    const at = Date.parse('2026-12-07T10:00:00Z');
    const first = new ReportsIndex(file);
    first.record('a', 1, 'd1', 'm-a1', at + 1_000);
    first.record('b', 1, undefined, 'm-b1', at + 2_000);
    first.record('b', 2, undefined, 'm-b2', at + 5_000);
    first.close();
    const again = new ReportsIndex(file);
    try {
      expect(again.sentAtOf('a')).to.equal(at + 1_000);
      expect(again.sentAtOf('b')).to.equal(at + 5_000);
      expect(again.latest('b')).to.equal(2);
      expect(again.messageIdOf('old-report')).to.equal('m-old');
      expect(again.sentAtOf('old-report')).to.equal(undefined);
    } finally {
      again.close();
    }
  });

  it('counts the records whose latest version has no receipt, and how long the oldest has waited, as they change', () => {
    const reports = new ReportsIndex(join(dir, 'waiting.idx'));
    const inbound = new InboundStore(join(dir, 'waiting-inbound.jsonl'));
    let now = 10_000;
    try {
      reports.record('answered', 1, 'd', 'm-1', 1_000);
      reports.record('refused', 1, 'd', 'm-2', 2_000);
      reports.record('waiting', 1, 'd', 'm-3', 3_000);
      // Version 1 answered, version 2 not yet: it waits, since version 2 was taken.
      reports.record('newer', 1, 'd', 'm-4', 500);
      reports.record('newer', 2, 'd', 'm-5', 4_000);
      inbound.add(receipt('answered', 'm-1', 'accepted', 1));
      inbound.add(receipt('refused', 'm-2', 'rejected', null));
      inbound.add(receipt('newer', 'm-4', 'accepted', 1));
      const watch = unansweredWatch({ reports, inbound }, () => now);
      expect(watch()).to.deep.equal({ count: 2, oldestMs: 7_000 });

      // After the first count, what changes is followed: an answer, a new version, a record sent afresh.
      inbound.add(receipt('waiting', 'm-3', 'accepted', 1));
      expect(watch()).to.deep.equal({ count: 1, oldestMs: 6_000 });
      reports.record('answered', 2, 'd', 'm-6', 8_000);
      reports.record('fresh', 1, 'd', 'm-7', 9_000);
      now = 12_000;
      expect(watch()).to.deep.equal({ count: 3, oldestMs: 8_000 });
      inbound.add(receipt('newer', 'm-5', 'accepted', 2));
      inbound.add(receipt('answered', 'm-6', 'rejected', 2));
      expect(watch()).to.deep.equal({ count: 1, oldestMs: 3_000 });
      // A receipt of an earlier version leaves the latest waiting; the same count as one made afresh.
      reports.record('fresh', 2, 'd', 'm-8', 11_000);
      inbound.add(receipt('fresh', 'm-7', 'accepted', 1));
      expect(watch()).to.deep.equal({ count: 1, oldestMs: 1_000 });
      expect(unansweredWatch({ reports, inbound }, () => now)()).to.deep.equal(watch());
      inbound.add(receipt('fresh', 'm-8', 'accepted', 2));
      expect(watch()).to.deep.equal({ count: 0, oldestMs: 0 });
    } finally {
      reports.close();
    }
  });
});
