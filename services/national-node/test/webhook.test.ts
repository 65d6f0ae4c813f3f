// The webhook to the agency's system, against a small HTTP server of the test's own on a loopback port.
import { expect } from 'chai';
import fs, { fstatSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type Logger } from '@hub/observability';
import { InboundStore } from '../src/inbox-store';
import { failureOf, startWebhook, type WebhookForwarder } from '../src/webhook';

interface Seen {
  method: string;
  url: string;
  body: string;
  signature: string | undefined;
  headers: IncomingHttpHeaders;
}

describe("national node: the webhook to the agency's system", () => {
  let dir: string;
  let server: Server;
  let base: string;
  let seen: Seen[];
  let forwarder: WebhookForwarder | undefined;
  /** How /hook answers: a redirect with this status to /elsewhere, or (null) 200. */
  let redirectStatus: number | null;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-webhook-'));
    seen = [];
    redirectStatus = null;
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({
          method: String(req.method),
          url: String(req.url),
          body,
          signature: req.headers['x-hub-signature'] as string | undefined,
          headers: req.headers,
        });
        if (req.url === '/hook' && redirectStatus !== null)
          res.writeHead(redirectStatus, { location: `${base}/elsewhere` }).end();
        else res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterEach(async () => {
    await forwarder?.stop();
    forwarder = undefined;
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const start = (url = `${base}/hook`) => {
    const inbound = new InboundStore(join(dir, 'inbound.jsonl'));
    inbound.add({
      messageId: 'b6a0c1f2-0d4e-4c1e-9a55-6e1f0c2d3b4a',
      messageType: 'RequestNotice',
      receivedAt: Date.now(),
      value: { kind: 'request', requestId: '1d2c3b4a-5e6f-4a1b-8c9d-0e1f2a3b4c5d' },
    });
    forwarder = startWebhook({
      url,
      secret: 's3cret',
      cursorFile: join(dir, 'webhook.cursor'),
      inbound,
      logger: createLogger('test:webhook', { level: 'silent' }),
    });
    return forwarder;
  };

  const until = async (what: string, done: () => boolean) => {
    const end = Date.now() + 5000;
    while (!done()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('delivers a message by POST, signed, and moves on', async () => {
    const hook = start();
    await until('the delivery', () => hook.pending() === 0);
    expect(seen).to.have.length(1);
    expect(seen[0]).to.include({ method: 'POST', url: '/hook' });
    expect(seen[0]!.signature).to.match(/^sha256=[0-9a-f]{64}$/);
    expect(JSON.parse(seen[0]!.body)).to.have.property('messageType', 'RequestNotice');
  });

  for (const status of [301, 302, 303, 307, 308])
    it(`takes a redirect (${status}) as a failure, naming where it points, and does not follow it`, async () => {
      redirectStatus = status;
      const hook = start();
      await until('the failure', () => hook.lastError() !== undefined);
      expect(hook.lastError()).to.contain(`HTTP ${status}`);
      expect(hook.lastError()).to.contain(`${base}/elsewhere`);
      // Still to be delivered (retried), and nothing, signature or body, went where the redirect points.
      expect(hook.pending()).to.equal(1);
      expect(seen.map((s) => s.url)).to.deep.equal(['/hook']);
    });

  /** An inbox of `n` requests (message ids m-1 … m-n) and a forwarder over it, whose warnings are kept. */
  const startOver = (n: number, redeliverAtMost?: number, prepare?: (inbound: InboundStore) => void) => {
    const inbound = new InboundStore(join(dir, 'inbound.jsonl'));
    for (let i = 1; i <= n; i++)
      inbound.add({
        messageId: `m-${i}`,
        messageType: 'RequestNotice',
        receivedAt: Date.now(),
        value: { kind: 'request', requestId: `r-${i}` },
      });
    prepare?.(inbound);
    const warnings: [Record<string, unknown>, string][] = [];
    const logger = {
      ...createLogger('test:webhook', { level: 'silent' }),
      warn: (fields: Record<string, unknown>, message: string) => warnings.push([fields, message]),
    } as unknown as Logger;
    forwarder = startWebhook({
      url: `${base}/hook`,
      cursorFile: join(dir, 'webhook.cursor'),
      inbound,
      logger,
      ...(redeliverAtMost !== undefined && { redeliverAtMost }),
    });
    return { hook: forwarder, warnings };
  };
  const delivered = () => seen.map((s) => (JSON.parse(s.body) as { messageId: string }).messageId);

  it('saves its cursor whole: written beside, flushed, then renamed over the old one, after the inbox is flushed', async () => {
    const cursor = join(dir, 'webhook.cursor');
    // Which files were flushed (by inode), and which of them each rename moved onto the cursor.
    const flushed = new Set<number>();
    const renamed: { from: string; to: string; flushedBefore: boolean }[] = [];
    // The inbox's flushes and the cursor's renames, in order.
    const order: string[] = [];
    const real = { fsyncSync: fs.fsyncSync, renameSync: fs.renameSync };
    fs.fsyncSync = (fd: number) => {
      real.fsyncSync(fd);
      flushed.add(fstatSync(fd).ino);
    };
    fs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
      renamed.push({ from: String(from), to: String(to), flushedBefore: flushed.has(statSync(from).ino) });
      if (String(to) === cursor) order.push('cursor renamed');
      real.renameSync(from, to);
    };
    syncBuiltinESMExports();
    try {
      const { hook } = startOver(3, undefined, (inbound) => {
        const sync = inbound.sync.bind(inbound);
        inbound.sync = async () => {
          order.push('inbox flushed');
          await sync();
        };
      });
      await until('the deliveries', () => hook.pending() === 0);
      await hook.stop();
    } finally {
      Object.assign(fs, real);
      syncBuiltinESMExports();
    }
    expect(delivered()).to.deep.equal(['m-1', 'm-2', 'm-3']);
    const onto = renamed.filter((r) => r.to === cursor);
    expect(onto.length, 'renamed onto the cursor').to.be.above(0);
    for (const r of onto) expect(r.flushedBefore, `${r.from} flushed before its rename`).to.equal(true);
    expect(order[0]).to.equal('inbox flushed');
    order.forEach((event, i) => {
      if (event === 'cursor renamed') expect(order[i - 1], `before rename ${i}`).to.equal('inbox flushed');
    });
    expect(readFileSync(cursor, 'utf8').trim()).to.equal('3');
    // And read back as such: nothing delivered again.
    forwarder = undefined;
    const { hook: again, warnings } = startOver(3);
    expect(again.pending()).to.equal(0);
    expect(warnings).to.deep.equal([]);
  });

  it('resumes where its cursor says, as written now or before (without a line break)', async () => {
    writeFileSync(join(dir, 'webhook.cursor'), '2');
    const { hook, warnings } = startOver(3);
    await until('the delivery', () => hook.pending() === 0);
    expect(delivered()).to.deep.equal(['m-3']);
    expect(warnings).to.deep.equal([]);
  });

  for (const damaged of ['', '\n', '3abc', '-1', '1e2', '{"cursor":2}', '\u0000\u0000'])
    it(`warns of a cursor that holds no position (${JSON.stringify(damaged)}), naming it, and delivers the newest messages again`, async () => {
      const cursor = join(dir, 'webhook.cursor');
      writeFileSync(cursor, damaged);
      // A bound of 3 over an inbox of 5: the last 3 again, the 2 before them not.
      const { hook, warnings } = startOver(5, 3);
      await until('the deliveries', () => hook.pending() === 0);
      expect(delivered()).to.deep.equal(['m-3', 'm-4', 'm-5']);
      expect(warnings).to.have.length(1);
      const [fields, message] = warnings[0]!;
      expect(fields).to.include({ path: cursor, from: 2, inbox: 5 });
      expect(message).to.contain(cursor);
      expect(message).to.contain('x-hub-message-id');
      expect(message).to.contain('the 2 before them are not delivered again');
      await hook.stop();
      expect(readFileSync(cursor, 'utf8').trim(), 'saved again, whole').to.equal('5');
    });

  it('warns of a cursor that points past the inbox’s end, instead of passing over the next messages', async () => {
    const cursor = join(dir, 'webhook.cursor');
    writeFileSync(cursor, '9\n');
    const { hook, warnings } = startOver(4, 2);
    await until('the deliveries', () => hook.pending() === 0);
    expect(delivered()).to.deep.equal(['m-3', 'm-4']);
    expect(warnings).to.have.length(1);
    expect(warnings[0]![0]).to.include({ path: cursor, cursor: 9, inbox: 4, from: 2 });
    expect(warnings[0]![1]).to.contain('points past the end of the inbox (position 9, 4 messages)');
  });

  it('delivers a small inbox again whole when its cursor holds no position', async () => {
    writeFileSync(join(dir, 'webhook.cursor'), '');
    const { hook, warnings } = startOver(4);
    await until('the deliveries', () => hook.pending() === 0);
    expect(delivered()).to.deep.equal(['m-1', 'm-2', 'm-3', 'm-4']);
    expect(warnings).to.have.length(1);
    expect(warnings[0]![0]).to.include({ from: 0 });
    expect(warnings[0]![1]).to.not.contain('not delivered again');
  });

  it('delivers a message erased before its turn as a stand-in marked erased, under its own id and type, without content', async () => {
    const SECRET = 'KZ777-plate-seen-at-Dostyk';
    const { hook } = startOver(0, undefined, (inbound) => {
      inbound.add({
        messageId: 'receipt-A',
        messageType: 'Receipt',
        receivedAt: Date.UTC(2026, 2, 14),
        value: {
          subjectId: 'A',
          subjectVersion: 1,
          subjectType: 'SeizureReport',
          status: 'accepted',
          inReplyTo: 'envelope-A',
          reasons: [{ code: 'flag', message: SECRET }],
        },
      });
      inbound.add({
        messageId: 'alert-A',
        messageType: 'CrossBorderAlert',
        receivedAt: Date.UTC(2026, 2, 14),
        value: { alertId: 'alert-A', matched: [{ reportId: 'A', version: 1 }], reason: SECRET },
      });
      inbound.add({
        messageId: 'alert-B',
        messageType: 'CrossBorderAlert',
        receivedAt: Date.UTC(2026, 2, 14),
        value: { alertId: 'alert-B', matched: [{ reportId: 'B', version: 1 }], reason: 'kept' },
      });
      inbound.add({
        messageId: 'erasure-A',
        messageType: 'ErasureNotice',
        receivedAt: Date.UTC(2026, 2, 15),
        value: {
          erasureId: 'erasure-A',
          subjectType: 'SeizureReport',
          subjectId: 'A',
          versionsUpTo: 1,
          originCountry: 'KZ',
          reasonCode: 'retention_expired',
          orderedAt: Date.UTC(2026, 2, 15),
        },
      });
    });
    await until('the deliveries', () => hook.pending() === 0);
    expect(delivered()).to.deep.equal(['receipt-A', 'alert-A', 'alert-B', 'erasure-A']);
    const [receipt, alert, kept, erasure] = seen;
    for (const [standIn, type] of [
      [receipt!, 'Receipt'],
      [alert!, 'CrossBorderAlert'],
    ] as const) {
      expect(standIn.headers).to.include({
        'x-hub-erased': 'erasure-A',
        'x-hub-message-id': `${type === 'Receipt' ? 'receipt' : 'alert'}-A`,
        'x-hub-message-type': type,
      });
      expect(JSON.parse(standIn.body)).to.deep.equal({
        messageId: `${type === 'Receipt' ? 'receipt' : 'alert'}-A`,
        messageType: type,
        receivedAt: '2026-03-14T00:00:00.000Z',
        erased: true,
        erasureId: 'erasure-A',
        subjectId: 'A',
      });
      expect(standIn.body).not.to.include(SECRET);
    }
    // The rest as they were: not marked.
    for (const message of [kept!, erasure!]) {
      expect(message.headers, message.body).not.to.have.property('x-hub-erased');
      const body = JSON.parse(message.body) as Record<string, unknown>;
      expect(body).not.to.have.property('erased');
      expect(body).to.have.property('value');
    }
    expect(JSON.parse(kept!.body)).to.have.nested.property('value.reason', 'kept');
  });

  it('says why a delivery failed where fetch says only "fetch failed": refused, or a certificate not trusted', async () => {
    // A port nothing listens on: the server's, closed.
    const closed = base;
    await new Promise((r) => server.close(r));
    const hook = start(`${closed}/hook`);
    await until('the failure', () => hook.lastError() !== undefined);
    expect(hook.lastError()).to.match(/^fetch failed: ECONNREFUSED/);
    const untrusted = Object.assign(new TypeError('fetch failed'), {
      cause: Object.assign(new Error('self-signed certificate in certificate chain'), {
        code: 'SELF_SIGNED_CERT_IN_CHAIN',
      }),
    });
    expect(failureOf(untrusted)).to.equal(
      "fetch failed: SELF_SIGNED_CERT_IN_CHAIN (self-signed certificate in certificate chain); the webhook's TLS certificate is not trusted by this node: give the node its CA with NODE_EXTRA_CA_CERTS=<pem file>",
    );
    expect(failureOf(new Error('the webhook answered HTTP 500'))).to.equal('the webhook answered HTTP 500');
  });
});
