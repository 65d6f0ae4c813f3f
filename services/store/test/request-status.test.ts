// The status a person sees of an information request, derived in one place from the request as stored: the query API
// shows it and filters by it, the coordinator stores what it is derived from.
import { expect } from 'chai';
import { answersOf, requestStatus, type StoredRequest, type StoredResponse } from '../src/requests';

const NOW = Date.UTC(2026, 2, 14, 9, 0);
const HOUR = 3600000;

/** A request as stored, due in an hour unless `over` says otherwise. */
const stored = (over: Partial<StoredRequest> = {}) => ({
  status: 'open' as StoredRequest['status'],
  dueAt: new Date(NOW + HOUR),
  response: null,
  ...over,
});
/** An answer of this status, as the coordinator stores it. */
const answer = (status: string): StoredResponse => ({
  responseId: `response-${status}`,
  from: 'UZ',
  to: 'KZ',
  status,
  answer: 'a',
  relatedReports: [],
  respondedAt: new Date(NOW),
  handling: { tlp: 'AMBER', releasableTo: ['KZ'] } as unknown as StoredResponse['handling'],
  messageId: `message-${status}`,
  receivedAt: new Date(NOW),
  appendedAt: new Date(NOW),
});

describe('store: the status of an information request as shown', () => {
  it('is partial while the latest answer is partial, even past the due time; answered once one is not', () => {
    const past = new Date(NOW - HOUR);
    expect(requestStatus(stored({ status: 'answered', response: answer('partial') }), NOW)).to.equal(
      'partial',
    );
    expect(
      requestStatus(stored({ status: 'answered', dueAt: past, response: answer('partial') }), NOW),
      'answered in part is not overdue',
    ).to.equal('partial');
    expect(
      requestStatus(
        stored({ status: 'answered', response: answer('answered'), earlierResponses: [answer('partial')] }),
        NOW,
      ),
    ).to.equal('answered');
    expect(requestStatus(stored({ status: 'answered', response: answer('declined') }), NOW)).to.equal(
      'answered',
    );
  });

  it('is open before its due time, overdue after it, escalated once the coordinator escalated it', () => {
    expect(requestStatus(stored(), NOW)).to.equal('open');
    expect(requestStatus(stored({ dueAt: new Date(NOW - HOUR) }), NOW)).to.equal('overdue');
    expect(
      requestStatus(
        stored({ status: 'escalated', escalatedAt: new Date(NOW), dueAt: new Date(NOW - HOUR) }),
        NOW,
      ),
    ).to.equal('escalated');
    // A late answer wins over the escalation.
    expect(requestStatus(stored({ status: 'escalated', response: answer('answered') }), NOW)).to.equal(
      'answered',
    );
  });
});

describe('store: the answers of an information request', () => {
  it('lists every answer, oldest first: the earlier ones, then the latest; none before the first', () => {
    const [first, second, latest] = [answer('partial'), answer('partial'), answer('answered')];
    expect(answersOf({ response: latest, earlierResponses: [first, second] })).to.deep.equal([
      first,
      second,
      latest,
    ]);
    // A request stored before partial answers could be followed by more has no earlierResponses.
    expect(answersOf({ response: latest })).to.deep.equal([latest]);
    expect(answersOf({ response: null })).to.deep.equal([]);
  });
});
