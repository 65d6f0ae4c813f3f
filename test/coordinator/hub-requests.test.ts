// The coordination node asks a country (`hub ask`, an information request from HUB) on the real stack: the request
// signed with the coordinator's key goes through the coordination node's own topic and the coordinator's intake to
// the addressee's node, countersigned; the answer stays at the hub, readable by coordinators; an unanswered one is
// escalated. What the coordination node's topic carries is checked like any node's: only requests, only its own.
import { expect } from 'chai';
import { randomUUID, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { seizureReportFromJson } from '@hub/domain';
import { topicNames } from '@hub/kafka';
import { PkiStore } from '@hub/pki';
import { COLLECTIONS, type StoredRequest } from '@hub/store';
import { hubAsync } from '../support/cli';
import { cliEnv, waitUntil } from '../support/env';
import {
  getJson,
  metricValue,
  minimalReport,
  postJson,
  produceRaw,
  signedAs,
  useTestHub,
} from '../support/hub';

type NodeRequest = {
  requestId: string;
  direction: string;
  requester: string;
  addressee: string;
  status: string;
  urgency: string;
  requestEvidence?: { signedBy: string; verified: boolean; countersignedBy: string };
};
type ApiRequest = {
  requestId: string;
  requester: string;
  addressee: string;
  status: string;
  escalatedAt: string | null;
  response: { withheld: boolean; from: string; answer?: string } | null;
};

describe('coordinator: the coordination node asks a country (hub ask)', function () {
  this.timeout(180000);
  const fx = useTestHub('hub-requests', ['KZ', 'UZ'], { requestCheckMs: 1000 });

  const ask = (args: string[]) => hubAsync(['ask', ...args], cliEnv(fx.env), 90000);
  const apiList = async (token: string) => {
    const r = await getJson(`${fx.hub.apiUrl}/v1/requests`, token);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return r.body.requests as ApiRequest[];
  };
  const atNode = (cc: string, requestId: string, what: string, ok: (r: NodeRequest) => boolean) =>
    waitUntil(
      `${what} at ${cc}'s node`,
      async () =>
        ((await getJson(`${fx.hub.nodes[cc]!.url}/v1/requests`)).body.requests as NodeRequest[]).find(
          (r) => r.requestId === requestId && ok(r),
        ),
      30000,
    );

  const signed = (origin: string, messageType: string, value: object) =>
    signedAs(fx.env, origin, messageType, value);
  const escalations = (urgency: string) =>
    metricValue(fx.hub.coordinator.opsUrl, 'hub_coordinator_requests_escalated_total', { urgency });

  it("shows when its own certificate, the CA's and each country's latest expire, healthy while they are valid", async () => {
    const ops = fx.hub.coordinator.opsUrl;
    const expiry = (role: string, subject: string) =>
      metricValue(ops, 'hub_certificate_expiry_timestamp_seconds', { role, subject });
    const nodeCert = new PkiStore(join(fx.env.config.hubHome, 'pki')).identity('KZ').certificatePem;
    expect(await expiry('node', 'KZ')).to.equal(Date.parse(new X509Certificate(nodeCert).validTo) / 1000);
    for (const [role, subject] of [
      ['node', 'UZ'],
      ['own', 'HUB'],
      ['ca', 'CA'],
    ])
      expect(await expiry(role!, subject!), `${role} ${subject}`).to.be.above(
        Date.now() / 1000 + 300 * 86400,
      );
    const health = await getJson(`${ops}/healthz`);
    expect(health.status).to.equal(200);
    expect(
      Object.keys((health.body.checks as { certificate: { detail: object } }).certificate.detail),
    ).to.deep.equal(['ca', 'own']);
  });

  it('asks KZ about a report: KZ gets it signed by HUB, answers, and coordinators read the answer', async () => {
    const posted = await postJson(`${fx.hub.nodes.KZ!.url}/v1/seizures`, minimalReport());
    expect(posted.status).to.equal(202);
    const reportId = String(posted.body.reportId);
    const run = await ask([
      'KZ',
      '--purpose',
      'regional analysis of the Khorgos crossing',
      '--question',
      'Was the truck of this seizure escorted?',
      '--subject-kind',
      'report',
      '--subject-ref',
      reportId,
      '--urgency',
      'urgent',
      '--tlp',
      'AMBER',
    ]);
    expect(run.status, run.stderr).to.equal(0);
    const asked = JSON.parse(run.stdout) as { requestId: string; from: string; to: string; stored: boolean };
    expect(asked).to.include({ from: 'HUB', to: 'KZ', stored: true });

    // KZ's node has it, the original verified as the coordination node's own.
    const incoming = await atNode('KZ', asked.requestId, 'the request', (r) => r.direction === 'incoming');
    expect(incoming).to.include({ requester: 'HUB', addressee: 'KZ', status: 'open', urgency: 'urgent' });
    expect(incoming.requestEvidence).to.include({ signedBy: 'HUB', verified: true, countersignedBy: 'HUB' });

    const answer = await postJson(`${fx.hub.nodes.KZ!.url}/v1/requests/${asked.requestId}/response`, {
      answer: 'Yes: a car followed the truck from Zharkent.',
      relatedReports: [reportId],
      handling: { tlp: 'AMBER', releasableTo: [] },
    });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    expect(answer.body.to).to.equal('HUB');

    // Stored at the hub with its answer; the answer went to no node (there is no HUB node), the receipt to KZ.
    const doc = await waitUntil(
      'the answer in the store',
      async () => {
        const d = await fx.store
          .collection<StoredRequest>(COLLECTIONS.requests)
          .findOne({ _id: asked.requestId });
        return d?.status === 'answered' ? d : undefined;
      },
      30000,
    );
    expect(doc).to.include({ requester: 'HUB', addressee: 'KZ', subjectRef: reportId });
    expect(doc.response).to.include({ from: 'KZ', to: 'HUB' });
    await atNode('KZ', asked.requestId, "the answer's receipt", (r) => r.status === 'answered');

    // Any coordinator reads the answer; KZ, the addressee, sees it; another country sees neither.
    const byCoordinator = (await apiList(fx.hub.token('coordinator', 'TJ', 'AMBER'))).find(
      (r) => r.requestId === asked.requestId,
    );
    expect(byCoordinator).to.include({ requester: 'HUB', addressee: 'KZ', status: 'answered' });
    expect(byCoordinator?.response).to.include({ withheld: false, from: 'KZ' });
    expect(byCoordinator?.response?.answer).to.match(/Zharkent/);
    const byKz = (await apiList(fx.hub.token('analyst', 'KZ'))).find((r) => r.requestId === asked.requestId);
    expect(byKz?.response?.answer).to.match(/Zharkent/);
    expect((await apiList(fx.hub.token('analyst', 'UZ'))).map((r) => r.requestId)).not.to.include(
      asked.requestId,
    );
  });

  it('marks a request of the coordination node escalated once its due time passes unanswered', async () => {
    const run = await ask([
      'UZ',
      '--purpose',
      'joint operation planning',
      '--question',
      'Which crossings does the convoy use?',
      '--tlp',
      'RED',
      '--due-at',
      new Date(Date.now() + 4000).toISOString(),
    ]);
    expect(run.status, run.stderr).to.equal(0);
    const { requestId } = JSON.parse(run.stdout) as { requestId: string };
    await atNode('UZ', requestId, 'the request', (r) => r.requester === 'HUB');
    const escalated = await waitUntil(
      'the escalation in the query API',
      async () =>
        (await apiList(fx.hub.token('coordinator', 'KZ', 'RED'))).find(
          (r) => r.requestId === requestId && r.status === 'escalated',
        ),
      30000,
    );
    expect(escalated.escalatedAt).to.be.a('string');
    expect(await escalations('routine')).to.equal(1);

    // The escalation recorded again (as a check does when the intake has not applied the first record within ten
    // minutes): the first record counts, in the store and in the metric.
    const repeat = signed('HUB', 'RequestNotice', {
      noticeId: randomUUID(),
      kind: 'escalation',
      requestId,
      requester: 'HUB',
      addressee: 'UZ',
      dueAt: Date.now() - 1000,
      originalEnvelope: null,
      reason: 'recorded again',
      issuedAt: Date.now(),
    });
    await produceRaw(fx.env, topicNames(fx.env.config.namespace).hubOut, [
      { key: requestId, value: repeat.bytes },
    ]);
    await waitUntil(
      'the repeated record stored',
      async () =>
        fx.store.collection(COLLECTIONS.envelopes).findOne({ _id: repeat.envelope.messageId as never }),
      30000,
    );
    const doc = await fx.store.collection<StoredRequest>(COLLECTIONS.requests).findOne({ _id: requestId });
    expect(doc?.escalatedAt?.toISOString()).to.equal(escalated.escalatedAt);
    expect(await escalations('routine')).to.equal(1);
  });

  it('refuses what cannot be asked, field by field (exit 2), and a country without a node (exit 1)', async () => {
    const invalid = await ask(['KZ', '--subject-kind', 'report', '--urgency', 'whenever', '--wait', '0']);
    expect(invalid.status).to.equal(2);
    for (const expected of [
      '--purpose: is required',
      '--question: is required',
      '--tlp',
      '--subject-ref',
      '--urgency',
    ])
      expect(invalid.stderr).to.include(expected);
    const noNode = await ask(['TJ', '--purpose', 'p', '--question', 'q', '--tlp', 'GREEN']);
    expect(noNode.status).to.equal(1);
    expect(noNode.stderr).to.include('TJ has no national node on the hub');
    const nowhere = await ask(['Atlantis', '--purpose', 'p', '--question', 'q', '--tlp', 'GREEN']);
    expect(nowhere.status).to.equal(2);
    expect(nowhere.stderr).to.include('<CC>');
    const missing = await ask(['--json', join(fx.env.home, 'no-such-request.json')]);
    expect(missing.status).to.equal(2);
    expect(missing.stderr).to.include('cannot be read');
  });

  it("quarantines on the coordination node's topic anything but its own requests and escalations, and escalations from a node", async () => {
    const names = topicNames(fx.env.config.namespace);
    const request = (from: string) => ({
      requestId: randomUUID(),
      from,
      to: 'UZ',
      subjectKind: 'other',
      subjectRef: null,
      purpose: 'p',
      question: 'q',
      urgency: 'routine',
      dueAt: Date.now() + 86400000,
      sentAt: Date.now(),
      handling: { tlp: 'GREEN', releasableTo: [] },
    });
    // A report signed by the coordination node: it reports nothing.
    const { value: reportValue } = seizureReportFromJson(minimalReport(), {
      nodeCountry: 'KZ',
      now: Date.now(),
      versionOf: () => 1,
      regions: new Set(),
    });
    const report = signed('HUB', 'SeizureReport', reportValue);
    // A country's request written to the coordination node's topic: not its own.
    const byKz = signed('KZ', 'InformationRequest', request('KZ'));
    // An escalation from a country, of a request it made: only the coordinator escalates.
    const kzRequest = request('KZ');
    const notice = (kind: string) => ({
      noticeId: randomUUID(),
      kind,
      requestId: kzRequest.requestId,
      requester: 'KZ',
      addressee: 'UZ',
      dueAt: kzRequest.dueAt,
      originalEnvelope: null,
      reason: 'impatient',
      issuedAt: Date.now(),
    });
    const kzEscalation = signed('KZ', 'RequestNotice', notice('escalation'));
    // A notice of the coordination node that is not an escalation: it records nothing else there.
    const hubNotice = signed('HUB', 'RequestNotice', notice('request'));
    await produceRaw(fx.env, names.nodeOut('KZ'), [
      { key: kzRequest.requestId, value: signed('KZ', 'InformationRequest', kzRequest).bytes },
      { key: kzRequest.requestId, value: kzEscalation.bytes },
    ]);
    await produceRaw(fx.env, names.hubOut, [
      { key: 'report', value: report.bytes },
      { key: 'kz', value: byKz.bytes },
      { key: kzRequest.requestId, value: hubNotice.bytes },
    ]);
    const quarantine = fx.store.collection<{ messageId: string; reasonCode: string; detail: string }>(
      COLLECTIONS.quarantine,
    );
    const refused = [report, byKz, kzEscalation, hubNotice].map((m) => m.envelope.messageId);
    const reasons = await waitUntil(
      'all four in quarantine',
      async () => {
        const found = await quarantine.find({ messageId: { $in: refused } }).toArray();
        return found.length === refused.length ? new Map(found.map((q) => [q.messageId, q])) : undefined;
      },
      30000,
    );
    expect(reasons.get(kzEscalation.envelope.messageId)).to.include({ reasonCode: 'unknown-schema' });
    expect(reasons.get(kzEscalation.envelope.messageId)?.detail).to.include(
      'not accepted from national nodes',
    );
    expect(reasons.get(hubNotice.envelope.messageId)).to.include({ reasonCode: 'invalid-content' });
    expect(reasons.get(hubNotice.envelope.messageId)?.detail).to.include('only escalations');
    // KZ's request itself was taken, and nobody escalated it.
    const kept = await fx.store
      .collection<StoredRequest>(COLLECTIONS.requests)
      .findOne({ _id: kzRequest.requestId });
    expect(kept).to.include({ status: 'open', escalatedAt: null });
    expect(reasons.get(report.envelope.messageId)).to.include({ reasonCode: 'unknown-schema' });
    expect(reasons.get(report.envelope.messageId)?.detail).to.include(
      'information requests and escalations only',
    );
    expect(reasons.get(byKz.envelope.messageId)).to.include({ reasonCode: 'country-mismatch' });
    expect(
      await fx.store
        .collection<{ _id: string }>(COLLECTIONS.reports)
        .countDocuments({ _id: reportValue.reportId }),
    ).to.equal(0);
  });
});
