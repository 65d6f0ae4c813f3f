// `hub replay --replace` carries the answers the live intake dropped from their requests into the rebuilt store before
// the swap, merged with those the replay dropped itself: none of either is lost, each is kept once (by its response
// and message ids), the live ones first. Stores in memory, no server.
import { expect } from 'chai';
import { COLLECTIONS } from '@hub/store';
import { carryDroppedAnswers } from '../../scripts/src/cli/commands/replay';
import { memoryStore } from '../../services/coordinator/test/memory-store';

/** The answer `n` (response r-n, in message m-n), as a request's droppedAnswers names it. */
const answer = (n: string) => ({ responseId: `r-${n}`, messageId: `m-${n}` });

describe('hub replay --replace: the answers dropped from their requests', () => {
  it("merges the live intake's drops with the replay's own, each once, the live ones first", async () => {
    const live = memoryStore();
    const rebuilt = memoryStore();
    const request = (id: string, dropped?: string[]) => ({
      _id: id,
      requester: 'KZ',
      ...(dropped && { droppedAnswers: dropped.map(answer) }),
    });
    for (const doc of [request('both', ['a', 'b']), request('live-only', ['c']), request('replay-only')])
      live.docs(COLLECTIONS.requests).set(doc._id, doc);
    for (const doc of [request('both', ['b', 'd']), request('live-only'), request('replay-only', ['e'])])
      rebuilt.docs(COLLECTIONS.requests).set(doc._id, doc);

    await carryDroppedAnswers(live.store, rebuilt.store);

    const dropped = (id: string) => rebuilt.docs(COLLECTIONS.requests).get(id)?.droppedAnswers;
    expect(dropped('both')).to.deep.equal([answer('a'), answer('b'), answer('d')]);
    expect(dropped('live-only')).to.deep.equal([answer('c')]);
    expect(dropped('replay-only')).to.deep.equal([answer('e')]);
  });

  it('keeps answers that share a response id but came in different messages apart', async () => {
    const live = memoryStore();
    const rebuilt = memoryStore();
    live
      .docs(COLLECTIONS.requests)
      .set('q', { _id: 'q', droppedAnswers: [{ responseId: 'r', messageId: 'm-1' }] });
    rebuilt
      .docs(COLLECTIONS.requests)
      .set('q', { _id: 'q', droppedAnswers: [{ responseId: 'r', messageId: 'm-2' }] });
    await carryDroppedAnswers(live.store, rebuilt.store);
    expect(rebuilt.docs(COLLECTIONS.requests).get('q')?.droppedAnswers).to.deep.equal([
      { responseId: 'r', messageId: 'm-1' },
      { responseId: 'r', messageId: 'm-2' },
    ]);
  });
});
