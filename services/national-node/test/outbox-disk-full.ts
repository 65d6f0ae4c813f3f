// A full disk under a node's outbox only, for the tests of an outbox that cannot write: a write may reach the page
// cache, its flush (fdatasync) never reaches the disk. The node's other files are written as ever.
import fs, { fstatSync, readdirSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';

/** From now on, flushes of the files in `outboxDir` fail with ENOSPC; returns what puts the real fs back. */
export function fillDiskUnderOutbox(outboxDir: string): () => void {
  const real = { fdatasyncSync: fs.fdatasyncSync };
  const inOutbox = (fd: number) => {
    const { ino } = fstatSync(fd);
    return readdirSync(outboxDir).some((name) => statSync(join(outboxDir, name)).ino === ino);
  };
  fs.fdatasyncSync = (fd: number) => {
    if (inOutbox(fd))
      throw Object.assign(new Error('ENOSPC: no space left on device, fdatasync'), {
        code: 'ENOSPC',
        errno: -28,
        syscall: 'fdatasync',
      });
    real.fdatasyncSync(fd);
  };
  syncBuiltinESMExports();
  return () => {
    Object.assign(fs, real);
    syncBuiltinESMExports();
  };
}
