// The coordination node asks a country (`hub ask`, an information request from HUB) on the real stack: the request
// signed with the coordinator's key goes through the coordination node's own topic and the coordinator's intake to
// the addressee's node, countersigned; the answer stays at the hub, readable by coordinators; an unanswered one is
// escalated. What the coordination node's topic carries is checked like any node's: only requests, only its own.
import { expect } from 'chai';
import { randomUUID, X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { startAsks } from '@hub/coordinator';
import { seizureReportFromJson } from '@hub/domain';
import { createSigner, decodeEnvelope, HUB_ORIGIN } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { PkiStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, connectStore, type StoredAsk, type StoredRequest } from '@hub/store';
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
  // Escalated a second past the due time (30 s by default): the tests wait for it.
  const fx = useTestHub('hub-requests', ['KZ', 'UZ'], { requestCheckMs: 1000, requestGraceMs: 1000 });

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
      // Far enough ahead for the command to start, check it (at least 1 s ahead) and send it before it passes on a
      // slow machine: a request the brokers append after its due time is refused.
      new Date(Date.now() + 15000).toISOString(),
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
      60000,
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

  it('asks from the query API (a coordinator, no key there): the coordinator signs and sends it, UZ gets it', async () => {
    const coordinator = fx.hub.token('coordinator', 'TJ', 'AMBER');
    const ask = (body: unknown, token = coordinator) =>
      fetch(`${fx.hub.apiUrl}/v1/requests`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
    const stateOf = (requestId: string, token = coordinator) =>
      getJson(`${fx.hub.apiUrl}/v1/requests/asked/${requestId}`, token);
    const settled = (requestId: string) =>
      waitUntil(
        `request ${requestId} stored or refused`,
        async () => {
          const r = await stateOf(requestId);
          return ['stored', 'refused'].includes(String(r.body.state)) ? r.body : undefined;
        },
        30000,
      );

    const body = {
      requestId: randomUUID(),
      to: 'Uzbekistan',
      purpose: 'regional picture of the northern route',
      question: 'Which crossings did your customs close in November?',
      urgency: 'immediate',
      handling: { tlp: 'AMBER', releasableTo: [] },
    };
    const queued = await ask(body);
    expect(queued.status, JSON.stringify(queued.body)).to.equal(202);
    expect(queued.body).to.include({
      requestId: body.requestId,
      to: 'UZ',
      state: 'queued',
      urgency: 'immediate',
    });
    // The due time was not given: read from the urgency, and said so.
    expect(String(queued.body.normalisations)).to.include('dueAt not given');

    const stored = await settled(body.requestId);
    expect(stored).to.deep.include({ state: 'stored', askedBy: { sub: 'coordinator-TJ', country: 'TJ' } });
    expect(stored.request).to.include({
      requester: 'HUB',
      addressee: 'UZ',
      urgency: 'immediate',
      // The coordinator who asked, signed into the request (its token's subject).
      submittedBy: 'coordinator-TJ',
    });
    const incoming = await atNode('UZ', body.requestId, 'the request', (r) => r.direction === 'incoming');
    expect(incoming).to.include({ requester: 'HUB', addressee: 'UZ', status: 'open', urgency: 'immediate' });
    expect(incoming.requestEvidence).to.include({ signedBy: 'HUB', verified: true, countersignedBy: 'HUB' });
    // Coordinators see it in the list like a request of `hub ask`; the ask is in the audit log, by whom.
    expect((await apiList(coordinator)).map((r) => r.requestId)).to.include(body.requestId);
    const audited = await fx.store
      .collection<{ action: string; actor: { sub: string }; query: { requestId?: string } }>(
        COLLECTIONS.audit,
      )
      .find({ action: 'ask' })
      .toArray();
    expect(audited.find((a) => a.query.requestId === body.requestId)?.actor.sub).to.equal('coordinator-TJ');

    // The same body again (an answer lost on the way): answered as the first time, nothing more sent.
    const again = await ask(body);
    expect(again.status).to.equal(202);
    expect(again.body).to.include({
      requestId: body.requestId,
      duplicate: true,
      state: 'sent',
      dueAt: queued.body.dueAt,
    });
    // Its id with another body, or the id of a country's request: refused, naming the field.
    const other = await ask({ ...body, question: 'Another question?' });
    expect(other.status).to.equal(400);
    expect((other.body.errors as { field: string }[]).map((e) => e.field)).to.deep.equal(['requestId']);

    // Every field error at once; not JSON; not a coordinator: refused before anything is queued.
    const invalid = await ask({ to: 'Atlantis', urgency: 'whenever', subjectKind: 'report' });
    expect(invalid.status).to.equal(400);
    expect((invalid.body.errors as { field: string }[]).map((e) => e.field)).to.include.members([
      'to',
      'urgency',
      'subjectRef',
      'purpose',
      'question',
    ]);
    const notJson = await ask('{"to": "UZ",');
    expect(notJson.status).to.equal(400);
    expect(notJson.body.error).to.include({ code: 'MALFORMED_JSON' });
    // JSON sent as text: told to say it is JSON.
    const asText = await fetch(`${fx.hub.apiUrl}/v1/requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${coordinator}`, 'content-type': 'text/plain' },
      body: JSON.stringify(body),
    });
    expect(asText.status).to.equal(400);
    const asTextBody = (await asText.json()) as { errors: { field: string; message: string }[] };
    expect(asTextBody.errors[0]).to.include({ field: '(body)' });
    expect(asTextBody.errors[0]!.message).to.include('content-type: application/json (got text/plain)');
    const analyst = fx.hub.token('analyst', 'KZ', 'RED');
    expect((await ask({ ...body, requestId: randomUUID() }, analyst)).status).to.equal(403);
    expect((await stateOf(body.requestId, analyst)).status).to.equal(403);
    expect((await stateOf(randomUUID())).status).to.equal(404);

    // A country without a national node: queued, then refused by the coordinator, saying why; nothing sent.
    const nowhere = await ask({ ...body, requestId: randomUUID(), to: 'TM' });
    expect(nowhere.status).to.equal(202);
    const refused = await settled(String(nowhere.body.requestId));
    expect(refused.state).to.equal('refused');
    expect(refused.error).to.include({ code: 'NOT_FOUND' });
    expect(String((refused.error as { message: string }).message)).to.include('TM has no national node');
    expect(
      await fx.store
        .collection<StoredRequest>(COLLECTIONS.requests)
        .countDocuments({ _id: String(nowhere.body.requestId) }),
    ).to.equal(0);

    // The list of asks kept: the refused one first (newest), with why, then the stored one; filtered by state.
    const list = async (query = '') =>
      (await getJson(`${fx.hub.apiUrl}/v1/requests/asked${query}`, coordinator)).body.asks as {
        requestId: string;
        to: string;
        state: string;
        askedBy: { sub: string };
        error?: { message: string };
      }[];
    const kept = await list();
    expect(kept.map((a) => [a.requestId, a.to, a.state])).to.deep.equal([
      [String(nowhere.body.requestId), 'TM', 'refused'],
      [body.requestId, 'UZ', 'stored'],
    ]);
    expect(kept[0]!.error?.message).to.include('TM has no national node');
    expect(kept[1]!.askedBy.sub).to.equal(kept[0]!.askedBy.sub);
    expect((await list('?state=refused')).map((a) => a.requestId)).to.deep.equal([
      String(nowhere.body.requestId),
    ]);
    expect(await list('?state=queued')).to.deep.equal([]);
    expect((await list('?limit=1')).map((a) => a.state)).to.deep.equal(['refused']);
    expect((await getJson(`${fx.hub.apiUrl}/v1/requests/asked`, analyst)).status).to.equal(403);

    // Every look at the asks is in the audit log (`asked`), by whom and what: the list by its filters, the state of
    // one by its id; those refused (not a coordinator) or not found are not reads.
    const looks = await fx.store
      .collection<{ action: string; actor: { sub: string }; query: Record<string, unknown>; count: number }>(
        COLLECTIONS.audit,
      )
      .find({ action: 'asked', 'actor.sub': 'coordinator-TJ' })
      .toArray();
    expect(looks.filter((a) => a.query.requestId === body.requestId).length).to.be.greaterThan(0);
    expect(looks.map((a) => [a.query.state, a.query.limit, a.count])).to.deep.include.members([
      ['refused', undefined, 1],
      ['queued', undefined, 0],
      [undefined, 1, 1],
    ]);
  });

  it('sends each asked request once: two coordinators claim it, one sends it; a crash after signing sends the same bytes', async () => {
    // A database of its own, so that the hub's running coordinator does not take these asks first.
    const store = await connectStore({
      url: fx.env.config.mongo.url,
      dbName: `${fx.env.config.mongo.dbName}-asks`,
      appName: 'asks-test',
    });
    try {
      const identity = new PkiStore(join(fx.env.config.hubHome, 'pki')).identity(HUB_ORIGIN);
      const signer = createSigner({
        privateKey: identity.privateKey,
        certificate: identity.certificatePem,
        origin: HUB_ORIGIN,
      });
      const sent: { topic: string; key: string; value: Buffer }[] = [];
      const instance = (hasNode = async () => true) =>
        startAsks({
          store,
          // Not under test: what would go to Kafka is kept.
          producer: {
            send: async ({ topic, messages }) => {
              for (const m of messages) sent.push({ topic, key: String(m.key), value: m.value as Buffer });
              return [];
            },
          },
          signer,
          registry: loadSchemaRegistry(),
          names: topicNames(fx.env.config.namespace),
          regions: new Set(['central-asia']),
          hasNode,
          clock: Date.now,
          logger: createLogger('asks-test', { level: 'silent' }),
          intervalMs: 3600_000,
        });
      const asks = store.collection<StoredAsk>(COLLECTIONS.asks);
      const ask = (requestId: string, body: Record<string, unknown>): StoredAsk => ({
        _id: requestId,
        body: { requestId, ...body },
        askedBy: { sub: 'coordinator-TJ', country: 'TJ' },
        askedAt: new Date(),
        state: 'queued',
      });
      const request = {
        to: 'KZ',
        purpose: 'analysis',
        question: 'Was the truck escorted?',
        handling: { tlp: 'AMBER', releasableTo: [] },
      };

      // Six asks, three coordinators looking at once: each ask is sent once, by one of them.
      const ids = Array.from({ length: 6 }, () => randomUUID());
      for (const id of ids) await asks.insertOne(ask(id, request));
      const [a, b, third] = [instance(), instance(), instance()];
      try {
        const counts = await Promise.all([a.check(), b.check(), third.check()]);
        expect(counts.reduce((x, y) => x + y)).to.equal(6);
        expect(sent.map((m) => m.key).sort()).to.deep.equal([...ids].sort());
        const once = ids[0]!;
        const first = sent.find((m) => m.key === once)!;
        const doc = await asks.findOne({ _id: once });
        expect(doc?.state).to.equal('sent');
        const decoded = decodeEnvelope(first.value);
        expect(decoded.ok && decoded.envelope.messageId).to.equal(doc?.messageId);
        expect(decoded.ok && decoded.envelope).to.include({
          origin: 'HUB',
          messageType: 'InformationRequest',
        });
        expect(first.topic).to.equal(topicNames(fx.env.config.namespace).hubOut);
        sent.length = 0;
        sent.push(first);

        // Signed, then the process died before sending: once it has been signed a while (30 s), the next pass
        // sends those very bytes; not before, while its signer may still be sending it.
        const crashed = randomUUID();
        const bytes = Buffer.from(sent[0]!.value);
        const signedAt = new Date(Date.now() - 10_000);
        await asks.insertOne({
          ...ask(crashed, request),
          state: 'signed',
          messageId: 'm-1',
          envelope: bytes,
          signedAt,
        });
        expect(await a.check()).to.equal(0);
        await asks.updateOne({ _id: crashed }, { $set: { signedAt: new Date(Date.now() - 40_000) } });
        expect(await a.check()).to.equal(1);
        expect(sent[1]!.key).to.equal(crashed);
        expect(Buffer.compare(sent[1]!.value, bytes)).to.equal(0);

        // What no longer reads as a request, and a country without a node: refused, saying why; nothing sent.
        const invalid = randomUUID();
        const { purpose: _purpose, ...noPurpose } = request;
        void _purpose;
        await asks.insertOne(ask(invalid, noPurpose));
        const noNode = randomUUID();
        await asks.insertOne(ask(noNode, { ...request, to: 'TM' }));
        const c = instance(async () => false);
        try {
          expect(await c.check()).to.equal(0);
        } finally {
          await c.stop();
        }
        expect(sent).to.have.length(2);
        const invalidDoc = await asks.findOne({ _id: invalid });
        expect(invalidDoc?.state).to.equal('refused');
        expect(invalidDoc?.error?.errors?.map((e) => e.field)).to.deep.equal(['purpose']);
        expect((await asks.findOne({ _id: noNode }))?.error).to.include({ code: 'NOT_FOUND' });
      } finally {
        await a.stop();
        await b.stop();
        await third.stop();
      }
    } finally {
      await store.db.dropDatabase();
      await store.close();
    }
  });
});
