// A request that fails after it put records in the outbox (its answer could not be built or logged) is never
// answered "not accepted, send it again": what it queued goes to the hub, and the answer lists it.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { NodeAppDeps } from '../src/app';
import { failingToLog, minimal, recordingLogger, startIntakeApp, type IntakeApp } from './intake-app';

const CSV = [
  'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Place,Agency,TLP',
  'FQ-1,2026-04-01,Heroin,2.5,kg,Khorgos,customs,AMBER',
  'FQ-2,2026-04-02,Opium,1,kg,Khorgos,customs,AMBER',
].join('\r\n');

describe('national node: a request that fails after it queued records', () => {
  let node: IntakeApp;
  /** What reached the outbox: type, key, version. */
  const queued = () => node.submitted.map((s) => `${s.type} ${s.key} ${s.value.version as number}`);
  /** The log's lines, parsed. */
  let logged: Record<string, unknown>[];

  /** The app, with a logger that fails to log `failing` (a log stream gone, say). */
  const start = async (failing: string, deps: Partial<NodeAppDeps> = {}) => {
    const { logger, lines } = recordingLogger('test:failure-after-queued');
    logged = lines;
    node = await startIntakeApp({ logger: failingToLog(logger, failing), deps });
  };
  afterEach(() => node.close());

  const post = (path: string, body: string, type = 'application/json') =>
    node.post(path, body, { 'content-type': type });

  it('answers a CSV import whose answer failed with the reports it queued, not "not accepted"', async () => {
    await start('CSV import');
    const answer = await post('/v1/seizures/csv', CSV, 'text/csv');
    expect(queued()).to.have.length(2);
    expect(answer.status).to.equal(500);
    const error = answer.body.error as { code: string; message: string };
    expect(error.code).to.equal('INTERNAL');
    expect(error.message).to.not.include('not accepted');
    expect(error.message).to.include('2 records of this request were queued');
    const listed = answer.body.queued as { type: string; id: string; version: number; messageId: string }[];
    expect(listed.map((r) => `${r.type} ${r.id} ${r.version}`).sort()).to.deep.equal(queued().sort());
    const entry = logged.find((l) => l.msg === 'request failed after it queued records');
    expect(entry, JSON.stringify(logged)).to.include({ queued: 2 });
    // Sent again, the file is answered as what it made: nothing is sent twice.
    const again = await post('/v1/seizures/csv', CSV, 'text/csv');
    expect(again.status).to.equal(500);
    expect(queued()).to.have.length(2);
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
    expect(queued()).to.have.length(1);
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
