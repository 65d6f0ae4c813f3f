// The node's information request routes without a stack: a request sent again (its 202 lost) is answered as the
// first time, and a request answered in part may be answered again, each answer shown, on both sides. The routes over
// a real requests log and inbound store in a directory of the test's own, and a submitter that signs nothing.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { informationRequestFromJson, informationResponseFromJson } from '@hub/domain';
import type { KeptRequestNotice } from '../src/request-notices';
import { HOUR, NOW, regions, startRequestNode, type RequestNode as NodeApp } from './request-app';

const startNode = (country: string) => startRequestNode(country);

/** A notice of the coordinator as the node keeps it, carrying `content` signed by `origin`. */
function keep(node: NodeApp, kind: 'request' | 'response', content: Record<string, unknown>, origin: string) {
  const messageId = randomUUID();
  const notice: KeptRequestNotice = {
    noticeId: messageId,
    kind,
    requestId: String(content.requestId),
    requester: kind === 'request' ? String(content.from) : String(content.to),
    addressee: kind === 'request' ? String(content.to) : String(content.from),
    dueAt: kind === 'request' ? (content.dueAt as number) : null,
    reason: null,
    issuedAt: NOW,
    original: {
      messageId: randomUUID(),
      messageType: kind === 'request' ? 'InformationRequest' : 'InformationResponse',
      origin,
      signedAt: NOW,
      signerFingerprint: 'f',
      envelope: '',
    },
    content,
  };
  node.inbound.add({
    messageId,
    messageType: 'RequestNotice',
    receivedAt: NOW,
    value: notice as unknown as Record<string, unknown>,
  });
}

/** The coordinator's receipt for the envelope `inReplyTo` this node sent, of `subjectId`, as the node keeps it. */
function receive(
  node: NodeApp,
  subjectId: string,
  subjectType: string,
  inReplyTo: string,
  status: 'accepted' | 'rejected',
  reasons: Record<string, unknown>[] = status === 'rejected'
    ? [{ code: 'certificate-revoked', message: 'the signing certificate is revoked' }]
    : [],
) {
  node.inbound.add({
    messageId: randomUUID(),
    messageType: 'Receipt',
    receivedAt: NOW,
    value: {
      receiptId: randomUUID(),
      subjectId,
      subjectVersion: null,
      subjectType,
      status,
      inReplyTo,
      reasons,
      issuedAt: NOW,
    },
  });
}

const ask = {
  to: 'UZ',
  purpose: 'investigation',
  question: 'Seen this truck before?',
  urgency: 'urgent',
  dueAt: '2026-03-14T15:00:00+05:00',
  handling: { tlp: 'AMBER' },
};

