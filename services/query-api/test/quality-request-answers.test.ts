// The contributor-quality figures count every accepted answer to an information request: a partial answer stays
// among the request's earlierResponses once a later answer follows, and its envelope was accepted as much as the
// latest one's.
import { expect } from 'chai';
import { topicNames } from '@hub/kafka';
import { COLLECTIONS, type Store } from '@hub/store';
import { computeQuality } from '../src/routes-quality';

type Doc = Record<string, unknown>;

/** A store of collections in memory whose finds ignore their filter (every document here is readable). */
const storeOf = (collections: Record<string, Doc[]>): Store =>
  ({
    engine: 'ferretdb',
    collection: (name: string) => ({
      find: () =>
        (async function* () {
          yield* (collections[name] ?? []).map((d) => structuredClone(d));
        })(),
    }),
  }) as unknown as Store;

const green = { tlp: 'GREEN', releasableTo: [], releasableCountries: [], evaluation: null };
const uzAnswer = (responseId: string, status: string) => ({
  responseId,
  from: 'UZ',
  to: 'KZ',
  status,
  answer: `answer ${responseId}`,
  handling: green,
});
const envelope = (id: string, origin: string, subjectId: string) => ({ _id: id, origin, subjectId });

describe('data quality per contributor: answers to information requests', () => {
  it("counts each of a responder's accepted answers, a partial one before the latest among them", async () => {
    const figures = await computeQuality(
      storeOf({
        [COLLECTIONS.requests]: [
          {
            _id: 'req-1',
            requester: 'KZ',
            handling: green,
            response: uzAnswer('resp-2', 'answered'),
            earlierResponses: [uzAnswer('resp-1', 'partial')],
          },
        ],
        [COLLECTIONS.envelopes]: [
          envelope('m-req', 'KZ', 'req-1'),
          envelope('m-1', 'UZ', 'resp-1'),
          envelope('m-2', 'UZ', 'resp-2'),
        ],
      }),
      topicNames('test'),
      { country: 'TJ', clearance: 'GREEN' },
    );
    expect(figures.find((c) => c.country === 'UZ')).to.include({ accepted: 2 });
    expect(figures.find((c) => c.country === 'KZ')).to.include({ accepted: 1 });
  });
});
