// Splitting sends by partition (the guard against kafkajs' silent loss on leader failover, see src/send.ts).
import { expect } from 'chai';
import {
  byteBatches,
  MAX_SEND_BYTES,
  messageBytes,
  PartitionCounts,
  sendAll,
  splitByPartition,
} from '../src/send';

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

describe('sends cut into record batches the brokers take', () => {
  const message = (i: number, bytes: number) => ({ key: `k${i}`, value: Buffer.alloc(bytes, i) });

  it("cuts a partition's messages into runs of at most the limit, in order, none lost", () => {
    const messages = Array.from({ length: 500 }, (_, i) => message(i, 6000));
    const runs = byteBatches(messages, 100_000);
    expect(runs.flat(), 'every message, in order').to.deep.equal(messages);
    for (const run of runs) expect(run.reduce((n, m) => n + messageBytes(m), 0)).to.be.at.most(100_000);
    expect(runs.length, 'no run shorter than it needs to be').to.equal(
      Math.ceil(500 / Math.floor(100_000 / messageBytes(message(0, 6000)))),
    );
  });

  it('sends a message larger than the limit alone, and keeps small sends whole', () => {
    const big = message(1, 300_000);
    expect(byteBatches([message(0, 10), big, message(2, 10)], 100_000)).to.deep.equal([
      [message(0, 10)],
      [big],
      [message(2, 10)],
    ]);
    expect(byteBatches([message(0, 10), message(1, 10)])).to.have.length(1);
    expect(byteBatches([])).to.deep.equal([]);
  });

  it('counts keys, headers and string values', () => {
    const m = { key: 'abc', value: 'déjà', headers: { h: 'xy', list: ['a', Buffer.alloc(5)] } };
    expect(messageBytes(m) - messageBytes({ key: null, value: null })).to.equal(3 + 6 + 1 + 2 + 4 + 1 + 5);
  });

  it("sends each partition's runs one after the other, in order", async () => {
    const sent: { partition: number; values: number[] }[] = [];
    let inFlight = 0;
    const producer = {
      async send({ messages }: { messages: { partition?: number; value: Buffer }[] }) {
        inFlight++;
        expect(inFlight, 'one run of a partition at a time').to.be.at.most(1);
        await new Promise((r) => setTimeout(r, 5));
        sent.push({
          partition: messages[0]!.partition!,
          values: messages.map((m) => m.value[0] as number),
        });
        inFlight--;
      },
    };
    const messages = Array.from({ length: 200 }, (_, i) => ({ key: 'one', value: Buffer.alloc(10_000, i) }));
    await sendAll(producer as never, new PartitionCounts(async () => 1), [{ topic: 't', messages }]);
    expect(sent.length, 'cut into runs').to.equal(
      Math.ceil(200 / Math.floor(MAX_SEND_BYTES / messageBytes(messages[0]!))),
    );
    expect(sent.flatMap((s) => s.values)).to.deep.equal(messages.map((_, i) => i));
  });
});
