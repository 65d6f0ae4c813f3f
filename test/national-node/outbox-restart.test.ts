// A national node restarted with an outbox whose envelopes were not all published, and a version index that missed
// some of them (a crash between the two writes): the versions are recovered from the outbox as it is opened, even
// when the backlog is too large to be held in memory, with the digest of the body that made each (a re-sent body is
// still known) and what the node normalised in it (the receipt still says so), and every envelope is published again
// from disk.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafka, topicNames } from '@hub/kafka';
import { startNationalNode, type RunningNationalNode } from '@hub/national-node';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import { getJson, metricValue, postJson, testPki, minimalReport } from '../support/hub';

describe('national node restarted with an unpublished outbox', function () {
  this.timeout(120000);
  let env: TestEnv;
  let node: RunningNationalNode | undefined;
  const report = minimalReport();
  /** How many records `topic` holds (none deleted here: its high-water marks less its low ones). */
  const recordsOn = async (topic: string) => {
    const admin = createKafka({
      brokers: env.config.kafka.brokers,
      clientId: 'outbox-restart',
      logger: env.logger,
    }).admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
    } finally {
      await admin.disconnect();
    }
  };
  const start = (outboxMemoryBytes?: number) =>
    startNationalNode({
      config: env.config,
      country: 'KZ',
      logger: env.logger,
      port: 0,
      inbox: false,
      outboxMemoryBytes,
    });

  before(() => {
    env = createTestEnv('node-outbox');
    testPki(env, ['KZ']);
  });
  after(async () => {
    await node?.close();
    env?.cleanup();
  });

  it('recovers the versions from a backlog it keeps on disk, and publishes that backlog again', async () => {
    const reportId = randomUUID();
    node = await start();
    let normalised: string[] = [];
    let lastMessageId = '';
    for (const version of [1, 2, 3]) {
      const res = await postJson(`${node.url}/v1/seizures`, { ...report, reportId, notes: `v${version}` });
      expect(res.status).to.equal(202);
      expect(res.body.version).to.equal(version);
      normalised = res.body.normalisations as string[];
      lastMessageId = res.body.messageId as string;
    }
    expect(normalised).to.include("concealment 'false floor' → false-floor");
    await waitUntil('the outbox published', async () => node!.outboxDepth() === 0 || undefined);
    await node.close();
    node = undefined;

    // As after a crash: the index lost the versions, and the outbox's cursor is back before them.
    const dir = join(env.config.hubHome, 'nodes', 'KZ');
    rmSync(join(dir, 'reports.idx'), { force: true });
    rmSync(join(dir, 'reports.idx.normalisations.jsonl'), { force: true });
    rmSync(join(dir, 'outbox', 'cursor.json'));
    node = await start(1); // no envelope fits: the backlog is opened by position only, then read back one by one
    // The three envelopes found again: waiting, or (it publishes as it starts) published since. Read in that order, a
    // batch published in between counts in the second figure.
    const waiting = node.outboxDepth();
    expect(
      waiting + (await metricValue(node.url, 'hub_node_published_total')),
      'the backlog found again at the start',
    ).to.be.at.least(3);
    // The last body re-sent (a client that lost the answer to it in the crash) is known by the digest its outbox
    // record keeps: answered as before (the same version and envelope), not made into a fourth version, with what
    // the node normalised in it, which the record keeps too.
    const resent = await postJson(`${node.url}/v1/seizures`, { ...report, reportId, notes: 'v3' });
    expect(resent.status).to.equal(202);
    expect(resent.body).to.include({ version: 3, duplicate: true, messageId: lastMessageId });
    expect(resent.body.normalisations).to.deep.equal(normalised);
    const again = await postJson(`${node.url}/v1/seizures`, {
      ...report,
      reportId,
      notes: 'after the crash',
    });
    expect(again.status).to.equal(202);
    expect(again.body.version, 'the next version, not a reused one').to.equal(4);
    await waitUntil(
      'the backlog published again from disk',
      async () => node!.outboxDepth() === 0 || undefined,
    );
    // Published since the restart: the three again and the fourth version. On the topic: those and the three of
    // before the crash.
    expect(await metricValue(node.url, 'hub_node_published_total')).to.be.at.least(4);
    expect(
      await recordsOn(topicNames(env.config.namespace).nodeOut('KZ')),
      "records on the node's topic",
    ).to.be.at.least(7);
  });

  it('recovers a request it signed but had not logged when it stopped', async () => {
    node ??= await start();
    const requestId = randomUUID();
    const ask = {
      requestId,
      to: 'UZ',
      purpose: 'criminal investigation 2026/117',
      question: 'Was the driver of this shipment seen at your border before?',
      handling: { tlp: 'AMBER', releasableTo: ['UZ'] },
    };
    const asked = await postJson(`${node.url}/v1/requests`, ask);
    expect(asked.status, JSON.stringify(asked.body)).to.equal(202);
    await waitUntil('the outbox published', async () => node!.outboxDepth() === 0 || undefined);
    await node.close();
    node = undefined;

    // As after a crash between the outbox's write and the log's: the log lost it, the outbox still has it unpublished.
    const dir = join(env.config.hubHome, 'nodes', 'KZ');
    rmSync(join(dir, 'requests.jsonl'));
    rmSync(join(dir, 'outbox', 'cursor.json'));
    node = await start();
    const listed = await getJson(`${node.url}/v1/requests?direction=outgoing`);
    expect(listed.status).to.equal(200);
    const mine = (
      listed.body.requests as { requestId: string; messageId: string; addressee: string }[]
    ).filter((r) => r.requestId === requestId);
    expect(mine, 'the request listed again, under the envelope it was signed in').to.have.length(1);
    expect(mine[0]).to.include({ addressee: 'UZ', messageId: asked.body.messageId });
    // The same body again is the same request, as before the stop (a resend after a lost answer); another body under
    // its id is refused.
    const again = await postJson(`${node.url}/v1/requests`, ask);
    expect(again.status, 'the same request, known after the restart').to.equal(202);
    expect(again.body).to.include({ duplicate: true, messageId: asked.body.messageId });
    const other = await postJson(`${node.url}/v1/requests`, {
      ...ask,
      question: `${ask.question} (changed)`,
    });
    expect(other.status, 'its id is taken by another body').to.equal(409);

    // Started three times, the node announced its certificate on hub.pki once: the topic keeps every record, and
    // every reader reads them all at its start.
    expect(await recordsOn(topicNames(env.config.namespace).pki)).to.equal(1);
  });

  it('starts after a power loss left its outbox cursor empty, and publishes its log again from the start', async () => {
    node ??= await start();
    const reportId = randomUUID();
    const sent = await postJson(`${node.url}/v1/seizures`, { ...report, reportId });
    expect(sent.status).to.equal(202);
    await waitUntil('the outbox published', async () => node!.outboxDepth() === 0 || undefined);
    await node.close();
    node = undefined;
    const topic = topicNames(env.config.namespace).nodeOut('KZ');
    const onTopic = await recordsOn(topic);

    // As a power loss may leave it: the cursor renamed into place before its bytes were on the disk.
    writeFileSync(join(env.config.hubHome, 'nodes', 'KZ', 'outbox', 'cursor.json'), '');
    node = await start();
    // Everything its log still holds is published again (the coordinator knows each envelope by its message id).
    await waitUntil('the log published again', async () => node!.outboxDepth() === 0 || undefined);
    expect(await metricValue(node.url, 'hub_node_published_total')).to.be.at.least(1);
    expect(await recordsOn(topic), 'the report among them').to.be.above(onTopic);
    // The node's own index as it was: the report at version 1, the next body its version 2.
    const again = await postJson(`${node.url}/v1/seizures`, {
      ...report,
      reportId,
      notes: 'after the restart',
    });
    expect(again.status).to.equal(202);
    expect(again.body.version).to.equal(2);
  });
});
