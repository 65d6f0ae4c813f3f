// A withdrawal asked of a record erased at retention review is refused as erased, whatever the record's kind: not
// as a route or return that should be corrected instead (a corrected version would be refused too).
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { createSeizureAcceptor } from '../src/app';
import type { ErasureOrder } from '../src/erasure-order';
import { ERASED_RULE } from '../src/reports-index';
import { routeBody, startIntakeApp, type IntakeApp } from './intake-app';

describe('national node: a withdrawal of a record erased at retention review', () => {
  let node: IntakeApp;
  beforeEach(async () => {
    node = await startIntakeApp();
  });
  afterEach(() => node.close());

  const erasure = (subjectId: string, subjectType: string): ErasureOrder => ({
    erasureId: randomUUID(),
    subjectType,
    subjectId,
    versionsUpTo: 1,
    originCountry: 'KZ',
    reasonCode: 'retention-expired',
    orderedAt: Date.UTC(2026, 11, 1),
  });

  it('refuses an erased route 409 as erased, naming the erasure, and spends no version', async () => {
    const routeId = randomUUID();
    expect((await node.post('/v1/routes', routeBody(routeId))).status).to.equal(202);
    const order = erasure(routeId, 'TraffickingRoute');
    node.reports.erase(order);
    const sent = node.submitted.length;

    const answer = await node.post(`/v1/seizures/${routeId}/retract`, { reason: 'entered twice' });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(409);
    expect(answer.body.error?.code).to.equal('CONFLICT');
    expect(answer.body.error?.message).to.include(`${routeId} was erased at retention review`);
    expect(answer.body.error?.message).to.include(`erasure ${order.erasureId}`);
    expect(answer.body.error?.message).to.not.include('not a seizure report');
    expect(node.submitted).to.have.length(sent);
    expect(node.reports.latest(routeId)).to.equal(1);

    // The refusal's details, as the CSV import and the node's other callers read them.
    const acceptor = createSeizureAcceptor({
      country: 'KZ',
      submitter: { submit: () => Promise.reject(new Error('nothing is to be sent')) },
      reports: node.reports,
      regions: new Set(['central-asia']),
    });
    const refused = await acceptor.retract(routeId, 'entered twice').then(
      () => undefined,
      (err: unknown) => err as { code?: string; details?: Record<string, unknown> },
    );
    expect(refused?.code).to.equal('CONFLICT');
    expect(refused?.details).to.deep.include({
      field: 'reportId',
      value: routeId,
      rule: ERASED_RULE,
      erasureId: order.erasureId,
    });
  });

  it('still refuses a route that is not erased as a route', async () => {
    const routeId = randomUUID();
    expect((await node.post('/v1/routes', routeBody(routeId))).status).to.equal(202);
    const answer = await node.post(`/v1/seizures/${routeId}/retract`, { reason: 'entered twice' });
    expect(answer.status).to.equal(409);
    expect(answer.body.error?.message).to.include('is a TraffickingRoute, not a seizure report');
  });
});
