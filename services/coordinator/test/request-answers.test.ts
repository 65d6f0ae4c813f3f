// Answers and escalations of information requests at the coordinator, without a stack: what the checks take, what
// storing a batch makes of a request (persistRequests over an in-memory `requests` collection), and when the deadline
// check escalates. The same over the real store and topics: test/coordinator/requests.test.ts.
import { expect } from 'chai';
import type { Envelope, Signer } from '@hub/envelope';
import type { SchemaRegistry } from '@hub/schemas';
import { topicNames } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import type { Store, StoredRequest, StoredResponse } from '@hub/store';
import type { Accepted, Outcome } from '../src/outcome';
import { Registry } from '@hub/observability';
import {
  answerDropReporter,
  checkRequestMessages,
  persistRequests,
  type DroppedAnswer,
  type RequestWithDrops,
} from '../src/requests';
import { ESCALATION_GRACE_MS, intakeBehindOn, startEscalation } from '../src/request-escalation';

type Doc = Record<string, unknown> & { _id: string };

const NOW = Date.UTC(2026, 2, 14, 9, 0);
const MINUTE = 60000;
const DUE = NOW + 60 * MINUTE;
const REQUEST_ID = '0b0f2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d';

/** The value at a dotted path (`response.messageId`), null where the path ends early, as MongoDB reads it. */
const at = (doc: Doc, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>((v, k) => (v === null || typeof v !== 'object' ? null : (v as Doc)[k]), doc) ?? null;
const same = (a: unknown, b: unknown) =>
  a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;
const matches = (doc: Doc, filter: Doc) =>
  Object.entries(filter).every(([k, want]) => {
    const v = at(doc, k);
    if (want && typeof want === 'object' && !(want instanceof Date)) {
      const { $lt, $in } = want as { $lt?: Date; $in?: unknown[] };
      if ($lt) return v instanceof Date && v.getTime() < $lt.getTime();
      if ($in) return $in.some((x) => same(v, x));
      throw new Error(`a filter the stand-in does not read: ${JSON.stringify(want)}`);
    }
    return same(v, want ?? null);
  });

/**
 * The `requests` collection in memory: insertMany, find (equality, $in, $lt), findOne and updateOne ($set, $unset);
 * and the envelope archive (`envelopes`, what the intake archived of the messages it accepted: see `intake`).
 * `reads` counts the finds and findOnes of requests (on FerretDB, each a decode of the whole collection).
 */
function requestsStore(docs: Doc[] = []): {
  store: Store;
  docs: Doc[];
  reads: { count: number };
  envelopes: Doc[];
} {
  const reads = { count: 0 };
  const envelopes: Doc[] = [];
  const archive = {
    insertMany: async (list: Doc[]) => void envelopes.push(...structuredClone(list)),
    find: (filter: Doc) => ({
      toArray: async () => structuredClone(envelopes.filter((d) => matches(d, filter))),
    }),
  };
  const collection = {
    insertMany: async (list: Doc[]) => void docs.push(...structuredClone(list)),
    find: (filter: Doc) => {
      reads.count++;
      return { toArray: async () => structuredClone(docs.filter((d) => matches(d, filter))) };
    },
    findOne: async (filter: Doc) => {
      reads.count++;
      return structuredClone(docs.find((d) => matches(d, filter)) ?? null);
    },
    updateOne: async (filter: Doc, update: { $set: Doc; $unset?: Doc }) => {
      const doc = docs.find((d) => matches(d, filter));
      if (doc) Object.assign(doc, structuredClone(update.$set));
      for (const k of Object.keys(update.$unset ?? {})) if (doc) delete doc[k];
      return { matchedCount: doc ? 1 : 0, modifiedCount: doc ? 1 : 0 };
    },
  };
  const store = {
    engine: 'mongodb',
    collection: (name: string) => (name === 'envelopes' ? archive : collection),
  } as unknown as Store;
  return { store, docs, reads, envelopes };
}

/** KZ's request to UZ as stored, open, due at DUE. */
const storedRequest = (over: Partial<StoredRequest> = {}): Doc =>
  ({
    _id: REQUEST_ID,
    requestId: REQUEST_ID,
    requester: 'KZ',
    addressee: 'UZ',
    subjectKind: 'other',
    subjectRef: null,
    purpose: 'investigation',
    question: 'Seen before?',
    urgency: 'urgent',
    dueAt: new Date(DUE),
    sentAt: new Date(NOW),
    receivedAt: new Date(NOW),
    handling: { tlp: 'AMBER', releasableTo: [], releasableCountries: [], evaluation: null },
    messageId: 'request-message',
    submittedBy: null,
    status: 'open',
    escalatedAt: null,
    response: null,
    ...over,
  }) as unknown as Doc;

let offset = 0;
/**
 * UZ's answer `n` (its response id and message id derive from it), appended by the brokers at `appendedAt`, given by
 * UZ's node at `respondedAt` (by default when appended).
 */
const answer = (
  n: number,
  status: string,
  appendedAt: number | undefined,
  respondedAt = appendedAt ?? NOW,
): Accepted =>
  ({
    kind: 'accepted',
    record: {
      topic: 'hub.node.UZ.out',
      partition: 0,
      offset: String(offset++),
      key: null,
      bytes: Buffer.alloc(0),
      ...(appendedAt !== undefined && { appendedAt }),
    },
    envelope: {
      messageType: 'InformationResponse',
      messageId: `response-message-${n}`,
      origin: 'UZ',
    } as Envelope,
    value: {
      requestId: REQUEST_ID,
      responseId: `00000000-0000-4000-8000-00000000000${n}`,
      from: 'UZ',
      to: 'KZ',
      status,
      answer: `answer ${n}`,
      relatedReports: [],
      respondedAt,
      handling: { tlp: 'AMBER', releasableTo: [] },
      submittedBy: null,
    },
    subjectId: `00000000-0000-4000-8000-00000000000${n}`,
    subjectVersion: null,
  }) as unknown as Accepted;

/** The coordination node's record of the escalation of the request, made at `issuedAt`. */
const escalationRecord = (issuedAt: number): Accepted =>
  ({
    kind: 'accepted',
    record: {
      topic: 'hub.node.HUB.out',
      partition: 0,
      offset: String(offset++),
      key: null,
      bytes: Buffer.alloc(0),
    },
    envelope: {
      messageType: 'RequestNotice',
      messageId: `escalation-${issuedAt}`,
      origin: 'HUB',
    } as Envelope,
    value: { kind: 'escalation', requestId: REQUEST_ID, issuedAt },
    subjectId: REQUEST_ID,
    subjectVersion: null,
  }) as unknown as Accepted;

/**
 * Check and store `outcomes` as the intake does a batch, archiving the envelope of each message accepted (once);
 * resolves to what was taken, the escalations counted and the answers dropped.
 */
const intake = async (store: Store, outcomes: Outcome[]) => {
  const checked = await checkRequestMessages(store, outcomes, async () => true);
  const dropped: DroppedAnswer[] = [];
  const escalated = await persistRequests(store, checked, [], new Date(NOW), (d) => dropped.push(d));
  const archive = store.collection<Doc>('envelopes');
  for (const a of checked)
    if (a.kind === 'accepted' && !(await archive.find({ _id: a.envelope.messageId }).toArray()).length)
      await archive.insertMany([
        { _id: a.envelope.messageId, messageType: a.envelope.messageType, subjectId: a.subjectId },
      ]);
  return { kinds: checked.map((o) => o.kind), checked, escalated: escalated.map((e) => e._id), dropped };
};

describe('coordinator: escalation of a request answered in time', () => {
  it('withdraws an escalation applied before an answer the brokers appended by the due time', async () => {
    const { store, docs } = requestsStore([storedRequest()]);
    // The escalation's record applied first: a backlog held the answer back.
    expect((await intake(store, [escalationRecord(DUE + MINUTE)])).escalated).to.deep.equal([REQUEST_ID]);
    expect(docs[0]).to.include({ status: 'escalated' });
    expect((await intake(store, [answer(1, 'answered', DUE - 1000)])).escalated).to.deep.equal([]);
    expect(docs[0]).to.include({ status: 'answered', escalatedAt: null });
    // A record of the same escalation made again later does not bring it back.
    expect((await intake(store, [escalationRecord(DUE + 11 * MINUTE)])).escalated).to.deep.equal([]);
    expect(docs[0]).to.include({ escalatedAt: null });
  });

  it('neither marks nor counts an escalation whose record comes after an answer appended in time', async () => {
    for (const appendedAt of [DUE - 1000, DUE]) {
      const { store, docs } = requestsStore([storedRequest()]);
      await intake(store, [answer(1, 'partial', appendedAt)]);
      expect((await intake(store, [escalationRecord(DUE + MINUTE)])).escalated).to.deep.equal([]);
      expect(docs[0], String(appendedAt)).to.include({ status: 'answered', escalatedAt: null });
    }
  });

  it('keeps the escalation of a request answered after its due time, whichever is applied first', async () => {
    for (const order of ['escalation first', 'answer first']) {
      const { store, docs } = requestsStore([storedRequest()]);
      const late = answer(1, 'answered', DUE + 1);
      const escalation = escalationRecord(DUE + MINUTE);
      for (const o of order === 'escalation first' ? [escalation, late] : [late, escalation])
        await intake(store, [o]);
      expect(docs[0]!.status, order).to.equal('answered');
      expect((docs[0]!.escalatedAt as Date | null)?.getTime(), order).to.equal(DUE + MINUTE);
    }
    // An answer of a topic without the brokers' times proves nothing about its time: the escalation stays.
    const { store, docs } = requestsStore([storedRequest()]);
    await intake(store, [answer(1, 'answered', undefined)]);
    expect((await intake(store, [escalationRecord(DUE + MINUTE)])).escalated).to.deep.equal([REQUEST_ID]);
    expect(docs[0]!.escalatedAt).to.be.an.instanceOf(Date);
  });
});

describe('coordinator: partial answers', () => {
  it('takes more answers after a partial one, each stored, until one that is not partial', async () => {
    const { store, docs } = requestsStore([storedRequest()]);
    expect((await intake(store, [answer(1, 'partial', NOW + MINUTE)])).kinds).to.deep.equal(['accepted']);
    expect(docs[0]).to.include({ status: 'answered' });
    // Two more in one batch: another partial one, then the full answer.
    const more = await intake(store, [
      answer(2, 'partial', NOW + 2 * MINUTE),
      answer(3, 'answered', DUE + 1),
    ]);
    expect(more.kinds).to.deep.equal(['accepted', 'accepted']);
    const doc = docs[0] as unknown as StoredRequest;
    expect(doc.response?.answer).to.equal('answer 3');
    expect(doc.earlierResponses?.map((r) => r.answer)).to.deep.equal(['answer 1', 'answer 2']);
    expect((doc.earlierResponses?.[0] as StoredResponse).appendedAt?.getTime()).to.equal(NOW + MINUTE);
    // Each redelivered: taken again, stored once.
    const again = await intake(store, [answer(1, 'partial', NOW + MINUTE), answer(3, 'answered', DUE + 1)]);
    expect(again.kinds).to.deep.equal(['accepted', 'accepted']);
    expect((docs[0] as unknown as StoredRequest).earlierResponses).to.have.length(2);
  });

  it('takes a partial answer read after the full one that followed it, storing them as in order', async () => {
    /** Answers 1 and 2 partial, 3 full, appended at `times`, read in `order`. */
    const stored = async (order: 'as sent' | 'reversed', times: number[]) => {
      const { store, docs } = requestsStore([storedRequest()]);
      const answers = [
        answer(1, 'partial', times[0]),
        answer(2, 'partial', times[1]),
        answer(3, 'answered', times[2]),
      ];
      // In other partitions (each answer under its own key): a replay may read the full answer first.
      for (const a of order === 'as sent' ? answers : answers.reverse())
        expect((await intake(store, [a])).kinds, order).to.deep.equal(['accepted']);
      return docs[0];
    };
    // Appended a minute apart, or in the same millisecond (one batch of the node's).
    for (const times of [
      [NOW + MINUTE, NOW + 2 * MINUTE, NOW + 3 * MINUTE],
      [NOW + MINUTE, NOW + MINUTE, NOW + MINUTE],
    ]) {
      const reversed = await stored('reversed', times);
      expect(reversed).to.deep.equal(await stored('as sent', times));
      const doc = reversed as unknown as StoredRequest;
      expect(doc.response?.answer).to.equal('answer 3');
      expect(doc.earlierResponses?.map((r) => r.answer)).to.deep.equal(['answer 1', 'answer 2']);
    }
    // A partial answer the brokers took after the full one: refused, whenever it is read.
    const { store } = requestsStore([storedRequest()]);
    await intake(store, [answer(3, 'answered', NOW + 2 * MINUTE)]);
    expect((await intake(store, [answer(4, 'partial', NOW + 3 * MINUTE)])).kinds).to.deep.equal(['rejected']);
  });

  it('refuses an answer after one that was not partial, and an answer reusing a response id', async () => {
    const { store, docs } = requestsStore([storedRequest()]);
    await intake(store, [answer(1, 'declined', NOW + MINUTE)]);
    const [after] = (await intake(store, [answer(2, 'partial', NOW + 2 * MINUTE)])).checked;
    expect(after?.kind).to.equal('rejected');
    expect(after?.kind === 'rejected' && after.detail).to.equal(
      `requestId: request ${REQUEST_ID} was already answered (response 00000000-0000-4000-8000-000000000001, message response-message-1): only a partial answer may be followed by another`,
    );
    expect((docs[0] as unknown as StoredRequest).response?.answer).to.equal('answer 1');

    const partial = requestsStore([storedRequest()]);
    await intake(partial.store, [answer(1, 'partial', NOW + MINUTE)]);
    const reuse = { ...answer(2, 'answered', NOW + 2 * MINUTE) };
    reuse.value = { ...reuse.value, responseId: '00000000-0000-4000-8000-000000000001' };
    const [reused] = (await intake(partial.store, [reuse])).checked;
    expect(reused?.kind === 'rejected' && reused.fields).to.deep.equal([
      {
        field: 'responseId',
        message: `is already the id of an answer to request ${REQUEST_ID} (response 00000000-0000-4000-8000-000000000001, message response-message-1): each answer has its own`,
        value: '00000000-0000-4000-8000-000000000001',
      },
    ]);
    expect((partial.docs[0] as unknown as StoredRequest).response?.answer).to.equal('answer 1');
  });
});

describe('coordinator: an answer dated before the answer that closed its request', () => {
  const HOUR = 60 * MINUTE;
  const ALREADY = `requestId: request ${REQUEST_ID} was already answered (response 00000000-0000-4000-8000-000000000001, message response-message-1): only a partial answer may be followed by another`;

  it('is refused when appended after it: the closing answer stays the one the requester was given', async () => {
    const { store, docs } = requestsStore([storedRequest()]);
    expect((await intake(store, [answer(1, 'answered', NOW + HOUR)])).kinds).to.deep.equal(['accepted']);
    // Sent an hour later, signed as given a second after the request was sent.
    const [late] = (await intake(store, [answer(2, 'declined', NOW + 2 * HOUR, NOW + 1000)])).checked;
    expect(late?.kind === 'rejected' && late.detail).to.equal(ALREADY);
    const doc = docs[0] as unknown as RequestWithDrops;
    expect(doc.response).to.include({ answer: 'answer 1', status: 'answered' });
    expect(doc).not.to.have.property('earlierResponses');
    expect(doc).not.to.have.property('droppedAnswers');
  });

  it('is refused when dated before its request was sent, naming respondedAt, its value and the rule', async () => {
    const { store, docs } = requestsStore([storedRequest()]);
    await intake(store, [answer(1, 'answered', NOW + HOUR)]);
    const dayBefore = NOW - 24 * HOUR;
    const [late] = (await intake(store, [answer(2, 'declined', NOW + 2 * HOUR, dayBefore)])).checked;
    expect(late?.kind === 'rejected' && late.fields).to.deep.equal([
      {
        field: 'respondedAt',
        message: `2026-03-13T09:00:00.000Z is before request ${REQUEST_ID} was sent (sentAt 2026-03-14T09:00:00.000Z), by more than the 10 minutes allowed for clock skew (the requester's and the addressee's clocks, each up to 5 minutes off): an answer is given after its request`,
        value: dayBefore,
      },
    ]);
    expect((docs[0] as unknown as StoredRequest).response?.answer).to.equal('answer 1');
    // The first answer too, and a partial one: the two nodes' clocks may differ by the skew allowed, not more.
    const fresh = requestsStore([storedRequest()]);
    const early = await intake(fresh.store, [
      answer(1, 'partial', NOW + MINUTE, NOW - 10 * MINUTE - 1),
      answer(2, 'partial', NOW + MINUTE, NOW - 10 * MINUTE),
    ]);
    expect(early.kinds).to.deep.equal(['rejected', 'accepted']);
  });
});

describe('coordinator: storing a batch of answers', () => {
  const OTHER_ID = '1c1f2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d';
  const NEW_ID = '2d2f2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d';
  /** `message` (an answer or an escalation's record) about request `requestId` instead. */
  const about = (requestId: string, message: Accepted): Accepted => ({
    ...message,
    value: { ...message.value, requestId },
    ...(message.envelope.messageType === 'RequestNotice' && { subjectId: requestId }),
  });
  /** KZ's request `requestId` to UZ, due at DUE, as the intake takes it. */
  const request = (requestId: string): Accepted =>
    ({
      kind: 'accepted',
      record: {
        topic: 'hub.node.KZ.out',
        partition: 0,
        offset: String(offset++),
        key: null,
        bytes: Buffer.alloc(0),
      },
      envelope: {
        messageType: 'InformationRequest',
        messageId: `request-${requestId}`,
        origin: 'KZ',
      } as Envelope,
      value: {
        requestId,
        from: 'KZ',
        to: 'UZ',
        subjectKind: 'other',
        subjectRef: null,
        purpose: 'investigation',
        question: 'Seen before?',
        urgency: 'immediate',
        dueAt: DUE,
        sentAt: NOW,
        handling: { tlp: 'AMBER', releasableTo: [] },
        submittedBy: null,
      },
      subjectId: requestId,
      subjectVersion: null,
    }) as unknown as Accepted;

  it("reads each of the batch's requests once, however many answers and escalations it brings", async () => {
    const { store, docs, reads } = requestsStore([
      storedRequest(),
      storedRequest({ _id: OTHER_ID, requestId: OTHER_ID, urgency: 'routine' }),
    ]);
    const batch = [
      // Three answers in time to the first request, then the record of its escalation: not applied.
      answer(1, 'partial', NOW + MINUTE),
      answer(2, 'partial', NOW + 2 * MINUTE),
      answer(4, 'answered', NOW + 3 * MINUTE),
      escalationRecord(DUE + MINUTE),
      // A late answer to the other and its escalation: kept, and counted.
      about(OTHER_ID, answer(3, 'answered', DUE + 1)),
      about(OTHER_ID, escalationRecord(DUE + 2 * MINUTE)),
      // A request new in the batch, answered in it.
      request(NEW_ID),
      about(NEW_ID, answer(5, 'partial', NOW + 4 * MINUTE)),
      about(NEW_ID, answer(6, 'answered', NOW + 5 * MINUTE)),
    ];
    const checked = await checkRequestMessages(store, batch, async () => true);
    expect(checked.map((o) => o.kind)).to.deep.equal(batch.map(() => 'accepted'));
    reads.count = 0;
    const escalated = await persistRequests(store, checked, [], new Date(NOW));
    // One query per request (findEach: a few ids go one equality query each), none per answer or escalation.
    expect(reads.count).to.equal(3);
    expect(escalated).to.deep.equal([{ _id: OTHER_ID, urgency: 'routine' }]);
    const byId = (id: string) => docs.find((d) => d._id === id) as unknown as StoredRequest;
    const answers = (id: string) =>
      [...(byId(id).earlierResponses ?? []), byId(id).response].map((r) => r?.answer);
    expect(answers(REQUEST_ID)).to.deep.equal(['answer 1', 'answer 2', 'answer 4']);
    expect(byId(REQUEST_ID)).to.include({ status: 'answered', escalatedAt: null });
    expect(answers(OTHER_ID)).to.deep.equal(['answer 3']);
    expect(byId(OTHER_ID).status).to.equal('answered');
    expect(byId(OTHER_ID).escalatedAt?.getTime()).to.equal(DUE + 2 * MINUTE);
    expect(answers(NEW_ID)).to.deep.equal(['answer 5', 'answer 6']);
    expect(byId(NEW_ID)).to.include({ status: 'answered', urgency: 'immediate' });
  });

  it('stores the same request as a batch for each answer and escalation does', async () => {
    const SECOND = 1000;
    /**
     * The request, escalated before the batch and given the answers `before` (a batch each), after `batch` read as
     * one batch and as a batch for each.
     */
    const both = async (batch: Accepted[], before: Accepted[] = []) => {
      const stored = async () => {
        const one = requestsStore([storedRequest({ escalatedAt: new Date(DUE), status: 'escalated' })]);
        for (const a of before) await intake(one.store, [a]);
        return one;
      };
      const one = await stored();
      expect((await intake(one.store, batch)).escalated).to.deep.equal([]);
      const each = await stored();
      for (const a of batch) await intake(each.store, [a]);
      expect(one.docs).to.deep.equal(each.docs);
      const doc = one.docs[0] as unknown as StoredRequest;
      // Answered in time: the escalation withdrawn.
      expect(doc).to.include({ status: 'answered', escalatedAt: null });
      return doc;
    };
    const texts = (doc: StoredRequest) =>
      [...(doc.earlierResponses ?? []), doc.response].map((r) => r?.answer);
    // The partial answer appended after the full one dropped.
    const dropped = await both([
      answer(2, 'partial', NOW + 10 * SECOND),
      answer(1, 'partial', NOW + 2 * SECOND),
      answer(3, 'answered', NOW + 5 * SECOND),
      escalationRecord(DUE + MINUTE),
    ]);
    expect(texts(dropped)).to.deep.equal(['answer 1', 'answer 3']);
    // Two partial answers, stored before the batch or in it, dropped by a full one appended before them: no earlier
    // answers left, nor after another full one appended before that; one partial answer before them all is kept.
    const partials = [answer(1, 'partial', NOW + 8 * SECOND), answer(2, 'partial', NOW + 9 * SECOND)];
    const full = [answer(3, 'answered', NOW + 5 * SECOND), escalationRecord(DUE + MINUTE)];
    const fuller = [...full, answer(4, 'answered', NOW + 4 * SECOND)];
    const first = [...fuller, answer(5, 'partial', NOW + 3 * SECOND)];
    for (const [batch, before, expected] of [
      [[...partials, ...full], [], ['answer 3']],
      [full, partials, ['answer 3']],
      [[...partials, ...fuller], [], ['answer 4']],
      [fuller, partials, ['answer 4']],
      [first, partials, ['answer 5', 'answer 4']],
    ] as [Accepted[], Accepted[], string[]][]) {
      const doc = await both(batch, before);
      expect(texts(doc)).to.deep.equal(expected);
      if (expected.length === 1) expect(doc).not.to.have.property('earlierResponses');
    }
  });

  it('leaves a request another writer changed after the batch read it as that writer left it', async () => {
    const { store, docs } = requestsStore([storedRequest()]);
    const checked = await checkRequestMessages(store, [answer(1, 'partial', NOW + MINUTE)], async () => true);
    const theirs = { responseId: 'theirs', messageId: 'their-message', status: 'answered', answer: 'theirs' };
    const racing = {
      ...store,
      collection: (name: Parameters<Store['collection']>[0]) => {
        const c = store.collection(name);
        return {
          ...c,
          find: (filter: never, options: never) => ({
            toArray: async () => {
              const read = await c.find(filter, options).toArray();
              Object.assign(docs[0]!, { status: 'answered', response: theirs });
              return read;
            },
          }),
        };
      },
    } as unknown as Store;
    await persistRequests(racing, checked, [], new Date(NOW));
    expect(docs[0]!.response).to.deep.equal(theirs);
    expect(docs[0]).not.to.have.property('earlierResponses');
  });
});

describe('coordinator: answers read out of order', () => {
  const SECOND = 1000;
  /** Every order of `items`. */
  const orders = <T>(items: T[]): T[][] =>
    items.length <= 1
      ? [items]
      : items.flatMap((x, i) => orders([...items.slice(0, i), ...items.slice(i + 1)]).map((o) => [x, ...o]));
  /**
   * The request as stored after reading `answers` in every order, each answer in a batch of its own and all of them
   * in one batch; with what each reading took (by answer, in the order given).
   */
  const readings = async (answers: Accepted[]) => {
    const out: { order: string; doc: Doc; kinds: Record<string, string> }[] = [];
    for (const order of orders(answers))
      for (const batched of [false, true]) {
        const { store, docs } = requestsStore([storedRequest()]);
        const kinds: Record<string, string> = {};
        const batches = batched ? [order] : order.map((a) => [a]);
        for (const batch of batches) {
          const { checked } = await intake(store, batch);
          checked.forEach((o, i) => (kinds[batch[i]!.envelope.messageId] = o.kind));
        }
        const name = `${order.map((a) => a.envelope.messageId.slice(-1)).join(',')}${batched ? ' in one batch' : ''}`;
        out.push({ order: name, doc: docs[0]!, kinds });
      }
    return out;
  };
  /** The answers (their texts) of the request as stored: those before, then its response. */
  const answersIn = (doc: Doc) => {
    const d = doc as unknown as StoredRequest;
    return [...(d.earlierResponses ?? []), d.response].map((r) => r?.answer);
  };
  /** The request as the messages make it: without the answers dropped, which depend on the order they are read in. */
  const fromMessages = (doc: Doc) => {
    const { droppedAnswers: _, ...rest } = doc;
    return rest;
  };
  /**
   * Asserts that every order of reading `answers` stores the same request, with the answers `expected`; and that it
   * names as dropped each answer that reading accepted and the request does not hold.
   */
  const sameInEveryOrder = async (answers: Accepted[], expected: string[]) => {
    const all = await readings(answers);
    for (const r of all) {
      expect(answersIn(r.doc), r.order).to.deep.equal(expected);
      expect(fromMessages(r.doc), r.order).to.deep.equal(fromMessages(all[0]!.doc));
      const d = r.doc as unknown as RequestWithDrops;
      const held = new Set([...(d.earlierResponses ?? []), d.response].map((x) => x?.messageId));
      const dropped = Object.keys(r.kinds).filter((m) => r.kinds[m] === 'accepted' && !held.has(m));
      expect((d.droppedAnswers ?? []).map((x) => x.messageId).sort(), r.order).to.deep.equal(dropped.sort());
    }
    return all;
  };

  it('closes a request with the full answer appended first, though a partial one appended after it is read first', async () => {
    const all = await sameInEveryOrder(
      [answer(1, 'answered', NOW + 5 * SECOND), answer(2, 'partial', NOW + 10 * SECOND)],
      ['answer 1'],
    );
    const doc = all[0]!.doc as unknown as StoredRequest;
    expect(doc.status).to.equal('answered');
    expect(doc).not.to.have.property('earlierResponses');
    // The receipts differ by order, as they must: the partial answer read first was taken (its receipt said so, its
    // copy went to the requester) before the full one it follows was read; read in order, it is refused.
    const kinds = (order: string) => all.find((r) => r.order === order)!.kinds;
    expect(kinds('1,2')).to.deep.equal({
      'response-message-1': 'accepted',
      'response-message-2': 'rejected',
    });
    expect(kinds('2,1')).to.deep.equal({
      'response-message-1': 'accepted',
      'response-message-2': 'accepted',
    });
    expect(kinds('2,1 in one batch')).to.deep.equal(kinds('2,1'));
  });

  it('keeps the full answer appended first of two, whichever is read first', async () => {
    await sameInEveryOrder(
      [answer(1, 'answered', NOW + 10 * SECOND), answer(2, 'declined', NOW + 5 * SECOND)],
      ['answer 2'],
    );
    // In the same millisecond: the first by respondedAt, then by response id.
    await sameInEveryOrder(
      [answer(2, 'answered', NOW + 5 * SECOND), answer(1, 'answered', NOW + 5 * SECOND)],
      ['answer 1'],
    );
  });

  it('drops every answer stored after the full one appended first, the earlier partial ones kept', async () => {
    await sameInEveryOrder(
      [
        answer(1, 'partial', NOW + 2 * SECOND),
        answer(2, 'partial', NOW + 8 * SECOND),
        answer(3, 'answered', NOW + 10 * SECOND),
        answer(4, 'answered', NOW + 5 * SECOND),
      ],
      ['answer 1', 'answer 4'],
    );
    // None left before it: the request has no earlier answers at all, as when read in order.
    await sameInEveryOrder(
      [answer(1, 'partial', NOW + 8 * SECOND), answer(2, 'answered', NOW + 5 * SECOND)],
      ['answer 2'],
    );
  });

  it('takes the first of two answers under one response id, whichever is read first', async () => {
    const reuse = (a: Accepted, responseId: string): Accepted => ({
      ...a,
      value: { ...a.value, responseId },
    });
    await sameInEveryOrder(
      [
        reuse(answer(1, 'partial', NOW + 5 * SECOND), 'shared'),
        reuse(answer(2, 'partial', NOW + 10 * SECOND), 'shared'),
      ],
      ['answer 1'],
    );
  });

  it('keeps the closing answer appended first against a second one dated before it, whichever is read first', async () => {
    const HOUR = 60 * MINUTE;
    // Answered at 10:00; then, at 11:00, a declined answer its node dated 09:00:01: before the answer it follows.
    const closing = () => answer(1, 'answered', NOW + HOUR);
    const backdated = () => answer(2, 'declined', NOW + 2 * HOUR, NOW + SECOND);
    const all = await sameInEveryOrder([closing(), backdated()], ['answer 1']);
    expect(all.find((r) => r.order === '1,2')!.kinds).to.deep.equal({
      'response-message-1': 'accepted',
      'response-message-2': 'rejected',
    });
    // A partial answer given before both, appended after both: kept before the closing one, in every order.
    await sameInEveryOrder(
      [closing(), backdated(), answer(3, 'partial', NOW + 3 * HOUR, NOW)],
      ['answer 3', 'answer 1'],
    );
  });

  it('takes a copy of a dropped answer again, as the first copy was, and changes nothing stored', async () => {
    const { store, docs } = requestsStore([storedRequest()]);
    await intake(store, [answer(2, 'partial', NOW + 10 * SECOND)]);
    await intake(store, [answer(1, 'answered', NOW + 5 * SECOND)]);
    const before = structuredClone(docs[0]);
    const again = await intake(store, [answer(2, 'partial', NOW + 10 * SECOND)]);
    expect(again.kinds).to.deep.equal(['accepted']);
    expect(again.dropped).to.deep.equal([]);
    expect(docs[0]).to.deep.equal(before);
    // Another message after the closing answer is still refused.
    const [later] = (await intake(store, [answer(3, 'partial', NOW + 11 * SECOND)])).checked;
    expect(later?.kind === 'rejected' && later.detail).to.equal(
      `requestId: request ${REQUEST_ID} was already answered (response 00000000-0000-4000-8000-000000000001, message response-message-1): only a partial answer may be followed by another`,
    );
  });
});

describe('coordinator: a copy of an answer dropped from its request', () => {
  const SECOND = 1000;
  /** `store` whose envelope archive must not be read (on FerretDB each look-up decodes all of it, under the lock). */
  const noArchive = (store: Store) =>
    ({
      ...store,
      collection: (name: string) => {
        if (name === 'envelopes') throw new Error('the envelope archive was read');
        return store.collection(name as never);
      },
    }) as unknown as Store;

  it('is taken again, decided from the request without reading the envelope archive', async () => {
    const { store, docs } = requestsStore([storedRequest()]);
    await intake(store, [answer(2, 'partial', NOW + 10 * SECOND)]);
    await intake(store, [answer(1, 'answered', NOW + 5 * SECOND)]);
    expect((docs[0] as unknown as RequestWithDrops).droppedAnswers).to.deep.equal([
      { responseId: '00000000-0000-4000-8000-000000000002', messageId: 'response-message-2' },
    ]);
    const before = structuredClone(docs[0]);
    const [copy, other] = await checkRequestMessages(
      noArchive(store),
      [answer(2, 'partial', NOW + 10 * SECOND), answer(3, 'partial', NOW + 11 * SECOND)],
      async () => true,
    );
    expect(copy?.kind).to.equal('accepted');
    // Another answer after the closing one is still refused.
    expect(other?.kind).to.equal('rejected');
    await persistRequests(store, [copy!], [], new Date(NOW));
    expect(docs[0]).to.deep.equal(before);
  });

  it('of a request stored before drops were recorded is judged as any answer after the closing one', async () => {
    // Answer 2 accepted, then dropped by answer 1, before the request recorded its drops: its envelope is archived.
    const { store, envelopes } = requestsStore([
      storedRequest({
        status: 'answered',
        response: {
          responseId: '00000000-0000-4000-8000-000000000001',
          messageId: 'response-message-1',
          status: 'answered',
          respondedAt: new Date(NOW + 5 * SECOND),
          appendedAt: new Date(NOW + 5 * SECOND),
        } as StoredResponse,
      }),
    ]);
    envelopes.push({
      _id: 'response-message-2',
      messageType: 'InformationResponse',
      subjectId: '00000000-0000-4000-8000-000000000002',
    });
    const [copy] = await checkRequestMessages(
      noArchive(store),
      [answer(2, 'partial', NOW + 10 * SECOND)],
      async () => true,
    );
    expect(copy?.kind === 'rejected' && copy.detail).to.equal(
      `requestId: request ${REQUEST_ID} was already answered (response 00000000-0000-4000-8000-000000000001, message response-message-1): only a partial answer may be followed by another`,
    );
  });
});

describe('coordinator: answers given in one order, appended in another', () => {
  const SECOND = 1000;
  /** Partial answer 1 given at 10:00:00, full answer 2 at 10:00:02; the brokers appended the full one first. */
  const partial = () => answer(1, 'partial', NOW + 10 * SECOND, NOW);
  const full = () => answer(2, 'answered', NOW + 5 * SECOND, NOW + 2 * SECOND);
  const texts = (doc: Doc) => {
    const d = doc as unknown as StoredRequest;
    return [...(d.earlierResponses ?? []), d.response].map((r) => r?.answer);
  };

  it('keeps a partial answer given before the full one, appended after it, in every order it is read', async () => {
    for (const [name, batches] of [
      ['full first', [[full()], [partial()]]],
      ['partial first', [[partial()], [full()]]],
      ['in one batch, full first', [[full(), partial()]]],
      ['in one batch, partial first', [[partial(), full()]]],
    ] as [string, Accepted[][]][]) {
      const { store, docs } = requestsStore([storedRequest()]);
      for (const batch of batches) {
        const { kinds, dropped } = await intake(store, batch);
        expect(kinds, name).to.deep.equal(batch.map(() => 'accepted'));
        expect(dropped, name).to.deep.equal([]);
      }
      expect(texts(docs[0]!), name).to.deep.equal(['answer 1', 'answer 2']);
      expect(docs[0], name).to.include({ status: 'answered' });
      // A copy of the partial answer (the node resends a batch after a failure): the verdict of the first copy.
      const again = await intake(store, [partial()]);
      expect(again.kinds, name).to.deep.equal(['accepted']);
      expect(texts(docs[0]!), name).to.deep.equal(['answer 1', 'answer 2']);
    }
  });

  it('still judges "answered in time" by the append time', async () => {
    // Given before the due time, appended after it (held in the node's outbox): late; the escalation stays.
    const { store, docs } = requestsStore([storedRequest()]);
    await intake(store, [escalationRecord(DUE + MINUTE)]);
    await intake(store, [answer(1, 'answered', DUE + 10 * SECOND, DUE - 10 * SECOND)]);
    expect((docs[0]!.escalatedAt as Date | null)?.getTime()).to.equal(DUE + MINUTE);
  });

  it('reports an answer its node gave after the closing one, taken when read first and dropped, and takes its copy again', async () => {
    for (const batched of [false, true]) {
      const { store, docs } = requestsStore([storedRequest()]);
      // Partial answer 3 given after full answer 2 (no node's API gives it), read first.
      const after = () => answer(3, 'partial', NOW + 3 * SECOND, NOW + 4 * SECOND);
      const batches = batched ? [[after(), full(), after()]] : [[after()], [full()], [after()]];
      const kinds: string[] = [];
      const dropped: DroppedAnswer[] = [];
      for (const batch of batches) {
        const r = await intake(store, batch);
        kinds.push(...r.kinds);
        dropped.push(...r.dropped);
      }
      // Every copy of it gets the verdict of the first: accepted.
      expect(kinds, String(batched)).to.deep.equal(['accepted', 'accepted', 'accepted']);
      expect(texts(docs[0]!), String(batched)).to.deep.equal(['answer 2']);
      expect(dropped, String(batched)).to.deep.equal([
        {
          requestId: REQUEST_ID,
          responseId: '00000000-0000-4000-8000-000000000003',
          messageId: 'response-message-3',
          by: { responseId: '00000000-0000-4000-8000-000000000002', messageId: 'response-message-2' },
          reason: 'after-closing-answer',
        },
      ]);
    }
  });

  it('logs and counts each answer dropped', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger('test:requests', {
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
    });
    const metrics = new Registry();
    const report = answerDropReporter(logger, metrics);
    report({
      requestId: REQUEST_ID,
      responseId: 'r3',
      messageId: 'm3',
      by: { responseId: 'r2', messageId: 'm2' },
      reason: 'after-closing-answer',
    });
    const counted = await metrics.getSingleMetric('hub_coordinator_request_answers_dropped_total')!.get();
    expect(counted.values).to.deep.equal([{ value: 1, labels: { reason: 'after-closing-answer' } }]);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({
      level: 'warn',
      requestId: REQUEST_ID,
      responseId: 'r3',
      messageId: 'm3',
      reason: 'after-closing-answer',
    });
    expect(lines[0]!.droppedBy).to.deep.equal({ responseId: 'r2', messageId: 'm2' });
  });
});

