// An outbox that cannot write (a full or failing disk), as the agencies' systems are told it and as the operator sees
// it: the answers say what to do and nothing of the node's folders; the log says where and why.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HubError } from '@hub/errors';
import { createSeizureAcceptor } from '../src/app';
import { OutboxLog } from '../src/outbox/log';
import { ReportsIndex } from '../src/reports-index';
import { createCsvImporter } from '../src/routes-csv';
import { minimal, recordingLogger, startIntakeApp, type IntakeApp } from './intake-app';
import { fillDiskUnderOutbox } from './outbox-disk-full';

const MESSAGE = 'the node cannot write to its disk now; nothing was accepted, send it again';
const CSV = [
  'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Place,Agency,TLP',
  'DISK-1,2026-04-01,Heroin,2.5,kg,Khorgos,customs,AMBER',
].join('\n');

describe('national node: an outbox that cannot write', () => {
  let root: string;
  let outboxDir: string;
  let log: OutboxLog;
  let restoreDisk: () => void;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'hub-outbox-failed-'));
    outboxDir = join(root, 'nodes', 'KZ', 'outbox');
    log = OutboxLog.open({ dir: outboxDir }).log;
    // A full disk under the outbox (the node's other files are written as ever): a write may reach the page cache,
    // its flush never reaches the disk.
    restoreDisk = fillDiskUnderOutbox(outboxDir);
  });
  afterEach(async () => {
    restoreDisk();
    await log.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses with a fixed message the agencies can act on, and keeps the folder and errno for the log', async () => {
    const refused = await log.append('key-1', Buffer.from('envelope')).catch((e: unknown) => e);
    expect(refused).to.be.instanceOf(HubError);
    const err = refused as HubError;
    expect(err.code).to.equal('OUTBOX_WRITE_FAILED');
    expect(err.retriable).to.equal(true);
    expect(err.message).to.equal(MESSAGE);
    expect(err.message).to.not.contain(root);
    expect(err.details).to.deep.equal({ outboxDir, errno: 'ENOSPC' });
    expect((err.cause as Error).message).to.contain('no space left');
  });

  describe('over HTTP', () => {
    let node: IntakeApp;
    beforeEach(async () => {
      node = await startIntakeApp();
      node.onSubmit = async (s) => {
        await log.append(s.key, Buffer.from(JSON.stringify(s.value)));
      };
    });
    afterEach(() => node.close());

    it('answers a report, a batch and a CSV 503 OUTBOX_WRITE_FAILED without a path of the node', async () => {
      const csv = { 'content-type': 'text/csv' };
      const answers = [
        await node.post('/v1/seizures', minimal),
        await node.post('/v1/seizures/batch', [minimal]),
        await node.post('/v1/seizures/csv', CSV, csv),
        await node.post('/v1/seizures/batch', CSV, csv),
      ];
      for (const answer of answers) {
        const text = JSON.stringify(answer.body);
        expect(answer.status, text).to.equal(503);
        expect(answer.body.error).to.deep.equal({ code: 'OUTBOX_WRITE_FAILED', message: MESSAGE });
        expect(text).to.not.contain(root);
        expect(text).to.not.contain('outbox in');
      }
      const [, , csvAnswer] = answers;
      expect((csvAnswer!.body.errors as unknown as { message: string }[])[0]!.message).to.equal(
        `not sent (OUTBOX_WRITE_FAILED): ${MESSAGE}`,
      );
      expect(node.submitted).to.deep.equal([]);
    });
  });

  it('logs the folder and the errno once for a CSV import, for the operator', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-outbox-failed-index-'));
    const reports = new ReportsIndex(join(dir, 'reports.idx'));
    const { logger, lines } = recordingLogger('test:outbox-failed');
    try {
      const acceptor = createSeizureAcceptor({
        country: 'KZ',
        reports,
        regions: new Set(['central-asia']),
        submitter: {
          submit: async (_type, key, value) => {
            await log.append(key, Buffer.from(JSON.stringify(value)));
            return { messageId: key };
          },
        },
      });
      const importCsv = createCsvImporter({ acceptor, logger });
      const file = [CSV, 'DISK-2,2026-04-01,Opium,1,kg,Khorgos,customs,AMBER'].join('\n');
      const result = await importCsv(file, { channel: 'csv' });
      expect(result.refusal?.code).to.equal('OUTBOX_WRITE_FAILED');
      const logged = lines.filter((l) => l.level === 'error');
      expect(logged, JSON.stringify(lines)).to.have.length(1);
      const [line] = logged;
      expect(line).to.include({ code: 'OUTBOX_WRITE_FAILED', reports: 2 });
      expect(JSON.stringify(line)).to.contain(outboxDir);
      expect(JSON.stringify(line)).to.contain('ENOSPC');
    } finally {
      reports.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
