// A CSV file sent again after an answer that failed, every report of it already in the outbox: its own failed
// answer lists them (found there: duplicates), never "not accepted, send it again". Needs the CSV route to import
// through the request's own acceptor (res.locals.acceptor).
import { expect } from 'chai';
import { failingToLog, recordingLogger, startIntakeApp, type IntakeApp } from './intake-app';

const CSV = [
  'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Place,Agency,TLP',
  'QC-1,2026-04-01,Heroin,2.5,kg,Khorgos,customs,AMBER',
  'QC-2,2026-04-02,Opium,1,kg,Khorgos,customs,AMBER',
].join('\r\n');

describe('national node: a CSV file sent again after its answer failed', () => {
  let node: IntakeApp;
  afterEach(() => node.close());

  it('lists the reports it found queued and says they stay queued, sending nothing twice', async () => {
    const { logger } = recordingLogger('test:queued-answers-csv');
    // The import's own log line fails (a log stream gone): after its reports were queued.
    node = await startIntakeApp({ logger: failingToLog(logger, 'CSV import') });
    const post = () => node.post('/v1/seizures/csv', CSV, { 'content-type': 'text/csv' });
    const first = await post();
    expect(first.status).to.equal(500);
    const listed = first.body.queued as { id: string; version: number; messageId: string }[];
    expect(listed).to.have.length(2);

    const again = await post();
    expect(again.status).to.equal(500);
    expect(again.body.error?.message).to.not.include('not accepted');
    expect(again.body.error?.message).to.include(
      '2 records of this request were queued, 2 of them by an earlier sending of the same',
    );
    expect(again.body.error?.message).to.include(
      'a CSV file sent again unchanged is answered with duplicates',
    );
    expect(again.body.queued).to.have.deep.members(listed);
    expect(node.submitted, 'nothing sent twice').to.have.length(2);
  });
});
