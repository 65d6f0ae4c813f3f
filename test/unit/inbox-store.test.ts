// Unit tier: what a national node keeps of what the coordinator sent it: each message once, receipts by the record
// they answer, the rest by type in the order it arrived, the same after a restart.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
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
    alerts.reverse(); // the caller's copy: the store keeps its order
    expect(first.ofType('CrossBorderAlert').map((i) => i.messageId)).to.deep.equal(['a1', 'a2']);
    expect(first.ofType('Receipt'), 'receipts are kept by their record').to.deep.equal([]);
    expect(first.receipts('report-1').map((i) => i.messageId)).to.deep.equal(['r1']);
    expect(first.ofType('ErasureNotice')).to.deep.equal([]);

    const again = new InboundStore(file);
    expect(again.ofType('CrossBorderAlert').map((i) => i.messageId)).to.deep.equal(['a1', 'a2']);
    expect(again.ofType('RetentionNotice').map((i) => i.messageId)).to.deep.equal(['n1']);
    expect(again.all().map((i) => i.messageId)).to.deep.equal(['a1', 'n1', 'r1', 'a2']);
  });
});
