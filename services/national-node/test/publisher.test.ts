// The outbox publisher replaces a producer that cannot recover. The producers are stand-ins: what is tested is
// the publisher's handling of their failures, with the real durable log underneath.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionCounts, type Producer } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { OutboxLog, type OutboxRecord } from '../src/outbox/log';
import { startPublisher, type PublisherOptions } from '../src/outbox/publisher';

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

  const publisherOn = (
    log: OutboxLog,
    broker: FakeProducer,
    rest: Pick<PublisherOptions, 'pending' | 'spilled' | 'memoryBytes' | 'batchSize'>,
  ) =>
    startPublisher({
      log,
      producer: broker.producer,
      topic: 'out',
      partitions: new PartitionCounts(async () => 1),
      logger,
      ...rest,
    });

  it('keeps only a window of a long backlog in memory, the rest on disk, and publishes all of it in order once', async () => {
    const { log, pending } = OutboxLog.open({ dir });
    let down = true;
    const broker = fakeProducer(() =>
      down ? new Error('Connection error: connect ECONNREFUSED') : undefined,
    );
    const publisher = publisherOn(log, broker, { pending, memoryBytes: 10 * 1024, batchSize: 7 });
    const keys = Array.from({ length: 120 }, (_, i) => `r${String(i).padStart(3, '0')}`);
    let peak = 0;
    for (const k of keys) {
      // 1 KiB envelopes, appended while the broker is down, as an agency keeps submitting through an outage.
      publisher.enqueue(await log.append(k, Buffer.alloc(1024, k)));
      peak = Math.max(peak, publisher.memoryBytes());
    }
    expect(publisher.depth()).to.equal(120);
    expect(peak, 'bytes held in memory during the outage').to.be.at.most(10 * 1024);
    down = false;
    const late = keys.map((_, i) => `s${String(i).padStart(3, '0')}`).slice(0, 30);
    // More arrive while the backlog is read back: some end up both on disk and enqueued, and go out once.
    const arriving = (async () => {
      for (const k of late) {
        publisher.enqueue(await log.append(k, Buffer.alloc(1024, k)));
        peak = Math.max(peak, publisher.memoryBytes());
      }
    })();
    await arriving;
    expect(await publisher.drain(15000)).to.equal(true);
    await publisher.stop();
    await log.close();
    expect(broker.sent).to.deep.equal([...keys, ...late]);
    expect(peak).to.be.at.most(10 * 1024 + 4 * 1024);
    expect(OutboxLog.open({ dir }).pending, 'the log knows all were published').to.have.length(0);
  });

  it('starts from a backlog left on disk with only its first window read, and publishes the rest from disk', async () => {
    const first = OutboxLog.open({ dir, segmentBytes: 20 * 1024 }); // several segments to read across
    const keys = Array.from({ length: 50 }, (_, i) => `k${String(i).padStart(2, '0')}`);
    for (const k of keys) await first.log.append(k, Buffer.alloc(2048, k));
    first.log.commit((await first.log.append('published', Buffer.from('x'))).end);
    for (const k of keys) await first.log.append(`${k}b`, Buffer.alloc(2048, k));
    await first.log.close();

    const { log, pending, spilled } = OutboxLog.open({
      dir,
      segmentBytes: 20 * 1024,
      pendingBytes: 8 * 1024,
    });
    expect(pending.map((r) => r.key)).to.deep.equal(['k00b', 'k01b', 'k02b', 'k03b']);
    expect(spilled).to.have.length(46);
    expect(log.readFrom(pending[3]!.end, 4 * 1024).map((r) => r.key)).to.deep.equal(['k04b', 'k05b']);
    // Never past the window: a third record of 2 KiB would pass 5 KiB. One at least, even larger than it.
    expect(log.readFrom(pending[3]!.end, 5 * 1024).map((r) => r.key)).to.deep.equal(['k04b', 'k05b']);
    expect(log.readFrom(pending[3]!.end, 1024).map((r) => r.key)).to.deep.equal(['k04b']);
    const broker = fakeProducer(() => undefined);
    const publisher = publisherOn(log, broker, { pending, spilled, memoryBytes: 8 * 1024 });
    expect(publisher.depth()).to.equal(50);
    expect(await publisher.drain(15000)).to.equal(true);
    await publisher.stop();
    await log.close();
    expect(broker.sent).to.deep.equal(keys.map((k) => `${k}b`));
  });

  /** Until `condition` holds (the publisher works in the background), for 5 s at most. */
  async function until(what: string, condition: () => boolean): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('tells of a backlog on disk it cannot read back: its age, and unhealthy with why, until it reads again', async () => {
    // Envelopes accepted an hour ago, one a minute, while the broker was down: past the memory window, on disk only.
    let clock = Date.now() - 3_600_000;
    const { log, pending } = OutboxLog.open({ dir, clock: () => (clock += 60_000) });
    let down = true;
    const broker = fakeProducer(() =>
      down ? new Error('Connection error: connect ECONNREFUSED') : undefined,
    );
    const publisher = publisherOn(log, broker, { pending, memoryBytes: 4 * 1024, batchSize: 2 });
    const records: OutboxRecord[] = [];
    for (let i = 0; i < 8; i++) records.push(await log.append(`r${i}`, Buffer.alloc(1024, i)));
    for (const r of records) publisher.enqueue(r);
    expect(publisher.memoryBytes(), 'four in memory, four on disk only').to.equal(4 * 1024);
    // The disk fails to give them back (a read error; the records themselves are on disk).
    const readFrom = log.readFrom.bind(log);
    log.readFrom = () => {
      throw new Error('EIO: i/o error, read');
    };
    down = false;
    await until('the records in memory are published', () => broker.sent.length === 4);
    await until('the read-back failed', () => !publisher.healthy());
    expect(publisher.lastError()).to.equal('reading the outbox back failed: EIO: i/o error, read');
    expect(publisher.depth()).to.equal(4);
    // The oldest unpublished envelope is the first on disk: its age, not 0 (which would never raise an alert).
    const now = Date.now();
    expect(publisher.oldestAgeMs(now)).to.equal(now - records[4]!.appendedAt);
    expect(publisher.oldestAgeMs(now)).to.be.greaterThan(10 * 60_000);

    log.readFrom = readFrom;
    expect(await publisher.drain(5000)).to.equal(true);
    expect(publisher.healthy()).to.equal(true);
    expect(publisher.lastError()).to.equal(undefined);
    expect(publisher.oldestAgeMs()).to.equal(0);
    await publisher.stop();
    await log.close();
    expect(broker.sent).to.deep.equal(records.map((r) => r.key));
  });

  it('counts a backlog left on disk before the start, that cannot be read back, as at least as old as the start', async () => {
    const first = OutboxLog.open({ dir });
    for (const k of ['a', 'b', 'c']) await first.log.append(k, Buffer.alloc(2048, k));
    await first.log.close();
    // Nothing fits in memory: all three on disk only.
    const { log, pending, spilled } = OutboxLog.open({ dir, pendingBytes: 0 });
    expect(pending).to.have.length(0);
    expect(spilled).to.have.length(3);
    log.readFrom = () => [];
    const broker = fakeProducer(() => undefined);
    const publisher = publisherOn(log, broker, { pending, spilled, memoryBytes: 4 * 1024 });
    await until('the read-back failed', () => !publisher.healthy());
    expect(publisher.lastError()).to.match(
      /^reading the outbox back failed: the outbox log has no record after/,
    );
    // Ten minutes on, still stuck: HubNodeOutboxStuck (over 600 s) can fire.
    expect(publisher.oldestAgeMs(Date.now() + 600_000)).to.be.at.least(600_000);
    await publisher.stop();
    await log.close();
    expect(broker.sent).to.deep.equal([]);
  });
});
