// What the node takes as a withdrawal, and what after one: only a seizure report is withdrawn (a route or an annual
// return is refused up front, as the coordinator would refuse it), and the very content of the version withdrawn,
// sent again (an agency system's retry, a file imported again), is refused instead of putting the report back.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSeizureAcceptor } from '../src/app';
import type { InboundItem } from '../src/inbox-store';
import { bodyDigest } from '../src/report-digest';
import { ReportsIndex } from '../src/reports-index';
import { createCsvImporter } from '../src/routes-csv';
import { minimal, recordingLogger, routeBody, startIntakeApp, type IntakeApp } from './intake-app';

const CSV = [
  'Seizure Reference,Seizure Date,Drug/Substance,Quantity Seized,Measurement Unit,Place,Agency,TLP',
  'WD-1,2026-04-01,Heroin,2.5,kg,Khorgos,customs,AMBER',
  'WD-2,2026-04-02,Opium,1,kg,Khorgos,customs,AMBER',
].join('\r\n');
const WITHDRAW_WD1 = 'Seizure Reference,Retraction Reason\r\nWD-1,entered twice';

/** The hub's receipt for version `version` of `subjectId`, sent as `inReplyTo`. */
const receipt = (
  subjectId: string,
  subjectType: string,
  version: number,
  inReplyTo: string,
  status = 'accepted',
): InboundItem => ({
  messageId: randomUUID(),
  messageType: 'Receipt',
  receivedAt: Date.now(),
  value: { subjectId, subjectVersion: version, subjectType, status, inReplyTo, reasons: [] },
});

