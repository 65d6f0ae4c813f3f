// A disk that fills under one file, for unit tests of what a node writes: the first write to the file takes only a few
// bytes, and every write to it after that fails with ENOSPC until the space is freed. Other files are not touched.
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
