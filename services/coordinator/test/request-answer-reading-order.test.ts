// Every reading order of a request's answers, as a replay or a live intake may read them (a key's records in the
// order the brokers appended them, keys in any order): what the coordinator keeps (checkRequestMessages, then
// persistRequests, one record a batch) against the rule of docs/protocol.md, "Information requests", step 3.
import { expect } from 'chai';
import type { Envelope } from '@hub/envelope';
import type { Store, StoredResponse } from '@hub/store';
import type { Accepted } from '../src/outcome';
import { answerChange, checkRequestMessages, persistRequests, type RequestWithDrops } from '../src/requests';

const REQUEST_ID = '5d0c3b1e-7a44-4c1f-9a2b-3e4f5a6b7c8d';
const SENT = Date.UTC(2026, 2, 14, 9, 0);

/** One message of the addressee's node: an answer, under a response id of its own, sent once or more. */
interface Message {
  id: string;
  partial: boolean;
  /** When its node says it gave it (ms after SENT). */
  respondedAt: number;
  /** When the brokers appended each copy (ms after SENT), in order: a key's copies are read in that order. */
  copies: number[];
}
/** One copy of a message read by the intake. */
interface Read {
  message: Message;
  copy: number;
}

/** A small deterministic generator (mulberry32), so that a failing set can be found again by its seed. */
function generator(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/**
 * 2 to 4 messages, at least one of them closing: times from a handful of values so that ties (the same millisecond
 * given, the same append time) are common; now and then a message sent twice.
 */
function randomMessages(random: (n: number) => number): Message[] {
  const n = 2 + random(3);
  const messages = Array.from({ length: n }, (_, i) => {
    const first = random(6);
    return {
      id: `m${i}`,
      partial: random(2) === 0,
      respondedAt: random(5),
      copies: random(5) === 0 ? [first, first + 1 + random(3)] : [first],
    };
  });
  if (messages.every((m) => m.partial)) (messages[0] as Message).partial = false;
  return messages;
}

/** Every order of reading the copies of `messages` in which each message's copies come in their append order. */
function readingOrders(messages: Message[]): Read[][] {
  const orders: Read[][] = [];
  const next = messages.map(() => 0);
  const walk = (sofar: Read[]) => {
    let any = false;
    messages.forEach((message, i) => {
      const copy = next[i] as number;
      if (copy >= message.copies.length) return;
      any = true;
      next[i] = copy + 1;
      walk([...sofar, { message, copy }]);
      next[i] = copy;
    });
    if (!any) orders.push(sofar);
  };
  walk([]);
  return orders;
}

const responseIdOf = (m: Message) => `00000000-0000-4000-8000-0000000000${m.id.slice(1).padStart(2, '0')}`;
const appendedAt = (r: Read) => SENT + (r.message.copies[r.copy] as number);

/** The order of closing answers, of which the first closes the request: by their first copy's append time. */
const closingFirst = (a: Message, b: Message) =>
  (a.copies[0] as number) - (b.copies[0] as number) ||
  a.respondedAt - b.respondedAt ||
  responseIdOf(a).localeCompare(responseIdOf(b));

/** The closing answer of `messages` by the rule: the closing message whose first copy the brokers appended first. */
const closingOf = (messages: Message[]): Message | undefined =>
  messages.filter((m) => !m.partial).sort(closingFirst)[0];

/** Whether `closing` keeps partial answer `p` from the request: given before it (in the same millisecond, a partial one first). */
const shutsOut = (closing: Message, p: Message) => closing.respondedAt < p.respondedAt;

/**
 * What the request keeps when read in `order`, by the rule of docs/protocol.md step 3: the closing answer (closingOf),
 * and each partial answer given before it, but for one given after a second closing answer (appended later, dated
 * earlier) that was read, with the partial answer's last copy, before the closing one: lost then. Put as the
 * coordinator decides it: a partial answer is kept unless, at its last copy's reading or after, the closing answer
 * of those read so far was given before it.
 */
function expectedKept(messages: Message[], order: Read[]): Set<string> {
  // The closing answer of the answers read so far, after each read.
  const closingSoFar: (Message | undefined)[] = [];
  let current: Message | undefined;
  for (const { message } of order) {
    if (!message.partial && (!current || closingFirst(message, current) < 0)) current = message;
    closingSoFar.push(current);
  }
  const kept = new Set<string>();
  const closing = closingOf(messages);
  if (closing) kept.add(closing.id);
  for (const p of messages.filter((m) => m.partial)) {
    const last = order.findIndex((r) => r.message === p && r.copy === p.copies.length - 1);
    if (!closingSoFar.slice(last).some((c) => c !== undefined && shutsOut(c, p))) kept.add(p.id);
  }
  return kept;
}

/** Whether the request's answers can depend on the reading order: a partial answer between two closing answers' dates. */
function orderMatters(messages: Message[]): boolean {
  const closing = closingOf(messages);
  if (!closing) return false;
  return messages.some(
    (p) =>
      p.partial &&
      !shutsOut(closing, p) &&
      messages.some((c) => !c.partial && c !== closing && shutsOut(c, p)),
  );
}

/** The answer one read brings, as the intake stores it. */
function storedAnswer(r: Read): StoredResponse {
  return {
    responseId: responseIdOf(r.message),
    from: 'UZ',
    to: 'KZ',
    status: r.message.partial ? 'partial' : 'answered',
    answer: `answer ${r.message.id}`,
    relatedReports: [],
    respondedAt: new Date(SENT + r.message.respondedAt),
    handling: { tlp: 'AMBER', releasableTo: [], releasableCountries: [], evaluation: null },
    messageId: r.message.id,
    receivedAt: new Date(SENT),
    submittedBy: null,
    appendedAt: new Date(appendedAt(r)),
  } as StoredResponse;
}

type Doc = RequestWithDrops & Record<string, unknown>;
const valueAt = (doc: Record<string, unknown>, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>((v, k) => (v === null || typeof v !== 'object' ? undefined : (v as Doc)[k]), doc) ??
  null;
const equal = (a: unknown, b: unknown) =>
  a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b;

/** The `requests` collection holding the one request, in memory: as much as checking and storing answers uses. */
function requestStore(): { store: Store; request: () => Doc } {
  const doc = {
    _id: REQUEST_ID,
    requestId: REQUEST_ID,
    requester: 'KZ',
    addressee: 'UZ',
    messageId: 'request-message',
    urgency: 'urgent',
    status: 'open',
    dueAt: new Date(SENT + 86400000),
    sentAt: new Date(SENT),
    escalatedAt: null,
    response: null,
  } as unknown as Doc;
  const matches = (filter: Record<string, unknown>) =>
    Object.entries(filter).every(([k, want]) => equal(valueAt(doc, k), want ?? null));
  const collection = {
    find: (filter: Record<string, unknown>) => ({
      toArray: async () => (matches(filter) ? [structuredClone(doc)] : []),
    }),
    findOne: async (filter: Record<string, unknown>) => (matches(filter) ? structuredClone(doc) : null),
    updateOne: async (filter: Record<string, unknown>, update: { $set: Doc; $unset?: Doc }) => {
      if (!matches(filter)) return { matchedCount: 0, modifiedCount: 0 };
      Object.assign(doc, structuredClone(update.$set));
      for (const k of Object.keys(update.$unset ?? {})) delete doc[k];
      return { matchedCount: 1, modifiedCount: 1 };
    },
  };
  return { store: { collection: () => collection } as unknown as Store, request: () => doc };
}

let offset = 0;
/** One read as the intake accepted it so far (signature, schema and content checks passed). */
function accepted(r: Read): Accepted {
  const a = storedAnswer(r);
  return {
    kind: 'accepted',
    record: {
      topic: 'hub.node.UZ.out',
      partition: 0,
      offset: String(offset++),
      key: a.responseId,
      bytes: Buffer.alloc(0),
      appendedAt: appendedAt(r),
    },
    envelope: { messageType: 'InformationResponse', messageId: a.messageId, origin: 'UZ' } as Envelope,
    value: {
      requestId: REQUEST_ID,
      responseId: a.responseId,
      from: 'UZ',
      to: 'KZ',
      status: a.status,
      answer: a.answer,
      relatedReports: [],
      respondedAt: a.respondedAt.getTime(),
      handling: { tlp: 'AMBER', releasableTo: [] },
      submittedBy: null,
    },
    subjectId: a.responseId,
    subjectVersion: null,
  } as unknown as Accepted;
}

/** The request's answers (message ids, oldest first) and closing answer after the intake reads `order`, a batch a read. */
async function intakeReading(order: Read[]): Promise<{ answers: string[]; accepted: Set<string> }> {
  const { store, request } = requestStore();
  const taken = new Set<string>();
  for (const r of order) {
    const checked = await checkRequestMessages(store, [accepted(r)], async () => true);
    if (checked[0]?.kind === 'accepted') taken.add(r.message.id);
    await persistRequests(store, checked, [], new Date(SENT));
  }
  const doc = request();
  const answers = doc.response ? [...(doc.earlierResponses ?? []), doc.response] : [];
  return { answers: answers.map((a) => a.messageId), accepted: taken };
}

/** The same, from the pure decision (answerChange) alone. */
function decided(order: Read[]): string[] {
  let doc: Parameters<typeof answerChange>[0] = {
    dueAt: new Date(SENT + 86400000),
    escalatedAt: null,
    response: null,
  };
  for (const r of order) {
    const change = answerChange(doc, storedAnswer(r));
    if (!change) continue;
    doc = { ...doc, ...change.update.$set };
    if (change.update.$unset) delete doc.earlierResponses;
  }
  return doc.response ? [...(doc.earlierResponses ?? []), doc.response].map((a) => a.messageId) : [];
}

const describeSet = (messages: Message[]) =>
  messages
    .map(
      (m) =>
        `${m.id} ${m.partial ? 'partial' : 'closing'} given ${m.respondedAt} appended ${m.copies.join('+')}`,
    )
    .join('; ');

/** The checks every reading order of `messages` must pass, given what `read` makes of an order. */
function checkEveryOrder(messages: Message[], results: { order: Read[]; answers: string[] }[]): void {
  const closing = closingOf(messages) as Message;
  const lists = new Set<string>();
  for (const { order, answers } of results) {
    const context = `${describeSet(messages)}; read ${order.map((r) => r.message.id).join(',')}`;
    expect(answers.at(-1), `the closing answer: ${context}`).to.equal(closing.id);
    expect(new Set(answers), `the answers kept: ${context}`).to.deep.equal(expectedKept(messages, order));
    const given = answers.map((id) => (messages.find((m) => m.id === id) as Message).respondedAt);
    expect(given, `oldest first: ${context}`).to.deep.equal([...given].sort((a, b) => a - b));
    lists.add(answers.join(','));
  }
  if (!orderMatters(messages))
    expect([...lists], `the same in every order: ${describeSet(messages)}`).to.have.length(1);
}

describe('coordinator: the answers a request keeps, in every order they are read', () => {
  it('keeps the same answers in every order, a partial answer given before the closing one included', async () => {
    // The documented case: a partial answer given before the full one, appended after it, read in every order.
    const full: Message = { id: 'm1', partial: false, respondedAt: 100, copies: [10] };
    const partial: Message = { id: 'm2', partial: true, respondedAt: 75, copies: [30, 40] };
    const results = await Promise.all(
      readingOrders([full, partial]).map(async (order) => (await intakeReading(order)).answers),
    );
    expect(results).to.have.length(3);
    for (const answers of results) expect(answers).to.deep.equal(['m2', 'm1']);
  });

  it('loses a partial answer dated between two closing answers only when both it and the later one are read before the first', async () => {
    // The reviewer's case: C1 closes (appended first), C2 (appended later) claims an earlier time, P between them.
    const c1: Message = { id: 'm1', partial: false, respondedAt: 100, copies: [10] };
    const c2: Message = { id: 'm2', partial: false, respondedAt: 50, copies: [20] };
    const p: Message = { id: 'm3', partial: true, respondedAt: 75, copies: [30] };
    const seen = new Map<string, string>();
    for (const order of readingOrders([c1, c2, p])) {
      const { answers } = await intakeReading(order);
      seen.set(order.map((r) => r.message.id).join(','), answers.join(','));
    }
    expect(Object.fromEntries(seen)).to.deep.equal({
      'm1,m2,m3': 'm3,m1',
      'm1,m3,m2': 'm3,m1',
      'm2,m1,m3': 'm3,m1',
      'm3,m1,m2': 'm3,m1',
      'm2,m3,m1': 'm1',
      'm3,m2,m1': 'm1',
    });
  });

  it('follows the rule in every reading order of 3,000 random sets of answers (pure decision)', () => {
    const random = generator(20261207);
    let dependent = 0;
    for (let n = 0; n < 3000; n++) {
      const messages = randomMessages(random);
      const results = readingOrders(messages).map((order) => ({ order, answers: decided(order) }));
      checkEveryOrder(messages, results);
      if (new Set(results.map((r) => r.answers.join(','))).size > 1) dependent++;
    }
    // Not vacuous: some sets do depend on the order, and those are exactly the ones orderMatters names.
    expect(dependent).to.be.greaterThan(0);
  });

  it('follows the rule in every reading order of 300 random sets through the checks and the store', async () => {
    const random = generator(7);
    for (let n = 0; n < 300; n++) {
      const messages = randomMessages(random);
      const results: { order: Read[]; answers: string[] }[] = [];
      for (const order of readingOrders(messages)) {
        const { answers, accepted: taken } = await intakeReading(order);
        // What the request keeps, its requester was given: each kept answer was accepted, never only refused.
        for (const id of answers) expect(taken.has(id), `${id} kept but refused`).to.equal(true);
        expect(answers, 'the store agrees with the pure decision').to.deep.equal(decided(order));
        results.push({ order, answers });
      }
      checkEveryOrder(messages, results);
    }
  });
});
