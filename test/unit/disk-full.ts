// A disk that fills under one file, for unit tests of what a node writes: the first write to the file takes only a few
// bytes, and every write to it after that fails with ENOSPC until the space is freed. Other files are not touched. And
// a disk whose flushes of one file fail (a failed writeback).
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

export interface FullDisk {
  /** Writes to the file that failed (the short one counted). */
  failures: number;
  /** Space freed: writes go through again (the disk stays patched until `restore`). */
  free(): void;
  /** The real fs back. */
  restore(): void;
}

/** From now on, writes to `file` (by its inode: whatever descriptor it is open on) fail as on a full disk. */
export function fillDiskUnder(file: string, { shortWrite = 10 }: { shortWrite?: number } = {}): FullDisk {
  const inode = fs.statSync(file).ino;
  const real = fs.writeSync;
  let full = true;
  let short = true;
  const disk: FullDisk = {
    failures: 0,
    free: () => {
      full = false;
    },
    restore: () => {
      fs.writeSync = real;
      syncBuiltinESMExports();
    },
  };
  fs.writeSync = ((fd: number, buffer: Buffer, offset?: number, ...rest: unknown[]) => {
    const call = () => (real as (...args: unknown[]) => number)(fd, buffer, offset, ...rest);
    if (!full || fs.fstatSync(fd).ino !== inode) return call();
    disk.failures++;
    if (short) {
      short = false;
      return real(fd, buffer, offset ?? 0, Math.min(shortWrite, buffer.length - (offset ?? 0)));
    }
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  }) as typeof fs.writeSync;
  syncBuiltinESMExports();
  return disk;
}

export interface FailingFlush {
  /** Flushes of the file that failed. */
  failures: number;
  /** Writes to the file (whatever their length), from the start. */
  writes: number;
  /** The real fs back. */
  restore(): void;
}

/**
 * From now on, the next `times` flushes (fdatasync) of `file` fail with EIO, as a failed writeback does on Linux: once,
 * after which the kernel has marked the pages clean and the next flush succeeds without them on the disk. Writes to the
 * file are counted, to see what is written again.
 */
export function failFlushOf(file: string, { times = 1 }: { times?: number } = {}): FailingFlush {
  const inode = fs.statSync(file).ino;
  const realFlush = fs.fdatasyncSync;
  const realWrite = fs.writeSync;
  let left = times;
  const flush: FailingFlush = {
    failures: 0,
    writes: 0,
    restore: () => {
      fs.fdatasyncSync = realFlush;
      fs.writeSync = realWrite;
      syncBuiltinESMExports();
    },
  };
  fs.fdatasyncSync = ((fd: number) => {
    if (left > 0 && fs.fstatSync(fd).ino === inode) {
      left--;
      flush.failures++;
      throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    }
    realFlush(fd);
  }) as typeof fs.fdatasyncSync;
  fs.writeSync = ((fd: number, ...rest: unknown[]) => {
    if (fs.fstatSync(fd).ino === inode) flush.writes++;
    return (realWrite as (...args: unknown[]) => number)(fd, ...rest);
  }) as typeof fs.writeSync;
  syncBuiltinESMExports();
  return flush;
}
