// A coordinator's request asked in the query API that the coordinator signs and sends, and the intake then refuses
// (here: a country's request took its id between the ask and its sending): GET /v1/requests/asked/:id says refused,
// with the intake's reason, at once, and the coordinator marks the ask refused within a minute, so that the list of
// asks keeps it with why. On the real stack.
import { expect } from 'chai';
import { COLLECTIONS, type StoredAsk, type StoredRequest } from '@hub/store';
import { waitUntil } from '../support/env';
import { getJson, postJson, useTestHub } from '../support/hub';

type AskAnswer = { state: string; error?: { code: string; message: string } };

describe('coordinator: a request it sent that the intake refused', function () {
  this.timeout(180000);
  const fx = useTestHub('ask-refused-by-intake', ['KZ', 'UZ']);

  it("is shown refused with the intake's reason, then kept refused in the list of asks", async () => {
    const coordinator = fx.hub.token('coordinator', 'TJ', 'AMBER');
    // KZ asks UZ through its node; the hub stores it.
    const byKz = await postJson(`${fx.hub.nodes.KZ!.url}/v1/requests`, {
      to: 'UZ',
      purpose: 'criminal investigation 2026/211',
      question: 'Has UZ seen this truck before?',
      handling: { tlp: 'AMBER', releasableTo: ['UZ'] },
    });
    expect(byKz.status, JSON.stringify(byKz.body)).to.equal(202);
    const requestId = String(byKz.body.requestId);
    const requests = fx.store.collection<StoredRequest>(COLLECTIONS.requests);
    await waitUntil(`KZ's request ${requestId} at the hub`, () =>
      requests.findOne({ _id: requestId, requester: 'KZ' }),
    );

    // A coordinator's ask with that id, queued as POST /v1/requests queues one whose check ran before KZ's request
    // was stored: the coordinator signs and sends it, and the intake refuses it.
    await fx.store.collection<StoredAsk>(COLLECTIONS.asks).insertOne({
      _id: requestId,
      body: {
        requestId,
        to: 'UZ',
        urgency: 'routine',
        purpose: 'regional picture of the northern route',
        question: 'Which crossings did your customs close in November?',
        handling: { tlp: 'AMBER', releasableTo: [] },
      },
      askedBy: { sub: 'coordinator-TJ', country: 'TJ' },
      askedAt: new Date(),
      state: 'queued',
    });
    const refused = await waitUntil(
      `ask ${requestId} refused`,
      async () => {
        const r = await getJson(`${fx.hub.apiUrl}/v1/requests/asked/${requestId}`, coordinator);
        expect(r.status, JSON.stringify(r.body)).to.equal(200);
        const body = r.body as AskAnswer;
        expect(body.state, JSON.stringify(body)).to.be.oneOf(['queued', 'sent', 'refused']);
        return body.state === 'refused' ? body : undefined;
      },
      30000,
    );
    expect(refused.error?.code).to.equal('QUARANTINED');
    expect(refused.error?.message).to.contain(`${requestId} is already used by another request`);
    expect(refused.error?.message).to.match(/quarantine entry \S+:\d+:\d+/);
    // KZ's request is untouched.
    expect(await requests.findOne({ _id: requestId })).to.include({ requester: 'KZ' });

    // The coordinator marks the ask refused (each minute), and the list keeps it, with why.
    const asks = fx.store.collection<StoredAsk>(COLLECTIONS.asks);
    const marked = await waitUntil(
      `ask ${requestId} marked refused`,
      async () => {
        const a = await asks.findOne({ _id: requestId });
        return a?.state === 'refused' ? a : undefined;
      },
      90000,
      500,
    );
    expect(marked.error?.message).to.equal(refused.error?.message);
    const listed = await getJson(`${fx.hub.apiUrl}/v1/requests/asked?state=refused`, coordinator);
    const mine = (listed.body.asks as ({ requestId: string } & AskAnswer)[]).find(
      (a) => a.requestId === requestId,
    );
    expect(mine?.state).to.equal('refused');
    expect(mine?.error?.code).to.equal('QUARANTINED');
  });
});
