// An outbox that cannot write, as the operator finds it in the log of a JSON report or batch refused for it: the
// agencies' answers say nothing of the node's folders, so the log line (one per request) says which, and why.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMetricsRegistry } from '@hub/observability';
import { createApp } from '../src/app';
import { InboundStore } from '../src/inbox-store';
import { OutboxLog } from '../src/outbox/log';
import { ReportsIndex } from '../src/reports-index';
import { RequestsLog } from '../src/requests-log';
import { minimal, recordingLogger } from './intake-app';
import { fillDiskUnderOutbox } from './outbox-disk-full';

describe('national node: an outbox that cannot write, in the log of a JSON request', () => {
  let root: string;
  let outboxDir: string;
  let log: OutboxLog;
  let reports: ReportsIndex;
  let server: Server;
  let url: string;
  let lines: Record<string, unknown>[];
  let restoreDisk: () => void;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'hub-outbox-failed-logged-'));
    outboxDir = join(root, 'nodes', 'KZ', 'outbox');
    log = OutboxLog.open({ dir: outboxDir }).log;
    // A full disk under the outbox only: its writes never reach the disk.
    restoreDisk = fillDiskUnderOutbox(outboxDir);
    const recording = recordingLogger('test:outbox-failed-logged');
    lines = recording.lines;
    reports = new ReportsIndex(join(root, 'reports.idx'));
    const app = createApp({
      country: 'KZ',
      submitter: {
        async submit(_type, key, value) {
          await log.append(key, Buffer.from(JSON.stringify(value)));
          return { messageId: randomUUID() };
        },
      },
      reports,
      inbound: new InboundStore(join(root, 'inbound.jsonl')),
      requests: new RequestsLog(join(root, 'requests.jsonl')),
      regions: new Set(['central-asia']),
      metrics: createMetricsRegistry('national-node'),
      health: [],
      logger: recording.logger,
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterEach(async () => {
    restoreDisk();
    server.closeAllConnections();
    server.close();
    reports.close();
    await log.close();
    rmSync(root, { recursive: true, force: true });
  });

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, text: await res.text() };
  };
  const errors = () => lines.filter((l) => l.level === 'error');

  it('logs the outbox folder and the errno of a report refused 503, not in the answer', async () => {
    const answer = await post('/v1/seizures', minimal);
    expect(answer.status, answer.text).to.equal(503);
    expect(answer.text).to.not.contain(root);
    const logged = errors();
    expect(logged, JSON.stringify(lines)).to.have.length(1);
    expect(logged[0]).to.include({ msg: 'the outbox cannot write' });
    expect(JSON.stringify(logged[0])).to.contain(outboxDir).and.to.contain('ENOSPC');
  });

  it('logs it once for a JSON batch, with how many of its reports it failed', async () => {
    const answer = await post('/v1/seizures/batch', [minimal, { ...minimal, reportId: randomUUID() }]);
    expect(answer.status, answer.text).to.equal(503);
    expect(answer.text).to.not.contain(root);
    const logged = errors();
    expect(logged, JSON.stringify(lines)).to.have.length(1);
    expect(logged[0]).to.include({ msg: 'the outbox cannot write', reports: 2 });
    expect(JSON.stringify(logged[0])).to.contain(outboxDir).and.to.contain('ENOSPC');
  });
});
