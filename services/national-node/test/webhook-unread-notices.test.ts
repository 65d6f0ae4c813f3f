// The webhook and the request notices this node could not take: one refused (its originator's signature not trusted
// here) is never delivered; one unreadable (a schema of a newer release) is held back, and delivered whole, once, after
// the node is upgraded. Nothing else is delivered twice or passed over meanwhile.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@hub/observability';
import { loadSchemaRegistry, type SchemaRegistry } from '@hub/schemas';
import { testPki } from '../../pki/test/fixtures';
import { InboundStore } from '../src/inbox-store';
import { startWebhook, type WebhookForwarder } from '../src/webhook';
import { forwardedRequest, readAsNode, registryWithout } from './forwarded-notices';

interface Delivered {
  messageId: string;
  messageType: string;
  value?: Record<string, unknown>;
}

describe('national node: the webhook and request notices it could not take', function () {
  this.timeout(30000);
  const pki = testPki();
  const current = loadSchemaRegistry();
  /** A node one release behind: it does not read InformationRequest v2. */
  const older = registryWithout('InformationRequest.v2.avsc', 'InformationResponse.v2.avsc');
  const logger = createLogger('test:webhook-unread', { level: 'silent' });
  const QUESTION = 'Seen the truck with plate 777ABC02 before?';

  let dir: string;
  let server: Server;
  let url: string;
  let delivered: Delivered[];
  let forwarder: WebhookForwarder | undefined;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-webhook-unread-'));
    delivered = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        delivered.push(JSON.parse(body) as Delivered);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });
  afterEach(async () => {
    await forwarder?.stop();
    forwarder = undefined;
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const inboxFile = () => join(dir, 'inbound.jsonl');
  const cursorFile = () => join(dir, 'webhook.cursor');

  /** A receipt, as any message the webhook delivers as it came. */
  const receipt = (inbound: InboundStore) => {
    const messageId = randomUUID();
    inbound.add({
      messageId,
      messageType: 'Receipt',
      receivedAt: Date.now(),
      value: { subjectId: randomUUID(), subjectVersion: 1, status: 'accepted', reasons: [] },
    });
    return messageId;
  };

  /** The node's webhook over the inbox, reading with `registry`, until everything it can deliver is delivered. */
  const deliverAll = async (registry: SchemaRegistry, expected: number) => {
    const inbound = new InboundStore(inboxFile());
    forwarder = startWebhook({ url, cursorFile: cursorFile(), inbound, logger, registry });
    const end = Date.now() + 5000;
    while (forwarder.pending() > 0 || delivered.length < expected) {
      if (Date.now() > end) throw new Error(`timed out: ${delivered.length} of ${expected} delivered`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await forwarder.stop();
    forwarder = undefined;
    // Anything more would have gone by now (the server answers at once).
    await new Promise((r) => setTimeout(r, 50));
    const got = delivered;
    delivered = [];
    return got;
  };

  it('holds back an unreadable request until the node reads its schema, never delivers a refused one', async () => {
    const inbound = new InboundStore(inboxFile());
    const before = receipt(inbound);
    // KZ's request in InformationRequest v2, kept unread by a node one release behind.
    const { envelope, requestId } = forwardedRequest({
      hub: pki.hub,
      kz: pki.kz,
      registry: current,
      at: Date.now(),
      question: QUESTION,
    });
    const kept = readAsNode(envelope, {
      caPem: pki.ca.certPem,
      trusted: [pki.hub, pki.kz, pki.uz],
      registry: older,
      logger,
    }).value!;
    expect(kept.unread).to.include({ status: 'unreadable' });
    inbound.add({
      messageId: envelope.messageId,
      messageType: 'RequestNotice',
      receivedAt: Date.now(),
      value: kept,
    });
    // One refused here (its originator's certificate revoked): nothing of it is kept, nor delivered.
    const refusedId = randomUUID();
    inbound.add({
      messageId: refusedId,
      messageType: 'RequestNotice',
      receivedAt: Date.now(),
      value: {
        noticeId: randomUUID(),
        kind: 'request',
        requestId: randomUUID(),
        requester: 'KZ',
        addressee: 'UZ',
        dueAt: null,
        reason: null,
        issuedAt: Date.now(),
        original: null,
        content: null,
        unread: {
          status: 'refused',
          reason: 'revoked',
          message: 'the original does not verify',
          at: Date.now(),
        },
      },
    });
    const after = receipt(inbound);

    // The node one release behind: the receipts go, the two notices do not.
    const first = await deliverAll(older, 2);
    expect(first.map((d) => d.messageId)).to.deep.equal([before, after]);
    expect(existsSync(`${cursorFile()}.held`)).to.equal(true);
    expect(readFileSync(`${cursorFile()}.held`, 'utf8')).to.include(envelope.messageId);

    // Upgraded: the request held back goes, whole, under its notice's id; the refused one never; nothing twice.
    const later = receipt(new InboundStore(inboxFile()));
    const second = await deliverAll(current, 2);
    expect(second.map((d) => d.messageId)).to.deep.equal([envelope.messageId, later]);
    const request = second[0]!;
    expect(request.messageType).to.equal('RequestNotice');
    expect(request.value).to.not.have.property('unread');
    expect(request.value?.content).to.include({ requestId, question: QUESTION });
    expect(request.value?.original).to.include({ origin: 'KZ', messageType: 'InformationRequest' });

    // Started again: everything was delivered once.
    expect(await deliverAll(current, 0)).to.deep.equal([]);
    expect(readFileSync(`${cursorFile()}.held`, 'utf8')).to.equal('');
  });

  it('delivers nothing held back twice when its cursor was saved behind it (a stop between the two saves)', async () => {
    const inbound = new InboundStore(inboxFile());
    const { envelope } = forwardedRequest({
      hub: pki.hub,
      kz: pki.kz,
      registry: current,
      at: Date.now(),
      question: QUESTION,
    });
    const kept = readAsNode(envelope, {
      caPem: pki.ca.certPem,
      trusted: [pki.hub, pki.kz, pki.uz],
      registry: older,
      logger,
    }).value!;
    inbound.add({
      messageId: envelope.messageId,
      messageType: 'RequestNotice',
      receivedAt: Date.now(),
      value: kept,
    });
    const after = receipt(inbound);
    expect((await deliverAll(older, 1)).map((d) => d.messageId)).to.deep.equal([after]);
    // The cursor as it was before (the held-back list saved, the cursor not): the request is passed over there.
    rmSync(cursorFile());
    const again = await deliverAll(current, 2);
    expect(again.map((d) => d.messageId)).to.deep.equal([envelope.messageId, after]);
  });
});
