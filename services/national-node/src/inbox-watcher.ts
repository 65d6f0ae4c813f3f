// The node's inbox folder: a CSV of seizures dropped into $HUB_HOME/nodes/<CC>/inbox/ is imported through the
// same path as POST /v1/seizures/csv, then moved to done/ (every report queued) or failed/ (at least one row
// refused), with <name>.errors.csv beside it (x.csv → x.csv.errors.csv). A file is moved only once imported: one the
// node stopped importing (a crash) is imported again at start, and its rows already sent are known by their content
// and answered as duplicates, not sent again as new versions.
//
// Partly written files are never taken: names starting with '.' or not ending in .csv are ignored (so the
// safe way is to write `.x.csv` or `x.csv.part` and rename it into place, which is atomic), and a plain copy
// is taken only once its size and modification time have stayed the same for `stableMs`.
import { mkdirSync } from 'node:fs';
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import {
  csvErrorReport,
  parseCsv,
  planCsvImport,
  toFileLines,
  type CsvDefaults,
  type CsvError,
} from '@hub/domain';
import type { Logger } from '@hub/observability';
import { decodeCsvBytes, undecodableMessage } from './text-bytes';
import type { CsvImporter } from './routes-csv';

export interface InboxWatcherOptions {
  /** The inbox folder; done/ and failed/ are created inside it. */
  dir: string;
  importCsv: CsvImporter;
  logger: Logger;
  /** How often the folder is looked at (default 1000 ms). */
  pollMs?: number;
  /** How long a file's size and mtime must stay unchanged before it is taken (default 1000 ms). */
  stableMs?: number;
  /** Stand-ins for columns the files lack (agency, tlp, ...). */
  defaults?: CsvDefaults;
  clock?: () => number;
}

export interface InboxOutcome {
  file: string;
  /** Where the file went: done/ or failed/. */
  movedTo: string;
  errorsFile: string;
  accepted: number;
  /** Of the reports accepted, those whose rows made their latest version before (the file imported again). */
  duplicates: number;
  rejected: number;
  rows: number;
}

export interface InboxWatcher {
  /** Look at the folder now and import every file that is ready. */
  poll(): Promise<InboxOutcome[]>;
  close(): Promise<void>;
}

const isCandidate = (name: string) =>
  !name.startsWith('.') && /\.csv$/i.test(name) && !/\.errors\.csv$/i.test(name);

/** `x.csv` → `x.csv.errors.csv` (as `hub import` names its report). */
export function errorsFileName(name: string): string {
  return `${name}.errors.csv`;
}

