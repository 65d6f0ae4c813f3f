import { expect } from 'chai';
import { random } from '../../../bench/reports';
import { comparator, topOf, type SortSpec } from '../src/sorted';

async function* each<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

describe('store: sorted reads kept in hand (topOf, comparator)', function () {
  it('orders values of different types as MongoDB does, a missing field as null', () => {
    const order = comparator({ v: 1 });
    const ranked = [
      {},
      { v: null },
      { v: -2 },
      { v: 1.5 },
      { v: 'A' },
      { v: 'a' },
      { v: 'ab' },
      { v: { x: 1 } },
      { v: [1] },
      { v: false },
      { v: true },
      { v: new Date(0) },
      { v: new Date(1) },
    ];
    for (let i = 0; i < ranked.length; i++)
      for (let j = 0; j < ranked.length; j++) {
        const c = Math.sign(order(ranked[i]!, ranked[j]!));
        const rank = (k: number) => (k === 0 ? 1 : k); // {} and { v: null } tie
        expect(c, `${JSON.stringify(ranked[i])} vs ${JSON.stringify(ranked[j])}`).to.equal(
          Math.sign(rank(i) - rank(j)),
        );
      }
    // Strings by their UTF-8 bytes: a character beyond U+FFFF after one just below it.
    expect(order({ v: '\u{1F600}' }, { v: '\uFF01' })).to.be.greaterThan(0);
  });

  it('keeps the first of each sort, whatever the order documents come in (three seeds)', async () => {
    for (const seed of [1, 2, 3]) {
      const next = random(seed);
      const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]!;
      const docs = Array.from({ length: 2000 }, (_, i) => ({
        _id: `d-${String(i).padStart(5, '0')}`,
        at: next() < 0.05 ? undefined : new Date(Date.UTC(2025, 0, 1 + Math.floor(next() * 30))),
        seq: Math.floor(next() * 500),
        actor: { country: pick(['KZ', 'UZ', 'TJ']) },
      }));
      const specs: SortSpec[] = [
        { at: -1, _id: -1 },
        { seq: 1, _id: 1 },
        { 'actor.country': 1, seq: -1, _id: 1 },
      ];
      for (const sort of specs)
        for (const limit of [0, 1, 7, 300, 2500]) {
          const expected = [...docs].sort(comparator(sort));
          const got = await topOf(each(docs), sort, limit);
          expect(
            got.map((d) => d._id),
            `${JSON.stringify(sort)} limit ${limit}`,
          ).to.deep.equal((limit ? expected.slice(0, limit) : expected).map((d) => d._id));
        }
    }
  });
});