describe('national node: a request sent again', () => {
  let node: NodeApp;
  beforeEach(async () => {
    node = await startNode('KZ');
  });
  afterEach(() => node.close());

  it('answers the very same body as the first time (duplicate), and sends nothing again', async () => {
    const body = { ...ask, requestId: '0B0F2A52-6A1E-4F0E-9D1C-1C2F3A4B5C6D' };
    const first = await node.post('/v1/requests', body);
    expect(first.status, JSON.stringify(first.body)).to.equal(202);
    // Its 202 lost, the client sends it again; and again after its due time even.
    for (const now of [NOW + 60000, NOW + 24 * HOUR]) {
      node.now = now;
      const again = await node.post('/v1/requests', body);
      expect(again.status, JSON.stringify(again.body)).to.equal(202);
      expect(again.body).to.deep.equal({ ...first.body, duplicate: true });
    }
    expect(first.body).to.include({ requestId: '0b0f2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d', status: 'queued' });
    expect(node.submitted).to.have.length(1);
    expect(await node.list('?direction=outgoing')).to.have.length(1);
  });

  it('sends it again when the hub refused it (resentAfterRefusal), then answers it as that sending', async () => {
    const requestId = '0b0f2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d';
    const body = { ...ask, requestId };
    const first = await node.post('/v1/requests', body);
    expect(first.status, JSON.stringify(first.body)).to.equal(202);
    // The hub refused it (the node's certificate was revoked, since renewed, say).
    receive(node, requestId, 'InformationRequest', String(first.body.messageId), 'rejected');
    const [refused] = await node.list('?direction=outgoing');
    expect(refused).to.include({ status: 'rejected' });

    const again = await node.post('/v1/requests', body);
    expect(again.status, JSON.stringify(again.body)).to.equal(202);
    expect(again.body).to.include({ requestId, status: 'queued', resentAfterRefusal: true });
    expect(again.body).not.to.have.property('duplicate');
    expect(again.body.messageId).to.be.a('string').and.not.equal(first.body.messageId);
    expect(node.submitted.map((s) => s.key)).to.deep.equal([requestId, requestId]);
    // Pending again: the refusal answered the first sending, not this one.
    const [resent] = await node.list('?direction=outgoing');
    expect(resent).to.include({ status: 'open', messageId: again.body.messageId, receipt: null });

    // The same body once more: this sending is the answer, as the first time.
    const third = await node.post('/v1/requests', body);
    const { resentAfterRefusal: _resent, ...sending } = again.body;
    expect(third.body).to.deep.equal({ ...sending, duplicate: true });
    expect(node.submitted).to.have.length(2);
    // And its own receipt is the one shown.
    receive(node, requestId, 'InformationRequest', String(again.body.messageId), 'accepted');
    const [accepted] = await node.list('?direction=outgoing');
    expect(accepted).to.include({ status: 'open' });
    expect(accepted!.receipt).to.include({ status: 'accepted' });
  });

  it('sends another body under the same requestId when the hub refused the latest sending (a later due time)', async () => {
    const requestId = '0b0f2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d';
    const first = await node.post('/v1/requests', { ...ask, requestId, dueAt: '2026-03-14T09:30:00Z' });
    expect(first.status, JSON.stringify(first.body)).to.equal(202);
    // Held in the outbox past its due time: the hub refused it ("send it again with a later due time").
    receive(node, requestId, 'InformationRequest', String(first.body.messageId), 'rejected');
    node.now = NOW + HOUR;
    const later = await node.post('/v1/requests', { ...ask, requestId, dueAt: '2026-03-14T18:00:00Z' });
    expect(later.status, JSON.stringify(later.body)).to.equal(202);
    expect(later.body).to.include({
      requestId,
      status: 'queued',
      dueAt: '2026-03-14T18:00:00.000Z',
      resentAfterRefusal: true,
    });
    expect(node.submitted.map((s) => s.value.dueAt)).to.deep.equal([
      Date.UTC(2026, 2, 14, 9, 30),
      Date.UTC(2026, 2, 14, 18, 0),
    ]);
    const [resent] = await node.list('?direction=outgoing');
    expect(resent).to.include({
      status: 'open',
      messageId: later.body.messageId,
      dueAt: '2026-03-14T18:00:00.000Z',
    });
    // That sending not refused: another body under the id is refused again.
    const other = await node.post('/v1/requests', {
      ...ask,
      requestId,
      dueAt: '2026-03-14T20:00:00Z',
      question: 'And this one?',
    });
    expect(other.status, JSON.stringify(other.body)).to.equal(409);
    expect(node.submitted).to.have.length(2);
  });

  it('judges a sending by its latest receipt: one judged again and accepted (after a crash) stands', async () => {
    const requestId = '0b0f2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d';
    const body = { ...ask, requestId };
    const first = await node.post('/v1/requests', body);
    const messageId = String(first.body.messageId);
    receive(node, requestId, 'InformationRequest', messageId, 'rejected');
    receive(node, requestId, 'InformationRequest', messageId, 'accepted');
    const [listed] = await node.list('?direction=outgoing');
    expect(listed).to.include({ status: 'open' });
    // The same body again: the sending that stands is the answer, nothing is sent again.
    const again = await node.post('/v1/requests', body);
    expect(again.body).to.deep.equal({ ...first.body, duplicate: true });
    expect(node.submitted).to.have.length(1);
  });

  it('shows an answered request as answered, whatever a receipt of its sending said', async () => {
    const requestId = '0b0f2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d';
    const first = await node.post('/v1/requests', { ...ask, requestId });
    const messageId = String(first.body.messageId);
    // Judged twice, the later judgement a refusal; yet the hub holds it: its answer came.
    receive(node, requestId, 'InformationRequest', messageId, 'accepted');
    receive(node, requestId, 'InformationRequest', messageId, 'rejected');
    const r = node.submitted[0]!.value as unknown as Parameters<typeof informationResponseFromJson>[1];
    const answer = informationResponseFromJson({ status: 'answered', answer: 'Yes.' }, r, {
      nodeCountry: 'UZ',
      now: NOW + HOUR,
      regions,
    }).value;
    keep(node, 'response', answer as unknown as Record<string, unknown>, 'UZ');
    const [listed] = await node.list('?direction=outgoing');
    expect(listed).to.include({ status: 'answered' });
    expect((listed!.response as { answer: string }).answer).to.equal('Yes.');
    expect(await node.list('?status=answered')).to.have.length(1);
    expect(await node.list('?status=rejected')).to.have.length(0);
  });

  it('refuses another body with the same requestId, saying how to ask anew', async () => {
    const requestId = '0b0f2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d';
    expect((await node.post('/v1/requests', { ...ask, requestId })).status).to.equal(202);
    const other = await node.post('/v1/requests', { ...ask, requestId, question: 'And this one?' });
    expect(other.status).to.equal(409);
    expect(other.body.error?.message).to.equal(
      `request ${requestId} was sent already with another body; leave requestId out for a new request (the same body sent again is answered as the first time)`,
    );
    expect(node.submitted).to.have.length(1);
  });
});

