// The error report a bulk import writes: checked before anything is sent, so that no run loses it at its end.
import { closeSync, existsSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { HubError } from '@hub/errors';

/**
 * Refuse (USAGE) an error-report path that cannot be written (a folder that does not exist or may not be written to,
 * a directory), before anything is sent: the report would otherwise be lost once every row has been. `given` is
 * false when the path is the default, <file>.errors.csv. A report already there is left as it is until the end.
 */
export function checkReportWritable(path: string, given: boolean): void {
  const existed = existsSync(path);
  try {
    closeSync(openSync(path, 'a'));
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new HubError(
      'USAGE',
      given
        ? `--errors ${path}: cannot write it (${why}); nothing was sent`
        : `the error report goes to ${path} (<file>.errors.csv), which cannot be written (${why}): give --errors <path> where it can; nothing was sent`,
      { cause: err },
    );
  }
  // Made only to know it could be: the report itself is written at the end.
  if (!existed) rmSync(path, { force: true });
}

/**
 * Write the report to `path`. Should that fail after all (the folder removed meanwhile, a full disk), the report goes
 * to stderr, after a line saying why, rather than being lost; false then.
 */
export function writeReport(path: string, text: string): boolean {
  try {
    writeFileSync(path, text);
    return true;
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    process.stderr.write(`cannot write the error report to ${path} (${why}); here it is:\n${text}`);
    return false;
  }
}
