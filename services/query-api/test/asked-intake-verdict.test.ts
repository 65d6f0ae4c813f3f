// GET /v1/requests/asked/:id once the coordinator has sent the request: where it stands is the intake's verdict, read
// in the store (the request stored, or its message quarantined), before the coordinator marks the ask. The store is
// an in-memory stand-in answering the few reads the route makes.
import { expect } from 'chai';
import type { Store, StoredAsk, StoredQuarantine, StoredRequest } from '@hub/store';
import type { AuditLog } from '../src/audit';
import type { Caller } from '../src/auth';
import { requestRoutes } from '../src/routes-requests';
import { serveRouter, type ServedRouter } from './serve-router';

type Doc = Record<string, unknown>;

const valueOf = (v: unknown) => (v instanceof Date ? v.getTime() : v);

/** Whether `doc` matches a filter of equalities, `$gte`, `$in` and `$exists` on top-level fields. */
function matches(doc: Doc, filter: Doc): boolean {
  return Object.entries(filter).every(([key, cond]) => {
    const v = valueOf(doc[key]);
    if (cond && typeof cond === 'object' && !(cond instanceof Date))
      return Object.entries(cond as Doc).every(([op, arg]) => {
        if (op === '$gte') return (v as number) >= (valueOf(arg) as number);
        if (op === '$in') return (arg as unknown[]).map(valueOf).includes(v);
        if (op === '$exists') return (doc[key] !== undefined) === arg;
        throw new Error(`operator ${op} not in the stand-in`);
      });
    return v === valueOf(cond);
  });
}

/** Collections by name, each a list of documents, read by findOne. */
function memoryStore(data: Record<string, Doc[]>): Store {
  const collection = (name: string) => ({
    findOne: async (filter: Doc) => (data[name] ?? []).find((d) => matches(d, filter)) ?? null,
  });
  return { engine: 'ferretdb', collection } as unknown as Store;
}

const NOW = Date.UTC(2026, 2, 14, 9, 0);
const HOUR = 3600000;
const ID = '6c1d7a52-3f0e-4c55-9d0b-1f2e3a4b5c6d';

describe('query API: a coordinator request followed after it was sent', () => {
  let api: ServedRouter;
  let data: Record<string, Doc[]>;
  const caller: Caller = {
    sub: 'coordinator-1',
    role: 'coordinator',
    country: 'TJ',
    clearance: 'RED',
    regions: [],
  };

  beforeEach(async () => {
    data = { requests: [], asks: [], quarantine: [] };
    const audit = { append: async (e: unknown) => e } as unknown as AuditLog;
    api = await serveRouter(requestRoutes({ store: memoryStore(data), audit, clock: () => NOW }), caller);
  });
  afterEach(() => api.close());

  /** The coordinator's ask `ID`, signed three hours ago (Kafka away) and sent as message `m-1` an hour ago. */
  const sentAsk = (): StoredAsk => ({
    _id: ID,
    body: { requestId: ID, to: 'UZ', urgency: 'immediate', dueAt: new Date(NOW - HOUR).toISOString() },
    askedBy: { sub: 'coordinator-1', country: 'TJ' },
    askedAt: new Date(NOW - 3 * HOUR),
    state: 'sent',
    messageId: 'm-1',
    signedAt: new Date(NOW - 3 * HOUR),
    sentAt: new Date(NOW - HOUR),
  });
  /** The intake's quarantine entry of message `messageId`, sent by `origin`. */
  const entry = (messageId: string, detail: string, origin = 'HUB'): StoredQuarantine => ({
    _id: `test.hub.node.${origin}.out:0:${data.quarantine!.length + 7}`,
    originalBytes: Buffer.from('envelope'),
    topic: `test.hub.node.${origin}.out`,
    partition: 0,
    offset: String(data.quarantine!.length + 7),
    reasonCode: 'invalid-content',
    detail,
    quarantinedAt: NOW - HOUR + 5000,
    messageId,
    origin,
  });
  const request = (requester: string): StoredRequest => ({
    _id: ID,
    requestId: ID,
    requester,
    addressee: 'UZ',
    subjectKind: 'other',
    subjectRef: null,
    purpose: 'regional picture',
    question: 'Which crossings closed?',
    urgency: 'immediate',
    dueAt: new Date(NOW + HOUR),
    sentAt: new Date(NOW - HOUR),
    receivedAt: new Date(NOW - HOUR),
    handling: { tlp: 'AMBER', releasableTo: [], releasableCountries: [], evaluation: null },
    messageId: requester === 'HUB' ? 'm-1' : 'm-kz',
    status: 'open',
    escalatedAt: null,
    response: null,
  });
  const stateOf = async () => {
    const r = await api.get<{ state: string; error?: { code: string; message: string }; request?: Doc }>(
      `/v1/requests/asked/${ID}`,
    );
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return r.body;
  };

  it("answers refused, with the intake's reason, for a sent request the intake quarantined", async () => {
    const past = 'dueAt: 2026-03-14T08:00:00.000Z was already past when the hub received the request';
    data.asks!.push(sentAsk() as unknown as Doc);
    // Another message's entry, and one of a country's message with the same id: not this request's.
    data.quarantine!.push(entry('m-0', 'purpose: is required') as unknown as Doc);
    data.quarantine!.push(entry('m-1', 'from: a node of KZ may only ask as KZ', 'KZ') as unknown as Doc);
    const mine = entry('m-1', past);
    data.quarantine!.push(mine as unknown as Doc);
    const answer = await stateOf();
    expect(answer.state).to.equal('refused');
    expect(answer.error!.code).to.equal('QUARANTINED');
    expect(answer.error!.message).to.contain(past);
    expect(answer.error!.message).to.contain(`quarantine entry ${mine._id}`);
  });

  it("answers refused when a country's request took its id first, naming that request's message", async () => {
    const taken = `requestId: ${ID} is already used by another request (message m-kz): leave requestId out for a new request`;
    data.asks!.push(sentAsk() as unknown as Doc);
    data.requests!.push(request('KZ') as unknown as Doc);
    data.quarantine!.push(entry('m-1', taken) as unknown as Doc);
    const answer = await stateOf();
    expect(answer.state).to.equal('refused');
    expect(answer.error!.message).to.contain('is already used by another request (message m-kz)');
    expect(answer).to.not.have.property('request');
  });

  it('answers stored, with the request, for a sent request the intake stored', async () => {
    data.asks!.push(sentAsk() as unknown as Doc);
    data.requests!.push(request('HUB') as unknown as Doc);
    const answer = await stateOf();
    expect(answer.state).to.equal('stored');
    expect(answer).to.not.have.property('error');
    expect(answer.request).to.include({ requestId: ID, requester: 'HUB', addressee: 'UZ' });
  });

  it('answers sent, without an error, while the intake has decided nothing', async () => {
    data.asks!.push(sentAsk() as unknown as Doc);
    data.quarantine!.push(entry('m-0', 'purpose: is required') as unknown as Doc);
    const answer = await stateOf();
    expect(answer.state).to.equal('sent');
    expect(answer).to.not.have.property('error');
  });

  it('answers refused, as the coordinator recorded it, for one it marked refused', async () => {
    const error = { code: 'NOT_FOUND', message: 'TM has no national node on the hub to answer' };
    data.asks!.push({ ...sentAsk(), state: 'refused', error } as unknown as Doc);
    const answer = await stateOf();
    expect(answer.state).to.equal('refused');
    expect(answer.error).to.deep.equal(error);
  });
});
