// Splitting sends by partition (the guard against kafkajs' silent loss on leader failover, see src/send.ts).
import { expect } from 'chai';
import { PartitionCounts, splitByPartition } from '../src/send';

describe('sends split by partition', () => {
  const keys = Array.from({ length: 200 }, (_, i) => `report-${i}`);

  it('keeps every message, in order, one part per topic partition, and each key always in the same partition', () => {
    const batches = [
      { topic: 'a', messages: keys.map((k, i) => ({ key: k, value: String(i) })) },
      { topic: 'b', messages: keys.slice(0, 10).map((k) => ({ key: k, value: k })) },
    ];
    const counts = new Map([
      ['a', 3],
      ['b', 6],
    ]);
    const parts = splitByPartition(batches, counts);
    const ids = parts.map((p) => `${p.topic}/${p.partition}`);
    expect(new Set(ids).size, 'one part per partition').to.equal(ids.length);
    expect(parts.filter((p) => p.topic === 'a').map((p) => p.partition)).to.have.members([0, 1, 2]);
    const a = parts.filter((p) => p.topic === 'a');
    expect(a.flatMap((p) => p.messages).length).to.equal(keys.length);
    for (const p of parts) {
      expect(p.partition).to.be.within(0, (counts.get(p.topic) as number) - 1);
      for (const m of p.messages) expect(m.partition).to.equal(p.partition);
      const values = p.messages.map((m) => Number(m.value));
      if (p.topic === 'a') expect(values).to.deep.equal([...values].sort((x, y) => x - y));
    }
    const again = splitByPartition(batches, counts);
    const where = (ps: typeof parts) =>
      new Map(ps.flatMap((p) => p.messages.map((m) => [`${p.topic}:${String(m.key)}`, p.partition])));
    expect(where(again)).to.deep.equal(where(parts));
  });

  it('respects a partition the caller chose', () => {
    const parts = splitByPartition(
      [{ topic: 't', messages: [{ key: 'x', value: 'v', partition: 2 }] }],
      new Map([['t', 3]]),
    );
    expect(parts).to.deep.equal([
      { topic: 't', partition: 2, messages: [{ key: 'x', value: 'v', partition: 2 }] },
    ]);
  });

  it('looks a topic up once, and again after it was forgotten', async () => {
    let lookups = 0;
    const counts = new PartitionCounts(async () => {
      lookups++;
      return 3;
    });
    expect(await Promise.all([counts.of('t'), counts.of('t')])).to.deep.equal([3, 3]);
    expect(lookups).to.equal(1);
    counts.forget('t');
    expect(await counts.of('t')).to.equal(3);
    expect(lookups).to.equal(2);
  });
});
