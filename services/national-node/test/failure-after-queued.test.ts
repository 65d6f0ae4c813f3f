// A request that fails after it put records in the outbox (its answer could not be built or logged) is never
// answered "not accepted, send it again": what it queued goes to the hub, and the answer lists it.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createMetricsRegistry, type Logger } from '@hub/observability';
import { createApp, type NodeAppDeps } from '../src/app';
import { InboundStore } from '../src/inbox-store';
import { ReportsIndex } from '../src/reports-index';
import { RequestsLog } from '../src/requests-log';
import { minimal } from './intake-app';

const CSV = [
  'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Place,Agency,TLP',
  'FQ-1,2026-04-01,Heroin,2.5,kg,Khorgos,customs,AMBER',
  'FQ-2,2026-04-02,Opium,1,kg,Khorgos,customs,AMBER',
].join('\r\n');

describe('national node: a request that fails after it queued records', () => {
  let dir: string;
  let server: Server;
  let reports: ReportsIndex;
  let url: string;
  /** What reached the outbox: type, key, version. */
  let queued: string[];
  /** The log's lines, parsed. */
  let logged: Record<string, unknown>[];

  /** The app, with a logger that fails to log `failing` (a log stream gone, say). */
  const start = async (failing: string, more: Partial<NodeAppDeps> = {}) => {
    dir = mkdtempSync(join(tmpdir(), 'hub-failure-after-queued-'));
    reports = new ReportsIndex(join(dir, 'reports.idx'));
    logged = [];
    queued = [];
    const logger: Logger = createLogger('test:failure-after-queued', {
      destination: { write: (line: string) => logged.push(JSON.parse(line) as Record<string, unknown>) },
    });
    const info = logger.info.bind(logger);
    logger.info = ((obj: unknown, msg?: string) => {
      if (msg === failing) throw new Error('write EPIPE');
      info(obj as object, msg);
    }) as Logger['info'];
    const app = createApp({
      country: 'KZ',
      submitter: {
        async submit(type, key, value) {
          queued.push(`${type} ${key} ${(value as { version: number }).version}`);
          return { messageId: randomUUID() };
        },
      },
      reports,
      inbound: new InboundStore(join(dir, 'inbound.jsonl')),
      requests: new RequestsLog(join(dir, 'requests.jsonl')),
      regions: new Set(['central-asia']),
      metrics: createMetricsRegistry('national-node'),
      health: [],
      logger,
      ...more,
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  };
  afterEach(() => {
    server.closeAllConnections();
    server.close();
    reports.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (path: string, body: string, type = 'application/json') => {
    const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('answers a CSV import whose answer failed with the reports it queued, not "not accepted"', async () => {
    await start('CSV import');
    const answer = await post('/v1/seizures/csv', CSV, 'text/csv');
    expect(queued).to.have.length(2);
    expect(answer.status).to.equal(500);
    const error = answer.body.error as { code: string; message: string };
    expect(error.code).to.equal('INTERNAL');
    expect(error.message).to.not.include('not accepted');
    expect(error.message).to.include('2 records of this request were queued');
    const listed = answer.body.queued as { type: string; id: string; version: number; messageId: string }[];
    expect(listed.map((r) => `${r.type} ${r.id} ${r.version}`).sort()).to.deep.equal([...queued].sort());
    const entry = logged.find((l) => l.msg === 'request failed after it queued records');
    expect(entry, JSON.stringify(logged)).to.include({ queued: 2 });
    // Sent again, the file is answered as what it made: nothing is sent twice.
    const again = await post('/v1/seizures/csv', CSV, 'text/csv');
    expect(again.status).to.equal(500);
    expect(queued).to.have.length(2);
  });

  it('answers a report 202 when counting it failed after it was queued', async () => {
    await start('never', {
      onAccepted: () => {
        throw new Error('the counter is gone');
      },
    });
    const answer = await post('/v1/seizures', JSON.stringify({ ...minimal, reportId: randomUUID() }));
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    expect(answer.body).to.include({ version: 1, status: 'queued' });
    expect(queued).to.have.length(1);
  });

  it('still answers "not accepted" when nothing was queued', async () => {
    await start('never', {
      submitter: {
        submit: () => Promise.reject(new Error('the signer is gone')),
      },
    });
    const answer = await post('/v1/seizures', JSON.stringify({ ...minimal, reportId: randomUUID() }));
    expect(answer.status).to.equal(500);
    expect(answer.body).to.deep.equal({
      error: { code: 'INTERNAL', message: 'internal error; the report was not accepted, send it again' },
    });
  });
});
