// GET and POST /v1/requests of the query API over an in-memory stand-in for the store's collections (what the
// route asks of the store is under test, not the store; the real one is in test/coordinator/requests.test.ts).
import { expect } from 'chai';
import type { Store, StoredRequest } from '@hub/store';
import type { AuditLog } from '../src/audit';
import type { Caller } from '../src/auth';
import { requestRoutes } from '../src/routes-requests';
import { serveRouter, type ServedRouter } from './serve-router';

type Doc = Record<string, unknown>;

const valueOf = (v: unknown) => (v instanceof Date ? v.getTime() : v);

/** The value at a dotted path (`response.status`), undefined where the path ends early. */
const at = (doc: Doc, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>((v, k) => (v === null || typeof v !== 'object' ? undefined : (v as Doc)[k]), doc);

/**
 * Whether `doc` matches a filter of the few operators the route uses ($and, $or, $in, $gt, $gte, $lt, $ne, $exists,
 * equality), a field named by its path.
 */
function matches(doc: Doc, filter: Doc): boolean {
  return Object.entries(filter).every(([key, cond]) => {
    if (key === '$and') return (cond as Doc[]).every((f) => matches(doc, f));
    if (key === '$or') return (cond as Doc[]).some((f) => matches(doc, f));
    const v = valueOf(at(doc, key));
    if (cond && typeof cond === 'object' && !(cond instanceof Date))
      return Object.entries(cond as Doc).every(([op, arg]) => {
        const a = valueOf(arg) as number | string;
        const x = v as number | string;
        if (op === '$in') return (arg as unknown[]).map(valueOf).includes(v);
        if (op === '$gt') return x > a;
        if (op === '$gte') return x >= a;
        if (op === '$lt') return x < a;
        if (op === '$ne') return x !== a;
        if (op === '$exists') return (at(doc, key) !== undefined) === arg;
        throw new Error(`operator ${op} not in the stand-in`);
      });
    return v === valueOf(cond);
  });
}

/** Collections by name, each a list of documents: find (streamed, as on FerretDB), findOne, insertOne, countDocuments. */
function memoryStore(data: Record<string, Doc[]>): Store {
  const collection = (name: string) => {
    const docs = () => (data[name] ??= []);
    return {
      find: (filter: Doc = {}) => {
        const list = docs().filter((d) => matches(d, filter));
        return {
          toArray: async () => list,
          async *[Symbol.asyncIterator]() {
            yield* list;
          },
        };
      },
      findOne: async (filter: Doc) => docs().find((d) => matches(d, filter)) ?? null,
      insertOne: async (doc: Doc) => void docs().push(doc),
      countDocuments: async (filter: Doc) => docs().filter((d) => matches(d, filter)).length,
    };
  };
  return { engine: 'ferretdb', collection } as unknown as Store;
}

const NOW = Date.UTC(2026, 2, 14, 9, 0);
const HOUR = 3600000;

describe('query API: information requests', () => {
  let api: ServedRouter;
  let data: Record<string, Doc[]>;
  let audited: Parameters<AuditLog['append']>[0][];
  let caller: Caller;

  beforeEach(async () => {
    data = { requests: [], asks: [] };
    audited = [];
    caller = { sub: 'coordinator-1', role: 'coordinator', country: 'KZ', clearance: 'RED', regions: [] };
    const audit = {
      append: async (e: Parameters<AuditLog['append']>[0]) => {
        audited.push(e);
        return e;
      },
    } as unknown as AuditLog;
    api = await serveRouter(
      requestRoutes({ store: memoryStore(data), audit, clock: () => NOW }),
      () => caller,
    );
  });
  afterEach(() => api.close());

  const get = (query: string) => api.get(`/v1/requests${query}`);

  /** `n` requests from KZ to UZ, due an hour apart from NOW + 1 h, the last due two of them at the same time. */
  const stored = (n: number) => {
    for (let i = 0; i < n; i++)
      data.requests!.push({
        _id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        requestId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        requester: 'KZ',
        addressee: 'UZ',
        subjectKind: 'other',
        subjectRef: null,
        purpose: 'investigation',
        question: 'Seen before?',
        urgency: 'routine',
        dueAt: new Date(NOW + Math.min(i + 1, n - 1) * HOUR),
        sentAt: new Date(NOW - HOUR),
        receivedAt: new Date(NOW - HOUR),
        handling: { tlp: 'AMBER', releasableTo: ['UZ'], releasableCountries: ['UZ'], evaluation: null },
        messageId: `m-${i}`,
        status: 'open',
        escalatedAt: null,
        response: null,
      } satisfies StoredRequest as unknown as Doc);
  };

  it('pages through every request soonest due first, saying while more follow (nextCursor)', async () => {
    stored(7);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await get(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      const ids = (r.body.requests as { requestId: string }[]).map((q) => q.requestId);
      seen.push(...ids);
      cursor = r.body.nextCursor as string | null;
      pages++;
      expect(ids.length, `page ${pages}`).to.equal(cursor ? 3 : 1);
    } while (cursor && pages < 10);
    expect(pages).to.equal(3);
    expect(seen).to.deep.equal(data.requests!.map((d) => d.requestId));
    // The whole list in one page: no cursor.
    expect((await get('?limit=7')).body.nextCursor).to.equal(null);
    expect((await get('')).body.nextCursor).to.equal(null);
  });

  /** UZ's answer `n` to request `i` (of `stored`), `status` (answered, partial, declined), AMBER for KZ only. */
  const answer = (i: number, n: number, status: string) => ({
    responseId: `00000000-0000-4000-9000-${String(i * 10 + n).padStart(12, '0')}`,
    from: 'UZ',
    to: 'KZ',
    status,
    answer: `answer ${n}`,
    relatedReports: [],
    respondedAt: new Date(NOW - HOUR + n * 60000),
    handling: { tlp: 'AMBER', releasableTo: ['KZ'], releasableCountries: ['KZ'], evaluation: null },
    messageId: `r-${i}-${n}`,
    receivedAt: new Date(NOW - HOUR + n * 60000),
    submittedBy: 'uz-case-system',
  });
  const byId = (body: Doc) =>
    new Map((body.requests as Doc[]).map((r) => [String(r.requestId).slice(-1), r] as const));

  it('shows a request answered in part as partial, with every answer, and filters by it', async () => {
    stored(4);
    const [partly, twice, full] = data.requests!;
    // Answered in part, in time, and past due now: not overdue.
    Object.assign(partly!, {
      status: 'answered',
      dueAt: new Date(NOW - HOUR / 2),
      response: answer(0, 1, 'partial'),
    });
    // Two partial answers stored, the second the latest.
    Object.assign(twice!, {
      status: 'answered',
      earlierResponses: [answer(1, 1, 'partial')],
      response: answer(1, 2, 'partial'),
    });
    // A partial answer, then the full one.
    Object.assign(full!, {
      status: 'answered',
      earlierResponses: [answer(2, 1, 'partial')],
      response: answer(2, 2, 'answered'),
    });
    const all = byId((await get('')).body);
    expect([0, 1, 2, 3].map((i) => all.get(String(i))!.status)).to.deep.equal([
      'partial',
      'partial',
      'answered',
      'open',
    ]);
    expect(all.get('0')).to.include({ overdue: false });
    const latest = all.get('1')!;
    expect((latest.response as Doc).answer).to.equal('answer 2');
    expect((latest.responses as Doc[]).map((r) => [r.answer, r.status])).to.deep.equal([
      ['answer 1', 'partial'],
      ['answer 2', 'partial'],
    ]);
    expect((all.get('2')!.responses as Doc[]).map((r) => r.status)).to.deep.equal(['partial', 'answered']);
    expect(all.get('3')!.responses).to.deep.equal([]);
    const ids = async (status: string) => [...byId((await get(`?status=${status}`)).body).keys()];
    expect(await ids('partial')).to.deep.equal(['0', '1']);
    expect(await ids('answered')).to.deep.equal(['2']);
    expect(await ids('open')).to.deep.equal(['3']);
    expect(await ids('overdue')).to.deep.equal([]);
    // A coordinator of a third country sees that answers came, not what they say.
    caller = { sub: 'coordinator-2', role: 'coordinator', country: 'TM', clearance: 'RED', regions: [] };
    const third = byId((await get('')).body).get('1')!;
    expect((third.responses as Doc[]).map((r) => [r.withheld, r.answer])).to.deep.equal([
      [true, undefined],
      [true, undefined],
    ]);
  });

  it('withholds the agency system that asked from whom the request is withheld', async () => {
    stored(2);
    data.requests![0]!.submittedBy = 'kz-case-system';
    expect(byId((await get('')).body).get('0')).to.include({
      withheld: false,
      submittedBy: 'kz-case-system',
    });
    caller = { sub: 'coordinator-2', role: 'coordinator', country: 'TM', clearance: 'RED', regions: [] };
    expect(byId((await get('')).body).get('0')).to.include({
      withheld: true,
      question: null,
      submittedBy: null,
    });
  });

  it('refuses a cursor it did not give', async () => {
    const r = await get('?cursor=bm90LWEtY3Vyc29y');
    expect(r.status).to.equal(400);
    expect((r.body.errors as { field: string }[])[0]).to.deep.equal({
      field: 'cursor',
      message: 'is not a cursor this API returned',
    });
  });

  it("leaves a RED request's subject out of the audit log, which every auditor reads", async () => {
    const plate = '777ABC02';
    const r = await api.post<{ requestId: string }>('/v1/requests', {
      to: 'UZ',
      purpose: 'criminal investigation 2026/120',
      question: 'Is this plate known to you?',
      subjectKind: 'identifier',
      subjectRef: plate,
      handling: { tlp: 'RED', releasableTo: ['UZ'] },
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(202);
    const { requestId } = r.body;
    expect(audited).to.have.length(1);
    expect(audited[0]!.query).to.include({ requestId, to: 'UZ', subjectKind: 'identifier' });
    expect(JSON.stringify(audited[0])).to.not.contain(plate);
    // The ask itself keeps it, for the coordinator to sign.
    expect((data.asks![0]!.body as Doc).subjectRef).to.equal(plate);
  });

  describe('GET /v1/requests/asked', () => {
    const DAY = 24 * HOUR;
    /** A coordinator's ask to UZ, asked `ago` ms before NOW, as the store keeps it in `state`. */
    const ask = (id: string, ago: number, state: string, extra: Doc = {}) =>
      data.asks!.push({
        _id: id,
        body: {
          requestId: id,
          to: 'UZ',
          purpose: 'case 2026/7',
          question: 'Known?',
          dueAt: '2026-04-01T00:00:00Z',
        },
        askedBy: { sub: 'coordinator-1', country: 'KZ' },
        askedAt: new Date(NOW - ago),
        state,
        ...extra,
      });
    const asked = async (query: string) => {
      const { status, body } = await api.get<{ asks: { requestId: string; state: string }[] }>(
        `/v1/requests/asked${query}`,
      );
      expect(status, JSON.stringify(body)).to.equal(200);
      return body.asks.map((a) => `${a.requestId}:${a.state}`);
    };

    it('lists the asks in the state asked for, however many newer asks are kept', async () => {
      // Weeks ago: one refused, one signed and never sent (queued); a re-drive refused since (not a request).
      ask('refused-old', 20 * DAY, 'refused', {
        error: { code: 'NOT_FOUND', message: 'UZ has no national node on the hub to answer' },
      });
      ask('signed-old', 21 * DAY, 'signed');
      ask('redrive', 19 * DAY, 'refused', { kind: 'redrive' });
      // Then 500 sent within the last hour (more than a list answers), the oldest of them stored by the intake.
      for (let i = 1; i <= 500; i++) ask(`sent-${i}`, i * 6000, 'sent', { sentAt: new Date(NOW - i * 6000) });
      data.requests!.push({ _id: 'sent-500', requester: 'HUB' });
      expect(await asked('?state=refused')).to.deep.equal(['refused-old:refused']);
      expect(await asked('?state=queued')).to.deep.equal(['signed-old:queued']);
      expect(await asked('?state=stored')).to.deep.equal(['sent-500:stored']);
      const sent = await asked('?state=sent&limit=500');
      expect(sent).to.have.length(499);
      expect(sent[0]).to.equal('sent-1:sent');
      // Without a state: the newest first, the old ones beyond the page.
      const all = await asked('?limit=500');
      expect(all[0]).to.equal('sent-1:sent');
      expect(all.at(-1)).to.equal('sent-500:stored');
    });
  });
});
