// The inbox folder without a stack: files in the encodings spreadsheets write, handed to an importer that keeps
// what it was given.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCsv } from '@hub/domain';
import { createLogger } from '@hub/observability';
import { startInboxWatcher, type InboxWatcher } from '../src/inbox-watcher';
import type { CsvImportResult } from '../src/routes-csv';

const HEADER =
  'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Place,Agency,TLP';
const PLACE = 'Хоргос';
const FILE = [HEADER, `INBOX-ENC,2026-04-01,Heroin,2.5,kg,${PLACE},customs,AMBER`].join('\r\n');

describe('national node inbox folder: file encodings', () => {
  let dir: string;
  let watcher: InboxWatcher;
  /** The CSV text of each chunk handed to the importer. */
  let imported: string[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-node-inbox-'));
    imported = [];
    watcher = startInboxWatcher({
      dir,
      pollMs: 3_600_000,
      stableMs: 0,
      logger: createLogger('test:inbox', { level: 'silent' }),
      importCsv: async (text): Promise<CsvImportResult> => {
        imported.push(text);
        return { accepted: 1, rejected: 0, rows: 1, results: [], errors: [], ignoredColumns: [] };
      },
    });
  });
  afterEach(async () => {
    await watcher.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Drop `bytes` as `name` and poll until the watcher has taken it (seen once, then unchanged). */
  const drop = async (name: string, bytes: Uint8Array) => {
    writeFileSync(join(dir, name), bytes);
    // Written a while ago: a modification time in the clock's past however the two are rounded.
    const before = new Date(Date.now() - 10_000);
    utimesSync(join(dir, name), before, before);
    await watcher.poll();
    const [outcome] = await watcher.poll();
    expect(outcome, `${name} taken`).to.not.equal(undefined);
    return outcome!;
  };
  const report = (path: string) =>
    parseCsv(readFileSync(path, 'utf8')).rows.map(({ fields: [line, column, value, message] }) => ({
      line: Number(line),
      column,
      value,
      message,
    }));

  it('moves a file that is not UTF-8 to failed/, naming the line and byte, and imports nothing of it', async () => {
    // "Хоргос" as windows-1251 writes it (Excel in a Russian locale).
    const bytes = Buffer.from(FILE.replace(PLACE, '\u00d5\u00ee\u00f0\u00e3\u00ee\u00f1'), 'latin1');
    const outcome = await drop('cp1251.csv', bytes);
    expect(imported).to.deep.equal([]);
    expect(outcome.movedTo).to.equal(join(dir, 'failed', 'cp1251.csv'));
    expect(existsSync(outcome.movedTo)).to.equal(true);
    const offset = FILE.indexOf(PLACE);
    expect(report(outcome.errorsFile)).to.deep.equal([
      {
        line: 2,
        column: '',
        value: '0xD5 0xEE 0xF0 0xE3',
        message: `nothing of the file was imported: it cannot be read as UTF-8: line 2, byte offset ${offset}: the bytes there (0xD5 0xEE 0xF0 0xE3) are not UTF-8; save it in UTF-8 (Excel: Save As, "CSV UTF-8") and drop it again`,
      },
    ]);
  });

  it('imports UTF-8 with a byte-order mark and UTF-16 by its mark (Excel’s "Unicode text")', async () => {
    const bom = await drop('bom.csv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(FILE)]));
    expect(bom.movedTo).to.equal(join(dir, 'done', 'bom.csv'));
    const unicode = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(FILE.replaceAll(',', '\t'), 'utf16le'),
    ]);
    const excel = await drop('unicode.csv', unicode);
    expect(excel.movedTo).to.equal(join(dir, 'done', 'unicode.csv'));
    expect(imported).to.have.length(2);
    for (const text of imported) {
      expect(text).to.contain(PLACE);
      expect(text).to.not.contain('\uFFFD');
      expect(text).to.not.contain('\u0000');
    }
  });
});
