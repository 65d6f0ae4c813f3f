// Unit tier: a national node's own records (its version index, its requests log) on a disk that fills: a write that
// fails part-way leaves a fragment, and neither the line that failed nor the next one may be lost with it (the next one
// glued to the fragment was unreadable after a restart: its version forgotten, the next version reusing it, which the
// hub refuses as stale). The line that failed is kept and written again; until it is, `sync` throws, so that the
// outbox keeps the records to rebuild it from.
import { expect } from 'chai';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InformationRequestRecord } from '@hub/domain';
import { OutboxLog } from '@hub/national-node/outbox/log';
import { ReportsIndex } from '@hub/national-node/reports-index';
import { RequestsLog, type RequestsLogEntry } from '@hub/national-node/requests-log';
import { HubError } from '@hub/errors';
import { failFlushOf, fillDiskUnder, type FailingFlush, type FullDisk } from './disk-full';

describe('national node: its records on a disk that fills', () => {
  const A = '11111111-1111-4111-8111-111111111111';
  const B = '22222222-2222-4222-8222-222222222222';
  const C = '33333333-3333-4333-8333-333333333333';
  let dir: string;
  let disk: FullDisk | undefined;
  let flush: FailingFlush | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-disk-full-'));
  });
  afterEach(() => {
    disk?.restore();
    disk = undefined;
    flush?.restore();
    flush = undefined;
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

    it("takes back from the outbox the notes whose write failed when their version's line was written", () => {
      const file = join(dir, 'reports.idx');
      const notesFile = `${file}.normalisations.jsonl`;
      const index = new ReportsIndex(file);
      index.sync();
      // Room for the short index line, none for the notes (the acceptor records, then notes).
      disk = fillDiskUnder(notesFile, { shortWrite: 0 });
      index.record(A, 1, 'digA', 'msgA');
      expect(() => index.noteNormalisations(A, 1, ["country 'Казахстан' → KZ"])).to.throw(/ENOSPC/);
      // The node stops before the disk has room: the outbox's cursor stays before A's record.
      expect(() => index.close()).to.throw(/normalisations.*ENOSPC/);
      disk.restore();
      disk = undefined;

      const reopened = new ReportsIndex(file);
      expect(reopened.latest(A), 'its version was written').to.equal(1);
      expect(reopened.normalisationsOf(A, 1)).to.deep.equal([]);
      const found = { reportId: A, version: 1, digest: 'digA', messageId: 'msgA' };
      expect(reopened.reconcile([{ ...found, notes: ["country 'Казахстан' → KZ"] }])).to.equal(0);
      expect(reopened.normalisationsOf(A, 1)).to.deep.equal(["country 'Казахстан' → KZ"]);
      reopened.close();
      const third = new ReportsIndex(file);
      expect(third.normalisationsOf(A, 1), 'written, after a restart').to.deep.equal([
        "country 'Казахстан' → KZ",
      ]);
      third.close();
    });

    it('says the same when it cannot write, however many lines wait (their count in its details)', () => {
      const file = join(dir, 'reports.idx');
      const index = new ReportsIndex(file);
      index.sync();
      disk = fillDiskUnder(file);
      const failure = (run: () => void): HubError => {
        try {
          run();
        } catch (err) {
          expect(err).to.be.instanceOf(HubError);
          return err as HubError;
        }
        return expect.fail('it throws');
      };
      const first = failure(() => index.record(A, 1, 'digA', 'msgA'));
      const second = failure(() => index.record(B, 1, 'digB', 'msgB'));
      const third = failure(() => index.sync());
      expect(first.code).to.equal('NODE_FILE_WRITE_FAILED');
      expect(first.message).to.match(/reports\.idx.*ENOSPC/);
      expect([second.message, third.message]).to.deep.equal([first.message, first.message]);
      expect([first, second, third].map((e) => e.details.unwrittenLines)).to.deep.equal([1, 2, 2]);
      disk.free();
      index.close();
    });
  });

  describe('the version index, when a flush fails', () => {
    const lineOf = (index: ReportsIndex, id: string, version: number, digest: string, messageId: string) =>
      `${id} ${version} ${digest} ${messageId} ${index.sentAtOf(id)}`;

    it('writes again before the next flush what was written since the failed one, and reads it back once', () => {
      const file = join(dir, 'reports.idx');
      const index = new ReportsIndex(file);
      index.record(A, 1, 'digA1', 'msgA1');
      index.sync();
      flush = failFlushOf(file);
      index.record(A, 2, 'digA2', 'msgA2');
      index.record(B, 1, 'digB', 'msgB');
      const a2 = lineOf(index, A, 2, 'digA2', 'msgA2');
      const b1 = lineOf(index, B, 1, 'digB', 'msgB');
      expect(() => index.sync()).to.throw(/flush .*reports\.idx.*EIO/);
      expect(index.unwritten, 'the lines written since the last good flush').to.equal(2);
      const writes = flush.writes;
      // The failed writeback is not reported again: this flush succeeds, so the lines must have been written again.
      index.sync();
      expect(flush.writes - writes, 'written again').to.equal(1);
      expect(index.unwritten).to.equal(0);
      const lines = readFileSync(file, 'utf8').split('\n');
      expect(lines.filter((l) => l === a2)).to.have.length(2);
      expect(lines.filter((l) => l === b1)).to.have.length(2);
      index.close();

      const again = new ReportsIndex(file);
      try {
        expect([again.latest(A), again.latest(B)]).to.deep.equal([2, 1]);
        expect(again.ids(), 'each once, in the order first sent').to.deep.equal([A, B]);
        expect(again.sameAsLatest(A, 'digA2')).to.deep.equal({ version: 2, messageId: 'msgA2' });
        expect(again.sentAtOf(B)).to.equal(Number(b1.split(' ')[4]));
        expect(again.next(A)).to.equal(3);
      } finally {
        again.close();
      }
    });

    it('flushes by itself once a megabyte waits unflushed, so that what it holds to write again stays small', () => {
      const file = join(dir, 'reports.idx');
      const index = new ReportsIndex(file);
      index.sync();
      flush = failFlushOf(file);
      // About 95 bytes a line: the flush comes with the 11,000th line or so, never called for (no `sync`).
      let recorded = 0;
      let failure: unknown;
      while (failure === undefined && recorded < 20_000) {
        const id = `r-${String(recorded).padStart(36, '0')}`;
        recorded++;
        try {
          index.record(id, 1, 'd'.repeat(32), `m-${recorded}`);
        } catch (err) {
          failure = err;
        }
      }
      expect(String(failure)).to.match(/flush .*reports\.idx.*EIO/);
      expect(recorded).to.be.within(10_000, 12_000);
      expect(index.unwritten, 'every line since the last good flush, held to write again').to.equal(recorded);
      index.sync();
      expect(index.unwritten).to.equal(0);
      index.close();
      const again = new ReportsIndex(file);
      expect(again.size).to.equal(recorded);
      again.close();
    });

    it('writes the notes again likewise', () => {
      const file = join(dir, 'reports.idx');
      const notesFile = `${file}.normalisations.jsonl`;
      const index = new ReportsIndex(file);
      index.sync();
      flush = failFlushOf(notesFile);
      index.record(A, 1, 'digA', 'msgA');
      index.noteNormalisations(A, 1, ['unit kilo → kg']);
      expect(() => index.sync()).to.throw(/normalisations.*EIO/);
      index.sync();
      const line = JSON.stringify({ id: A, v: 1, notes: ['unit kilo → kg'] });
      expect(
        readFileSync(notesFile, 'utf8')
          .split('\n')
          .filter((l) => l === line),
      ).to.have.length(2);
      index.close();
      const again = new ReportsIndex(file);
      expect(again.normalisationsOf(A, 1)).to.deep.equal(['unit kilo → kg']);
      again.close();
    });
  });

  describe('the version index, read back after a write cut a line short', () => {
    /** When the outbox took A's record (what the node hands `reconcile` with it). */
    const takenAt = Date.parse('2026-12-07T10:00:00Z');
    const found = { reportId: A, version: 1, digest: 'digA', messageId: 'msgA', sentAt: takenAt };

    it('takes from the outbox the sending time of a line cut inside it', () => {
      const file = join(dir, 'reports.idx');
      const index = new ReportsIndex(file);
      index.sync();
      // `${A} 1 digA msgA 1796…`: cut after its first 3 digits, the message id whole.
      disk = fillDiskUnder(file, { shortWrite: `${A} 1 digA msgA 179`.length });
      expect(() => index.record(A, 1, 'digA', 'msgA')).to.throw(/ENOSPC/);
      expect(() => index.close()).to.throw(/ENOSPC/);
      disk.restore();
      disk = undefined;
      expect(readFileSync(file, 'utf8')).to.equal(`${A} 1 digA msgA 179`);

      const reopened = new ReportsIndex(file);
      expect(reopened.latest(A), 'its version is never given again').to.equal(1);
      expect(reopened.sentAtOf(A), 'no time read from a fragment').to.equal(undefined);
      expect(reopened.reconcile([found])).to.equal(1);
      expect(reopened.sentAtOf(A)).to.equal(takenAt);
      reopened.close();
      const third = new ReportsIndex(file);
      expect(third.sentAtOf(A), 'written, after a restart').to.equal(takenAt);
      expect(third.reconcile([found]), 'nothing more to take').to.equal(0);
      third.close();
    });

    it('replaces an unfinished last line from the outbox, whatever it holds', () => {
      const file = join(dir, 'reports.idx');
      const index = new ReportsIndex(file);
      index.sync();
      // Cut just before the time: every field it has reads as whole.
      disk = fillDiskUnder(file, { shortWrite: `${A} 1 digA msgA`.length });
      expect(() => index.record(A, 1, 'digA', 'msgA')).to.throw(/ENOSPC/);
      expect(() => index.close()).to.throw(/ENOSPC/);
      disk.restore();
      disk = undefined;

      const reopened = new ReportsIndex(file);
      expect(reopened.reconcile([found])).to.equal(1);
      expect(reopened.sentAtOf(A)).to.equal(takenAt);
      reopened.close();
    });

    it('takes no time from a line cut inside it within the file (left by an earlier start), and takes it back', () => {
      const file = join(dir, 'reports.idx');
      appendFileSync(file, `${A} 1 digA msgA 179\n${B} 1 digB msgB ${takenAt}\n`);
      const reopened = new ReportsIndex(file);
      expect(reopened.sentAtOf(A)).to.equal(undefined);
      expect(reopened.sentAtOf(B)).to.equal(takenAt);
      expect(reopened.reconcile([found])).to.equal(1);
      expect(reopened.sentAtOf(A)).to.equal(takenAt);
      reopened.close();
    });

    it('keeps a line read whole over a fragment of it written again after it', () => {
      const file = join(dir, 'reports.idx');
      // A line written again after a failed flush, the second time cut short by a full disk.
      appendFileSync(file, `${A} 1 digA msgA ${takenAt}\n${A} 1 digA msgA 17`);
      const reopened = new ReportsIndex(file);
      expect(reopened.sentAtOf(A)).to.equal(takenAt);
      expect(reopened.reconcile([found]), 'nothing to take').to.equal(0);
      reopened.close();
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
