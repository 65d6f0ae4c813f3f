import { expect } from 'chai';
import type { Envelope } from '@hub/envelope';
import { topicNames } from '@hub/kafka';
import type { Store, StoredRequest } from '@hub/store';
import type { Accepted, Outcome } from '../src/outcome';
import {
  checkInformationRequest,
  checkInformationResponse,
  checkDueOnArrival,
  checkRequestMessages,
  nodeDirectory,
} from '../src/requests';

const NOW = Date.UTC(2026, 2, 14, 9, 0);
const request = (over: Record<string, unknown> = {}) => ({
  requestId: '0b0f2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d',
  from: 'KZ',
  to: 'UZ',
  subjectKind: 'report',
  subjectRef: '6f1d2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d',
  purpose: 'investigation',
  question: 'Seen before?',
  urgency: 'urgent',
  dueAt: NOW + 3600000,
  sentAt: NOW,
  handling: { tlp: 'AMBER', releasableTo: ['UZ'] },
  ...over,
});

/** The requests collection as the store checks read it: looked up by _id (findEach), one equality query each. */
const memoryStore = (docs: Partial<StoredRequest>[] = []): Store =>
  ({
    collection: () => ({
      find: (filter: { _id: string }) => ({
        toArray: async () => docs.filter((d) => d._id === filter._id),
      }),
    }),
  }) as unknown as Store;

/** The store holding KZ's request to UZ already (its id request().requestId), sent as message request-message. */
const storedAlready = () =>
  memoryStore([
    {
      _id: request().requestId,
      requester: 'KZ',
      addressee: 'UZ',
      messageId: 'request-message',
      response: null,
    },
  ]);

