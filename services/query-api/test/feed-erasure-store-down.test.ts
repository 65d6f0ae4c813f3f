// An erasure event needs no store check (it has no subjects): when the store cannot check the records given again to
// a reconnecting client, they are not given and a gap says so, but an erasure among them is still given, since the
// stream goes on past it and a client that missed it would keep what it must drop.
import { expect } from 'chai';
import type { Caller } from '../src/auth';
import {
  erasureEvent,
  giveChecked,
  NOT_CHECKED_GIVEN_AGAIN,
  recordEvent,
  type Current,
  type FeedEvent,
} from '../src/feed-stream';
import { feedSubscriber } from './feed-subscriber';

const regions = [{ id: 'central-asia', labels: {}, members: ['KG', 'KZ', 'TJ', 'TM', 'UZ'] }];
const kg = { sub: 'analyst-KG', role: 'analyst', country: 'KG', clearance: 'AMBER', regions: [] } as Caller;

const report = recordEvent(
  { id: '0:4', partition: 0, offset: 4n },
  'central-asia',
  {
    messageType: 'SeizureReport',
    subjectId: 'uz-1',
    version: 1,
    originCountry: 'UZ',
    acceptedAt: Date.UTC(2026, 5, 1),
    subjectHandling: { tlp: 'GREEN', releasableTo: ['central-asia'] },
  },
  { country: 'UZ', seizedAt: Date.UTC(2026, 4, 30), drugs: [{ substance: 'opium', quantityKg: 7 }] },
  regions,
);

const erasure = erasureEvent({ id: '0:5', partition: 0, offset: 5n }, 'central-asia', {
  erasureId: '11111111-1111-4111-8111-111111111111',
  subjectType: 'SeizureReport',
  subjectId: '22222222-2222-4222-8222-222222222222',
  versionsUpTo: 2,
  originCountry: 'UZ',
  reasonCode: 'legal_order',
  orderedAt: Date.UTC(2026, 10, 3),
});

describe('feed stream: an erasure given again when the store cannot check', () => {
  it('tells of a gap for the records it could not check, and still gives the erasure after it', async () => {
    const asked: FeedEvent[][] = [];
    const storeDown = async (events: FeedEvent[]): Promise<Current> => {
      asked.push(events);
      throw new Error('the store did not answer');
    };
    const s = feedSubscriber(kg, 'central-asia');
    await giveChecked(s.sub, [{ event: report }, { event: erasure }], '0:3', {
      lookUp: storeDown,
      warn: () => undefined,
    });
    expect(s.sent.map((e) => [e.event, e.id])).to.deep.equal([
      ['gap', undefined],
      ['erasure', '0:5'],
    ]);
    expect(s.sent[0]!.data).to.deep.equal({ lastEventId: '0:3', detail: NOT_CHECKED_GIVEN_AGAIN });
    expect(s.sent[1]!.data.subjectId).to.equal('22222222-2222-4222-8222-222222222222');
    // The store is asked only of the events it judges: the erasure is not among them.
    expect(asked.map((events) => events.map((e) => e.id))).to.deep.equal([['0:4']]);
  });

  it('does not ask the store at all when only erasures are given again', async () => {
    let asked = 0;
    const s = feedSubscriber(kg, 'central-asia');
    await giveChecked(s.sub, [{ event: erasure }], '0:3', {
      lookUp: async () => {
        asked += 1;
        throw new Error('the store did not answer');
      },
      warn: () => undefined,
    });
    expect(asked).to.equal(0);
    expect(s.sent.map((e) => [e.event, e.id])).to.deep.equal([['erasure', '0:5']]);
  });
});
