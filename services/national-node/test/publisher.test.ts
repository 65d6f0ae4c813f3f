// The outbox publisher replaces a producer that cannot recover. The producers are stand-ins: what is tested is
// the publisher's handling of their failures, with the real durable log underneath.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionCounts, type Producer } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { OutboxLog } from '../src/outbox/log';
import { startPublisher } from '../src/outbox/publisher';

interface FakeProducer {
  producer: Producer;
  sent: string[];
  disconnected: boolean;
}

function fakeProducer(fail: (attempt: number) => Error | undefined): FakeProducer {
  const state: FakeProducer = { producer: undefined as unknown as Producer, sent: [], disconnected: false };
  let attempt = 0;
  state.producer = {
    send: async ({ messages }: { messages: { key: string }[] }) => {
      const err = fail(attempt++);
      if (err) throw err;
      state.sent.push(...messages.map((m) => m.key));
      return [];
    },
    disconnect: async () => {
      state.disconnected = true;
    },
  } as unknown as Producer;
  return state;
}

describe('outbox publisher', function () {
  this.timeout(20000);
  let dir: string;
  const logger = createLogger('test:publisher', { level: 'silent' });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-publisher-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function run(first: FakeProducer, renewals: FakeProducer[], renewAfterFailures?: number) {
    const { log, pending } = OutboxLog.open({ dir });
    const records = await Promise.all(['a', 'b', 'c'].map((k) => log.append(k, Buffer.from(k))));
    let renewed = 0;
    const publisher = startPublisher({
      log,
      producer: first.producer,
      renewProducer: async () => (renewals[renewed++] as FakeProducer).producer,
      renewAfterFailures,
      topic: 'out',
      partitions: new PartitionCounts(async () => 1),
      logger,
      pending,
    });
    for (const r of records) publisher.enqueue(r);
    const drained = await publisher.drain(15000);
    await publisher.stop();
    await log.close();
    return { drained, renewed };
  }

  it('replaces the producer at once after a sequence error, and publishes everything through the new one', async () => {
    const stuck = fakeProducer(() => new Error('The broker received an out of order sequence number'));
    const fresh = fakeProducer(() => undefined);
    const { drained, renewed } = await run(stuck, [fresh]);
    expect(drained).to.equal(true);
    expect(renewed).to.equal(1);
    expect(stuck.sent).to.deep.equal([]);
    expect(stuck.disconnected).to.equal(true);
    expect(fresh.sent).to.deep.equal(['a', 'b', 'c']);
    expect(fresh.disconnected, 'stop disconnects the producer in use').to.equal(true);
    expect(OutboxLog.open({ dir }).pending, 'the log knows all were published').to.have.length(0);
  });

  it('keeps the producer through passing failures, and replaces it after too many in a row', async () => {
    const flaky = fakeProducer((n) =>
      n < 2 ? new Error('Connection error: connect ECONNREFUSED') : undefined,
    );
    const unused = fakeProducer(() => undefined);
    const first = await run(flaky, [unused], 4);
    expect(first.renewed).to.equal(0);
    expect(flaky.sent).to.deep.equal(['a', 'b', 'c']);

    rmSync(dir, { recursive: true, force: true });
    dir = mkdtempSync(join(tmpdir(), 'hub-publisher-'));
    const dead = fakeProducer(() => new Error('Connection error: connect ECONNREFUSED'));
    const fresh = fakeProducer(() => undefined);
    const second = await run(dead, [fresh], 2);
    expect(second.renewed).to.equal(1);
    expect(fresh.sent).to.deep.equal(['a', 'b', 'c']);
  });
});