describe('national node: a request answered in part', () => {
  /** KZ's request to UZ, due at NOW + 6 h, as UZ's node has it from the coordinator. */
  const request = () =>
    informationRequestFromJson(
      { ...ask, dueAt: undefined },
      { nodeCountry: 'KZ', now: NOW - 18 * HOUR, regions },
    ).value;

  it('may be answered again until an answer that is not partial, each answer shown', async () => {
    const node = await startNode('UZ');
    try {
      const r = request();
      keep(node, 'request', r as unknown as Record<string, unknown>, 'KZ');
      const answer = (status: string, text: string) =>
        node.post(`/v1/requests/${r.requestId}/response`, { status, answer: text });
      expect((await answer('partial', 'One of them, so far.')).status).to.equal(202);
      // Past its due time: answered in part, not overdue.
      node.now = r.dueAt + HOUR;
      const [partly] = await node.list('?direction=incoming');
      expect(partly).to.include({ status: 'partial', overdue: false });
      expect((await node.list('?status=partial')).map((i) => i.requestId)).to.deep.equal([r.requestId]);
      expect(await node.list('?status=overdue')).to.deep.equal([]);
      expect((await answer('partial', 'A second one.')).status).to.equal(202);
      expect((await answer('answered', 'That is all.')).status).to.equal(202);
      const [answered] = await node.list('?direction=incoming');
      expect(answered!.status).to.equal('answered');
      expect((answered!.response as { answer: string }).answer).to.equal('That is all.');
      expect(
        (answered!.responses as { answer: string; status: string }[]).map((a) => a.status),
      ).to.deep.equal(['partial', 'partial', 'answered']);
      // Answered in full: no more.
      const more = await answer('partial', 'One more.');
      expect(more.status).to.equal(409);
      expect(more.body.error?.message).to.match(
        new RegExp(
          `^request ${r.requestId} is answered already \\(response [0-9a-f-]{36} at .+, answered\\): only a partial answer may be followed by another$`,
        ),
      );
      expect(node.submitted.map((s) => s.value.status)).to.deep.equal(['partial', 'partial', 'answered']);
    } finally {
      node.close();
    }
  });

  it('answers the very same answer sent again as the first time (duplicate), and sends nothing again', async () => {
    const node = await startNode('UZ');
    try {
      const r = request();
      keep(node, 'request', r as unknown as Record<string, unknown>, 'KZ');
      const answer = (status: string, text: string) =>
        node.post(`/v1/requests/${r.requestId}/response`, { status, answer: text });
      const first = await answer('partial', 'One of them, so far.');
      expect(first.status, JSON.stringify(first.body)).to.equal(202);
      // Its 202 lost, the agency sends it again: the same answer, not a second one.
      const again = await answer('partial', 'One of them, so far.');
      expect(again.status, JSON.stringify(again.body)).to.equal(202);
      expect(again.body).to.deep.equal({ ...first.body, duplicate: true });
      expect(node.submitted).to.have.length(1);
      const [incoming] = await node.list('?direction=incoming');
      expect((incoming!.responses as unknown[]).length, 'one answer shown').to.equal(1);
      // Another answer is one; the first sent again after it is still the first, and so is the full one sent again.
      const second = await answer('partial', 'A second one.');
      expect(second.body.responseId).to.not.equal(first.body.responseId);
      expect((await answer('partial', 'One of them, so far.')).body).to.deep.equal({
        ...first.body,
        duplicate: true,
      });
      const full = await answer('answered', 'That is all.');
      expect(full.status).to.equal(202);
      const fullAgain = await answer('answered', 'That is all.');
      expect(fullAgain.status, JSON.stringify(fullAgain.body)).to.equal(202);
      expect(fullAgain.body).to.deep.equal({ ...full.body, duplicate: true });
      expect(node.submitted.map((s) => s.value.answer)).to.deep.equal([
        'One of them, so far.',
        'A second one.',
        'That is all.',
      ]);
    } finally {
      node.close();
    }
  });

  it('sends an answer the hub refused again when the same body is sent again (resentAfterRefusal)', async () => {
    const node = await startNode('UZ');
    try {
      const r = request();
      keep(node, 'request', r as unknown as Record<string, unknown>, 'KZ');
      const answer = () =>
        node.post(`/v1/requests/${r.requestId}/response`, { status: 'partial', answer: 'One, so far.' });
      const first = await answer();
      receive(
        node,
        String(first.body.responseId),
        'InformationResponse',
        String(first.body.messageId),
        'rejected',
      );
      const again = await answer();
      expect(again.status, JSON.stringify(again.body)).to.equal(202);
      expect(again.body).to.include({ resentAfterRefusal: true, requestId: r.requestId });
      expect(again.body).not.to.have.property('duplicate');
      expect(again.body.messageId).to.not.equal(first.body.messageId);
      expect(node.submitted).to.have.length(2);
      // Sent again once, then answered as that sending.
      const third = await answer();
      const { resentAfterRefusal: _resent, ...sending } = again.body;
      expect(third.body).to.deep.equal({ ...sending, duplicate: true });
      expect(node.submitted).to.have.length(2);
    } finally {
      node.close();
    }
  });

  it('shows the answering side an answer the hub rejected, with its receipt’s reasons, while the request stays open', async () => {
    const node = await startNode('UZ');
    try {
      const r = request();
      keep(node, 'request', r as unknown as Record<string, unknown>, 'KZ');
      const given = await node.post(`/v1/requests/${r.requestId}/response`, {
        status: 'answered',
        answer: 'Yes, plate 777ABC02.',
      });
      expect(given.status, JSON.stringify(given.body)).to.equal(202);
      const [before] = await node.list('?direction=incoming');
      expect(before!.refusedAnswers, 'none refused yet').to.deep.equal([]);
      const reasons = [
        { code: 'invalid-content', field: 'respondedAt', message: 'is ahead of the hub clock' },
      ];
      receive(
        node,
        String(given.body.responseId),
        'InformationResponse',
        String(given.body.messageId),
        'rejected',
        reasons,
      );
      const [row] = await node.list('?direction=incoming');
      // What the row said before the fix, unchanged: the answer does not stand, the request is open.
      expect(row).to.include({ status: 'open', receipt: null, response: null });
      expect(row!.responses).to.deep.equal([]);
      // And now why: the answer given, and the reasons the hub gave for rejecting it.
      expect(row!.refusedAnswers).to.deep.equal([
        {
          responseId: given.body.responseId,
          messageId: given.body.messageId,
          reasons,
          refusedAt: new Date(NOW).toISOString(),
        },
      ]);
      // Sent again, accepted: it stands; the rejected sending is still shown.
      const again = await node.post(`/v1/requests/${r.requestId}/response`, {
        status: 'answered',
        answer: 'Yes, plate 777ABC02.',
      });
      expect(again.body).to.include({ resentAfterRefusal: true });
      receive(
        node,
        String(again.body.responseId),
        'InformationResponse',
        String(again.body.messageId),
        'accepted',
      );
      const [answered] = await node.list('?direction=incoming');
      expect(answered).to.include({ status: 'answered' });
      expect((answered!.refusedAnswers as { responseId: string }[]).map((a) => a.responseId)).to.deep.equal([
        given.body.responseId,
      ]);
    } finally {
      node.close();
    }
  });

  it('shows the asking side each answer, partial until the one that is not', async () => {
    const node = await startNode('KZ');
    try {
      const sent = await node.post('/v1/requests', ask);
      expect(sent.status).to.equal(202);
      const r = node.submitted[0]!.value as unknown as ReturnType<typeof request>;
      const answerOf = (status: string, text: string, at: number) =>
        informationResponseFromJson({ status, answer: text }, r, { nodeCountry: 'UZ', now: at, regions })
          .value as unknown as Record<string, unknown>;
      keep(node, 'response', answerOf('partial', 'One of them, so far.', NOW), 'UZ');
      node.now = r.dueAt + HOUR;
      const [partly] = await node.list('?direction=outgoing');
      expect(partly).to.include({ status: 'partial', overdue: false });
      // The full answer, then a partial one given before it that the coordinator passed on after it (they travel
      // apart): answered, each answer in the order given.
      keep(node, 'response', answerOf('answered', 'That is all.', NOW + 2 * HOUR), 'UZ');
      keep(node, 'response', answerOf('partial', 'A second one.', NOW + HOUR), 'UZ');
      const [answered] = await node.list('?direction=outgoing');
      expect(answered!.status).to.equal('answered');
      expect((answered!.response as { answer: string }).answer).to.equal('That is all.');
      expect(
        (answered!.responses as { answer: string; evidence: { verified: boolean } }[]).map((a) => [
          a.answer,
          a.evidence.verified,
        ]),
      ).to.deep.equal([
        ['One of them, so far.', true],
        ['A second one.', true],
        ['That is all.', true],
      ]);
    } finally {
      node.close();
    }
  });
});