describe('coordinator: information request checks', () => {
  it('accepts a well-formed request from its own country', () => {
    expect(checkInformationRequest(request(), 'KZ', NOW)).to.deep.equal([]);
  });

  it('names each field a request gets wrong', () => {
    const fields = (over: Record<string, unknown>, origin = 'KZ') =>
      checkInformationRequest(request(over), origin, NOW).map((e) => e.field);
    expect(fields({}, 'UZ')).to.deep.equal(['from']);
    expect(fields({ to: 'KZ' })).to.deep.equal(['to']);
    expect(fields({ to: 'Uzbekistan' })).to.deep.equal(['to']);
    expect(fields({ subjectRef: null })).to.deep.equal(['subjectRef']);
    expect(fields({ subjectKind: 'other', subjectRef: null })).to.deep.equal([]);
    expect(fields({ dueAt: NOW - 1 })).to.deep.equal(['dueAt']);
    expect(fields({ dueAt: NOW + 400 * 86400000 })).to.deep.equal(['dueAt']);
    expect(fields({ sentAt: NOW + 3600000, dueAt: NOW + 7200000 })).to.deep.equal(['sentAt']);
    expect(fields({ purpose: ' ', question: '' })).to.deep.equal(['purpose', 'question']);
  });

  it('names the country that asks itself, and the request id another request uses', async () => {
    expect(checkInformationRequest(request({ to: 'KZ' }), 'KZ', NOW)).to.deep.equal([
      { field: 'to', message: 'KZ is the asking country (from): a country cannot ask itself', value: 'KZ' },
    ]);
    const stored = storedAlready();
    const another = {
      kind: 'accepted',
      record: { topic: 'hub.node.KZ.out', partition: 0, offset: '8', key: null, bytes: Buffer.alloc(0) },
      envelope: { messageType: 'InformationRequest', messageId: 'another-message', origin: 'KZ' } as Envelope,
      value: request(),
      subjectId: request().requestId,
      subjectVersion: null,
    } as unknown as Accepted;
    const [o] = await checkRequestMessages(stored, [another], async () => true);
    expect(o?.kind === 'rejected' && o.fields).to.deep.equal([
      {
        field: 'requestId',
        message: `${request().requestId} is already used by another request (message request-message): leave requestId out for a new request`,
        value: request().requestId,
      },
    ]);
  });

  it('says the times and the rule where a request or a response is dated wrong', () => {
    const errors = (over: Record<string, unknown>) => checkInformationRequest(request(over), 'KZ', NOW);
    expect(errors({ sentAt: NOW + 3600000, dueAt: NOW + 7200000 })).to.deep.equal([
      {
        field: 'sentAt',
        message:
          "2026-03-14T10:00:00.000Z is ahead of the hub's clock (2026-03-14T09:00:00.000Z) by more than the 5 minutes allowed for clock skew: set the node's clock right",
        value: NOW + 3600000,
      },
    ]);
    // Within the allowance: taken.
    expect(errors({ sentAt: NOW + 5 * 60000, dueAt: NOW + 7200000 })).to.deep.equal([]);
    expect(errors({ dueAt: NOW })).to.deep.equal([
      {
        field: 'dueAt',
        message: '2026-03-14T09:00:00.000Z must be after sentAt (2026-03-14T09:00:00.000Z)',
        value: NOW,
      },
    ]);
    expect(errors({ dueAt: NOW + 367 * 86400000 })).to.deep.equal([
      {
        field: 'dueAt',
        message:
          '2027-03-16T09:00:00.000Z is more than 366 days after sentAt (2026-03-14T09:00:00.000Z): a request is due within a year of being sent',
        value: NOW + 367 * 86400000,
      },
    ]);
    const response = { from: 'UZ', to: 'KZ', status: 'answered', answer: 'yes', respondedAt: NOW + 600000 };
    expect(checkInformationResponse(response, 'UZ', NOW)).to.deep.equal([
      {
        field: 'respondedAt',
        message:
          "2026-03-14T09:10:00.000Z is ahead of the hub's clock (2026-03-14T09:00:00.000Z) by more than the 5 minutes allowed for clock skew: set the node's clock right",
        value: NOW + 600000,
      },
    ]);
  });

  it('requires an answer unless the request is declined, from the answering country itself', () => {
    const response = { from: 'UZ', to: 'KZ', status: 'answered', answer: 'yes', respondedAt: NOW };
    expect(checkInformationResponse(response, 'UZ', NOW)).to.deep.equal([]);
    expect(checkInformationResponse(response, 'KG', NOW).map((e) => e.field)).to.deep.equal(['from']);
    expect(
      checkInformationResponse({ ...response, answer: '' }, 'UZ', NOW).map((e) => e.field),
    ).to.deep.equal(['answer']);
    expect(
      checkInformationResponse({ ...response, answer: '', status: 'declined' }, 'UZ', NOW),
    ).to.deep.equal([]);
  });

  it('knows a country has a node by its inbound topic, listing topics again only for one it does not know', async () => {
    let listings = 0;
    const hasNode = nodeDirectory(
      {
        listTopics: async () => {
          listings++;
          return ['hub.node.KZ.in', 'hub.node.UZ.in'];
        },
      },
      topicNames(''),
      60000,
    );
    expect(await hasNode('UZ')).to.equal(true);
    expect(await hasNode('KZ')).to.equal(true);
    expect(await hasNode('TM')).to.equal(false);
    expect(await hasNode('HUB')).to.equal(false);
    expect(listings).to.equal(1);
  });

  describe('a response to a request the hub holds', () => {
    const REQUEST_ID = '0b0f2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d';
    const RESPONSE_ID = '7c1d2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d';
    const stored = (response: { responseId: string; messageId: string } | null): Partial<StoredRequest> => ({
      _id: REQUEST_ID,
      requester: 'KZ',
      addressee: 'UZ',
      messageId: 'request-message',
      response: response && ({ ...response, respondedAt: new Date(NOW) } as StoredRequest['response']),
    });
    let offset = 0;
    /** UZ's response, as the intake accepted it on its own; given after those made before it. */
    const answer = (messageId: string, responseId = RESPONSE_ID): Outcome =>
      ({
        kind: 'accepted',
        record: {
          topic: 'hub.node.UZ.out',
          partition: 0,
          offset: String(offset++),
          key: null,
          bytes: Buffer.alloc(0),
        },
        envelope: { messageType: 'InformationResponse', messageId, origin: 'UZ' } as Envelope,
        value: {
          requestId: REQUEST_ID,
          responseId,
          from: 'UZ',
          to: 'KZ',
          status: 'answered',
          answer: 'yes',
          respondedAt: NOW + 60000 + offset,
        },
        subjectId: responseId,
        subjectVersion: null,
      }) as unknown as Accepted;
    const check = (store: Store, outcomes: Outcome[]) =>
      checkRequestMessages(store, outcomes, async () => true);

    it('takes the first answer, and the same message again (a redelivery)', async () => {
      const first = await check(memoryStore([stored(null)]), [answer('response-message')]);
      expect(first.map((o) => o.kind)).to.deep.equal(['accepted']);
      const again = await check(
        memoryStore([stored({ responseId: RESPONSE_ID, messageId: 'response-message' })]),
        [answer('response-message')],
      );
      expect(again.map((o) => o.kind)).to.deep.equal(['accepted']);
    });

    it('refuses a second answer, even one that reuses the first answer’s response id', async () => {
      const answered = memoryStore([stored({ responseId: RESPONSE_ID, messageId: 'response-message' })]);
      for (const second of [
        answer('another-message'),
        answer('another-message', '9e1d2a52-6a1e-4f0e-9d1c-1c2f3a4b5c6d'),
      ]) {
        const [o] = await check(answered, [second]);
        expect(o?.kind).to.equal('rejected');
        expect(o?.kind === 'rejected' && o.detail).to.contain(`request ${REQUEST_ID} was already answered`);
        expect(o?.kind === 'rejected' && o.detail).to.contain('message response-message');
      }
      // Two answers in one batch, the second reusing the first's response id: the first only.
      const both = await check(memoryStore([stored(null)]), [
        answer('response-message'),
        answer('another-message'),
      ]);
      expect(both.map((o) => o.kind)).to.deep.equal(['accepted', 'rejected']);
    });
  });

  describe('a request already past due when the hub received it', () => {
    /** KZ's immediate request, due at NOW + 2 h, read from its topic with the time the brokers appended it. */
    const read = (appendedAt: number | undefined, messageId = 'request-message'): Outcome =>
      ({
        kind: 'accepted',
        record: {
          topic: 'hub.node.KZ.out',
          partition: 0,
          offset: '7',
          key: null,
          bytes: Buffer.alloc(0),
          ...(appendedAt !== undefined && { appendedAt }),
        },
        envelope: { messageType: 'InformationRequest', messageId, origin: 'KZ' } as Envelope,
        value: request({ urgency: 'immediate', dueAt: NOW + 2 * 3600000 }),
        subjectId: request().requestId,
        subjectVersion: null,
      }) as unknown as Accepted;
    const check = (outcomes: Outcome[], store = memoryStore()) =>
      checkRequestMessages(store, outcomes, async () => true);

    it('refuses it, naming dueAt, its value and the rule', async () => {
      // Held 3 h in KZ's outbox while the brokers were away: appended an hour after it was due.
      const [o] = await check([read(NOW + 3 * 3600000)]);
      expect(o?.kind).to.equal('rejected');
      if (o?.kind !== 'rejected') return;
      expect(o.fields?.map((f) => f.field)).to.deep.equal(['dueAt']);
      expect(o.detail).to.contain('dueAt: 2026-03-14T11:00:00.000Z was already past when the hub received');
      expect(o.detail).to.contain('send it again with a later due time');
    });

    it('takes one received in time, one stored already (a redelivery), and one of a topic without append times', async () => {
      expect((await check([read(NOW + 60000)])).map((o) => o.kind)).to.deep.equal(['accepted']);
      // A topic made before its records carried the brokers' time: its producer's is not taken for it.
      expect((await check([read(undefined)])).map((o) => o.kind)).to.deep.equal(['accepted']);
      // Stored already (its message id): taken again even when read with a later time.
      const stored = storedAlready();
      expect((await check([read(NOW + 3 * 3600000)], stored)).map((o) => o.kind)).to.deep.equal(['accepted']);
    });

    it('says the same of the due time alone', () => {
      expect(checkDueOnArrival({ dueAt: NOW }, NOW - 1)).to.deep.equal([]);
      expect(checkDueOnArrival({ dueAt: NOW }, NOW).map((e) => e.field)).to.deep.equal(['dueAt']);
    });
  });
});
