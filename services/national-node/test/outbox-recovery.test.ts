// A node restarted after a crash between the outbox's write and the requests log's: the request is taken back from
// the outbox record (recoveredFrom, as the node does as it opens its outbox), with the digest of the agency's body and
// what the node normalised in it, so that the very same body sent again (its 202 lost in the crash) is answered as
// the first time, not refused as another request under a taken id. The routes over a real outbox, signer and requests
// log in a directory of the test's own; nothing is published.
import { expect } from 'chai';
import express, { type NextFunction, type Request, type Response } from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSigner } from '@hub/envelope';
import { HubError, ValidationError } from '@hub/errors';
import { loadSchemaRegistry } from '@hub/schemas';
import { testPki } from '../../pki/test/fixtures';
import { httpStatusOf } from '../src/error-status';
import { InboundStore } from '../src/inbox-store';
import { recoveredFrom } from '../src/node';
import { OutboxLog } from '../src/outbox/log';
import type { Publisher } from '../src/outbox/publisher';
import { RequestsLog, type RequestsLogEntry } from '../src/requests-log';
import { requestRoutes } from '../src/routes-requests';
import { createSubmitter } from '../src/submit';

type Answer = { status: number; body: Record<string, unknown> & { error?: { code: string } } };

describe('national node: a request recovered from the outbox after a crash', function () {
  this.timeout(30000);
  const pki = testPki();
  const registry = loadSchemaRegistry();
  const signer = createSigner({
    privateKey: pki.kz.key,
    certificate: pki.kz.cert.certificatePem,
    origin: 'KZ',
  });
  let dir: string;
  const servers: Server[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-node-recovery-'));
  });
  afterEach(() => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      s.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** KZ's request routes over `log`, signing into the outbox `outbox`: POST a body, answered as the node answers. */
  const routesOver = async (outbox: OutboxLog, log: RequestsLog) => {
    const app = express();
    app.use(express.json());
    app.use(
      requestRoutes({
        country: 'KZ',
        submitter: createSubmitter({
          registry,
          signer,
          log: outbox,
          publisher: { enqueue: () => undefined } as unknown as Publisher,
        }),
        inbound: new InboundStore(join(dir, 'inbound.jsonl')),
        requests: log,
        regions: new Set(['central-asia']),
        clock: Date.now,
      }),
    );
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      if (err instanceof ValidationError) res.status(400).json({ errors: err.errors });
      else if (err instanceof HubError)
        res.status(httpStatusOf(err)).json({ error: { code: err.code, message: err.message } });
      else res.status(500).json({ error: { code: 'INTERNAL', message: String(err) } });
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    servers.push(server);
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/requests`;
    return async (body: unknown): Promise<Answer> => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as Answer['body'] };
    };
  };

  it('answers the same body sent again as a duplicate, with the normalisations of the first time', async () => {
    const outboxDir = join(dir, 'outbox');
    const logFile = join(dir, 'requests.jsonl');
    // A due time without a UTC offset (read as UTC, with a note) and a country by its name: normalisations to keep.
    const dueAt = new Date(Date.now() + 48 * 3600000).toISOString().slice(0, 16);
    const body = {
      requestId: '6c1f0b7e-3d0a-4e55-9a51-2b8f4c7d9e10',
      to: 'Uzbekistan',
      purpose: 'criminal investigation 2026/117',
      question: 'Was the driver of this shipment seen at your border before?',
      dueAt,
      handling: { tlp: 'AMBER', releasableTo: ['UZ'] },
    };
    const before = OutboxLog.open({ dir: outboxDir });
    const first = await (await routesOver(before.log, new RequestsLog(logFile)))(body);
    expect(first.status, JSON.stringify(first.body)).to.equal(202);
    expect(first.body.normalisations).to.have.length.above(1);
    await before.log.close();

    // As after a crash between the two writes: the log lost the request, the outbox has it unpublished.
    rmSync(logFile);
    const found: RequestsLogEntry[] = [];
    const after = OutboxLog.open({
      dir: outboxDir,
      onRecord: (record) => {
        const { request } = recoveredFrom(record, registry);
        if (request) found.push(request);
      },
    });
    const log = new RequestsLog(logFile);
    expect(log.recover(found), 'the request taken back').to.equal(1);
    const again = await (await routesOver(after.log, log))(body);
    expect(again.status, JSON.stringify(again.body)).to.equal(202);
    expect(again.body).to.deep.equal({ ...first.body, duplicate: true });
    // Another body under its id is still refused.
    const other = await (await routesOver(after.log, log))({ ...body, question: 'And this one?' });
    expect(other.status).to.equal(409);
    await after.log.close();
    // Nothing new signed: the outbox holds the one envelope.
    const reopened = OutboxLog.open({ dir: outboxDir });
    expect(reopened.pending).to.have.length(1);
    await reopened.log.close();
  });

  it('takes nothing from a record it cannot read', () => {
    expect(recoveredFrom({ value: Buffer.from('not an envelope') }, registry)).to.deep.equal({});
  });
});
