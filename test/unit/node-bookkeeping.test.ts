// Unit tier: once a national node has a submission's envelope in its outbox, the agency is told it was taken, whatever
// becomes of the node's bookkeeping after it (the version index's line, the requests log's, on a full disk). A 500
// "not accepted, send it again" made a second report of the same one when the agency did as told. What was not
// written is written again before the outbox moves past the record (see node-records-disk-full.test.ts).
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createMetricsRegistry, type Logger } from '@hub/observability';
import { bodyDigest } from '@hub/national-node/report-digest';
import { createBookkeeping } from '@hub/national-node/submit';
import { ReportsIndex } from '@hub/national-node/reports-index';
import { minimal, startIntakeApp, type IntakeApp } from '../../services/national-node/test/intake-app';
import { fillDiskUnder, type FullDisk } from './disk-full';

describe('national node: a submission taken whose bookkeeping fails', () => {
  let node: IntakeApp;
  let disk: FullDisk | undefined;
  beforeEach(async () => {
    node = await startIntakeApp();
  });
  afterEach(() => {
    disk?.restore();
    disk = undefined;
    node.close();
  });

  const indexFile = () => join(node.dir, 'reports.idx');

  it('answers 202 to a report whose version could not be written, and the same body again as its duplicate', async () => {
    const body = { ...minimal, reportId: randomUUID() };
    disk = fillDiskUnder(indexFile());
    const first = await node.post('/v1/seizures', body);
    expect(first.status, JSON.stringify(first.body)).to.equal(202);
    expect(first.body).to.include({ reportId: body.reportId, version: 1, status: 'queued' });
    expect(node.reports.unwritten, 'its line kept to be written again').to.equal(1);
    // The agency sends it again (its 202 lost, say): the same report, nothing more in the outbox.
    const again = await node.post('/v1/seizures', body);
    expect(again.status).to.equal(202);
    expect(again.body).to.include({ reportId: body.reportId, version: 1, duplicate: true });
    expect(node.submitted.map((s) => `${s.key} v${s.value.version}`)).to.deep.equal([`${body.reportId} v1`]);

    // The disk has room again: the outbox's commit asks for the index to be synced, which writes the line.
    disk.free();
    node.reports.sync();
    const reopened = new ReportsIndex(indexFile());
    expect(reopened.sameAsLatest(body.reportId, bodyDigest(body))).to.deep.equal({
      version: 1,
      messageId: first.body.messageId,
    });
    reopened.close();
  });

  it('answers 202 to a withdrawal whose version could not be written', async () => {
    const body = { ...minimal, reportId: randomUUID() };
    expect((await node.post('/v1/seizures', body)).status).to.equal(202);
    disk = fillDiskUnder(indexFile());
    const retracted = await node.post(`/v1/seizures/${body.reportId}/retract`, { reason: 'entered twice' });
    expect(retracted.status, JSON.stringify(retracted.body)).to.equal(202);
    expect(retracted.body).to.include({ reportId: body.reportId, version: 2 });
    expect(node.submitted.map((s) => s.type)).to.deep.equal(['SeizureReport', 'SeizureRetraction']);
    expect(node.reports.latest(body.reportId)).to.equal(2);
  });

  it('answers 202 to an annual return and a route whose versions could not be written', async () => {
    disk = fillDiskUnder(indexFile());
    const annual = await node.post('/v1/annual-returns', {
      year: 2025,
      rows: [{ drugName: 'Heroin', drugGroup: 'Opioids', kilograms: 1 }],
      handling: { tlp: 'GREEN' },
    });
    expect(annual.status, JSON.stringify(annual.body)).to.equal(202);
    const routeId = randomUUID();
    const route = await node.post('/v1/routes', {
      routeId,
      name: 'Pamir highway',
      legs: [{ from: 'TJ', to: 'KZ' }],
      handling: { tlp: 'GREEN' },
    });
    expect(route.status, JSON.stringify(route.body)).to.equal(202);
    expect(node.submitted.map((s) => s.type)).to.deep.equal(['AnnualSeizureReturn', 'TraffickingRoute']);
    expect(node.reports.latest(routeId), 'held in memory: the next version is 2').to.equal(1);
  });

  it('answers 202 to a request that could not be logged, and the same body again as its duplicate', async () => {
    const logFile = join(node.dir, 'requests.jsonl');
    writeFileSync(logFile, '');
    disk = fillDiskUnder(logFile);
    const body = {
      requestId: randomUUID(),
      to: 'UZ',
      purpose: 'criminal investigation 2026/117',
      question: 'Was the driver of this shipment seen at your border before?',
      dueAt: new Date(Date.now() + 48 * 3600000).toISOString(),
      handling: { tlp: 'AMBER', releasableTo: ['UZ'] },
    };
    const first = await node.post('/v1/requests', body);
    expect(first.status, JSON.stringify(first.body)).to.equal(202);
    const again = await node.post('/v1/requests', body);
    expect(again.status, JSON.stringify(again.body)).to.equal(202);
    expect(again.body).to.include({
      requestId: body.requestId,
      messageId: first.body.messageId,
      duplicate: true,
    });
    expect(node.submitted.map((s) => s.type)).to.deep.equal(['InformationRequest']);
  });

  it('logs a failure with the ids of the submission, and counts it', async () => {
    const logged: { fields: Record<string, unknown>; message: string }[] = [];
    const logger = {
      error: (fields: Record<string, unknown>, message: string) => logged.push({ fields, message }),
    } as unknown as Logger;
    const metrics = createMetricsRegistry('test-bookkeeping');
    const bookkeeping = createBookkeeping(logger, metrics);
    const ids = { reportId: 'r-1', version: 3, messageId: 'm-1' };
    bookkeeping('the version of a report', ids, () => {
      throw new Error('ENOSPC: no space left on device, write');
    });
    bookkeeping('the version of a report', ids, () => undefined);
    expect(logged).to.have.length(1);
    expect(logged[0]?.fields).to.include(ids);
    expect((logged[0]?.fields.err as Error).message).to.contain('ENOSPC');
    expect(logged[0]?.message).to.match(/^the version of a report could not be written/);
    expect(await metrics.metrics()).to.match(/^hub_node_bookkeeping_failures_total({[^}]*})? 1$/m);
    // A second one on the same registry counts in the same counter.
    createBookkeeping(logger, metrics)('a request sent', { requestId: 'q' }, () => {
      throw new Error('EIO');
    });
    expect(await metrics.metrics()).to.match(/^hub_node_bookkeeping_failures_total({[^}]*})? 2$/m);
  });
});