describe('coordinator: the deadline check of information requests', () => {
  const logger = createLogger('test:request-escalation', { level: 'silent' });
  /** A deadline check at `now` over `docs`; resolves to the requests it escalated (the records it sent). */
  const checkAt = async (now: number, docs: Doc[], extra: Record<string, unknown> = {}) => {
    const sent: string[] = [];
    const escalation = startEscalation({
      store: requestsStore(docs).store,
      producer: {
        send: async (r: { topic: string; messages: { key: string }[] }) => {
          if (r.topic === 'hub.node.HUB.out') sent.push(...r.messages.map((m) => m.key));
          return [];
        },
      } as never,
      signer: { signEncoded: () => ({ bytes: Buffer.alloc(1) }) } as unknown as Signer,
      registry: {
        encode: () => ({ payload: Buffer.alloc(1), fingerprint: 'f' }),
      } as unknown as SchemaRegistry,
      names: topicNames(''),
      clock: () => now,
      logger,
      intervalMs: 3600000,
      ...extra,
    });
    try {
      expect(await escalation.check()).to.equal(sent.length);
    } finally {
      await escalation.stop();
    }
    return sent;
  };

  it('escalates an open request only once its due time and a grace have passed', async () => {
    const docs = [storedRequest()];
    expect(await checkAt(DUE + 1000, docs)).to.deep.equal([]);
    expect(await checkAt(DUE + ESCALATION_GRACE_MS, docs)).to.deep.equal([]);
    expect(await checkAt(DUE + ESCALATION_GRACE_MS + 1, docs)).to.deep.equal([REQUEST_ID]);
    expect(await checkAt(DUE + 2000, docs, { graceMs: 1000 })).to.deep.equal([REQUEST_ID]);
  });

  it("waits while the intake has not stored the addressee's messages of before the due time", async () => {
    const asked: [string, number][] = [];
    let behind = true;
    const intakeBehind = async (addressee: string, dueAt: number) => {
      asked.push([addressee, dueAt]);
      return behind;
    };
    const docs = [storedRequest()];
    expect(await checkAt(DUE + 10 * MINUTE, docs, { intakeBehind })).to.deep.equal([]);
    expect(asked).to.deep.equal([['UZ', DUE]]);
    behind = false;
    expect(await checkAt(DUE + 11 * MINUTE, docs, { intakeBehind })).to.deep.equal([REQUEST_ID]);
    // Not known (the brokers do not answer): not escalated this time either.
    const failing = async () => {
      throw new Error('broker away');
    };
    expect(await checkAt(DUE + 12 * MINUTE, docs, { intakeBehind: failing })).to.deep.equal([]);
  });

  it('does not escalate a request the intake answered in time while the check asked how far it had read', async () => {
    const docs = [storedRequest()];
    // The intake stores the answer appended in time and commits it between the check's read of the overdue requests
    // and its question: the offsets it reads then say the intake has caught up.
    const intakeBehind = async () => {
      const { store } = requestsStore(docs);
      await intake(store, [answer(1, 'answered', DUE - 1000)]);
      return false;
    };
    expect(await checkAt(DUE + 10 * MINUTE, docs, { intakeBehind })).to.deep.equal([]);
    expect(docs[0]).to.include({ status: 'answered', escalatedAt: null });
  });

  it("asks the brokers once per check how far the intake has read an addressee's topic, and each due time apart", async () => {
    const calls: string[] = [];
    const admin = {
      fetchOffsets: async (o: { groupId: string; topics?: string[] }) => {
        const [topic = ''] = o.topics ?? [];
        calls.push(`committed ${topic}`);
        return [{ topic, partitions: [{ partition: 0, offset: '7', metadata: null }] }];
      },
      fetchTopicOffsets: async (topic: string) => {
        calls.push(`first ${topic}`);
        return [{ partition: 0, offset: '9', high: '9', low: '0' }];
      },
      fetchTopicOffsetsByTimestamp: async (topic: string, at: number) => {
        calls.push(`after ${topic} ${at - DUE}`);
        return [{ partition: 0, offset: '7' }];
      },
    };
    const request = (n: number, addressee: string, dueAt: number) =>
      storedRequest({
        _id: `${n}`,
        requestId: `${n}`,
        addressee,
        dueAt: new Date(dueAt),
      } as Partial<StoredRequest>);
    const docs = [request(1, 'UZ', DUE), request(2, 'UZ', DUE + MINUTE), request(3, 'KG', DUE)];
    const intakeBehind = intakeBehindOn(admin, 'hub.coordinator', topicNames(''));
    const now = DUE + MINUTE + ESCALATION_GRACE_MS + 1;
    expect(await checkAt(now, docs, { intakeBehind })).to.deep.equal(['1', '2', '3']);
    expect(calls).to.deep.equal([
      'committed hub.node.UZ.out',
      'first hub.node.UZ.out',
      'after hub.node.UZ.out 1',
      `after hub.node.UZ.out ${MINUTE + 1}`,
      'committed hub.node.KG.out',
      'first hub.node.KG.out',
      'after hub.node.KG.out 1',
    ]);
    // The next check asks again: the intake has read further since.
    calls.length = 0;
    await checkAt(now + MINUTE, docs, { intakeBehind });
    expect(calls.filter((c) => c.startsWith('committed'))).to.deep.equal([
      'committed hub.node.UZ.out',
      'committed hub.node.KG.out',
    ]);
  });

  it("tells from the group's committed offsets whether it has read the addressee's topic up to a time", async () => {
    const asked: unknown[] = [];
    const admin = (committed: string[], low = ['0', '0']) => ({
      fetchOffsets: async (o: { groupId: string; topics: string[] }) => {
        asked.push(o);
        return [
          {
            topic: 'hub.node.UZ.out',
            partitions: committed.map((offset, partition) => ({ partition, offset, metadata: null })),
          },
        ];
      },
      fetchTopicOffsets: async () =>
        low.map((l, partition) => ({ partition, offset: '9', high: '9', low: l })),
      // The first record after the due time: offset 5 in partition 0, 3 in partition 1.
      fetchTopicOffsetsByTimestamp: async (topic: string, at: number) => {
        asked.push({ topic, at });
        return [
          { partition: 0, offset: '5' },
          { partition: 1, offset: '3' },
        ];
      },
    });
    const behind = (committed: string[], low?: string[]) =>
      intakeBehindOn(admin(committed, low), 'hub.coordinator', topicNames(''))('UZ', DUE);
    expect(await behind(['5', '3'])).to.equal(false);
    expect(await behind(['9', '4'])).to.equal(false);
    expect(await behind(['4', '3'])).to.equal(true);
    expect(await behind(['5', '-1'])).to.equal(true);
    // A partition never committed whose records before the due time are gone (retention): nothing left to read.
    expect(await behind(['5', '-1'], ['0', '3'])).to.equal(false);
    expect(asked.slice(0, 2)).to.deep.equal([
      { groupId: 'hub.coordinator', topics: ['hub.node.UZ.out'] },
      { topic: 'hub.node.UZ.out', at: DUE + 1 },
    ]);
  });
});
