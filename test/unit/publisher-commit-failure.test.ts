// Unit tier: the outbox publisher when the broker takes every send but what was published cannot be recorded (the
// node's records cannot be made durable, or the cursor cannot be written: a full disk). That is no broker failure: no
// backoff, no new producer, the `broker` check healthy; the node's `outbox` check fails, saying why, until a commit
// goes through again, tried with the next batch or, idle, after a while.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PartitionCounts, type Producer } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { outboxHealth } from '@hub/national-node/node';
import { OutboxLog } from '@hub/national-node/outbox/log';
import { startPublisher } from '@hub/national-node/outbox/publisher';

describe('outbox publisher: what was published cannot be recorded', function () {
  this.timeout(20000);
  const logger = createLogger('test:publisher-commit', { level: 'silent' });
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-publisher-commit-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const until = async (what: string, done: () => boolean, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('keeps publishing with its producer, healthy towards the broker, and fails the outbox check with why', async () => {
    let diskFull = true;
    let commits = 0;
    const { log, pending } = OutboxLog.open({
      dir,
      beforeCommit: () => {
        commits++;
        if (diskFull)
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
    });
    const sent: string[] = [];
    const producer = (name: string) =>
      ({
        send: async ({ messages }: { messages: { key: string }[] }) => {
          sent.push(...messages.map((m) => `${m.key}@${name}`));
          return [];
        },
        disconnect: async () => undefined,
      }) as unknown as Producer;
    let renewed = 0;
    const publisher = startPublisher({
      log,
      producer: producer('p0'),
      renewProducer: async () => producer(`p${++renewed}`),
      // A failure in a row, were a commit's failure taken for the broker's, would replace the producer.
      renewAfterFailures: 2,
      topic: 'out',
      partitions: new PartitionCounts(async () => 1),
      logger,
      pending,
    });
    const health = outboxHealth(publisher, { reports: { unwritten: 0 }, requests: { unwritten: 0 } });
    try {
      const started = Date.now();
      let last = { segment: 0, offset: 0 };
      for (let i = 0; i < 5; i++) {
        const record = await log.append(`k${i}`, Buffer.from('x'));
        last = record.end;
        publisher.enqueue(record);
        await until(`k${i} is published`, () => publisher.depth() === 0);
      }
      // Sent at once, each in its turn: no backoff (which starts at 200 ms and doubles).
      expect(Date.now() - started).to.be.below(1000);
      expect(sent).to.deep.equal(['k0@p0', 'k1@p0', 'k2@p0', 'k3@p0', 'k4@p0']);
      expect(renewed, 'producers replaced').to.equal(0);
      expect(publisher.healthy(), 'the broker took every send').to.equal(true);
      expect(publisher.lastError()).to.equal(undefined);
      expect(commits).to.be.at.least(5);
      const failing = await health.check();
      expect(failing.ok).to.equal(false);
      expect((failing.detail as { error?: string }).error).to.match(/version index.*ENOSPC/);

      // Room again: an idle publisher records what it published without waiting for another batch.
      diskFull = false;
      await until('the commit went through', () => publisher.commitError() === undefined, 5000);
      const healthy = await health.check();
      expect(healthy.ok).to.equal(true);
      expect(healthy.detail).to.not.have.property('error');
      expect(JSON.parse(readFileSync(join(dir, 'cursor.json'), 'utf8'))).to.deep.equal(last);
    } finally {
      await publisher.stop();
      await log.close();
    }
    // Everything published is recorded: nothing is published again after a restart.
    expect(OutboxLog.open({ dir }).pending).to.have.length(0);
  });

  it('reports a cursor that cannot be written, and records it with the next batch', async () => {
    const { log, pending } = OutboxLog.open({ dir });
    // The cursor cannot be written: a folder stands where it is written first.
    mkdirSync(join(dir, 'cursor.json.tmp'));
    const publisher = startPublisher({
      log,
      producer: { send: async () => [], disconnect: async () => undefined } as unknown as Producer,
      topic: 'out',
      partitions: new PartitionCounts(async () => 1),
      logger,
      pending,
    });
    const health = outboxHealth(publisher, { reports: { unwritten: 1 }, requests: { unwritten: 0 } });
    try {
      publisher.enqueue(await log.append('a', Buffer.from('x')));
      await until('a is published', () => publisher.depth() === 0 && publisher.commitError() !== undefined);
      const failing = await health.check();
      expect(failing.ok).to.equal(false);
      const detail = failing.detail as { error: string; unwrittenLines: unknown };
      expect(detail.error).to.match(/the outbox cursor .*cursor\.json cannot be written.*EISDIR/);
      expect(detail.unwrittenLines).to.deep.equal({ reportsIndex: 1, requestsLog: 0 });
      expect(publisher.healthy()).to.equal(true);
      rmSync(join(dir, 'cursor.json.tmp'), { recursive: true });
      const b = await log.append('b', Buffer.from('y'));
      publisher.enqueue(b);
      await until('b is published and recorded', () => publisher.depth() === 0 && !publisher.commitError());
      expect(log.readCursor()).to.deep.equal(b.end);
      expect((await health.check()).ok).to.equal(true);
    } finally {
      await publisher.stop();
      await log.close();
    }
  });
});
