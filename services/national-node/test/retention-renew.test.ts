// Renewal of a record before its review date, over HTTP without a stack: what the node signs (the agency system that
// asked, as a retraction carries it), and a reason it cannot take.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { loadSchemaRegistry } from '@hub/schemas';
import { minimal, startIntakeApp, type IntakeApp } from './intake-app';

const TOKEN = 'case-system-token-0123456789abcdef0123456789';
const registry = loadSchemaRegistry();

describe('national node retention renewal: what is signed, and the reason it takes', () => {
  let node: IntakeApp;
  afterEach(() => node.close());

  /** A report this node sent, so that it may renew it: its id. */
  const sent = async (headers?: Record<string, string>) => {
    const reportId = randomUUID();
    const answer = await node.post('/v1/seizures', { ...minimal, reportId }, headers);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    return reportId;
  };
  const renewals = () => node.submitted.filter((s) => s.type === 'RetentionRenewal');

  it('signs a renewal with the agency system that asked, in the newest RetentionRenewal', async () => {
    node = await startIntakeApp({ clientTokens: [{ client: 'case-system', token: TOKEN }] });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };
    const id = await sent(headers);
    const answer = await node.post(`/v1/seizures/${id}/renew`, { reason: 'trial set for 2027' }, headers);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    const [renewal] = renewals();
    expect(renewal!.value).to.include({
      subjectId: id,
      subjectType: 'SeizureReport',
      reason: 'trial set for 2027',
      submittedBy: 'case-system',
    });
    const latest = registry.latest('RetentionRenewal');
    expect(latest.version).to.be.at.least(2);
    expect(latest.type.isValid(renewal!.value), 'valid in the newest schema').to.equal(true);
  });

  it('signs no name where the node asks for no token', async () => {
    node = await startIntakeApp();
    const id = await sent();
    const answer = await node.post(`/v1/seizures/${id}/renew`, { reason: 'trial set for 2027' });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    expect(renewals()[0]!.value.submittedBy).to.equal(null);
  });

  it('refuses a reason of another type as such at renewal and withdrawal, rather than as missing', async () => {
    node = await startIntakeApp();
    const id = await sent();
    for (const path of [`/v1/seizures/${id}/renew`, `/v1/seizures/${id}/retract`]) {
      const answer = await node.post(path, { reason: 5 });
      expect(answer.status, `${path}: ${JSON.stringify(answer.body)}`).to.equal(400);
      expect(answer.body.errors, path).to.deep.equal([
        { field: 'reason', message: 'must be a string, got number', value: 5 },
      ]);
    }
    expect(node.submitted.map((s) => s.type)).to.deep.equal(['SeizureReport']);
  });
});