export function startInboxWatcher(options: InboxWatcherOptions): InboxWatcher {
  const { dir, logger } = options;
  const pollMs = options.pollMs ?? 1000;
  const stableMs = options.stableMs ?? 1000;
  const clock = options.clock ?? Date.now;
  for (const d of [dir, join(dir, 'done'), join(dir, 'failed')]) mkdirSync(d, { recursive: true });
  const seen = new Map<string, { size: number; mtimeMs: number }>();
  /**
   * Files imported but not moved, by name, with what they were (size and time, as `seen` had them when ready): passed
   * over until they change.
   */
  const stuck = new Map<string, string>();
  const signature = (name: string) => {
    const s = seen.get(name);
    return s ? `${s.size}:${s.mtimeMs}` : '';
  };
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<InboxOutcome[]> = Promise.resolve([]);

  async function ready(): Promise<string[]> {
    const names = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && isCandidate(e.name))
      .map((e) => e.name);
    const out: string[] = [];
    for (const name of names) {
      const s = await stat(join(dir, name)).catch(() => undefined);
      if (!s) continue;
      const before = seen.get(name);
      seen.set(name, { size: s.size, mtimeMs: s.mtimeMs });
      if (before?.size === s.size && before.mtimeMs === s.mtimeMs && clock() - s.mtimeMs >= stableMs)
        out.push(name);
    }
    for (const name of seen.keys()) if (!names.includes(name)) seen.delete(name);
    return out.sort();
  }

  async function importFile(name: string): Promise<InboxOutcome> {
    const path = join(dir, name);
    const errors: CsvError[] = [];
    let accepted = 0;
    let duplicates = 0;
    let rejected = 0;
    let rows = 0;
    try {
      // UTF-8, or UTF-16 by its byte-order mark; a file in another encoding (windows-1251 from Excel in a Russian
      // locale) is refused whole, where it stops being UTF-8, rather than its text imported with U+FFFD in it.
      const decoded = decodeCsvBytes(await readFile(path));
      if ('undecodable' in decoded) {
        const u = decoded.undecodable;
        errors.push({
          line: u.line,
          column: '',
          value: u.bytes,
          message: `nothing of the file was imported: it ${undecodableMessage(u, 'save it in UTF-8 (Excel: Save As, "CSV UTF-8") and drop it again')}`,
        });
      } else {
        const plan = planCsvImport(parseCsv(decoded.text), { defaults: options.defaults });
        rows = plan.rows;
        errors.push(...plan.headerErrors, ...plan.refused.flatMap((r) => r.errors));
        rejected += plan.refused.length;
        for (const chunk of plan.chunks) {
          const result = await options.importCsv(chunk.text, {
            channel: 'inbox',
            defaults: options.defaults,
          });
          accepted += result.accepted;
          duplicates += result.results.filter((r) => r.duplicate).length;
          rejected += result.rejected;
          errors.push(...toFileLines(chunk, result.errors));
        }
      }
    } catch (err) {
      logger.error({ err, file: name }, 'inbox import stopped');
      errors.push({
        line: 0,
        column: '',
        value: '',
        message: `the import stopped (${(err as Error).message}); rows not listed above may not have been sent: drop the file again (the reports it sent are known and not sent again)`,
      });
    }
    const failed = errors.length > 0 || rejected > 0;
    const target = join(dir, failed ? 'failed' : 'done');
    const movedName = await freeName(target, name, clock());
    const errorsFile = join(target, errorsFileName(movedName));
    // The report first, so that whoever sees the file in done/ or failed/ also finds its report.
    await writeFile(errorsFile, csvErrorReport(errors));
    await rename(path, join(target, movedName));
    seen.delete(name);
    const outcome = {
      file: name,
      movedTo: join(target, movedName),
      errorsFile,
      accepted,
      duplicates,
      rejected,
      rows,
    };
    logger.info({ ...outcome }, failed ? 'inbox file imported with refused rows' : 'inbox file imported');
    return outcome;
  }

  async function pollOnce(): Promise<InboxOutcome[]> {
    const outcomes: InboxOutcome[] = [];
    const names = await ready();
    // One gone (moved by hand) is forgotten; one replaced by another file of its name is imported again.
    for (const name of stuck.keys()) if (!names.includes(name)) stuck.delete(name);
    for (const name of names) {
      if (closed) break;
      const before = signature(name);
      if (stuck.get(name) === before) continue;
      stuck.delete(name);
      try {
        outcomes.push(await importFile(name));
      } catch (err) {
        // Imported but not moved (a read-only folder?): not imported again on every poll while it stays as it is.
        stuck.set(name, before);
        logger.error({ err, file: name }, 'inbox file could not be moved to done/ or failed/; left in place');
      }
    }
    return outcomes;
  }

  const poll = () => {
    running = running.then(pollOnce, pollOnce);
    return running;
  };
  const schedule = () => {
    if (closed) return;
    timer = setTimeout(() => {
      poll()
        .catch((err: unknown) => logger.error({ err, dir }, 'inbox poll failed'))
        .finally(schedule);
    }, pollMs);
    timer.unref();
  };
  schedule();
  logger.info({ dir, pollMs, stableMs }, 'watching the CSV inbox');

  return {
    poll,
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}

/** `name`, or `name` with a time stamp when the target folder already has a file of that name. */
async function freeName(dir: string, name: string, now: number): Promise<string> {
  const exists = async (n: string) =>
    stat(join(dir, n)).then(
      () => true,
      () => false,
    );
  if (!(await exists(name)) && !(await exists(errorsFileName(name)))) return name;
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const ext = extname(name);
  return `${basename(name, ext)}.${stamp}${ext}`;
}
