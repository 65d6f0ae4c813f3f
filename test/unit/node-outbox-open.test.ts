// Unit tier: a national node opens its outbox with its version index and requests log made whole from the records not
// yet published, before anything publishes them. A start that publishes and stops before the rest of the start-up
// (a broker slow to join the inbound group, a kill) must not leave a version the node sent out of its index: the
// same body sent again would be signed as that version again, and refused by the hub as a stale version.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { informationRequestFromJson } from '@hub/domain';
import { createSigner } from '@hub/envelope';
import { PartitionCounts, type Producer } from '@hub/kafka';
import { createLogger } from '@hub/observability';
import { loadSchemaRegistry } from '@hub/schemas';
import { createSeizureAcceptor } from '@hub/national-node/app';
import { openOutbox } from '@hub/national-node/node';
import { OutboxLog } from '@hub/national-node/outbox/log';
import type { Publisher } from '@hub/national-node/outbox/publisher';
import { startPublisher } from '@hub/national-node/outbox/publisher';
import { ReportsIndex } from '@hub/national-node/reports-index';
import { RequestsLog } from '@hub/national-node/requests-log';
import { createSubmitter } from '@hub/national-node/submit';
import { testPki } from '../../services/pki/test/fixtures';

describe('national node: opening the outbox after a crash', function () {
  this.timeout(30000);
  const registry = loadSchemaRegistry();
  const logger = createLogger('test:outbox-open', { level: 'silent' });
  const minimal = JSON.parse(
    readFileSync(join(repoRoot, 'docs', 'examples', 'minimal-report.json'), 'utf8'),
  ) as Record<string, unknown>;
  const reportId = '44444444-4444-4444-8444-444444444444';
  const requestId = '6c1f0b7e-3d0a-4e55-9a51-2b8f4c7d9e10';
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-outbox-open-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Run 1: a report and a request reach the outbox, and the node dies before its index and log get their lines. */
  async function crashAfterTheOutbox(outboxDir: string) {
    const pki = testPki();
    const signer = createSigner({
      privateKey: pki.kz.key,
      certificate: pki.kz.cert.certificatePem,
      origin: 'KZ',
    });
    const { log } = OutboxLog.open({ dir: outboxDir });
    const submitter = createSubmitter({
      registry,
      signer,
      log,
      publisher: { enqueue: () => undefined } as unknown as Publisher,
    });
    // The acceptor writes its version to an index of its own: the node's index never gets the line.
    const lost = new ReportsIndex(join(dir, 'lost', 'reports.idx'));
    const acceptor = createSeizureAcceptor({
      country: 'KZ',
      submitter,
      reports: lost,
      regions: new Set(['central-asia']),
    });
    const accepted = await acceptor.accept({ ...minimal, reportId });
    lost.close();
    const request = informationRequestFromJson(
      {
        requestId,
        to: 'UZ',
        purpose: 'criminal investigation 2026/117',
        question: 'Was the driver of this shipment seen at your border before?',
        dueAt: new Date(Date.now() + 48 * 3600000).toISOString(),
        handling: { tlp: 'AMBER', releasableTo: ['UZ'] },
      },
      { nodeCountry: 'KZ', now: Date.now(), regions: new Set(['central-asia']) },
    );
    await submitter.submit('InformationRequest', requestId, request.value, {
      bodyDigest: 'digest-of-the-request',
    });
    await log.close();
    return accepted;
  }

  it('keeps the version of a report published by a start that stopped early, and the request sent', async () => {
    const outboxDir = join(dir, 'outbox');
    const indexFile = join(dir, 'reports.idx');
    const logFile = join(dir, 'requests.jsonl');
    const accepted = await crashAfterTheOutbox(outboxDir);
    expect(accepted.version).to.equal(1);

    // Run 2: opens the outbox as the node does, publishes everything (the cursor moves past it), and stops before
    // anything else of its start-up (killed: the index and log are not closed).
    const reports = new ReportsIndex(indexFile);
    const requests = new RequestsLog(logFile);
    const { log, pending, spilled } = openOutbox({ dir: outboxDir, reports, requests, registry, logger });
    expect(pending.map((r) => r.key)).to.deep.equal([reportId, requestId]);
    // Sent when the outbox took it in run 1, not when run 2 took it back (the age of a record awaiting its receipt).
    const appendedAt = pending[0]!.appendedAt;
    expect(reports.sentAtOf(reportId)).to.equal(appendedAt);
    const sent: string[] = [];
    const producer = {
      send: async ({ messages }: { messages: { key: string }[] }) => {
        sent.push(...messages.map((m) => m.key));
        return [];
      },
      disconnect: async () => undefined,
    } as unknown as Producer;
    const publisher = startPublisher({
      log,
      producer,
      topic: 'hub.node.KZ.out',
      partitions: new PartitionCounts(async () => 3),
      logger,
      pending,
      spilled,
    });
    expect(await publisher.drain(10000)).to.equal(true);
    await publisher.stop();
    await log.close();
    expect(sent).to.deep.equal([reportId, requestId]);
    expect(publisher.commitError()).to.equal(undefined);
    expect(existsSync(join(outboxDir, 'cursor.json')), 'the cursor moved past them').to.equal(true);

    // Run 3: nothing left unpublished to take it back from; the index and log hold it.
    try {
      expect(OutboxLog.open({ dir: outboxDir }).pending).to.have.length(0);
      const again = new ReportsIndex(indexFile);
      try {
        expect(again.latest(reportId), 'the version published in run 2').to.equal(1);
        expect(again.messageIdOf(reportId)).to.equal(accepted.messageId);
        expect(again.normalisationsOf(reportId, 1)).to.deep.equal(accepted.normalisations);
        // The next post of the report is version 2, not version 1 again (stale-version at the hub).
        expect(again.next(reportId)).to.equal(2);
      } finally {
        again.close();
      }
      expect(new RequestsLog(logFile).sent(requestId)?.digest).to.equal('digest-of-the-request');
    } finally {
      reports.close();
    }
  });

  it('does not open an outbox whose records cannot be taken back into the index', async () => {
    const outboxDir = join(dir, 'outbox');
    await crashAfterTheOutbox(outboxDir);
    const reports = new ReportsIndex(join(dir, 'reports.idx'));
    const requests = new RequestsLog(join(dir, 'requests.jsonl'));
    reports.close(); // every write now fails (EBADF on a closed index)
    expect(() => openOutbox({ dir: outboxDir, reports, requests, registry, logger })).to.throw(/closed/);
    // Nothing was published: the records wait for the next start.
    expect(OutboxLog.open({ dir: outboxDir }).pending).to.have.length(2);
  });
});
