// Unit tier: a national node's own records (its version index, its requests log) on a disk that fills: a write that
// fails part-way leaves a fragment, and neither the line that failed nor the next one may be lost with it (the next one
// glued to the fragment was unreadable after a restart: its version forgotten, the next version reusing it, which the
// hub refuses as stale). The line that failed is kept and written again; until it is, `sync` throws, so that the
// outbox keeps the records to rebuild it from.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InformationRequestRecord } from '@hub/domain';
import { OutboxLog } from '@hub/national-node/outbox/log';
import { ReportsIndex } from '@hub/national-node/reports-index';
import { RequestsLog, type RequestsLogEntry } from '@hub/national-node/requests-log';
import { fillDiskUnder, type FullDisk } from './disk-full';

describe('national node: its records on a disk that fills', () => {
  const A = '11111111-1111-4111-8111-111111111111';
  const B = '22222222-2222-4222-8222-222222222222';
  const C = '33333333-3333-4333-8333-333333333333';
  let dir: string;
  let disk: FullDisk | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-disk-full-'));
  });
  afterEach(() => {
    disk?.restore();
    disk = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  describe('the version index', () => {
    it('keeps the versions recorded after a write that failed part-way, across a restart', () => {
      const file = join(dir, 'reports.idx');
      const index = new ReportsIndex(file);
      index.record(A, 1, 'digA', 'msgA');
      disk = fillDiskUnder(file);
      expect(() => index.record(B, 1, 'digB', 'msgB')).to.throw(/ENOSPC/);
      expect(disk.failures, 'a short write, then ENOSPC').to.equal(2);
      expect(index.latest(B), 'held in memory meanwhile').to.equal(1);
      expect(index.unwritten).to.equal(1);
      // Space is freed; the node goes on.
      disk.free();
      index.record(C, 1, 'digC', 'msgC');
      expect(index.unwritten).to.equal(0);
      index.close();

      const again = new ReportsIndex(file);
      try {
        expect([again.latest(A), again.latest(B), again.latest(C)]).to.deep.equal([1, 1, 1]);
        expect(again.ids()).to.deep.equal([A, B, C]);
        expect(again.sameAsLatest(C, 'digC')).to.deep.equal({ version: 1, messageId: 'msgC' });
        expect(again.next(C), 'the next version of C').to.equal(2);
      } finally {
        again.close();
      }
    });

    it('throws from sync while a line is unwritten, and writes it there once it can', () => {
      const file = join(dir, 'reports.idx');
      const index = new ReportsIndex(file);
      index.record(A, 1, 'digA', 'msgA');
      index.sync();
      disk = fillDiskUnder(file);
      expect(() => index.record(C, 1, 'digC', 'msgC')).to.throw(/reports\.idx.*ENOSPC/);
      expect(() => index.sync(), 'the disk still full').to.throw(/ENOSPC/);
      disk.free();
      index.sync();
      expect(index.unwritten).to.equal(0);
      // Written whole, on a line of its own after the fragment.
      expect(readFileSync(file, 'utf8').split('\n')).to.include.members([
        `${C} 1 digC msgC ${index.sentAtOf(C)}`,
      ]);
      index.close();
      const again = new ReportsIndex(file);
      expect(again.latest(C)).to.equal(1);
      again.close();
    });

    it("keeps the outbox's records while their versions are unwritten, and takes them back after a crash", async () => {
      const file = join(dir, 'reports.idx');
      const outboxDir = join(dir, 'outbox');
      const index = new ReportsIndex(file);
      const { log } = OutboxLog.open({ dir: outboxDir, beforeCommit: () => index.sync() });
      const record = await log.append(C, Buffer.from('envelope of C v1'));
      disk = fillDiskUnder(file);
      expect(() => index.record(C, 1, 'digC', 'msgC')).to.throw(/ENOSPC/);
      // Published: the cursor may not move past it while its version is not on the disk.
      expect(() => log.commit(record.end)).to.throw(/version index.*ENOSPC/);
      await log.close();
      // The node is killed before the disk has room again: the fragment is all the index holds of C.
      disk.restore();
      const again = OutboxLog.open({ dir: outboxDir });
      expect(
        again.pending.map((r) => r.key),
        'still unpublished',
      ).to.deep.equal([C]);
      await again.log.close();
      const reopened = new ReportsIndex(file);
      expect(reopened.latest(C)).to.equal(0);
      // What the node does as it opens its outbox (node.ts openOutbox): taken back from the record.
      expect(reopened.reconcile([{ reportId: C, version: 1, digest: 'digC', messageId: 'msgC' }])).to.equal(
        1,
      );
      expect(reopened.sameAsLatest(C, 'digC')).to.deep.equal({ version: 1, messageId: 'msgC' });
      reopened.close();
      index.close();
    });

    it("takes back from the outbox a version held only by a failed write's fragment", () => {
      const file = join(dir, 'reports.idx');
      const index = new ReportsIndex(file);
      // The fragment ends inside the digest: read back as version 1 with a digest and envelope that are not C's.
      disk = fillDiskUnder(file, { shortWrite: `${C} 1 di`.length });
      expect(() => index.record(C, 1, 'digC', 'msgC')).to.throw(/ENOSPC/);
      disk.restore();
      disk = undefined;
      const reopened = new ReportsIndex(file);
      expect(reopened.latest(C)).to.equal(1);
      expect(reopened.sameAsLatest(C, 'digC')).to.equal(undefined);
      expect(reopened.reconcile([{ reportId: C, version: 1, digest: 'digC', messageId: 'msgC' }])).to.equal(
        1,
      );
      expect(reopened.sameAsLatest(C, 'digC')).to.deep.equal({ version: 1, messageId: 'msgC' });
      reopened.close();
      index.close();
    });

    it('keeps the normalisation notes noted after a write that failed part-way', () => {
      const file = join(dir, 'reports.idx');
      const index = new ReportsIndex(file);
      index.record(A, 1, 'digA', 'msgA');
      index.noteNormalisations(A, 1, ["country 'Казахстан' → KZ"]);
      disk = fillDiskUnder(`${file}.normalisations.jsonl`);
      index.record(B, 1, 'digB', 'msgB');
      expect(() => index.noteNormalisations(B, 1, ['unit kilo → kg'])).to.throw(/ENOSPC/);
      disk.free();
      index.record(C, 1, 'digC', 'msgC');
      index.noteNormalisations(C, 1, ['concealment false floor → false-floor']);
      index.close();
      const again = new ReportsIndex(file);
      expect(again.normalisationsOf(B, 1)).to.deep.equal(['unit kilo → kg']);
      expect(again.normalisationsOf(C, 1)).to.deep.equal(['concealment false floor → false-floor']);
      again.close();
    });
  });

  describe('the requests log', () => {
    const entry = (requestId: string): RequestsLogEntry => ({
      kind: 'sent',
      messageId: `m-${requestId}`,
      at: 1,
      request: { requestId, from: 'KZ', to: 'KG' } as InformationRequestRecord,
    });

    it('keeps the requests logged after a write that failed part-way, across a restart', () => {
      const file = join(dir, 'requests.jsonl');
      const log = new RequestsLog(file);
      log.add(entry('r1'));
      disk = fillDiskUnder(file, { shortWrite: 20 });
      expect(() => log.add(entry('r2'))).to.throw(/requests\.jsonl.*ENOSPC/);
      expect(log.sent('r2'), 'held in memory meanwhile').to.not.equal(undefined);
      expect(() => log.sync(), 'the disk still full').to.throw(/ENOSPC/);
      disk.free();
      log.add(entry('r3'));
      expect(log.unwritten).to.equal(0);
      log.sync();

      const again = new RequestsLog(file);
      expect(['r1', 'r2', 'r3'].map((id) => again.sent(id)?.messageId)).to.deep.equal([
        'm-r1',
        'm-r2',
        'm-r3',
      ]);
      expect(again.allSent()).to.have.length(3);
    });

    it('writes a request again in sync once the disk has room', () => {
      const file = join(dir, 'requests.jsonl');
      const log = new RequestsLog(file);
      log.add(entry('r1'));
      disk = fillDiskUnder(file);
      expect(() => log.add(entry('r2'))).to.throw(/ENOSPC/);
      disk.free();
      log.sync();
      expect(log.unwritten).to.equal(0);
      expect(new RequestsLog(file).sent('r2')?.messageId).to.equal('m-r2');
    });
  });
});
