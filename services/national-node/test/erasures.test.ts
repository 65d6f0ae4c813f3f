// The coordinator's erasure orders at a node, without a stack: the order the inbox takes reaches the version index
// (this country's records: a re-post is answered, the notes go) and the log (another country's: counted, not listed).
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@hub/observability';
import { followErasures } from '../src/erasures';
import { minimal, startIntakeApp, type IntakeApp } from './intake-app';

describe("national node: the coordinator's erasure orders", () => {
  let node: IntakeApp;
  let logged: Record<string, unknown>[];
  const logger = () =>
    createLogger('test:erasures', {
      destination: { write: (line: string) => logged.push(JSON.parse(line)) },
    });
  beforeEach(async () => {
    node = await startIntakeApp();
    logged = [];
  });
  afterEach(() => node.close());

  let n = 0;
  const order = (subjectId: string, originCountry: string, versionsUpTo = 1) =>
    node.inbound.add({
      messageId: `erasure-${++n}`,
      messageType: 'ErasureNotice',
      receivedAt: Date.now(),
      value: {
        erasureId: `erasure-${n}`,
        subjectType: 'SeizureReport',
        subjectId,
        versionsUpTo,
        originCountry,
        reasonCode: 'retention_expired',
        orderedAt: Date.parse('2026-12-01T00:00:00Z'),
      },
    });

  it('answers a re-post of a report erased at retention review with what happened, and forgets what it normalised', async () => {
    const erasures = followErasures({
      inbound: node.inbound,
      reports: node.reports,
      country: 'KZ',
      logger: logger(),
    });
    const reportId = randomUUID();
    // A country named, not coded: the node notes that it normalised it.
    const body = { ...minimal, reportId, country: 'Kazakhstan' };
    const sent = await node.post('/v1/seizures', body);
    expect(sent.status).to.equal(202);
    expect(sent.body.normalisations).to.have.length.above(0);
    expect(node.reports.normalisationsOf(reportId, 1)).to.deep.equal(sent.body.normalisations);
    const notes = () => readFileSync(join(node.dir, 'reports.idx.normalisations.jsonl'), 'utf8');
    expect(notes()).to.include(reportId);
    order(reportId, 'KZ');
    expect(node.reports.normalisationsOf(reportId, 1)).to.deep.equal([]);
    // Rewritten once for a batch of messages from the coordinator (node.ts runs it before committing their offsets).
    erasures.compact();
    expect(notes()).not.to.include(reportId);
    // The same body again (not answered as taken), a new version, a withdrawal: each refused, saying why.
    for (const [path, again] of [
      ['/v1/seizures', body],
      ['/v1/seizures', { ...body, notes: 'a new version' }],
      [`/v1/seizures/${reportId}/retract`, { reason: 'entered twice' }],
    ] as const) {
      const answer = await node.post(path, again);
      expect(answer.status, path).to.equal(409);
      expect(answer.body.error?.code).to.equal('CONFLICT');
      expect(answer.body.error?.message).to.include(`${reportId} was erased at retention review`);
    }
    const batch = await node.post('/v1/seizures/batch', [body, { ...minimal, reportId: randomUUID() }]);
    expect(batch.status).to.equal(207);
    expect(
      (batch.body.results as { status: string; error?: { code: string } }[]).map((r) => r.status),
    ).to.deep.equal(['failed', 'queued']);
    // Under a new id, it is a new report.
    expect((await node.post('/v1/seizures', { ...body, reportId: randomUUID() })).status).to.equal(202);
    expect(node.submitted.filter((s) => s.key === reportId)).to.have.length(1);
    expect(
      logged.find(
        (l) =>
          l.msg === 'record erased at this node: its receipts, normalisation notes and the alerts naming it',
      ),
    ).to.include({
      subjectId: reportId,
      receipts: 0,
      alerts: 0,
    });
  });

  it("applies another country's order to the alerts only, counts it in the log, and takes the orders read back at start", async () => {
    const own = randomUUID();
    const sent = await node.post('/v1/seizures', { ...minimal, reportId: own });
    expect(sent.status).to.equal(202);
    // Taken before the node followed them (read back at start).
    order(own, 'KZ');
    const foreign = randomUUID();
    node.inbound.add({
      messageId: 'alert-1',
      messageType: 'CrossBorderAlert',
      receivedAt: Date.now(),
      value: {
        alertId: 'alert-1',
        matched: [
          { reportId: randomUUID(), version: 1 },
          { reportId: foreign, version: 1 },
        ],
      },
    });
    followErasures({ inbound: node.inbound, reports: node.reports, country: 'KZ', logger: logger() });
    expect(node.reports.erasureOf(own)?.subjectId).to.equal(own);
    expect(logged.find((l) => l.msg === 'erasure orders read back and applied')).to.include({
      own: 1,
      othersApplied: 0,
    });
    order(foreign, 'UZ');
    order(randomUUID(), 'KG');
    expect(node.reports.erasureOf(foreign), 'not a record of this node').to.equal(undefined);
    const counted = logged.filter((l) => String(l.msg).startsWith("another country's record erased"));
    expect(counted.map((l) => [l.originCountry, l.alerts, l.othersApplied])).to.deep.equal([
      ['UZ', 1, 1],
      ['KG', 0, 2],
    ]);
  });
});
