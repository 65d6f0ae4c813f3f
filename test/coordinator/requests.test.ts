// Information requests between countries on the real stack: asking, countersigned delivery, answering, receipts,
// deadlines and escalation, who sees what in the query API, and a response from a country that was not asked.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { informationRequestFromJson } from '@hub/domain';
import { createVerifier, MAX_ENVELOPE_BYTES } from '@hub/envelope';
import { createKafka, topicNames } from '@hub/kafka';
import { PkiStore } from '@hub/pki';
import { loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, type StoredRequest } from '@hub/store';
import { waitUntil } from '../support/env';
import { getJson, metricValue, postJson, produceRaw, signedAs, useTestHub } from '../support/hub';

type NodeRequest = {
  requestId: string;
  direction: 'incoming' | 'outgoing';
  requester: string;
  addressee: string;
  status: string;
  overdue: boolean;
  dueAt: string;
  urgency: string;
  receipt: { status: string; reasons: { code: string; field: string | null; message: string }[] } | null;
  response: { responseId: string; answer: string; signedBy: string; handling: { tlp: string } } | null;
  responses?: { responseId: string; answer: string; status: string }[];
  requestEvidence?: { signedBy: string; verified: boolean; countersignedBy: string };
  escalatedAt: string | null;
};
type ApiRequest = {
  requestId: string;
  status: string;
  overdue: boolean;
  escalatedAt: string | null;
  response: { withheld: boolean; answer?: string } | null;
  responses: { withheld: boolean; answer?: string; status: string }[];
};

const HOUR = 3600000;

