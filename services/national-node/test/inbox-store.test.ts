// What the coordinator sent a node is on its disk before the Kafka offsets of those messages are committed (`sync`,
// once per fetched batch): a message lost from the page cache by a power loss would never be delivered again.
import { expect } from 'chai';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InboundStore, type InboundItem } from '../src/inbox-store';

describe("a node's store of what the coordinator sent it", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-inbox-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const receipt = (n: number): InboundItem => ({
    messageId: `receipt-${n}`,
    messageType: 'Receipt',
    receivedAt: n,
    value: {
      subjectId: `r-${n}`,
      subjectVersion: 1,
      subjectType: 'SeizureReport',
      status: 'accepted',
      inReplyTo: `m-${n}`,
      reasons: [],
    },
  });

  /** Each datasync of the file `file` during `run`: the file's length when its data was flushed. */
  const datasyncsOf = async (file: string, run: () => Promise<void>): Promise<number[]> => {
    const flushed: number[] = [];
    const probe = await open(join(dir, 'probe'), 'w');
    const proto = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const real = proto.datasync;
    proto.datasync = async function (this: FileHandle) {
      await real.call(this);
      const of = await this.stat();
      const target = statSync(file, { throwIfNoEntry: false });
      if (target && of.ino === target.ino && of.dev === target.dev) flushed.push(of.size);
    };
    try {
      await run();
    } finally {
      proto.datasync = real;
    }
    return flushed;
  };

  it('flushes what add wrote, whole, when synced (before the offsets are committed), once for many', async () => {
    const file = join(dir, 'inbound.jsonl');
    const inbound = new InboundStore(file);
    const sizes: number[] = [];
    const flushed = await datasyncsOf(file, async () => {
      for (const n of [1, 2]) expect(inbound.add(receipt(n))).to.equal(true);
      sizes.push(statSync(file).size);
      await inbound.sync();
      // Nothing new, or one it has already (nothing written): nothing to flush.
      await inbound.sync();
      expect(inbound.add(receipt(2))).to.equal(false);
      await inbound.sync();
      expect(inbound.add(receipt(3))).to.equal(true);
      sizes.push(statSync(file).size);
      await inbound.sync();
    });
    expect(flushed, 'one flush for the first two, one for the third, each with the whole file').to.deep.equal(
      sizes,
    );
    expect(new InboundStore(file).all().map((i) => i.messageId)).to.deep.equal([
      'receipt-1',
      'receipt-2',
      'receipt-3',
    ]);
  });

  it("files a renewal's receipt apart from its record's, also when read back at the next start", () => {
    const file = join(dir, 'inbound.jsonl');
    const inbound = new InboundStore(file);
    inbound.add(receipt(1));
    inbound.add({
      messageId: 'receipt-renewal',
      messageType: 'Receipt',
      receivedAt: 2,
      value: {
        subjectId: 'r-1',
        subjectVersion: null,
        subjectType: 'RetentionRenewal',
        status: 'rejected',
        inReplyTo: 'm-renewal',
        reasons: [],
      },
    });
    for (const store of [inbound, new InboundStore(file)]) {
      expect(store.receiptSummaries('r-1').map((s) => s.subjectVersion)).to.deep.equal([1]);
      expect(store.lastReceipt('r-1')!.messageId).to.equal('receipt-1');
      expect(store.renewalReceipts('r-1').map((r) => r.messageId)).to.deep.equal(['receipt-renewal']);
      expect(
        store.all().map((i) => i.messageId),
        'everything, in order',
      ).to.deep.equal(['receipt-1', 'receipt-renewal']);
    }
  });
});
