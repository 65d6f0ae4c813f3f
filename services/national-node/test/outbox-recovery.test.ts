// A node restarted after a crash between the outbox's write and the requests log's: the request (or answer) is taken
// back from the outbox record (recoveredFrom, as the node does as it opens its outbox), with the digest of the agency's
// body and what the node normalised in it, so that the very same body sent again (its 202 lost in the crash) is
// answered as the first time, not refused as another request under a taken id (nor sent as a second answer). The
// routes over a real outbox, signer and requests log in a directory of the test's own; nothing is published.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { informationRequestFromJson } from '@hub/domain';
import { loadSchemaRegistry } from '@hub/schemas';
import { signerOf, testPki } from '../../pki/test/fixtures';
import { InboundStore } from '../src/inbox-store';
import { recoveredFrom } from '../src/node';
import { OutboxLog } from '../src/outbox/log';
import type { Publisher } from '../src/outbox/publisher';
import { RequestsLog, type RequestsLogEntry } from '../src/requests-log';
import { createSubmitter } from '../src/submit';
import { startRequestNode, type RequestNode } from './request-app';

describe('national node: a request recovered from the outbox after a crash', function () {
  this.timeout(30000);
  const registry = loadSchemaRegistry();
  const signer = signerOf(testPki().kz, 'KZ');
  let dir: string;
  const nodes: RequestNode[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-node-recovery-'));
  });
  afterEach(() => {
    // Their folder is the test's, gone after them.
    for (const node of nodes.splice(0)) node.close(true);
    rmSync(dir, { recursive: true, force: true });
  });

  /** KZ's request routes over `log`, signing into the outbox `outbox`: POST a body, answered as the node answers. */
  const routesOver = async (outbox: OutboxLog, log: RequestsLog) => {
    const node = await startRequestNode('KZ', {
      dir,
      submitter: createSubmitter({
        registry,
        signer,
        log: outbox,
        publisher: { enqueue: () => undefined } as unknown as Publisher,
      }),
      requests: log,
      clock: Date.now,
    });
    nodes.push(node);
    return (body: unknown, path = '/v1/requests') => node.post(path, body);
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

  it('answers the same answer sent again as a duplicate, not as a second answer', async () => {
    const outboxDir = join(dir, 'outbox');
    const logFile = join(dir, 'requests.jsonl');
    // UZ's request to KZ, as KZ's node has it from the coordinator.
    const request = informationRequestFromJson(
      {
        to: 'KZ',
        purpose: 'criminal investigation 2026/118',
        question: 'Seen this truck before?',
        urgency: 'urgent',
        handling: { tlp: 'AMBER' },
      },
      { nodeCountry: 'UZ', now: Date.now(), regions: new Set(['central-asia']) },
    ).value;
    new InboundStore(join(dir, 'inbound.jsonl')).add({
      messageId: '0f6e2c1a-8b3d-4e5f-9a0b-1c2d3e4f5a6b',
      messageType: 'RequestNotice',
      receivedAt: Date.now(),
      value: {
        noticeId: '0f6e2c1a-8b3d-4e5f-9a0b-1c2d3e4f5a6b',
        kind: 'request',
        requestId: request.requestId,
        requester: 'UZ',
        addressee: 'KZ',
        dueAt: request.dueAt,
        reason: null,
        issuedAt: Date.now(),
        original: {
          messageId: '5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d',
          messageType: 'InformationRequest',
          origin: 'UZ',
          signedAt: Date.now(),
          signerFingerprint: 'f',
          envelope: '',
        },
        content: request as unknown as Record<string, unknown>,
      },
    });
    const path = `/v1/requests/${request.requestId}/response`;
    // No handling given (inherited from the request, with a note): a normalisation to keep.
    const body = { status: 'partial', answer: 'One of them, so far.' };
    const before = OutboxLog.open({ dir: outboxDir });
    const first = await (await routesOver(before.log, new RequestsLog(logFile)))(body, path);
    expect(first.status, JSON.stringify(first.body)).to.equal(202);
    expect(first.body.normalisations).to.have.length.above(0);
    await before.log.close();

    // As after a crash between the two writes: the log lost the answer, the outbox has it unpublished.
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
    expect(log.recover(found), 'the answer taken back').to.equal(1);
    const again = await (await routesOver(after.log, log))(body, path);
    expect(again.status, JSON.stringify(again.body)).to.equal(202);
    expect(again.body).to.deep.equal({ ...first.body, duplicate: true });
    await after.log.close();
    // Nothing new signed: the outbox holds the one answer.
    const reopened = OutboxLog.open({ dir: outboxDir });
    expect(reopened.pending).to.have.length(1);
    await reopened.log.close();
  });

  it('takes back a request sent again after the hub refused it, which the log holds by its first sending', () => {
    const logFile = join(dir, 'requests.jsonl');
    const request = informationRequestFromJson(
      { to: 'UZ', purpose: 'investigation', question: 'Seen this truck before?', handling: { tlp: 'AMBER' } },
      { nodeCountry: 'KZ', now: Date.now(), regions: new Set(['central-asia']) },
    ).value;
    const sending = (messageId: string): RequestsLogEntry => ({
      kind: 'sent',
      messageId,
      at: Date.now(),
      request,
      digest: 'd1',
      normalisations: [],
    });
    new RequestsLog(logFile).add(sending('1b2c3d4e-0000-4000-8000-000000000001'));
    // The first sending refused, the same body sent again: signed into the outbox, the log's line lost in a crash.
    const log = new RequestsLog(logFile);
    expect(log.recover([sending('1b2c3d4e-0000-4000-8000-000000000002')])).to.equal(1);
    expect(log.sent(request.requestId)?.messageId).to.equal('1b2c3d4e-0000-4000-8000-000000000002');
    const reopened = new RequestsLog(logFile);
    expect(reopened.sent(request.requestId)?.messageId).to.equal('1b2c3d4e-0000-4000-8000-000000000002');
    // Either sending, known already, is not taken again.
    expect(
      reopened.recover([
        sending('1b2c3d4e-0000-4000-8000-000000000001'),
        sending('1b2c3d4e-0000-4000-8000-000000000002'),
      ]),
    ).to.equal(0);
    expect(reopened.sent(request.requestId)?.messageId).to.equal('1b2c3d4e-0000-4000-8000-000000000002');
  });

  it('takes nothing from a record it cannot read', () => {
    expect(recoveredFrom({ value: Buffer.from('not an envelope') }, registry)).to.deep.equal({});
  });
});