describe('coordinator: information requests between countries', function () {
  this.timeout(180000);
  // Escalated a second past the due time (30 s by default): the tests wait for it.
  const fx = useTestHub('requests', ['KZ', 'UZ'], { requestCheckMs: 1000, requestGraceMs: 1000 });

  const node = (cc: string) => fx.hub.nodes[cc]!.url;
  const listAt = async (cc: string, query = '') =>
    (await getJson(`${node(cc)}/v1/requests${query}`)).body.requests as NodeRequest[];
  const itemAt = (cc: string, requestId: string, what: string, ok: (r: NodeRequest) => boolean) =>
    waitUntil(
      `${what} at ${cc}'s node`,
      async () => (await listAt(cc)).find((r) => r.requestId === requestId && ok(r)),
      30000,
    );
  const apiList = async (token: string, query = '') => {
    const r = await getJson(`${fx.hub.apiUrl}/v1/requests${query}`, token);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return r.body.requests as ApiRequest[];
  };
  const ask = async (body: Record<string, unknown>) => {
    const r = await postJson(`${node('KZ')}/v1/requests`, {
      to: 'UZ',
      purpose: 'criminal investigation 2026/117',
      question: 'Was the driver of this shipment seen at your border before?',
      handling: { tlp: 'AMBER', releasableTo: ['UZ'] },
      ...body,
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    return r.body as { requestId: string; to: string; dueAt: string; normalisations: string[] };
  };

  let answeredId: string;

  it('refuses an invalid request field by field', async () => {
    const r = await postJson(`${node('KZ')}/v1/requests`, {
      to: 'Atlantis',
      subjectKind: 'report',
      urgency: 'whenever',
      dueAt: '2020-01-01T00:00:00Z',
      handling: { tlp: 'AMBER' },
    });
    expect(r.status).to.equal(400);
    const fields = (r.body.errors as { field: string; message: string }[]).map((e) => e.field);
    expect(fields).to.include.members(['to', 'subjectRef', 'purpose', 'question', 'urgency', 'dueAt']);
    const own = await postJson(`${node('KZ')}/v1/requests`, {
      to: 'KZ',
      purpose: 'p',
      question: 'q',
      handling: { tlp: 'GREEN' },
    });
    expect(own.status).to.equal(400);
    // The same request sent twice at once (a client retrying before its first answer came): one is taken, the other
    // refused as being sent, and the node lists it once; sent again afterwards, it is answered as the first time.
    const body = {
      requestId: randomUUID(),
      to: 'UZ',
      purpose: 'criminal investigation 2026/118',
      question: 'Is this plate known to you?',
      handling: { tlp: 'GREEN' },
    };
    const both = await Promise.all([1, 2].map(() => postJson(`${node('KZ')}/v1/requests`, body)));
    expect(both.map((r) => r.status).sort()).to.deep.equal([202, 409]);
    expect(String((both.find((r) => r.status === 409)!.body.error as { message: string }).message)).to.equal(
      `request ${body.requestId} is being sent; send the same body again once it is answered to be told what it made`,
    );
    const again = await postJson(`${node('KZ')}/v1/requests`, body);
    expect(again.status, JSON.stringify(again.body)).to.equal(202);
    expect(again.body).to.deep.equal({ ...both.find((r) => r.status === 202)!.body, duplicate: true });
    const other = await postJson(`${node('KZ')}/v1/requests`, { ...body, question: 'And this one?' });
    expect(other.status).to.equal(409);
    const listed = (await getJson(`${node('KZ')}/v1/requests`)).body.requests as { requestId: string }[];
    expect(listed.filter((r) => r.requestId === body.requestId)).to.have.length(1);
  });

  it('KZ asks UZ about a report; UZ lists it, answers it; KZ gets the answer; both get signed receipts', async () => {
    const reportId = randomUUID();
    const asked = await ask({
      to: 'Uzbekistan',
      subjectKind: 'report',
      subjectRef: reportId,
      urgency: 'urgent',
    });
    answeredId = asked.requestId;
    expect(asked.to).to.equal('UZ');
    // Urgent and no due time given: due in 24 hours.
    expect(Math.abs(Date.parse(asked.dueAt) - (Date.now() + 24 * HOUR))).to.be.below(60000);
    expect(asked.normalisations.join(' ')).to.match(/Uzbekistan.*UZ/);

    // UZ's node has it, the original verified as KZ's, delivered by the coordinator.
    const incoming = await itemAt('UZ', answeredId, 'the request', (r) => r.direction === 'incoming');
    expect(incoming).to.include({ requester: 'KZ', addressee: 'UZ', status: 'open', urgency: 'urgent' });
    expect(incoming.requestEvidence).to.deep.equal({
      ...incoming.requestEvidence,
      signedBy: 'KZ',
      verified: true,
      countersignedBy: 'HUB',
    });
    const sent = await itemAt('KZ', answeredId, 'the receipt', (r) => r.receipt?.status === 'accepted');
    expect(sent).to.include({ direction: 'outgoing', status: 'open' });

    // Only the addressee answers, once.
    const byKz = await postJson(`${node('KZ')}/v1/requests/${answeredId}/response`, { answer: 'x' });
    expect(byKz.status).to.equal(409);
    const unknown = await postJson(`${node('UZ')}/v1/requests/${randomUUID()}/response`, { answer: 'x' });
    expect(unknown.status).to.equal(404);
    const invalid = await postJson(`${node('UZ')}/v1/requests/${answeredId}/response`, {
      status: 'maybe',
      relatedReports: ['not-a-uuid'],
    });
    expect(invalid.status).to.equal(400);
    expect((invalid.body.errors as { field: string }[]).map((e) => e.field)).to.include.members([
      'status',
      'answer',
      'relatedReports[0]',
    ]);
    const answer = await postJson(`${node('UZ')}/v1/requests/${answeredId}/response`, {
      answer: 'Yes: the same driver crossed at Gisht-Kuprik on 2026-02-11 with an empty truck.',
      relatedReports: [reportId],
      handling: { tlp: 'AMBER', releasableTo: ['KZ'] },
    });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(202);
    const again = await postJson(`${node('UZ')}/v1/requests/${answeredId}/response`, { answer: 'again' });
    expect(again.status).to.equal(409);

    const answered = await itemAt('KZ', answeredId, 'the answer', (r) => r.status === 'answered');
    expect(answered.response).to.include({ signedBy: 'UZ' });
    expect(answered.response?.answer).to.match(/Gisht-Kuprik/);
    const uzSide = await itemAt(
      'UZ',
      answeredId,
      "the response's receipt",
      (r) => r.receipt?.status === 'accepted',
    );
    expect(uzSide.status).to.equal('answered');
    expect(uzSide.response?.responseId).to.equal(answer.body.responseId);

    // The coordinator's store has both, and the archive both signed originals.
    const doc = await fx.store.collection<StoredRequest>(COLLECTIONS.requests).findOne({ _id: answeredId });
    expect(doc).to.include({ requester: 'KZ', addressee: 'UZ', status: 'answered', urgency: 'urgent' });
    expect(doc?.response).to.include({ responseId: answer.body.responseId, from: 'UZ', to: 'KZ' });
    const archived = await fx.store
      .collection(COLLECTIONS.envelopes)
      .find({ subjectId: { $in: [answeredId, answer.body.responseId] } })
      .toArray();
    expect(archived.map((e) => `${e.messageType}:${e.origin}`).sort()).to.deep.equal([
      'InformationRequest:KZ',
      'InformationResponse:UZ',
    ]);
  });

  it("delivers the request countersigned: the coordinator's envelope around KZ's unchanged one", async () => {
    const names = topicNames(fx.env.config.namespace);
    const registry = loadSchemaRegistry();
    const verifier = createVerifier({ trust: new PkiStore(join(fx.env.config.hubHome, 'pki')).trustStore() });
    const kafka = createKafka({
      brokers: fx.env.config.kafka.brokers,
      clientId: 'requests-test',
      logger: fx.env.logger,
    });
    const consumer = kafka.consumer({ groupId: `${names.group('requests-test')}-${randomUUID()}` });
    let found: { outer: string; inner: string; innerType: string } | undefined;
    await consumer.connect();
    await consumer.subscribe({ topics: [names.nodeIn('UZ')], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const outer = verifier.verify(message.value!);
        if (!outer.ok || outer.envelope.messageType !== 'RequestNotice') return;
        const notice = registry.decode(outer.envelope.schemaFingerprint, outer.envelope.payload) as {
          requestId: string;
          originalEnvelope: Buffer;
        };
        if (notice.requestId !== answeredId) return;
        const inner = verifier.verify(notice.originalEnvelope, { expectedCountry: 'KZ' });
        found = {
          outer: outer.envelope.origin,
          inner: inner.ok ? inner.envelope.origin : `invalid: ${inner.reason}`,
          innerType: inner.envelope?.messageType ?? '',
        };
      },
    });
    try {
      await waitUntil('the notice on fx.hub.node.UZ.in', () => found, 30000);
      expect(found).to.deep.equal({ outer: 'HUB', inner: 'KZ', innerType: 'InformationRequest' });
    } finally {
      await consumer.disconnect();
    }
  });

  it('escalates a request nobody answered by its due time, visible to coordinators and not to a third country', async () => {
    const { requestId } = await ask({
      subjectKind: 'identifier',
      subjectRef: 'plate 01KZ777ABA',
      urgency: 'immediate',
      dueAt: new Date(Date.now() + 4000).toISOString(),
    });
    const coordinator = fx.hub.token('coordinator', 'TJ', 'RED');
    const escalated = await waitUntil(
      'the escalation in the query API',
      async () => (await apiList(coordinator, '?status=escalated')).find((r) => r.requestId === requestId),
      30000,
    );
    expect(escalated.overdue).to.equal(true);
    expect(escalated.escalatedAt).to.be.a('string');
    // A coordinator of a third country sees its parties and deadline, not what it asks (AMBER, releasable to UZ);
    // one of the countries concerned sees it whole.
    expect(escalated).to.include({ withheld: true, question: null, purpose: null, subjectRef: null });
    const atKzCoordinator = (await apiList(fx.hub.token('coordinator', 'KZ', 'RED'))).find(
      (r) => r.requestId === requestId,
    );
    expect(atKzCoordinator).to.include({ withheld: false, subjectRef: 'plate 01KZ777ABA' });
    expect((await apiList(coordinator, '?status=overdue')).map((r) => r.requestId)).to.include(requestId);
    expect((await apiList(coordinator, '?status=open')).map((r) => r.requestId)).not.to.include(requestId);
    expect((await apiList(coordinator, '?status=answered')).map((r) => r.requestId)).to.include(answeredId);

    // The requester's node is told; the countries concerned see it; a third country sees neither request.
    const atKz = await itemAt('KZ', requestId, 'the escalation notice', (r) => r.status === 'escalated');
    expect(atKz.overdue).to.equal(true);
    expect(atKz.escalatedAt).to.be.a('string');
    expect((await listAt('KZ', '?status=overdue')).map((r) => r.requestId)).to.include(requestId);
    expect((await listAt('UZ', '?status=overdue')).map((r) => r.requestId)).to.include(requestId);
    const uz = await apiList(fx.hub.token('analyst', 'UZ'), '?status=overdue');
    expect(uz.map((r) => r.requestId)).to.include(requestId);
    for (const role of ['analyst', 'node-operator'] as const)
      expect(await apiList(fx.hub.token(role, 'KG', 'RED'))).to.deep.equal([]);

    // The answer is AMBER for KZ: a coordinator elsewhere sees that it was answered, not what.
    const all = await apiList(coordinator);
    expect(all.find((r) => r.requestId === answeredId)?.response).to.include({ withheld: true });
    expect(all.find((r) => r.requestId === answeredId)?.response).not.to.have.property('answer');
    const kz = await apiList(fx.hub.token('analyst', 'KZ'));
    expect(kz.find((r) => r.requestId === answeredId)?.response?.answer).to.match(/Gisht-Kuprik/);

    const doc = await fx.store.collection<StoredRequest>(COLLECTIONS.requests).findOne({ _id: requestId });
    expect(doc?.status).to.equal('escalated');
    const metrics = await (await fetch(`${fx.hub.coordinator.opsUrl}/metrics`)).text();
    expect(metrics).to.match(
      /hub_coordinator_requests_escalated_total\{[^}]*urgency="immediate"[^}]*\} [1-9]/,
    );

    const auditor = await getJson(`${fx.hub.apiUrl}/v1/requests`, fx.hub.token('auditor', 'KZ'));
    expect(auditor.status).to.equal(403);
    const bad = await getJson(`${fx.hub.apiUrl}/v1/requests?status=late`, coordinator);
    expect(bad.status).to.equal(400);
  });

  it('refuses a request whose question is longer than a node takes, naming it, and delivers the next', async () => {
    // Written straight to KZ's topic, as a node could (its own API takes 4,000 characters): a question of 900,000,
    // which the notice to UZ, the stored request and both dashboards would carry whole.
    const valueOf = (question: string) =>
      informationRequestFromJson(
        {
          to: 'UZ',
          purpose: 'criminal investigation 2026/118',
          question,
          handling: { tlp: 'AMBER', releasableTo: ['UZ'] },
        },
        { nodeCountry: 'KZ', now: Date.now(), regions: new Set() },
      ).value;
    const long = valueOf('The manifests attached below: are these consignees known to you?');
    const next = valueOf('Are these consignees known to you?');
    const longEnvelope = signedAs(fx.env, 'KZ', 'InformationRequest', {
      ...long,
      question: `${long.question}\n${'m'.repeat(900_000)}`,
    });
    expect(longEnvelope.bytes.length).to.be.below(MAX_ENVELOPE_BYTES);
    await produceRaw(fx.env, topicNames(fx.env.config.namespace).nodeOut('KZ'), [
      { key: long.requestId, value: longEnvelope.bytes },
      { key: next.requestId, value: signedAs(fx.env, 'KZ', 'InformationRequest', next).bytes },
    ]);
    await itemAt('UZ', next.requestId, 'the request after it', () => true);
    expect(
      await fx.store.collection(COLLECTIONS.requests).findOne({ _id: long.requestId as never }),
    ).to.equal(null);
    // Keyed apart, the two may be read from different partitions: the refusal is waited for, not assumed.
    const refused = await waitUntil('the long request refused', () =>
      fx.store.collection(COLLECTIONS.quarantine).findOne({ messageId: longEnvelope.envelope.messageId }),
    );
    expect(refused).to.include({
      reasonCode: 'invalid-content',
      detail: `question: must be at most 4000 characters (got ${long.question.length + 1 + 900_000})`,
    });
  });

  it('rejects a response from a country that was not asked, and one to a request nobody sent', async () => {
    // KZ's node refuses to answer its own request, so the forged response is signed with KZ's key directly.
    const { requestId } = await ask({ subjectKind: 'route', subjectRef: 'AF>TJ>KZ' });
    await itemAt('UZ', requestId, 'the request', () => true);
    const names = topicNames(fx.env.config.namespace);
    const response = (over: Record<string, unknown>) => {
      const value = {
        responseId: randomUUID(),
        requestId,
        from: 'KZ',
        to: 'KZ',
        status: 'answered',
        answer: 'an answer nobody asked KZ for',
        relatedReports: [],
        respondedAt: Date.now(),
        handling: { tlp: 'GREEN', releasableTo: [] },
        ...over,
      };
      const bytes = signedAs(fx.env, 'KZ', 'InformationResponse', value).bytes;
      return { id: value.responseId, message: { key: value.responseId, value: bytes } };
    };
    const notAsked = response({});
    const nobodySent = response({ requestId: randomUUID() });
    await produceRaw(fx.env, names.nodeOut('KZ'), [notAsked.message, nobodySent.message]);
    const receiptOf = (id: string) =>
      waitUntil(
        `the receipt of ${id} at KZ's node`,
        async () => {
          const r = await getJson(`${node('KZ')}/v1/receipts/${id}`);
          return r.status === 200 && r.body.status !== 'pending' ? r.body : undefined;
        },
        30000,
      );
    const first = (await receiptOf(notAsked.id)) as {
      status: string;
      reasons: { field: string; message: string }[];
    };
    expect(first.status).to.equal('rejected');
    expect(first.reasons[0]).to.include({ field: 'from' });
    expect(first.reasons[0]?.message).to.equal(`KZ was not asked: request ${requestId} is addressed to UZ`);
    const second = (await receiptOf(nobodySent.id)) as { status: string; reasons: { message: string }[] };
    expect(second.status).to.equal('rejected');
    expect(second.reasons[0]?.message).to.match(/no request .* is known to the hub/);

    const doc = await fx.store.collection<StoredRequest>(COLLECTIONS.requests).findOne({ _id: requestId });
    expect(doc?.response).to.equal(null);
    expect(
      await fx.store.collection(COLLECTIONS.quarantine).countDocuments({ reasonCode: 'invalid-content' }),
    ).to.be.at.least(2);
    expect((await listAt('KZ')).find((r) => r.requestId === requestId)?.status).to.equal('open');
  });

  it('refuses a request already past due when the hub received it (held in its outbox), naming dueAt', async () => {
    // Signed 3 h ago, immediate (due 2 h after), held in KZ's outbox while the brokers were away: it reaches the hub
    // now, an hour after it was due: the time the brokers append it is when the hub received it.
    const value = informationRequestFromJson(
      {
        to: 'UZ',
        urgency: 'immediate',
        purpose: 'criminal investigation 2026/119',
        question: 'Is this plate known to you?',
        subjectKind: 'identifier',
        subjectRef: '777ABC02',
        handling: { tlp: 'AMBER', releasableTo: ['UZ'] },
      },
      { nodeCountry: 'KZ', now: Date.now() - 3 * HOUR, regions: new Set() },
    ).value;
    const late = { key: value.requestId, value: signedAs(fx.env, 'KZ', 'InformationRequest', value).bytes };
    await produceRaw(fx.env, topicNames(fx.env.config.namespace).nodeOut('KZ'), [late]);
    const receipt = (await waitUntil(
      "the late request's receipt at KZ's node",
      async () => {
        const r = await getJson(`${node('KZ')}/v1/receipts/${value.requestId}`);
        return r.status === 200 && r.body.status !== 'pending' ? r.body : undefined;
      },
      30000,
    )) as { status: string; reasons: { field: string; message: string }[] };
    expect(receipt.status).to.equal('rejected');
    expect(receipt.reasons[0]).to.include({ field: 'dueAt' });
    expect(receipt.reasons[0]?.message).to.contain(
      `${new Date(value.dueAt).toISOString()} was already past when the hub received the request`,
    );
    expect(
      await fx.store.collection(COLLECTIONS.requests).findOne({ _id: value.requestId as never }),
    ).to.equal(null);
    expect((await listAt('UZ')).find((r) => r.requestId === value.requestId)).to.equal(undefined);
  });

  it('UZ answers in part, twice, then in full: KZ and the query API get each answer, partial until the last', async () => {
    const { requestId } = await ask({ urgency: 'urgent' });
    await itemAt('UZ', requestId, 'the request', (r) => r.direction === 'incoming');
    const answer = (status: string, text: string) =>
      postJson(`${node('UZ')}/v1/requests/${requestId}/response`, {
        status,
        answer: text,
        handling: { tlp: 'AMBER', releasableTo: ['KZ'] },
      });
    const texts = [
      'One crossing so far: Gisht-Kuprik, 2026-02-11.',
      'A second one: Oybek, 2026-02-20.',
      'No other crossing on record.',
    ];
    const first = await answer('partial', texts[0]!);
    expect(first.status, JSON.stringify(first.body)).to.equal(202);
    const kz = fx.hub.token('analyst', 'KZ');
    const partly = await waitUntil('the partial answer in the query API', async () =>
      (await apiList(kz, '?status=partial')).find((r) => r.requestId === requestId),
    );
    expect(partly).to.include({ overdue: false, escalatedAt: null });
    expect(partly.responses.map((r) => [r.status, r.answer])).to.deep.equal([['partial', texts[0]]]);
    expect(
      (await itemAt('KZ', requestId, 'the partial answer', (r) => r.status === 'partial')).overdue,
    ).to.equal(false);
    // Answered again, in part and then in full; no more after that.
    for (const [status, text] of [
      ['partial', texts[1]!],
      ['answered', texts[2]!],
    ]) {
      const more = await answer(status!, text!);
      expect(more.status, JSON.stringify(more.body)).to.equal(202);
    }
    const refused = await answer('partial', 'And another?');
    expect(refused.status).to.equal(409);
    expect(refused.body.error).to.include({ code: 'CONFLICT' });

    const full = await waitUntil('the full answer in the query API', async () =>
      (await apiList(kz, '?status=answered')).find(
        (r) => r.requestId === requestId && r.responses.length === 3,
      ),
    );
    expect(full.response?.answer).to.equal(texts[2]);
    expect(full.responses.map((r) => [r.status, r.answer])).to.deep.equal([
      ['partial', texts[0]],
      ['partial', texts[1]],
      ['answered', texts[2]],
    ]);
    expect((await apiList(kz, '?status=partial')).map((r) => r.requestId)).not.to.include(requestId);
    const atKz = await itemAt('KZ', requestId, 'every answer', (r) => r.responses?.length === 3);
    expect(atKz.status).to.equal('answered');
    expect(atKz.responses!.map((r) => r.answer)).to.deep.equal(texts);
    const atUz = await itemAt(
      'UZ',
      requestId,
      "the full answer's receipt",
      (r) => r.status === 'answered' && r.receipt?.status === 'accepted',
    );
    expect(atUz.responses!.map((r) => r.status)).to.deep.equal(['partial', 'partial', 'answered']);
  });

  it('keeps a partial answer given before the full one though the brokers appended it after, and takes its copy again', async () => {
    const { requestId } = await ask({ urgency: 'urgent' });
    await itemAt('UZ', requestId, 'the request', (r) => r.direction === 'incoming');
    // UZ's node gave the partial answer, then the full one; it sent them side by side and the full one was appended
    // first (then the partial one again: a batch resent after a failure).
    const given = Date.now() - 60000;
    const signed = (status: string, answer: string, respondedAt: number) => {
      const value = {
        responseId: randomUUID(),
        requestId,
        from: 'UZ',
        to: 'KZ',
        status,
        answer,
        relatedReports: [],
        respondedAt,
        handling: { tlp: 'AMBER', releasableTo: ['KZ'] },
      };
      return {
        id: value.responseId,
        message: { key: value.responseId, value: signedAs(fx.env, 'UZ', 'InformationResponse', value).bytes },
      };
    };
    const partial = signed('partial', 'One crossing so far.', given);
    const full = signed('answered', 'No other crossing on record.', given + 2000);
    const out = topicNames(fx.env.config.namespace).nodeOut('UZ');
    await produceRaw(fx.env, out, [full.message]);
    await produceRaw(fx.env, out, [partial.message]);
    const receiptOf = (id: string) =>
      waitUntil(
        `the receipt of ${id} at UZ's node`,
        async () => {
          const r = await getJson(`${node('UZ')}/v1/receipts/${id}`);
          return r.status === 200 && r.body.status !== 'pending' ? (r.body as { status: string }) : undefined;
        },
        30000,
      );
    expect((await receiptOf(full.id)).status).to.equal('accepted');
    expect((await receiptOf(partial.id)).status).to.equal('accepted');
    const requests = fx.store.collection<StoredRequest>(COLLECTIONS.requests);
    const stored = await waitUntil('both answers stored', async () => {
      const doc = await requests.findOne({ _id: requestId });
      return doc?.earlierResponses?.length ? doc : undefined;
    });
    expect(stored.earlierResponses!.map((r) => r.responseId)).to.deep.equal([partial.id]);
    expect(stored.response?.responseId).to.equal(full.id);
    expect(stored.status).to.equal('answered');
    const atKz = await itemAt('KZ', requestId, 'both answers', (r) => r.responses?.length === 2);
    expect(atKz.responses!.map((r) => r.status)).to.deep.equal(['partial', 'answered']);
    // The partial answer again: the verdict of the first copy (the same receipt, kept once), nothing stored changed.
    // Followed in the same partition by an answer to a request nobody sent: once that one's receipt is in, the copy
    // was read too.
    const stray = {
      responseId: randomUUID(),
      requestId: randomUUID(),
      from: 'UZ',
      to: 'KZ',
      status: 'answered',
      answer: 'To a request nobody sent.',
      relatedReports: [],
      respondedAt: given,
      handling: { tlp: 'AMBER', releasableTo: ['KZ'] },
    };
    await produceRaw(fx.env, out, [
      { ...partial.message, partition: 0 },
      {
        key: stray.responseId,
        value: signedAs(fx.env, 'UZ', 'InformationResponse', stray).bytes,
        partition: 0,
      },
    ]);
    expect((await receiptOf(stray.responseId)).status).to.equal('rejected');
    const copies = (await getJson(`${node('UZ')}/v1/receipts/${partial.id}`)).body as {
      receipts: { status: string }[];
    };
    expect(copies.receipts.map((r) => r.status)).to.deep.equal(['accepted']);
    expect(await requests.findOne({ _id: requestId })).to.deep.equal(stored);
  });

  it('neither applies nor counts an escalation recorded after an answer the brokers took by the due time', async () => {
    const { requestId, dueAt } = await ask({ urgency: 'immediate' });
    await itemAt('UZ', requestId, 'the request', (r) => r.direction === 'incoming');
    const answered = await postJson(`${node('UZ')}/v1/requests/${requestId}/response`, {
      status: 'partial',
      answer: 'Checking: one crossing so far.',
    });
    expect(answered.status, JSON.stringify(answered.body)).to.equal(202);
    const requests = fx.store.collection<StoredRequest>(COLLECTIONS.requests);
    await waitUntil('the answer stored', async () => (await requests.findOne({ _id: requestId }))?.response);
    const counted = () =>
      metricValue(fx.hub.coordinator.opsUrl, 'hub_coordinator_requests_escalated_total', {
        urgency: 'immediate',
      });
    const before = await counted();
    // The record of an escalation decided while the answer waited unread (a backlog at the coordinator).
    const record = signedAs(fx.env, 'HUB', 'RequestNotice', {
      noticeId: randomUUID(),
      kind: 'escalation',
      requestId,
      requester: 'KZ',
      addressee: 'UZ',
      dueAt: Date.parse(dueAt),
      originalEnvelope: null,
      reason: 'no response from UZ by the due time',
      issuedAt: Date.now(),
    });
    await produceRaw(fx.env, topicNames(fx.env.config.namespace).hubOut, [
      { key: requestId, value: record.bytes },
    ]);
    await waitUntil('the record stored', () =>
      fx.store.collection(COLLECTIONS.envelopes).findOne({ _id: record.envelope.messageId as never }),
    );
    expect(await requests.findOne({ _id: requestId })).to.include({ status: 'answered', escalatedAt: null });
    expect(await counted()).to.equal(before);
    const shown = (await apiList(fx.hub.token('coordinator', 'TJ', 'RED'))).find(
      (r) => r.requestId === requestId,
    );
    expect(shown).to.include({ status: 'partial', overdue: false, escalatedAt: null });
  });

  it('pages the query API list of requests soonest due first, with a nextCursor while more follow', async () => {
    // The requests of the tests before (a few at least): one page of all, then one request a page.
    const asked = [(await ask({})).requestId, (await ask({ urgency: 'urgent' })).requestId];
    const coordinator = fx.hub.token('coordinator', 'TJ', 'RED');
    // Once both are stored (and the tests' before them: nothing else is asked meanwhile), the list stands still.
    const whole = await waitUntil('both requests stored', async () => {
      const r = await getJson(`${fx.hub.apiUrl}/v1/requests?limit=500`, coordinator);
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      const ids = (r.body.requests as { requestId: string }[]).map((q) => q.requestId);
      return asked.every((id) => ids.includes(id)) ? r : undefined;
    });
    expect(whole.body.nextCursor).to.equal(null);
    const all = (whole.body.requests as { requestId: string; dueAt: string }[]).map((r) => r.requestId);
    expect(all.length).to.be.at.least(2);
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const r = await getJson(
        `${fx.hub.apiUrl}/v1/requests?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
        coordinator,
      );
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      paged.push(...(r.body.requests as { requestId: string }[]).map((q) => q.requestId));
      cursor = r.body.nextCursor as string | null;
    } while (cursor && paged.length <= all.length);
    expect(paged).to.deep.equal(all);
    const bad = await getJson(`${fx.hub.apiUrl}/v1/requests?cursor=bm90LWEtY3Vyc29y`, coordinator);
    expect(bad.status).to.equal(400);
  });
});
