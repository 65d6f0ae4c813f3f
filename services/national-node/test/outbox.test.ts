import { expect } from 'chai';
import fs, {
  appendFileSync,
  closeSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubError } from '@hub/errors';
import type { Logger } from '@hub/observability';
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

  it('keeps the digest and the notes of the body that made a record, beside records written without them', async () => {
    const { log } = OutboxLog.open({ dir });
    await log.append('report-1', Buffer.from('envelope 1'));
    await log.append('report-2', Buffer.from('envelope 2'), {
      bodyDigest: 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6',
    });
    await log.append('ключ-3', Buffer.from([0, 1, 2, 255]), { bodyDigest: '' });
    await log.append('report-4', Buffer.from('envelope 4'), {
      bodyDigest: 'f0e1',
      notes: ["country 'Казахстан' → KZ", 'quantity 1,5 → 1.5'],
    });
    await log.append('report-5', Buffer.from('envelope 5'), { notes: ['unit kilo → kg'] });
    await log.append('report-6', Buffer.from('envelope 6'), { notes: [] });
    await log.close();
    const { pending, log: reopened } = OutboxLog.open({ dir });
    expect(pending.map((r) => [r.key, r.bodyDigest, r.notes, r.value.toString('hex')])).to.deep.equal([
      ['report-1', undefined, undefined, Buffer.from('envelope 1').toString('hex')],
      ['report-2', 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6', undefined, Buffer.from('envelope 2').toString('hex')],
      ['ключ-3', '', undefined, '000102ff'],
      [
        'report-4',
        'f0e1',
        ["country 'Казахстан' → KZ", 'quantity 1,5 → 1.5'],
        Buffer.from('envelope 4').toString('hex'),
      ],
      ['report-5', undefined, ['unit kilo → kg'], Buffer.from('envelope 5').toString('hex')],
      ['report-6', undefined, undefined, Buffer.from('envelope 6').toString('hex')],
    ]);
    await reopened.close();
  });

  it('keeps as many notes as fit in a record, and says how many more there were, instead of refusing the record', async () => {
    const { log } = OutboxLog.open({ dir });
    // 2,000 notes of about 60 bytes: twice what a record's notes may hold (64 KiB).
    const notes = Array.from({ length: 2000 }, (_, i) => `handling.releasableTo[${i}] 'Kazakhstan' → KZ`);
    await log.append('report-1', Buffer.from('envelope 1'), { notes });
    await log.close();
    const { pending, log: reopened } = OutboxLog.open({ dir });
    const kept = pending[0]!.notes!;
    const last = kept[kept.length - 1]!;
    expect(kept.slice(0, -1)).to.deep.equal(notes.slice(0, kept.length - 1));
    expect(last).to.equal(`and ${2000 - (kept.length - 1)} more normalisations`);
    expect(Buffer.byteLength(JSON.stringify(kept))).to.be.at.most(0xffff);
    expect(pending[0]!.value.toString()).to.equal('envelope 1');
    await reopened.close();
  });

  it('reads the records of the earlier format (a digest flagged by the top bit only) as before', async () => {
    // Written byte by byte as the outbox wrote them before notes: u32 length | u32 CRC | u64 at | u16 key length
    // (top bit: a digest follows) | key | u8 digest length | digest | envelope.
    const { crc32 } = await import('../src/outbox/crc32');
    const record = (key: string, value: string, digest?: string) => {
      const k = Buffer.from(key);
      const d =
        digest === undefined
          ? Buffer.alloc(0)
          : Buffer.concat([Buffer.from([digest.length]), Buffer.from(digest)]);
      const rest = Buffer.alloc(10 + k.length + d.length + value.length);
      rest.writeBigUInt64BE(1700000000000n, 0);
      rest.writeUInt16BE(k.length | (digest === undefined ? 0 : 0x8000), 8);
      k.copy(rest, 10);
      d.copy(rest, 10 + k.length);
      Buffer.from(value).copy(rest, 10 + k.length + d.length);
      const head = Buffer.alloc(8);
      head.writeUInt32BE(rest.length, 0);
      head.writeUInt32BE(crc32(rest), 4);
      return Buffer.concat([head, rest]);
    };
    appendFileSync(
      join(dir, 'segment-00000001.log'),
      Buffer.concat([record('old-1', 'plain'), record('old-2', 'digested', 'abcd')]),
    );
    const { pending, log } = OutboxLog.open({ dir });
    expect(
      pending.map((r) => [r.key, r.bodyDigest, r.notes, r.value.toString(), r.appendedAt]),
    ).to.deep.equal([
      ['old-1', undefined, undefined, 'plain', 1700000000000],
      ['old-2', 'abcd', undefined, 'digested', 1700000000000],
    ]);
    await log.close();
  });

  it('asks for what was derived from published records to be made durable before it moves its cursor', async () => {
    const cursorAtHook: (string | undefined)[] = [];
    const { log } = OutboxLog.open({
      dir,
      beforeCommit: () =>
        cursorAtHook.push(
          readdirSync(dir).includes('cursor.json')
            ? readFileSync(join(dir, 'cursor.json'), 'utf8')
            : undefined,
        ),
    });
    const first = await log.append('a', Buffer.from('first'));
    const second = await log.append('b', Buffer.from('second'));
    log.commit(first.end);
    log.commit(second.end);
    expect(cursorAtHook, 'each hook call saw the cursor of before its commit').to.deep.equal([
      undefined,
      JSON.stringify(first.end),
    ]);
    await log.close();
  });

  it('shares one fsync among concurrent appends and keeps each one intact', async () => {
    const { log } = OutboxLog.open({ dir });
    // The flushes of the records' bytes (the folder's, of a new segment's name, are fsyncSync's).
    let flushes = 0;
    const real = fs.fdatasyncSync;
    fs.fdatasyncSync = (fd: number) => {
      flushes++;
      real(fd);
    };
    syncBuiltinESMExports();
    let all: Awaited<ReturnType<typeof log.append>>[];
    try {
      all = await Promise.all(
        Array.from({ length: 500 }, (_, i) => log.append(`k${i}`, Buffer.alloc(100, i % 256))),
      );
    } finally {
      fs.fdatasyncSync = real;
      syncBuiltinESMExports();
    }
    // Made in one turn of the event loop, the 500 wait together for a flush or a few, not one each.
    expect(flushes, 'fdatasync calls for 500 concurrent appends').to.be.within(1, 10);
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

  it('after a write that failed, gives the next records the offsets where their bytes are', async () => {
    const { log } = OutboxLog.open({ dir });
    await log.append('a', Buffer.from('first'));
    const segment = join(
      dir,
      readdirSync(dir).find((f) => f.startsWith('segment-'))!,
    );
    // The disk refuses one write (as when it is full): the segment's descriptor swapped for one that cannot write.
    const held = log as unknown as { fd: number };
    const writable = held.fd;
    held.fd = openSync(segment, 'r');
    const failed = await log.append('b', Buffer.from('second')).catch((err: Error) => err);
    expect(failed).to.be.instanceOf(Error);
    expect((failed as HubError).code).to.equal('OUTBOX_WRITE_FAILED');
    expect((failed as HubError).details.outboxDir).to.equal(dir);
    closeSync(held.fd);
    held.fd = writable;
    const c = await log.append('c', Buffer.from('third'));
    expect(c.end.offset).to.equal(statSync(segment).size);
    await log.append('d', Buffer.from('fourth'));
    // Published up to c: d alone is still to send (with c's offset past the file's end, d was taken for sent).
    log.commit(c.end);
    await log.close();
    expect(OutboxLog.open({ dir }).pending.map((r) => r.key)).to.deep.equal(['d']);
  });

  it('after a failed write whose undoing failed too, goes on in a new segment, so that no acknowledged record is lost', async () => {
    const { log } = OutboxLog.open({ dir });
    const a = await log.append('a', Buffer.from('first'));
    const held = log as unknown as { fd: number };
    const segment = join(dir, 'segment-00000001.log');
    // A disk that takes part of a write, then refuses the rest and the truncation that would undo it (an I/O error).
    const failure = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });
    const real = { writeSync: fs.writeSync, ftruncateSync: fs.ftruncateSync, openSync: fs.openSync };
    const failing = held.fd;
    let writes = 0;
    fs.writeSync = ((fd: number, buffer: Buffer, offset?: number) => {
      if (fd !== failing) return (real.writeSync as (...args: unknown[]) => number)(fd, buffer, offset);
      if (writes++ > 0) throw failure('ENOSPC');
      return real.writeSync(fd, buffer, offset ?? 0, 13);
    }) as typeof fs.writeSync;
    fs.ftruncateSync = ((fd: number, len?: number) => {
      if (fd === failing) throw failure('EIO');
      real.ftruncateSync(fd, len);
    }) as typeof fs.ftruncateSync;
    // And, once, the next segment cannot be made either.
    let refusals = 0;
    fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
      if (String(path).endsWith('segment-00000002.log') && refusals++ === 0) throw failure('ENOSPC');
      return (real.openSync as (...args: unknown[]) => number)(path, ...rest);
    }) as typeof fs.openSync;
    syncBuiltinESMExports();
    let b: unknown;
    let c: unknown;
    try {
      b = await log.append('b', Buffer.from('second, torn')).catch((err: Error) => err);
      c = await log.append('c', Buffer.from('third, no segment')).catch((err: Error) => err);
    } finally {
      Object.assign(fs, real);
      syncBuiltinESMExports();
    }
    expect(b).to.be.instanceOf(Error);
    expect((b as HubError).details.errno).to.equal('ENOSPC');
    expect(c).to.be.instanceOf(Error);
    const garbage = statSync(segment).size;
    expect(garbage, '13 bytes of b left after a').to.equal(a.end.offset + 13);
    // Nothing more in the segment that ends in b's bytes: d and e go to the next, and are durable there.
    const d = await log.append('d', Buffer.from('fourth'));
    const e = await log.append('e', Buffer.from('fifth'));
    expect(d.end.segment).to.equal(2);
    expect(statSync(segment).size).to.equal(garbage);
    // A publisher reading on past a's end (its backlog on disk) finds them beyond the bytes of b.
    expect(log.readFrom(a.end, 1 << 20).map((r) => r.key)).to.deep.equal(['d', 'e']);
    expect(log.readFrom({ segment: 1, offset: 0 }, 1 << 20).map((r) => r.key)).to.deep.equal(['a', 'd', 'e']);
    await log.close();
    // At the next start, b's bytes are cut as a torn tail, and every acknowledged record is still to publish.
    const reopened = OutboxLog.open({ dir });
    expect(reopened.pending.map((r) => r.key)).to.deep.equal(['a', 'd', 'e']);
    expect(reopened.pending.map((r) => r.end)).to.deep.equal([a.end, d.end, e.end]);
    expect(statSync(segment).size).to.equal(a.end.offset);
    const f = await reopened.log.append('f', Buffer.from('sixth'));
    expect(f.end.segment).to.equal(2);
    reopened.log.commit(e.end);
    await reopened.log.close();
    expect(OutboxLog.open({ dir }).pending.map((r) => r.key)).to.deep.equal(['f']);
  });

  /**
   * Appends `key` to `log` while the disk takes its bytes whole but fails the flush and the truncation that would undo
   * them (an I/O error), and, when `markable` is false, the writing of any other file: the append's error.
   */
  const appendWhileFlushFails = async (log: OutboxLog, key: string, markable = true): Promise<unknown> => {
    const failing = (log as unknown as { fd: number }).fd;
    const failure = (code: string) => Object.assign(new Error(`${code}: simulated`), { code });
    const real = { fdatasyncSync: fs.fdatasyncSync, ftruncateSync: fs.ftruncateSync, openSync: fs.openSync };
    fs.fdatasyncSync = ((fd: number) => {
      if (fd === failing) throw failure('EIO');
      real.fdatasyncSync(fd);
    }) as typeof fs.fdatasyncSync;
    fs.ftruncateSync = ((fd: number, len?: number) => {
      if (fd === failing) throw failure('EIO');
      real.ftruncateSync(fd, len);
    }) as typeof fs.ftruncateSync;
    fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
      if (!markable) throw failure('EIO');
      return (real.openSync as (...args: unknown[]) => number)(path, ...rest);
    }) as typeof fs.openSync;
    syncBuiltinESMExports();
    try {
      return await log.append(key, Buffer.from(`${key}, refused`)).then(
        () => undefined,
        (err: unknown) => err,
      );
    } finally {
      Object.assign(fs, real);
      syncBuiltinESMExports();
    }
  };

  it('never gives a record of a failed write whose bytes stayed whole, neither while publishing nor after a restart', async () => {
    const { log } = OutboxLog.open({ dir });
    const a = await log.append('a', Buffer.from('first'));
    const segment = join(dir, 'segment-00000001.log');
    const b = await appendWhileFlushFails(log, 'b');
    expect(b).to.be.instanceOf(Error);
    expect((b as HubError).details.errno).to.equal('EIO');
    expect(statSync(segment).size, "b's bytes, whole, after a").to.be.above(a.end.offset + 10);
    // A publisher reading its backlog from the disk does not take b for a record.
    expect(log.readFrom({ segment: 1, offset: 0 }, 1 << 20).map((r) => r.key)).to.deep.equal(['a']);
    // After a crash now, before anything more is written: b is not given either, and what comes next is kept.
    const crashed = OutboxLog.open({ dir });
    expect(crashed.pending.map((r) => r.key)).to.deep.equal(['a']);
    const c = await crashed.log.append('c', Buffer.from('third'));
    expect(c.end.segment, 'not after the mark').to.equal(2);
    expect(crashed.log.readFrom({ segment: 1, offset: 0 }, 1 << 20).map((r) => r.key)).to.deep.equal([
      'a',
      'c',
    ]);
    await crashed.log.close();
    await log.close();
    const reopened = OutboxLog.open({ dir });
    expect(reopened.pending.map((r) => r.key)).to.deep.equal(['a', 'c']);
    // Once the segment is published, its mark goes with it.
    reopened.log.commit(c.end);
    await reopened.log.close();
    expect(readdirSync(dir).sort()).to.deep.equal(['cursor.json', 'segment-00000002.log']);
  });

  it('writes nothing more after a failed write whose bytes stayed until it has marked where its records end', async () => {
    const { log } = OutboxLog.open({ dir });
    await log.append('a', Buffer.from('first'));
    // The mark cannot be written either at first: b's bytes are still never read.
    expect(await appendWhileFlushFails(log, 'b', false)).to.be.instanceOf(Error);
    expect(log.readFrom({ segment: 1, offset: 0 }, 1 << 20).map((r) => r.key)).to.deep.equal(['a']);
    // Nor while the mark still cannot be written: the next append is refused, and nothing written.
    const segment = join(dir, 'segment-00000001.log');
    const size = statSync(segment).size;
    const realOpen = fs.openSync;
    fs.openSync = ((path: fs.PathLike, ...rest: unknown[]) => {
      if (String(path).endsWith('.end.tmp'))
        throw Object.assign(new Error('EIO: simulated'), { code: 'EIO' });
      return (realOpen as (...args: unknown[]) => number)(path, ...rest);
    }) as typeof fs.openSync;
    syncBuiltinESMExports();
    let c: unknown;
    try {
      c = await log.append('c', Buffer.from('third')).catch((err: unknown) => err);
    } finally {
      fs.openSync = realOpen;
      syncBuiltinESMExports();
    }
    expect(c).to.be.instanceOf(Error);
    expect((c as HubError).details).to.deep.equal({ outboxDir: dir, errno: 'EIO' });
    expect(statSync(segment).size).to.equal(size);
    expect(readdirSync(dir).filter((f) => f.startsWith('segment-'))).to.deep.equal(['segment-00000001.log']);
    // Once it can be: marked first, then on in a new segment.
    const d = await log.append('d', Buffer.from('fourth'));
    expect(d.end.segment).to.equal(2);
    await log.close();
    expect(OutboxLog.open({ dir }).pending.map((r) => r.key)).to.deep.equal(['a', 'd']);
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

  it('starts from the beginning of its log, naming the file, when its cursor holds no position', async () => {
    const { log } = OutboxLog.open({ dir, segmentBytes: 1000 });
    const records = [];
    for (let i = 0; i < 40; i++) records.push(await log.append(`k${i}`, Buffer.alloc(100)));
    const published = records[20]!;
    log.commit(published.end);
    await log.close();
    // Every record of the segments kept: those before the cursor in its segment are published again.
    const kept = records.filter((r) => r.end.segment >= published.end.segment).map((r) => r.key);
    expect(kept.length, 'some of the published ones among them').to.be.above(19);
    const cursor = join(dir, 'cursor.json');
    // As a power loss may leave it (renamed before its bytes were on the disk), or any other damage.
    for (const damaged of ['', '{"segment":', 'null', '{}', '{"segment":0,"offset":-1}', '[1,2]']) {
      writeFileSync(cursor, damaged);
      const warnings: [Record<string, unknown>, string][] = [];
      // What a pino logger's warn is given: the fields, then the message.
      const logger = {
        warn: (fields: Record<string, unknown>, message: string) => warnings.push([fields, message]),
      } as unknown as Pick<Logger, 'warn'>;
      const reopened = OutboxLog.open({ dir, segmentBytes: 1000, logger });
      expect(reopened.cursor, damaged).to.deep.equal({ segment: 1, offset: 0 });
      expect(
        reopened.pending.map((r) => r.key),
        damaged,
      ).to.deep.equal(kept);
      expect(reopened.log.readCursor(), 'read again by the publisher').to.deep.equal({
        segment: 1,
        offset: 0,
      });
      expect(warnings, `reported once: ${damaged}`).to.have.length(1);
      expect(warnings[0]![0]).to.include({ path: cursor });
      expect(warnings[0]![1]).to.include(cursor);
      // Once something is published again, the cursor is whole and read as it is.
      reopened.log.commit(published.end);
      expect(reopened.log.readCursor()).to.deep.equal(published.end);
      await reopened.log.close();
      writeFileSync(cursor, damaged);
    }
    // Without a logger of its own, a process warning that names the file.
    const emitted: string[] = [];
    const emit = process.emitWarning;
    process.emitWarning = ((warning: string | Error) => emitted.push(String(warning))) as typeof emit;
    try {
      const reopened = OutboxLog.open({ dir, segmentBytes: 1000 });
      expect(reopened.pending.length).to.be.above(0);
      await reopened.log.close();
    } finally {
      process.emitWarning = emit;
    }
    expect(emitted).to.have.length(1);
    expect(emitted[0]).to.include(cursor);
  });

  it('makes each new segment’s name durable in the folder before a record of it is acknowledged', async () => {
    // What happened, in order: a segment file made, the outbox folder flushed, a record acknowledged.
    const events: string[] = [];
    const folder = statSync(dir).ino;
    const real = { fsyncSync: fs.fsyncSync, openSync: fs.openSync };
    fs.fsyncSync = (fd: number) => {
      real.fsyncSync(fd);
      if (fstatSync(fd).ino === folder) events.push('folder flushed');
    };
    fs.openSync = (path: fs.PathLike, flags: fs.OpenMode, mode?: fs.Mode | null) => {
      const segment = /segment-(\d+)\.log$/.exec(String(path))?.[1];
      const made = segment !== undefined && !fs.existsSync(path);
      const fd = real.openSync(path, flags, mode);
      if (made) events.push(`made segment ${Number(segment)}`);
      return fd;
    };
    syncBuiltinESMExports();
    try {
      // A record of about 80 bytes in segments of 100: each in a segment of its own.
      const { log } = OutboxLog.open({ dir, segmentBytes: 100 });
      for (let i = 0; i < 3; i++) {
        const r = await log.append(`key-${i}`, Buffer.alloc(60, i));
        events.push(`acknowledged in segment ${r.end.segment}`);
      }
      await log.close();
      events.push('restarted');
      // At start, the segment it goes on with (made by a run that may have stopped before flushing the folder).
      const reopened = OutboxLog.open({ dir, segmentBytes: 1000 });
      await reopened.log.append('key-3', Buffer.from('small'));
      events.push('acknowledged');
      await reopened.log.close();
    } finally {
      Object.assign(fs, real);
      syncBuiltinESMExports();
    }
    expect(events).to.deep.equal([
      'made segment 1',
      'folder flushed',
      'acknowledged in segment 1',
      'made segment 2',
      'folder flushed',
      'acknowledged in segment 2',
      'made segment 3',
      'folder flushed',
      'acknowledged in segment 3',
      'restarted',
      'folder flushed',
      'acknowledged',
    ]);
  });

  it('refuses the records of a new segment whose name it cannot flush, and flushes it with the next batch', async () => {
    const { log } = OutboxLog.open({ dir, segmentBytes: 100 });
    await log.append('key-0', Buffer.alloc(60));
    const folder = statSync(dir).ino;
    const real = { fsyncSync: fs.fsyncSync };
    let flushes = 0;
    fs.fsyncSync = (fd: number) => {
      if (fstatSync(fd).ino === folder && flushes++ === 0) throw new Error('EIO: i/o error, fsync');
      real.fsyncSync(fd);
    };
    syncBuiltinESMExports();
    try {
      const refused = await log.append('key-1', Buffer.alloc(60)).catch((e: Error) => e);
      expect(refused).to.be.instanceOf(Error);
      expect((refused as Error & { code?: string }).code).to.equal('OUTBOX_WRITE_FAILED');
      const taken = await log.append('key-2', Buffer.alloc(60));
      expect(taken.end.segment).to.equal(2);
      expect(flushes).to.equal(2);
    } finally {
      Object.assign(fs, real);
      syncBuiltinESMExports();
    }
    await log.close();
    const reopened = OutboxLog.open({ dir });
    expect(reopened.pending.map((r) => r.key)).to.deep.equal(['key-0', 'key-2']);
    await reopened.log.close();
  });

  it('has the cursor on the disk before it takes the name cursor.json', async () => {
    const { log } = OutboxLog.open({ dir });
    const first = await log.append('a', Buffer.from('first'));
    const second = await log.append('b', Buffer.from('second'));
    // Which files were flushed (by inode), and which of them each rename moved.
    const flushed = new Set<number>();
    const renamed: { from: string; flushedBefore: boolean; bytes: number }[] = [];
    const real = { fsyncSync: fs.fsyncSync, fdatasyncSync: fs.fdatasyncSync, renameSync: fs.renameSync };
    fs.fsyncSync = (fd: number) => {
      real.fsyncSync(fd);
      flushed.add(fstatSync(fd).ino);
    };
    fs.fdatasyncSync = (fd: number) => {
      real.fdatasyncSync(fd);
      flushed.add(fstatSync(fd).ino);
    };
    fs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
      const at = statSync(from);
      renamed.push({ from: String(from), flushedBefore: flushed.has(at.ino), bytes: at.size });
      real.renameSync(from, to);
    };
    syncBuiltinESMExports();
    try {
      log.commit(first.end);
      log.commit(second.end);
    } finally {
      Object.assign(fs, real);
      syncBuiltinESMExports();
    }
    expect(renamed.map((r) => [r.from, r.flushedBefore])).to.deep.equal([
      [join(dir, 'cursor.json.tmp'), true],
      [join(dir, 'cursor.json.tmp'), true],
    ]);
    expect(renamed.map((r) => r.bytes)).to.deep.equal([
      JSON.stringify(first.end).length,
      JSON.stringify(second.end).length,
    ]);
    expect(JSON.parse(readFileSync(join(dir, 'cursor.json'), 'utf8'))).to.deep.equal(second.end);
    await log.close();
  });
});
