// The national node's inbox folder: a file that could be imported but not moved is passed over while it stays as
// it is, and taken again once it changes (a new file of the same name).
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInboxWatcher } from '../../services/national-node/src/inbox-watcher';

describe('national node inbox folder', () => {
  it('passes over a file it could not move while it is unchanged, and takes a new file of its name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-inbox-'));
    const stuck: string[] = [];
    const logger = {
      info: () => undefined,
      warn: () => undefined,
      error: (fields: { file?: string }, message: string) => {
        if (/could not be moved/.test(message)) stuck.push(String(fields.file));
      },
    };
    const watcher = startInboxWatcher({
      dir,
      // Not what is tested here: the node's CSV import, which takes every row.
      importCsv: async () => ({ accepted: 1, rejected: 0, errors: [] }) as never,
      logger: logger as never,
      pollMs: 3_600_000,
      stableMs: 0,
      // Ahead of the files' times, which the file system may set a little after its clock reads.
      clock: () => Date.now() + 60_000,
    });
    const twice = async () => [...(await watcher.poll()), ...(await watcher.poll())];
    try {
      // done/ and failed/ are no folders: nothing can be moved there.
      for (const d of ['done', 'failed']) {
        rmSync(join(dir, d), { recursive: true });
        writeFileSync(join(dir, d), 'not a folder');
      }
      writeFileSync(join(dir, 'daily.csv'), 'date,drug\n2026-03-01,heroin\n');
      expect(await twice()).to.deep.equal([]);
      expect(stuck).to.deep.equal(['daily.csv']);
      expect(await twice()).to.deep.equal([]);
      expect(stuck, 'not imported again while unchanged').to.deep.equal(['daily.csv']);

      // The folders mended, and the next day's file of the same name: imported and moved.
      for (const d of ['done', 'failed']) {
        rmSync(join(dir, d));
        mkdirSync(join(dir, d));
      }
      writeFileSync(join(dir, 'daily.csv'), 'date,drug\n2026-03-02,opium\n2026-03-02,heroin\n');
      const outcomes = await twice();
      expect(outcomes.map((o) => o.file)).to.deep.equal(['daily.csv']);
      expect(stuck).to.deep.equal(['daily.csv']);
    } finally {
      await watcher.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
