import { expect } from 'chai';
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OutboxLog } from '../src/outbox/log';

describe('durable outbox log', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-outbox-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('gives back, after a restart, every appended record that was not published, in order', async () => {
    const { log } = OutboxLog.open({ dir });
    const records = await Promise.all(
      Array.from({ length: 50 }, (_, i) => log.append(`key-${i}`, Buffer.from(`envelope ${i}`))),
    );
    log.commit(records[19]!.end);
    await log.close();
    const reopened = OutboxLog.open({ dir });
    expect(reopened.pending.map((r) => r.key)).to.deep.equal(
      Array.from({ length: 30 }, (_, i) => `key-${i + 20}`),
    );
    expect(reopened.pending[0]!.value.toString()).to.equal('envelope 20');
    await reopened.log.close();
  });

  it('keeps the digest of the body that made a record, beside records written without one', async () => {
    const { log } = OutboxLog.open({ dir });
    await log.append('report-1', Buffer.from('envelope 1'));
    await log.append('report-2', Buffer.from('envelope 2'), 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6');
    await log.append('ключ-3', Buffer.from([0, 1, 2, 255]), '');
    await log.close();
    const { pending, log: reopened } = OutboxLog.open({ dir });
    expect(pending.map((r) => [r.key, r.bodyDigest, r.value.toString('hex')])).to.deep.equal([
      ['report-1', undefined, Buffer.from('envelope 1').toString('hex')],
      ['report-2', 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6', Buffer.from('envelope 2').toString('hex')],
      ['ключ-3', '', '000102ff'],
    ]);
    await reopened.close();
  });

  it('shares one fsync among concurrent appends and keeps each one intact', async () => {
    const { log } = OutboxLog.open({ dir });
    const all = await Promise.all(
      Array.from({ length: 500 }, (_, i) => log.append(`k${i}`, Buffer.alloc(100, i % 256))),
    );
    const ends = all.map((r) => r.end.offset);
    expect([...ends].sort((a, b) => a - b)).to.deep.equal(ends);
    await log.close();
    expect(OutboxLog.open({ dir }).pending).to.have.length(500);
  });

  it('drops a torn last record (a crash mid-write was never acknowledged) and keeps the rest', async () => {
    const { log } = OutboxLog.open({ dir });
    await log.append('a', Buffer.from('first'));
    await log.append('b', Buffer.from('second'));
    await log.close();
    const segment = join(
      dir,
      readdirSync(dir).find((f) => f.startsWith('segment-'))!,
    );
    const sizeBefore = statSync(segment).size;
    appendFileSync(segment, Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 5, 6]));
    const reopened = OutboxLog.open({ dir });
    expect(reopened.pending.map((r) => r.key)).to.deep.equal(['a', 'b']);
    expect(statSync(segment).size).to.equal(sizeBefore);
    const next = await reopened.log.append('c', Buffer.from('third'));
    expect(next.end.offset).to.be.greaterThan(sizeBefore);
    await reopened.log.close();
    expect(OutboxLog.open({ dir }).pending.map((r) => r.key)).to.deep.equal(['a', 'b', 'c']);
  });

  it('rotates segments and deletes those entirely published', async () => {
    const { log } = OutboxLog.open({ dir, segmentBytes: 1000 });
    let last;
    for (let i = 0; i < 40; i++) last = await log.append(`k${i}`, Buffer.alloc(100));
    expect(readdirSync(dir).filter((f) => f.startsWith('segment-')).length).to.be.greaterThan(3);
    log.commit(last!.end);
    expect(readdirSync(dir).filter((f) => f.startsWith('segment-'))).to.have.length(1);
    await log.close();
    expect(OutboxLog.open({ dir }).pending).to.have.length(0);
  });
});
