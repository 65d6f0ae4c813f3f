// The inbox folder without a stack: files in the encodings spreadsheets write, handed to an importer that keeps
// what it was given; and a file imported again after a crash, through the node's own importer.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { csvReportId, parseCsv } from '@hub/domain';
import { createLogger } from '@hub/observability';
import { createSeizureAcceptor } from '../src/app';
import { startInboxWatcher, type InboxWatcher } from '../src/inbox-watcher';
import { ReportsIndex } from '../src/reports-index';
import { createCsvImporter, type CsvImportResult } from '../src/routes-csv';

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

describe('national node inbox folder: a file imported again after a crash', () => {
  let dir: string;
  let index: string;
  let watcher: InboxWatcher | undefined;
  let reports: ReportsIndex | undefined;
  /** What reached the submitter: type, report and version. */
  let sent: string[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-node-inbox-'));
    index = join(dir, 'state', 'reports.idx');
    sent = [];
  });
  afterEach(async () => {
    await watcher?.close();
    reports?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The node as it starts: its reports index read from disk, the real importer, a submitter that signs nothing. */
  const start = () => {
    reports = new ReportsIndex(index);
    const logger = createLogger('test:inbox', { level: 'silent' });
    const acceptor = createSeizureAcceptor({
      country: 'KZ',
      reports,
      regions: new Set(['central-asia']),
      submitter: {
        async submit(type, key, value) {
          sent.push(`${type} ${key} ${(value as { version: number }).version}`);
          return { messageId: randomUUID() };
        },
      },
    });
    watcher = startInboxWatcher({
      dir: join(dir, 'inbox'),
      pollMs: 3_600_000,
      stableMs: 0,
      logger,
      importCsv: createCsvImporter({ acceptor, logger }),
    });
    return watcher;
  };
  const stop = async () => {
    await watcher!.close();
    reports!.close();
    watcher = reports = undefined;
  };
  const drop = async (name: string, text: string) => {
    const path = join(dir, 'inbox', name);
    writeFileSync(path, text);
    const before = new Date(Date.now() - 10_000);
    utimesSync(path, before, before);
    await watcher!.poll();
    const [outcome] = await watcher!.poll();
    expect(outcome, `${name} taken`).to.not.equal(undefined);
    return outcome!;
  };

  it('sends none of the rows again: they are known as the versions they made, across a restart', async () => {
    const file = [
      HEADER,
      'CRASH-1,2026-04-01,Heroin,2.5,kg,Khorgos,customs,AMBER',
      'CRASH-2,2026-04-02,Opium,1,kg,Khorgos,customs,AMBER',
      'CRASH-3,2026-04-03,Cocaine,1,kg,Khorgos,customs,AMBER',
    ].join('\r\n');
    start();
    const first = await drop('seizures.csv', file);
    expect(first).to.include({ accepted: 3, duplicates: 0, rejected: 0 });
    const ids = ['CRASH-1', 'CRASH-2', 'CRASH-3'].map((r) => csvReportId('KZ', r));
    expect(sent).to.have.members(ids.map((id) => `SeizureReport ${id} 1`));
    // The node stops, and at start finds the file in the inbox again (as a crash before its move leaves it).
    await stop();
    start();
    const again = await drop('seizures.csv', file);
    expect(again).to.include({ accepted: 3, duplicates: 3, rejected: 0 });
    expect(again.movedTo).to.equal(join(dir, 'inbox', 'done', basename(again.movedTo)));
    expect(sent, 'nothing sent again').to.have.length(3);
    for (const id of ids) expect(reports!.latest(id), id).to.equal(1);
    // A corrected file: the changed row alone is sent, as its report's next version.
    const corrected = await drop('seizures.csv', file.replace('Opium,1,kg', 'Opium,1.5,kg'));
    expect(corrected).to.include({ accepted: 3, duplicates: 2 });
    expect(sent).to.have.length(4);
    expect(sent[3]).to.equal(`SeizureReport ${ids[1]} 2`);
  });
});