describe('national node: the list of requests reads from the file only the receipts it shows', () => {
  /** Counts the receipts `node`'s store reads from its file (whole lines: what a receipt shown costs). */
  const countReads = (node: NodeApp) => {
    const store = node.inbound as unknown as { read(summary: unknown): unknown };
    const real = store.read.bind(node.inbound);
    const reads = { n: 0 };
    store.read = (summary) => {
      reads.n++;
      return real(summary);
    };
    return reads;
  };

  it("reads an outgoing request's receipt for its latest sending only, not every receipt of the request", async () => {
    const node = await startNode('KZ');
    try {
      const requestId = '0b0f2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d';
      const body = { ...ask, requestId };
      const first = await node.post('/v1/requests', body);
      receive(node, requestId, 'InformationRequest', String(first.body.messageId), 'rejected');
      const again = await node.post('/v1/requests', body);
      expect(again.body).to.include({ resentAfterRefusal: true });
      receive(node, requestId, 'InformationRequest', String(again.body.messageId), 'accepted');
      const reads = countReads(node);
      const [listed] = await node.list('?direction=outgoing');
      expect(listed!.receipt).to.include({ status: 'accepted' });
      expect(reads.n, 'the receipt of the latest sending').to.equal(1);
    } finally {
      node.close();
    }
  });

  it("reads an incoming request's latest answer's receipt once, and none of the answers before it", async () => {
    const node = await startNode('UZ');
    try {
      const r = informationRequestFromJson(
        { ...ask, dueAt: undefined },
        { nodeCountry: 'KZ', now: NOW - 18 * HOUR, regions },
      ).value;
      keep(node, 'request', r as unknown as Record<string, unknown>, 'KZ');
      for (const [status, text] of [
        ['partial', 'One of them, so far.'],
        ['answered', 'That is all.'],
      ]) {
        const given = await node.post(`/v1/requests/${r.requestId}/response`, { status, answer: text });
        expect(given.status, JSON.stringify(given.body)).to.equal(202);
        receive(
          node,
          String(given.body.responseId),
          'InformationResponse',
          String(given.body.messageId),
          'accepted',
        );
      }
      const reads = countReads(node);
      const [listed] = await node.list('?direction=incoming');
      expect(listed).to.include({ status: 'answered' });
      expect(listed!.receipt).to.include({ status: 'accepted' });
      expect(reads.n, 'the latest answer’s receipt').to.equal(1);
    } finally {
      node.close();
    }
  });
});
