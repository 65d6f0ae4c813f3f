// Unit tier: what a national node keeps of what the coordinator sent it: each message once, receipts by the record
// they answer, the rest by type in the order it arrived, the same after a restart; receipts held by what a status
// needs and read whole from the file when shown.
import { expect } from 'chai';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InboundStore, type InboundItem } from '@hub/national-node/inbox-store';

describe('national node: the inbound store', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-inbox-store-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const item = (
    messageId: string,
    messageType: string,
    value: Record<string, unknown> = {},
  ): InboundItem => ({
    messageId,
    messageType,
    receivedAt: 0,
    value,
  });

  it('lists each type in the order it arrived, receipts by their record, each message once, also after a restart', () => {
    const file = join(dir, 'inbound.jsonl');
    const first = new InboundStore(file);
    const added: string[] = [];
    first.onAdd((i) => added.push(i.messageId));
    expect(first.add(item('a1', 'CrossBorderAlert'))).to.equal(true);
    expect(first.add(item('n1', 'RetentionNotice'))).to.equal(true);
    expect(first.add(item('r1', 'Receipt', { subjectId: 'report-1' }))).to.equal(true);
    expect(first.add(item('a2', 'CrossBorderAlert'))).to.equal(true);
    expect(first.add(item('a1', 'CrossBorderAlert')), 'a message seen before').to.equal(false);
    expect(added).to.deep.equal(['a1', 'n1', 'r1', 'a2']);

    const alerts = first.ofType('CrossBorderAlert');
    expect(alerts.map((i) => i.messageId)).to.deep.equal(['a1', 'a2']);
    expect(first.ofType('CrossBorderAlert').map((i) => i.messageId)).to.deep.equal(['a1', 'a2']);
    expect(first.ofType('Receipt'), 'receipts are kept by their record').to.deep.equal([]);
    expect(first.receipts('report-1').map((i) => i.messageId)).to.deep.equal(['r1']);
    expect(first.ofType('ErasureNotice')).to.deep.equal([]);

    const again = new InboundStore(file);
    expect(again.ofType('CrossBorderAlert').map((i) => i.messageId)).to.deep.equal(['a1', 'a2']);
    expect(again.ofType('RetentionNotice').map((i) => i.messageId)).to.deep.equal(['n1']);
    expect(again.all().map((i) => i.messageId)).to.deep.equal(['a1', 'n1', 'r1', 'a2']);
  });

  it('gives receipts back whole from the file, as they were added and after restarts and a torn line', () => {
    const file = join(dir, 'receipts.jsonl');
    const receipt = (n: number, status: string, subjectVersion: number | null): InboundItem => ({
      messageId: `receipt-${n}`,
      messageType: 'Receipt',
      receivedAt: 1_764_000_000_000 + n,
      value: {
        subjectId: `report-${n % 3}`,
        subjectVersion,
        status,
        inReplyTo: `envelope-${n}`,
        subjectType: 'SeizureReport',
        reasons:
          status === 'rejected' ? [{ code: 'invalid-content', message: `«Ош» → ${'é'.repeat(n)} 🙂` }] : [],
      },
    });
    const alert = item('alert-1', 'CrossBorderAlert', { text: 'Алматы' });
    const first = new InboundStore(file);
    const sent = [receipt(1, 'accepted', 1), receipt(2, 'rejected', null), alert, receipt(3, 'accepted', 2)];
    for (const i of sent) first.add(i);
    const check = (store: InboundStore, items: InboundItem[]) => {
      expect(store.size).to.equal(items.length);
      expect(
        items.map((_, k) => store.at(k)),
        'each by its place',
      ).to.deep.equal(items);
      expect(store.all()).to.deep.equal(items);
      for (const subject of ['report-0', 'report-1', 'report-2']) {
        const mine = items.filter((i) => i.messageType === 'Receipt' && i.value.subjectId === subject);
        expect(store.receipts(subject), subject).to.deep.equal(mine);
        expect(store.lastReceipt(subject)).to.deep.equal(mine.at(-1));
        expect(
          store.receiptSummaries(subject).map((r) => [r.status, r.subjectVersion, r.receivedAt]),
        ).to.deep.equal(mine.map((i) => [i.value.status, i.value.subjectVersion, i.receivedAt]));
      }
    };
    check(first, sent);
    // What a status is asked of: the envelope answered, for a refusal and for a receipt without a version.
    expect(first.receiptSummaries('report-2').map((r) => r.inReplyTo)).to.deep.equal(['envelope-2']);
    expect(first.receiptSummaries('report-1').map((r) => r.inReplyTo)).to.deep.equal([undefined]);

    const second = new InboundStore(file);
    check(second, sent);
    second.add(receipt(4, 'rejected', 3));
    // A crash tears the last line; the store after it reads past it and writes the next one on a line of its own.
    appendFileSync(file, JSON.stringify(receipt(5, 'accepted', 1)).slice(0, 40));
    const third = new InboundStore(file);
    const kept = [...sent, receipt(4, 'rejected', 3)];
    check(third, kept);
    third.add(receipt(6, 'rejected', 2));
    check(third, [...kept, receipt(6, 'rejected', 2)]);
    check(new InboundStore(file), [...kept, receipt(6, 'rejected', 2)]);
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).to.have.length(7);
  });

  it('says so when its file was changed under it, instead of giving another receipt', () => {
    const file = join(dir, 'changed.jsonl');
    const store = new InboundStore(file);
    store.add(item('r-1', 'Receipt', { subjectId: 'report-1', status: 'accepted', subjectVersion: 1 }));
    writeFileSync(file, 'x'.repeat(200));
    expect(() => store.receipts('report-1')).to.throw(/changed under the node: no receipt at byte 0/);
  });
});
