// The webhook to the agency's system, against a small HTTP server of the test's own on a loopback port.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@hub/observability';
import { InboundStore } from '../src/inbox-store';
import { failureOf, startWebhook, type WebhookForwarder } from '../src/webhook';

interface Seen {
  method: string;
  url: string;
  body: string;
  signature: string | undefined;
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