describe('national node: withdrawals', () => {
  let node: IntakeApp;
  beforeEach(async () => {
    node = await startIntakeApp();
  });
  afterEach(() => node.close());

  const sent = () => node.submitted.map((s) => `${s.type} ${s.key} ${s.value.version}`);

  describe('of a record that is not a seizure report', () => {
    it('refuses a route 409 CONFLICT with what to send instead, and queues nothing', async () => {
      const routeId = randomUUID();
      const route = await node.post('/v1/routes', routeBody(routeId));
      expect(route.status, JSON.stringify(route.body)).to.equal(202);
      // POST /v1/routes records its kind with its version: known before the hub's receipt comes.
      const before = sent();
      const answer = await node.post(`/v1/seizures/${routeId.toUpperCase()}/retract`, { reason: 'wrong' });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(409);
      expect(answer.body.error).to.deep.equal({
        code: 'CONFLICT',
        message: `reportId ${routeId} is a TraffickingRoute, not a seizure report: only seizure reports are withdrawn; send a corrected version of the route instead (POST /v1/routes with its routeId)`,
      });
      expect(sent()).to.deep.equal(before);
      expect(node.reports.latest(routeId), 'no version spent').to.equal(1);
    });

    it('refuses an annual return, known as one from POST /v1/annual-returns before any receipt', async () => {
      const posted = await node.post('/v1/annual-returns', {
        year: 2025,
        rows: [{ drugName: 'Heroin', drugGroup: 'Opioids', kilograms: 10 }],
        handling: { tlp: 'GREEN' },
      });
      expect(posted.status, JSON.stringify(posted.body)).to.equal(202);
      const returnId = String(posted.body.returnId);
      expect(node.reports.kindOf(returnId)).to.equal('AnnualSeizureReturn');
      const answer = await node.post(`/v1/seizures/${returnId}/retract`, { reason: 'wrong year' });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(409);
      expect(answer.body.error?.code).to.equal('CONFLICT');
      expect(sent()).to.deep.equal([`AnnualSeizureReturn ${returnId} 1`]);
      expect(node.reports.latest(returnId), 'no version spent').to.equal(1);
    });

    it('refuses an annual return the hub named as one in its receipt (sent before the node kept kinds)', async () => {
      const returnId = randomUUID();
      const messageId = randomUUID();
      // As the index line of a version sent before 2026-12-08 reads: no kind.
      node.reports.record(returnId, 1, undefined, messageId);
      expect(node.reports.kindOf(returnId)).to.equal(undefined);
      node.inbound.add(receipt(returnId, 'AnnualSeizureReturn', 1, messageId));
      const answer = await node.post(`/v1/seizures/${returnId}/retract`, { reason: 'wrong year' });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(409);
      expect(answer.body.error).to.deep.equal({
        code: 'CONFLICT',
        message: `reportId ${returnId} is an AnnualSeizureReturn, not a seizure report: only seizure reports are withdrawn; send a corrected return for its year instead (POST /v1/annual-returns), which replaces this one`,
      });
      expect(sent()).to.deep.equal([]);
    });

    it('still withdraws a seizure report', async () => {
      const reportId = randomUUID();
      await node.post('/v1/seizures', { ...minimal, reportId });
      const answer = await node.post(`/v1/seizures/${reportId}/retract`, { reason: 'entered in error' });
      expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
      expect(sent()).to.deep.equal([`SeizureReport ${reportId} 1`, `SeizureRetraction ${reportId} 2`]);
    });
  });

  describe('the content of a withdrawn version sent again', () => {
    it('is refused 409 naming the report, its versions and how to reinstate it; a changed body is taken', async () => {
      const reportId = randomUUID();
      const body = { ...minimal, reportId };
      expect((await node.post('/v1/seizures', body)).status).to.equal(202);
      expect((await node.post(`/v1/seizures/${reportId}/retract`, { reason: 'in error' })).status).to.equal(
        202,
      );
      const again = await node.post('/v1/seizures', body);
      expect(again.status, JSON.stringify(again.body)).to.equal(409);
      expect(again.body.error?.code).to.equal('CONFLICT');
      expect(again.body.error?.message).to.equal(
        `reportId ${reportId} was withdrawn (its version 2), and this is the very content of its version 1, the one withdrawn: it was not sent again, since a retry of the original request or a file imported again would put the withdrawn report back; to reinstate the report on purpose, send it with a change (a line in its notes saying why will do): a changed report is its next version and makes it current again`,
      );
      expect(sent()).to.deep.equal([`SeizureReport ${reportId} 1`, `SeizureRetraction ${reportId} 2`]);
      // Reinstated on purpose: a changed body is its next version.
      const reinstated = await node.post('/v1/seizures', { ...body, notes: 'withdrawn by mistake' });
      expect(reinstated.status, JSON.stringify(reinstated.body)).to.equal(202);
      expect(reinstated.body).to.include({ version: 3 });
      expect(sent()).to.have.length(3);
    });

    it('is refused after a second withdrawal too, and after a restart of the node', async () => {
      const reportId = randomUUID();
      const body = { ...minimal, reportId };
      await node.post('/v1/seizures', body);
      await node.post(`/v1/seizures/${reportId}/retract`, { reason: 'in error' });
      await node.post(`/v1/seizures/${reportId}/retract`, { reason: 'in error, really' });
      const again = await node.post('/v1/seizures', body);
      expect(again.status, JSON.stringify(again.body)).to.equal(409);
      expect(again.body.error?.message).to.include('was withdrawn (its version 3)');
      expect(again.body.error?.message).to.include('the very content of its version 1');
      // What the node's index holds of it after a restart: the same refusal.
      node.reports.close();
      const reopened = new ReportsIndex(join(node.dir, 'reports.idx'));
      expect(reopened.kindOf(reportId)).to.equal('SeizureReport');
      expect(reopened.sameAsWithdrawn(reportId, bodyDigest(body))).to.include({ version: 1, withdrawnAt: 3 });
      reopened.close();
    });

    it('is sent as the next version when the hub refused the withdrawal (the report was never withdrawn there)', async () => {
      const reportId = randomUUID();
      const body = { ...minimal, reportId };
      await node.post('/v1/seizures', body);
      const withdrawal = await node.post(`/v1/seizures/${reportId}/retract`, { reason: 'in error' });
      node.inbound.add(
        receipt(reportId, 'SeizureRetraction', 2, String(withdrawal.body.messageId), 'rejected'),
      );
      const again = await node.post('/v1/seizures', body);
      expect(again.status, JSON.stringify(again.body)).to.equal(202);
      expect(again.body).to.include({ version: 3 });
    });

    it('is one failed item of a batch, the others taken', async () => {
      const withdrawn = { ...minimal, reportId: randomUUID() };
      await node.post('/v1/seizures', withdrawn);
      await node.post(`/v1/seizures/${withdrawn.reportId}/retract`, { reason: 'in error' });
      const other = { ...minimal, reportId: randomUUID() };
      const answer = await node.post('/v1/seizures/batch', [withdrawn, other]);
      expect(answer.status, JSON.stringify(answer.body)).to.equal(207);
      expect(answer.body).to.include({ accepted: 1, rejected: 1 });
      const [first, second] = answer.body.results as Record<string, unknown>[];
      expect(first).to.deep.include({ index: 0, status: 'failed' });
      expect((first!.error as { code: string; message: string }).code).to.equal('CONFLICT');
      expect((first!.error as { message: string }).message).to.include(
        `reportId ${withdrawn.reportId} was withdrawn (its version 2)`,
      );
      expect(second).to.include({ index: 1, status: 'queued', version: 1 });
      expect(sent().filter((s) => s.includes(withdrawn.reportId))).to.have.length(2);
    });

    it('as CSV rows imported again after their report was withdrawn, is refused for that report only', async () => {
      const csv = { 'content-type': 'text/csv' };
      const first = await node.post('/v1/seizures/csv', CSV, csv);
      expect(first.status, JSON.stringify(first.body)).to.equal(202);
      const withdrawal = await node.post('/v1/seizures/csv', WITHDRAW_WD1, csv);
      expect(withdrawal.status, JSON.stringify(withdrawal.body)).to.equal(202);
      const again = await node.post('/v1/seizures/csv', CSV, csv);
      expect(again.status, JSON.stringify(again.body)).to.equal(207);
      const [wd1, wd2] = again.body.results as Record<string, unknown>[];
      // Said of the cell that names the report (not of an id the operator never saw), as the rows' own problem.
      const error = {
        line: 2,
        column: 'Seizure Reference',
        value: 'WD-1',
        message:
          'withdrawn (its version 2); these rows are the very content of its version 1, the one withdrawn: not sent again; to reinstate it on purpose, change a cell (a line in Notes saying why will do)',
      };
      expect(wd1).to.deep.include({ reference: 'WD-1', status: 'invalid', errors: [error] });
      expect(again.body.errors).to.deep.equal([error]);
      expect(wd2).to.include({ reference: 'WD-2', status: 'queued', version: 1, duplicate: true });
      expect(node.submitted.filter((s) => s.type === 'SeizureReport')).to.have.length(2);
      // Reinstated on purpose: a line in Notes makes them the report's next version.
      const noted = CSV.replace('TLP', 'TLP,Notes')
        .replace('customs,AMBER', 'customs,AMBER,withdrawn by mistake')
        .replace(/(WD-2.*AMBER)$/, '$1,');
      const reinstated = await node.post('/v1/seizures/csv', noted, csv);
      expect(reinstated.status, JSON.stringify(reinstated.body)).to.equal(202);
      expect((reinstated.body.results as Record<string, unknown>[])[0]).to.include({
        reference: 'WD-1',
        status: 'queued',
        version: 3,
      });
    });

    it('as CSV rows of the inbox imported again, is no failure of the node: nothing queued, nothing logged', async () => {
      const { logger, lines } = recordingLogger('test:withdrawn-csv');
      const acceptor = createSeizureAcceptor({
        country: 'KZ',
        reports: node.reports,
        regions: new Set(['central-asia']),
        submitter: { submit: async () => ({ messageId: randomUUID() }) },
      });
      const importCsv = createCsvImporter({ acceptor, logger });
      await importCsv(CSV, { channel: 'inbox' });
      await importCsv(WITHDRAW_WD1, { channel: 'inbox' });
      const again = await importCsv(CSV, { channel: 'inbox' });
      expect(again.refusal).to.equal(undefined);
      expect(again).to.include({ accepted: 1, rejected: 1 });
      expect(again.results[0]).to.include({ reference: 'WD-1', status: 'invalid' });
      expect(again.results[0]!.errors![0]).to.include({ column: 'Seizure Reference', value: 'WD-1' });
      expect(node.reports.latest(again.results[0]!.reportId), 'nothing sent').to.equal(2);
      expect(lines.filter((l) => l.level === 'error')).to.deep.equal([]);
    });
  });
});

