// `hub replay --replace` swaps the rebuilt store in only when it lost nothing of the live one: the record-by-record
// comparison that decides it, without a store (sorted streams of ids and owners).
import { expect } from 'chai';
import { describeLoss, lostRecords, type OwnedRecord } from '../../scripts/src/run/replay-records';

/** Records sorted by id, streamed as a cursor streams them. */
async function* stream(...records: [string, string | null][]): AsyncIterable<OwnedRecord> {
  for (const [id, owner] of [...records].sort(([a], [b]) => (a < b ? -1 : 1))) yield { id, owner };
}
const noneErased = () => false;

describe('hub replay --replace: what the rebuilt store lost', () => {
  it('finds nothing lost when the rebuilt store has every record with the same owner, and more', async () => {
    const losses = await lostRecords(
      'reports',
      stream(['a', 'KZ'], ['c', 'UZ']),
      stream(['a', 'KZ'], ['b', 'TJ'], ['c', 'UZ'], ['d', 'KG']),
      noneErased,
    );
    expect(losses).to.deep.equal([]);
  });

  it('names each record the rebuilt store lacks, first, middle and last', async () => {
    const losses = await lostRecords(
      'reports',
      stream(['a', 'KZ'], ['b', 'UZ'], ['c', 'KZ'], ['d', 'TJ']),
      stream(['c', 'KZ']),
      noneErased,
    );
    expect(losses.map((l) => [l.id, l.was, l.missing])).to.deep.equal([
      ['a', 'KZ', true],
      ['b', 'UZ', true],
      ['d', 'TJ', true],
    ]);
    expect(describeLoss(losses[0]!)).to.equal('reports a (KZ): missing from the rebuilt store');
  });

  it('names a record the rebuilt store gives another country', async () => {
    const losses = await lostRecords(
      'routes',
      stream(['a', 'KZ'], ['b', 'UZ']),
      stream(['a', 'KZ'], ['b', 'KZ']),
      noneErased,
    );
    expect(losses).to.deep.equal([{ collection: 'routes', id: 'b', was: 'UZ', missing: false, now: 'KZ' }]);
    expect(describeLoss(losses[0]!)).to.equal('routes b: owned by UZ live, by KZ in the rebuilt store');
  });

  it('excuses a record the erasure log says must not come back, and only that one', async () => {
    const losses = await lostRecords(
      'report_versions',
      stream(['erased:1', 'UZ'], ['kept:1', 'UZ']),
      stream(),
      (id) => id === 'erased:1',
    );
    expect(losses.map((l) => l.id)).to.deep.equal(['kept:1']);
  });

  it('finds everything lost when the rebuilt store is empty', async () => {
    const losses = await lostRecords('requests', stream(['q1', 'KZ'], ['q2', null]), stream(), noneErased);
    expect(losses.map((l) => l.id)).to.deep.equal(['q1', 'q2']);
  });
});
