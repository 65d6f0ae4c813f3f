import { expect } from 'chai';
import { checkInformationRequest, checkInformationResponse, nodeDirectory } from '../src/requests';
import { topicNames } from '@hub/kafka';

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
});