describe("the node's version index: kinds and withdrawals", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-index-withdrawn-'));
    file = join(dir, 'reports.idx');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps each record kind and the version a withdrawal withdrew across a restart, until a later version', () => {
    const index = new ReportsIndex(file);
    index.record('r-1', 1, 'd1', 'm-1', undefined, 'SeizureReport');
    index.record('r-1', 2, 'd2', 'm-2', undefined, 'SeizureReport');
    index.record('r-1', 3, undefined, 'm-3', undefined, 'SeizureRetraction');
    index.record('route-1', 1, undefined, 'm-r', undefined, 'TraffickingRoute');
    index.record('old-1', 1, 'd-old', 'm-o'); // as callers that say no kind record it
    index.close();
    const reopened = new ReportsIndex(file);
    expect(reopened.kindOf('r-1')).to.equal('SeizureReport');
    expect(reopened.kindOf('route-1')).to.equal('TraffickingRoute');
    expect(reopened.kindOf('old-1')).to.equal(undefined);
    expect(reopened.sameAsWithdrawn('r-1', 'd2')).to.deep.equal({
      version: 2,
      withdrawnAt: 3,
      withdrawalMessageId: 'm-3',
    });
    expect(reopened.sameAsWithdrawn('r-1', 'd1'), 'only the version just before is known').to.equal(
      undefined,
    );
    reopened.record('r-1', 4, 'd4', 'm-4', undefined, 'SeizureReport');
    expect(reopened.sameAsWithdrawn('r-1', 'd2'), 'reinstated').to.equal(undefined);
    reopened.close();
  });

  it('takes kinds and withdrawals over from the outbox, also for a withdrawal whose line a crash cut short', () => {
    const index = new ReportsIndex(file);
    index.record('r-1', 1, 'd1', 'm-1', undefined, 'SeizureReport');
    index.close();
    appendFileSync(file, 'r-1 2 - m-2 179'); // the withdrawal's line, cut in its time (and so without its type)
    const reopened = new ReportsIndex(file);
    expect(reopened.sameAsWithdrawn('r-1', 'd1'), 'not known from the cut line').to.equal(undefined);
    expect(
      reopened.reconcile([
        { reportId: 'r-1', version: 2, messageId: 'm-2', sentAt: Date.now(), type: 'SeizureRetraction' },
        { reportId: 'a-1', version: 1, messageId: 'm-a', type: 'AnnualSeizureReturn' },
        { reportId: 'x-1', version: 1, messageId: 'm-x', type: 'InformationRequest' },
      ]),
    ).to.equal(3);
    expect(reopened.sameAsWithdrawn('r-1', 'd1')).to.include({ version: 1, withdrawnAt: 2 });
    expect(reopened.kindOf('a-1')).to.equal('AnnualSeizureReturn');
    expect(reopened.kindOf('x-1'), 'no kind the index keeps').to.equal(undefined);
    reopened.close();
  });
});
