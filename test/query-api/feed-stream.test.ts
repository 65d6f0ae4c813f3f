// GET /v1/feeds/:region/stream: server-sent events of a regional feed, filtered per subscriber.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, get, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seizureReportFromJson } from '@hub/domain';
import { createSigner, HUB_ORIGIN, MAX_ENVELOPE_BYTES, type Signer } from '@hub/envelope';
import { createKafka, ensureTopics, hubTopicConfigs, topicNames } from '@hub/kafka';
import { announceCertificate, PkiStore } from '@hub/pki';
import { authDir, loadKeyRing, mintToken, startQueryApi } from '@hub/query-api';
import { loadSchemaRegistry } from '@hub/schemas';
import { COLLECTIONS, connectStore, type Store, type StoredEnvelope } from '@hub/store';
import { createTestEnv, waitUntil, type TestEnv } from '../support/env';
import {
  getJson,
  metricValue,
  postJson,
  signedAs,
  startTestHub,
  unreadableAs,
  type TestHub,
} from '../support/hub';
import { openStream, type Stream } from '../support/stream';

describe('query API: the regional feed as server-sent events', function () {
  this.timeout(120000);
  let env: TestEnv;
  let hub: TestHub;

  before(async () => {
    env = createTestEnv('feed-stream');
    hub = await startTestHub(env, ['KZ', 'UZ']);
  });
  after(async () => {
    await hub?.close();
    env?.cleanup();
  });

  /** A client of the store and a producer on the test's broker, to write records straight into a feed. */
  const feedWriter = async (clientId: string) => {
    const store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    const producer = createKafka({
      brokers: env.config.kafka.brokers,
      clientId,
      logger: env.logger,
    }).producer();
    await producer.connect();
    return { store, producer, close: () => Promise.all([producer.disconnect(), store.close()]) };
  };

  /** A seizure report of UZ's, releasable to central-asia at `tlp`. */
  const report = (tlp: string) => ({
    reportId: randomUUID(),
    seizedAt: '2026-06-01T08:00:00Z',
    country: 'UZ',
    agency: 'border guard',
    drugs: [{ substance: 'opium', quantity: 7, unit: 'kg' }],
    handling: { tlp, releasableTo: ['central-asia'] },
  });

  /** A report of UZ's, sent, verified and stored: the original that records written straight into a feed carry. */
  const storedReport = async (store: Store) => {
    const body = report('GREEN');
    expect((await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, body)).status).to.equal(202);
    return waitUntil('the report stored', () =>
      store
        .collection<StoredEnvelope>(COLLECTIONS.envelopes)
        .findOne({ messageType: 'SeizureReport', subjectId: body.reportId })
        .then((e) => e ?? undefined),
    );
  };

  /** UZ withdraws one of its reports. */
  const withdraw = async (reportId: string) =>
    expect(
      (await postJson(`${hub.nodes.UZ!.url}/v1/seizures/${reportId}/retract`, { reason: 'entered twice' }))
        .status,
    ).to.equal(202);
  /** The reports whose withdrawal reached a stream. */
  const withdrawn = (s: Stream) =>
    s.events.filter((e) => e.event === 'SeizureRetraction').map((e) => e.data.subjectId);

  it('streams what each member may read, live, and refuses non-members', async () => {
    const url = `${hub.apiUrl}/v1/feeds/central-asia/stream`;
    const amberReader = await openStream(url, hub.token('analyst', 'KG', 'AMBER'));
    const greenReader = await openStream(url, hub.token('analyst', 'TJ', 'GREEN'));
    try {
      const green = report('GREEN');
      const amber = report('AMBER');
      for (const r of [green, amber])
        expect((await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, r)).status).to.equal(202);
      const ids = (s: Stream) =>
        s.events.filter((e) => e.event === 'SeizureReport').map((e) => e.data.subjectId);
      await waitUntil(
        'both records at the AMBER reader',
        () => ids(amberReader).length === 2 || undefined,
        60000,
      );
      const first = amberReader.events.find((e) => e.data.subjectId === green.reportId)!;
      expect(first.data).to.include({
        originCountry: 'UZ',
        country: 'UZ',
        region: 'central-asia',
        totalKg: 7,
      });
      await waitUntil(
        'the GREEN record at the GREEN reader',
        () => ids(greenReader).includes(green.reportId) || undefined,
      );
      await new Promise((r) => setTimeout(r, 1500));
      expect(ids(greenReader), 'AMBER is above a GREEN clearance').to.deep.equal([green.reportId]);
    } finally {
      amberReader.close();
      greenReader.close();
    }
    const outsider = await getJson(url, hub.token('analyst', 'DE', 'RED'));
    expect(outsider.status).to.equal(403);
    expect(
      await getJson(`${hub.apiUrl}/v1/feeds/atlantis/stream`, hub.token('coordinator', 'KZ', 'RED')),
    ).to.include({
      status: 404,
    });
  });

  it('passes a retraction only to whom its report is readable, and an alert only to coordinators and the countries it names', async () => {
    const url = `${hub.apiUrl}/v1/feeds/central-asia/stream`;
    const streams = {
      amberKg: await openStream(url, hub.token('analyst', 'KG', 'AMBER')),
      greenTj: await openStream(url, hub.token('analyst', 'TJ', 'GREEN')),
      greenKz: await openStream(url, hub.token('analyst', 'KZ', 'GREEN')),
      coordinator: await openStream(url, hub.token('coordinator', 'KG', 'GREEN')),
    };
    try {
      // Two reports of UZ withdrawn: the AMBER one's withdrawal says it existed, which a GREEN clearance may not know.
      const green = report('GREEN');
      const amber = report('AMBER');
      for (const r of [green, amber])
        expect((await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, r)).status).to.equal(202);
      await waitUntil(
        'both reports at the AMBER reader',
        () => streams.amberKg.events.filter((e) => e.event === 'SeizureReport').length >= 2 || undefined,
        60000,
      );
      for (const r of [green, amber]) await withdraw(r.reportId);
      await waitUntil(
        'both withdrawals at the AMBER reader',
        () => withdrawn(streams.amberKg).length === 2 || undefined,
        60000,
      );
      await waitUntil(
        'the GREEN withdrawal at the GREEN reader',
        () => withdrawn(streams.greenTj).includes(green.reportId) || undefined,
      );

      // A KZ report and a UZ report of one truck: an alert naming KZ and UZ, on the feed of the region.
      const plate = `01KZ${String(Date.now()).slice(-6)}`;
      const truck = { mode: 'road', identifiers: [{ kind: 'plate', value: plate }] };
      expect(
        (await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, { ...report('GREEN'), conveyance: truck }))
          .status,
      ).to.equal(202);
      expect(
        (
          await postJson(`${hub.nodes.KZ!.url}/v1/seizures`, {
            ...report('GREEN'),
            country: 'KZ',
            conveyance: truck,
          })
        ).status,
      ).to.equal(202);
      const alerts = (s: Stream) => s.events.filter((e) => e.event === 'alert').map((e) => e.data.countries);
      await waitUntil(
        'the alert at the coordinator',
        () => alerts(streams.coordinator).length || undefined,
        60000,
      );
      await waitUntil('the alert at KZ', () => alerts(streams.greenKz).length || undefined);
      await new Promise((r) => setTimeout(r, 1500));
      expect(alerts(streams.coordinator)).to.deep.equal([['KZ', 'UZ']]);
      expect(alerts(streams.greenKz)).to.deep.equal([['KZ', 'UZ']]);
      expect(alerts(streams.greenTj), 'TJ is named by no alert').to.deep.equal([]);
      expect(alerts(streams.amberKg), 'KG is named by no alert').to.deep.equal([]);
      expect(withdrawn(streams.greenTj), 'the AMBER report is above a GREEN clearance').to.deep.equal([
        green.reportId,
      ]);
    } finally {
      for (const s of Object.values(streams)) s.close();
    }
  });

  it('sends each version under its own handling, and a withdrawal to every feed any version went to', async () => {
    const url = `${hub.apiUrl}/v1/feeds/central-asia/stream`;
    const watcher = await openStream(url, hub.token('coordinator', 'KZ', 'RED'));
    const greenTj = await openStream(url, hub.token('analyst', 'TJ', 'GREEN'));
    const { producer, close } = await feedWriter('feed-versions');
    try {
      // Version 1 RED with its details, version 2 GREEN with them left out, read by the coordinator together (one
      // send, one key): version 1 stays off every feed, though its report is GREEN now.
      const versionOf = (version: number, tlp: string) =>
        seizureReportFromJson(report(tlp), {
          nodeCountry: 'UZ',
          now: Date.now(),
          versionOf: () => version,
          regions: new Set(['central-asia']),
        }).value;
      const red = versionOf(1, 'RED');
      const green = { ...versionOf(2, 'GREEN'), reportId: red.reportId };
      await producer.send({
        topic: topicNames(env.config.namespace).nodeOut('UZ'),
        acks: -1,
        messages: [red, green].map((v) => ({
          key: red.reportId,
          value: signedAs(env, 'UZ', 'SeizureReport', v).bytes,
        })),
      });
      const versions = (s: Stream, id: string) =>
        s.events
          .filter((e) => e.event === 'SeizureReport' && e.data.subjectId === id)
          .map((e) => e.data.version);
      await waitUntil(
        'version 2 on the feed',
        () => versions(watcher, red.reportId).includes(2) || undefined,
        60000,
      );

      // Version 1 GREEN for the region, version 2 AMBER for KZ alone, then withdrawn: the withdrawal goes where
      // version 1 went, to whom version 1 was readable.
      const wide = report('GREEN');
      expect((await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, wide)).status).to.equal(202);
      await waitUntil(
        'version 1 at the GREEN reader',
        () => versions(greenTj, wide.reportId).length || undefined,
        60000,
      );
      const narrow = { ...wide, handling: { tlp: 'AMBER', releasableTo: ['KZ'] } };
      const second = await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, narrow);
      expect(second.body.version).to.equal(2);
      await waitUntil(
        'version 2 stored',
        async () => {
          const r = await getJson(
            `${hub.apiUrl}/v1/seizures/${wide.reportId}`,
            hub.token('coordinator', 'UZ', 'RED'),
          );
          return r.body.version === 2 || undefined;
        },
        60000,
      );
      await withdraw(wide.reportId);
      await waitUntil(
        'the withdrawal at the GREEN reader',
        () => withdrawn(greenTj).includes(wide.reportId) || undefined,
        60000,
      );
      expect(versions(greenTj, wide.reportId), 'version 2 is not for the region').to.deep.equal([1]);
      expect(versions(watcher, red.reportId), 'version 1 (RED) on no feed').to.deep.equal([2]);

      // A request is between two countries, whatever its id and handling: one under a GREEN report's id, itself
      // GREEN for the region, goes to no feed.
      const asked = await postJson(`${hub.nodes.UZ!.url}/v1/requests`, {
        requestId: red.reportId,
        to: 'KZ',
        purpose: 'criminal investigation 2026/117',
        question: 'Was this truck seen at your border before?',
        handling: { tlp: 'GREEN', releasableTo: ['central-asia'] },
      });
      expect(asked.status, JSON.stringify(asked.body)).to.equal(202);
      await waitUntil(
        'the request at KZ',
        async () =>
          (
            (await getJson(`${hub.nodes.KZ!.url}/v1/requests?direction=incoming`)).body.requests as {
              requestId: string;
            }[]
          ).some((r) => r.requestId === red.reportId) || undefined,
        60000,
      );
      await new Promise((r) => setTimeout(r, 1500));
      expect(watcher.events.map((e) => e.event)).not.to.include('InformationRequest');
    } finally {
      watcher.close();
      greenTj.close();
      await close();
    }
  });

  it('forgets a stream whose client left while it was being set up: its timers and its place among the subscribers', async () => {
    const url = new URL(`${hub.apiUrl}/v1/feeds/central-asia/stream`);
    const token = hub.token('analyst', 'TJ', 'GREEN');
    const store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    try {
      const audit = store.collection(COLLECTIONS.audit);
      const opened = () => audit.countDocuments({ action: 'feed-stream' });
      const streamsBefore = await metricValue(hub.apiUrl, 'hub_query_feed_streams');
      const auditedBefore = await opened();
      // Three clients each send the request and hang up at once, while the stream waits for its audit entry.
      for (let i = 0; i < 3; i++)
        await new Promise<void>((resolve, reject) => {
          const socket = connect(Number(url.port), url.hostname, () =>
            socket.write(
              `GET ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\n\r\n`,
              () => {
                socket.destroy();
                resolve();
              },
            ),
          );
          socket.on('error', reject);
        });
      // Each was set up after its client had gone: its audit entry written, then its timers and subscriber made.
      await waitUntil(
        'the three streams audited',
        async () => (await opened()) >= auditedBefore + 3 || undefined,
        30000,
      );
      await new Promise((r) => setTimeout(r, 1000));
      expect(await metricValue(hub.apiUrl, 'hub_query_feed_streams')).to.equal(streamsBefore);
    } finally {
      await store.close();
    }
  });

  it('resumes after Last-Event-ID with what the caller missed and may read, and says when it is no longer held', async () => {
    const url = `${hub.apiUrl}/v1/feeds/central-asia/stream`;
    const watcher = await openStream(url, hub.token('coordinator', 'KZ', 'RED'));
    const first = await openStream(url, hub.token('analyst', 'TJ', 'GREEN'));
    const seen = (s: Stream, id: string) => s.events.find((e) => e.data.subjectId === id);
    const readers: Stream[] = [watcher, first];
    try {
      const before = report('GREEN');
      expect((await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, before)).status).to.equal(202);
      const last = await waitUntil('the first record', () => seen(first, before.reportId), 60000);
      // Where the feed's reader stood on every partition just after it.
      expect(last.id).to.match(/^[0-9]+:-?[0-9]+(,[0-9]+:-?[0-9]+)+$/);
      first.close();
      // Published while that client was away.
      const missed = [report('GREEN'), report('AMBER')];
      for (const r of missed)
        expect((await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, r)).status).to.equal(202);
      await waitUntil(
        'both at the watcher',
        () => missed.every((r) => seen(watcher, r.reportId)) || undefined,
      );
      const ids = (s: Stream) =>
        s.events.filter((e) => e.event === 'SeizureReport').map((e) => e.data.subjectId);

      const green = await openStream(url, hub.token('analyst', 'TJ', 'GREEN'), { 'last-event-id': last.id! });
      const amber = await openStream(url, hub.token('analyst', 'KG', 'AMBER'), { 'last-event-id': last.id! });
      const lost = await openStream(url, hub.token('analyst', 'KG', 'AMBER'), {
        'last-event-id': '0:99999999',
      });
      readers.push(green, amber, lost);
      await waitUntil('the missed records replayed', () => ids(amber).length === 2 || undefined);
      await new Promise((r) => setTimeout(r, 1000));
      // In the order the feed gave them live (the two may be on two partitions, which Kafka does not order).
      const missedIds: unknown[] = missed.map((r) => r.reportId);
      expect(ids(amber), 'what came after, in order').to.deep.equal(
        ids(watcher).filter((id) => missedIds.includes(id)),
      );
      expect(ids(amber)).to.have.members(missedIds);
      expect(ids(green), 'only what a GREEN clearance may read').to.deep.equal([missed[0]!.reportId]);
      expect(lost.events.map((e) => e.event)).to.deep.equal(['ready', 'gap']);
      expect(lost.events[1]!.data).to.include({ lastEventId: '0:99999999' });
      expect(String(lost.events[1]!.data.detail)).to.include('GET /v1/seizures');
    } finally {
      for (const r of readers) r.close();
    }
  });

  it('reads back from the broker what a client missed when the query API does not hold it (restarted), then goes on live', async () => {
    const url = (base: string) => `${base}/v1/feeds/central-asia/stream`;
    const seen = (s: Stream, id: string) => s.events.find((e) => e.data.subjectId === id);
    const ids = (s: Stream) =>
      s.events.filter((e) => e.event === 'SeizureReport').map((e) => e.data.subjectId);
    const first = await openStream(url(hub.apiUrl), hub.token('analyst', 'KG', 'AMBER'));
    const readers: Stream[] = [first];
    let restarted: Awaited<ReturnType<typeof startQueryApi>> | undefined;
    try {
      const before = report('GREEN');
      expect((await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, before)).status).to.equal(202);
      const last = await waitUntil('the first record', () => seen(first, before.reportId), 60000);
      first.close();
      // Published while the client was away (a watcher sees them on the feed); then a query API that holds none of
      // it, started after they were all on the feed (as after a restart).
      const watcher = await openStream(url(hub.apiUrl), hub.token('coordinator', 'KZ', 'RED'));
      readers.push(watcher);
      const missed = [report('GREEN'), report('AMBER'), report('GREEN')];
      for (const r of missed)
        expect((await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, r)).status).to.equal(202);
      await waitUntil(
        'all three on the feed',
        () => missed.every((r) => seen(watcher, r.reportId)) || undefined,
        60000,
      );
      restarted = await startQueryApi({
        config: env.config,
        logger: env.logger,
        port: 0,
        feedReplayRecords: 3,
      });

      const amber = await openStream(url(restarted.url), hub.token('analyst', 'KG', 'AMBER'), {
        'last-event-id': last.id!,
      });
      const green = await openStream(url(restarted.url), hub.token('analyst', 'TJ', 'GREEN'), {
        'last-event-id': last.id!,
      });
      readers.push(amber, green);
      await waitUntil('the missed records read back', () => ids(amber).length === 3 || undefined, 60000);
      expect(ids(amber)).to.have.members(missed.map((r) => r.reportId));
      await waitUntil('the GREEN ones at the GREEN reader', () => ids(green).length === 2 || undefined);
      expect(ids(green), 'only what a GREEN clearance may read').to.have.members([
        missed[0]!.reportId,
        missed[2]!.reportId,
      ]);
      // Then live, each record once.
      const after = report('GREEN');
      expect((await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, after)).status).to.equal(202);
      await waitUntil('the live record', () => seen(amber, after.reportId), 60000);
      await new Promise((r) => setTimeout(r, 1000));
      expect(ids(amber)).to.have.length(4);
      expect(amber.events.map((e) => e.event)).not.to.include('gap');
      // The id of a record read back resumes after it, there too.
      const resumeAt = amber.events.find((e) => e.data.subjectId === missed[1]!.reportId)!.id!;
      const again = await openStream(url(restarted.url), hub.token('analyst', 'KG', 'AMBER'), {
        'last-event-id': resumeAt,
      });
      readers.push(again);
      await waitUntil('what came after it', () => ids(again).length >= 1 || undefined, 60000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(ids(again)).to.not.include(missed[1]!.reportId);
      expect(ids(again)).to.include(after.reportId);

      // More missed than the instance gives again (3 here): a gap, saying where to look, but not how many records
      // were published (some the caller may not read).
      const tooFar = await openStream(url(restarted.url), hub.token('analyst', 'KG', 'AMBER'), {
        'last-event-id': last.id!.replace(/:(-?[0-9]+)/g, ':-1'),
      });
      readers.push(tooFar);
      await waitUntil('the gap', () => tooFar.events.find((e) => e.event === 'gap'));
      expect(String(tooFar.events.find((e) => e.event === 'gap')!.data.detail)).to.match(
        /^more records were published on this feed since than the 3 a stream gives again: .*GET \/v1\/seizures/,
      );
      // Counted once each read-back consumer has finished, a moment after its last record was sent.
      await waitUntil(
        'the three read-backs counted complete',
        async () =>
          (await metricValue(restarted!.url, 'hub_query_feed_replays_total', { outcome: 'complete' })) ===
            3 || undefined,
        10000,
      );
    } finally {
      for (const r of readers) r.close();
      await restarted?.close();
    }
  });

  it('gives again after Last-Event-ID only what the caller may read now: no version since made RED, withdrawn or erased', async () => {
    const url = (base: string) => `${base}/v1/feeds/central-asia/stream`;
    const seen = (s: Stream, id: string) => s.events.find((e) => e.data.subjectId === id);
    const ids = (s: Stream) =>
      s.events.filter((e) => e.event === 'SeizureReport').map((e) => e.data.subjectId);
    const first = await openStream(url(hub.apiUrl), hub.token('analyst', 'KG', 'AMBER'));
    const watcher = await openStream(url(hub.apiUrl), hub.token('coordinator', 'KZ', 'RED'));
    const readers: Stream[] = [first, watcher];
    const { store, close } = await feedWriter('feed-given-again');
    let restarted: Awaited<ReturnType<typeof startQueryApi>> | undefined;
    try {
      const before = report('GREEN');
      expect((await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, before)).status).to.equal(202);
      const last = await waitUntil('the first record', () => seen(first, before.reportId), 60000);
      first.close();
      // Published for the region while that client was away, all GREEN; since then one corrected to RED (its
      // version 2 on no feed), one withdrawn, and one erased (its document gone from the store, as an erasure
      // leaves it: the hub's retention review is not waited for here).
      const [madeRed, withdrawnSince, erased, kept] = [1, 2, 3, 4].map(() => report('GREEN')) as [
        ReturnType<typeof report>,
        ReturnType<typeof report>,
        ReturnType<typeof report>,
        ReturnType<typeof report>,
      ];
      for (const r of [madeRed, withdrawnSince, erased, kept])
        expect((await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, r)).status).to.equal(202);
      await waitUntil(
        'all four on the feed',
        () => [madeRed, withdrawnSince, erased, kept].every((r) => seen(watcher, r.reportId)) || undefined,
        60000,
      );
      const corrected = await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, {
        ...madeRed,
        handling: { tlp: 'RED' },
      });
      expect(corrected.body.version).to.equal(2);
      await withdraw(withdrawnSince.reportId);
      await waitUntil(
        'the withdrawal on the feed',
        () => withdrawn(watcher).includes(withdrawnSince.reportId) || undefined,
        60000,
      );
      const reports = store.collection<{ _id: string; version: number }>(COLLECTIONS.reports);
      await waitUntil(
        'version 2 (RED) stored',
        async () => (await reports.findOne({ _id: madeRed.reportId }))?.version === 2 || undefined,
        60000,
      );
      await reports.deleteOne({ _id: erased.reportId });
      const gone = [madeRed, withdrawnSince, erased].map((r) => r.reportId);

      // Held by this instance: given again after the id, checked against the store.
      const held = await openStream(url(hub.apiUrl), hub.token('analyst', 'KG', 'AMBER'), {
        'last-event-id': last.id!,
      });
      readers.push(held);
      await waitUntil('the withdrawal given again', () => withdrawn(held).length || undefined, 60000);
      await new Promise((r) => setTimeout(r, 1000));
      expect(ids(held), 'only what stands open to the caller now').to.deep.equal([kept.reportId]);
      expect(withdrawn(held), 'a withdrawal, while its report is kept').to.deep.equal([
        withdrawnSince.reportId,
      ]);

      // Read back from the broker by an instance that holds nothing, from before the feed's first record on every
      // partition (any id of this feed's shape is taken): the same check on every record read back.
      restarted = await startQueryApi({ config: env.config, logger: env.logger, port: 0 });
      const back = await openStream(url(restarted.url), hub.token('analyst', 'KG', 'AMBER'), {
        'last-event-id': last.id!.replace(/:(-?[0-9]+)/g, ':-1'),
      });
      readers.push(back);
      await waitUntil(
        'the feed read back',
        () => withdrawn(back).includes(withdrawnSince.reportId) || undefined,
        60000,
      );
      await new Promise((r) => setTimeout(r, 1000));
      expect(ids(back)).to.include(before.reportId);
      expect(ids(back)).to.include(kept.reportId);
      for (const id of gone) expect(ids(back), `${id} given again`).not.to.include(id);
      expect(back.events.map((e) => e.event)).not.to.include('gap');
    } finally {
      for (const r of readers) r.close();
      await restarted?.close();
      await close();
    }
  });

  it('streams an alert as each caller may see it, and given again as its reports stand now', async () => {
    const url = `${hub.apiUrl}/v1/feeds/central-asia/stream`;
    const streams = {
      kzGreen: await openStream(url, hub.token('analyst', 'KZ', 'GREEN')),
      kzAmber: await openStream(url, hub.token('analyst', 'KZ', 'AMBER')),
      coordinator: await openStream(url, hub.token('coordinator', 'KG', 'GREEN')),
    };
    const readers: Stream[] = Object.values(streams);
    type Shown = { matched: { reportId: string }[]; countries: string[]; reason: string };
    try {
      // Where KZ's AMBER clearance stood before what follows, to reconnect from later.
      const marker = report('GREEN');
      expect((await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, marker)).status).to.equal(202);
      const resumeAt = (
        await waitUntil(
          'the marker at KZ',
          () => streams.kzAmber.events.find((e) => e.data.subjectId === marker.reportId),
          60000,
        )
      ).id!;
      // UZ's AMBER report for the region and KZ's GREEN one, of one truck: an alert every member may read at RED
      // clearance, so on the region's feed; a GREEN clearance may not read UZ's report.
      const truck = {
        mode: 'road',
        identifiers: [{ kind: 'plate', value: `HN${String(Date.now()).slice(-6)}` }],
      };
      const uz = { ...report('AMBER'), conveyance: truck };
      const kz = { ...report('GREEN'), country: 'KZ', conveyance: truck };
      expect((await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, uz)).status).to.equal(202);
      expect((await postJson(`${hub.nodes.KZ!.url}/v1/seizures`, kz)).status).to.equal(202);
      const alertAt = (s: Stream) =>
        s.events.find(
          (e) => e.event === 'alert' && (e.data as Shown).matched.some((m) => m.reportId === kz.reportId),
        );
      const shown = async (name: keyof typeof streams) =>
        (await waitUntil(`the alert at ${name}`, () => alertAt(streams[name]), 60000)).data as Shown;
      const matchedIn = (a: Shown) => a.matched.map((m) => m.reportId).sort();
      expect(matchedIn(await shown('kzAmber'))).to.deep.equal([kz.reportId, uz.reportId].sort());
      expect((await shown('kzAmber')).countries).to.deep.equal(['KZ', 'UZ']);
      const green = await shown('kzGreen');
      expect(matchedIn(green)).to.deep.equal([kz.reportId]);
      expect(green.countries).to.deep.equal(['KZ']);
      expect(green.reason).to.match(/; 1 report you may not read matches yours$/);
      const coordinator = await shown('coordinator');
      expect(matchedIn(coordinator), 'a coordinator is held to its clearance').to.deep.equal([kz.reportId]);
      expect(coordinator.countries).to.deep.equal(['KZ']);
      expect(coordinator.reason).to.include(
        '1 of them, which you may not read, is withheld by their handling',
      );

      // UZ corrects its report to RED: KZ's AMBER clearance, reconnecting from before the alert, is given it again
      // without UZ's report (nor UZ's report itself).
      expect(
        (await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, { ...uz, handling: { tlp: 'RED' } })).body
          .version,
      ).to.equal(2);
      await waitUntil(
        'version 2 stored',
        async () =>
          (await getJson(`${hub.apiUrl}/v1/seizures/${uz.reportId}`, hub.token('analyst', 'UZ', 'RED'))).body
            .version === 2 || undefined,
        60000,
      );
      const again = await openStream(url, hub.token('analyst', 'KZ', 'AMBER'), { 'last-event-id': resumeAt });
      readers.push(again);
      const later = (await waitUntil('the alert given again', () => alertAt(again), 60000)).data as Shown;
      expect(matchedIn(later)).to.deep.equal([kz.reportId]);
      expect(later.countries).to.deep.equal(['KZ']);
      await new Promise((r) => setTimeout(r, 1000));
      const reports = again.events.filter((e) => e.event === 'SeizureReport').map((e) => e.data.subjectId);
      expect(reports).to.include(kz.reportId);
      expect(reports).not.to.include(uz.reportId);
    } finally {
      for (const r of readers) r.close();
    }
  });

  it("shows each record's owner which streams were given it (GET /v1/reads), once the stream ends", async () => {
    const url = `${hub.apiUrl}/v1/feeds/central-asia/stream`;
    const reader = await openStream(url, hub.token('analyst', 'KG', 'GREEN'));
    const body = report('GREEN');
    try {
      expect((await postJson(`${hub.nodes.UZ!.url}/v1/seizures`, body)).status).to.equal(202);
      await waitUntil('the record at the reader', () =>
        reader.events.some((e) => e.data.subjectId === body.reportId) ? true : undefined,
      );
    } finally {
      reader.close();
    }
    type Read = { reader: { country: string }; action: string; reportIds: string[] };
    const read = await waitUntil("the stream's read in UZ's view", async () => {
      const r = await getJson(`${hub.apiUrl}/v1/reads?reportId=${body.reportId}`, hub.token('analyst', 'UZ'));
      return (r.body.reads as Read[]).find((e) => e.action === 'feed-stream' && e.reader.country === 'KG');
    });
    expect(read.reportIds).to.deep.equal([body.reportId]);
  });

  it('ends a stream once its token expires, saying so, and takes no new one with that token', async () => {
    const url = `${hub.apiUrl}/v1/feeds/central-asia/stream`;
    // Past its exp by 25 s: still taken for the 30 s of clock skew, so for about 5 s more.
    const token = hub.token('analyst', 'KG', 'GREEN', -25);
    const stream = await openStream(url, token);
    try {
      await waitUntil('the stream ended by the server', () => stream.ended() || undefined, 20000);
      const last = stream.events.at(-1)!;
      expect(last.event).to.equal('token-lapsed');
      expect(last.data.code).to.equal('TOKEN_EXPIRED');
      expect(String(last.data.message)).to.match(
        /the bearer token expired at .*; get a new one and reconnect/,
      );
    } finally {
      stream.close();
    }
    expect((await getJson(url, token)).status).to.equal(401);
  });

  it('ends a stream once the key that signed its token is withdrawn, within 15 s of the query API noticing, saying so', async () => {
    // On a query API of its own, with keys of its own (the hub's streams keep theirs): a copy of the hub's PKI.
    const home = mkdtempSync(join(tmpdir(), 'hub-key-withdrawn-'));
    cpSync(join(env.config.hubHome, 'pki'), join(home, 'pki'), { recursive: true });
    const keys = authDir(home);
    const old = loadKeyRing(keys);
    const claims = {
      sub: 'analyst-KG',
      role: 'analyst',
      country: 'KG',
      clearance: 'GREEN',
      ttlSeconds: 600,
    } as const;
    const token = mintToken(old, claims);
    const api = await startQueryApi({
      config: { ...env.config, hubHome: home },
      logger: env.logger,
      port: 0,
    });
    const url = `${api.url}/v1/feeds/central-asia/stream`;
    let stream: Stream | undefined;
    try {
      stream = await openStream(url, token);
      // Withdrawn as an operator does: a new key made, the old one's file removed from the auth folder.
      const current = loadKeyRing(keys, { rotate: true });
      expect(current.current.kid).to.not.equal(old.current.kid);
      rmSync(join(keys, `jwt-${old.current.kid}.key`));
      // The query API reads its folder again for a token naming a key it does not hold (at most every 5 s), or
      // else within a minute: the new key's first token makes it notice now.
      const fresh = mintToken(current, claims);
      await waitUntil(
        'the query API taking a token of the new key',
        async () => (await getJson(`${api.url}/v1/alerts`, fresh)).status === 200 || undefined,
        20000,
        500,
      );
      // A keep-alive comes every 15 s; 10 s more for a slow machine.
      const open = stream;
      await waitUntil('the stream ended by the server', () => open.ended() || undefined, 25000);
      const last = stream.events.at(-1)!;
      expect(last.event).to.equal('token-lapsed');
      expect(last.data.code).to.equal('TOKEN_INVALID');
      expect(String(last.data.message)).to.equal(
        `the key ${JSON.stringify(old.current.kid)} that signed the bearer token has been withdrawn; get a new token and reconnect`,
      );
      expect((await getJson(url, token)).status, 'a new stream with the old token').to.equal(401);
    } finally {
      stream?.close();
      await api.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('closes while a client keeps its stream open: the stream ended, its keep-alive stopped, nothing waits', async () => {
    // The intervals of 15 s this instance makes (its keep-alives), and those cleared: seen, not changed.
    const made = new Set<unknown>();
    const cleared = new Set<unknown>();
    const realSet = globalThis.setInterval;
    const realClear = globalThis.clearInterval;
    globalThis.setInterval = ((fn: () => void, ms?: number) => {
      const handle = realSet(fn, ms);
      if (ms === 15000) made.add(handle);
      return handle;
    }) as typeof setInterval;
    globalThis.clearInterval = ((handle?: NodeJS.Timeout) => {
      cleared.add(handle);
      realClear(handle);
    }) as typeof clearInterval;
    const agent = new Agent({ keepAlive: true });
    let api: Awaited<ReturnType<typeof startQueryApi>> | undefined;
    try {
      api = await startQueryApi({ config: env.config, logger: env.logger, port: 0 });
      const res = await new Promise<IncomingMessage>((resolve, reject) =>
        get(
          `${api!.url}/v1/feeds/central-asia/stream`,
          { agent, headers: { authorization: `Bearer ${hub.token('analyst', 'KG', 'GREEN')}` } },
          resolve,
        ).on('error', reject),
      );
      expect(res.statusCode).to.equal(200);
      res.resume();
      await waitUntil('its keep-alive running', () => made.size > 0 || undefined);
      await api.close();
      api = undefined;
      expect(
        [...made].filter((h) => !cleared.has(h)),
        'keep-alives left running',
      ).to.have.length(0);
    } finally {
      globalThis.setInterval = realSet;
      globalThis.clearInterval = realClear;
      agent.destroy();
      await api?.close();
    }
  });

  it("answers 503 FEED_UNAVAILABLE while a feed's topic is not made, closes all the same, and streams once it is", async () => {
    // A namespace whose topics nobody has made yet (the coordinator makes them at start), on the same broker.
    const config = { ...env.config, namespace: `${env.config.namespace}-late` };
    const names = topicNames(config.namespace);
    const api = await startQueryApi({ config, logger: env.logger, port: 0 });
    const admin = createKafka({
      brokers: config.kafka.brokers,
      clientId: 'feed-late',
      logger: env.logger,
    }).admin();
    try {
      const url = `${api.url}/v1/feeds/central-asia/stream`;
      const token = hub.token('analyst', 'KG', 'GREEN');
      const refused = await getJson(url, token);
      expect(refused.status).to.equal(503);
      const error = refused.body.error as { code: string; message: string };
      expect(error.code).to.equal('FEED_UNAVAILABLE');
      expect(error.message).to.include('central-asia').and.include('retry later');
      await admin.connect();
      await ensureTopics(
        admin,
        hubTopicConfigs(names, ['central-asia'], { partitions: 1, replicationFactor: 1 }),
      );
      // The failed start is not kept: the next subscriber's start is tried again, and streams (once the brokers have
      // settled the new topics' leaders: a start a moment too early is refused the same way, and tried again).
      const reader = await waitUntil('a stream once the topics are made', () =>
        openStream(url, token).catch(() => undefined),
      );
      reader.close();
    } finally {
      await admin.disconnect();
      // A stream start that failed does not stop the API from closing (and closing its store).
      await api.close();
    }
  });

  it('keeps a caller to 32 streams open at once (four times HUB_QUERY_CONCURRENCY), and takes another once one closes', async () => {
    const url = `${hub.apiUrl}/v1/feeds/central-asia/stream`;
    const token = hub.token('analyst', 'KG', 'GREEN');
    const max = 4 * env.config.queryConcurrency;
    const open = await Promise.all(Array.from({ length: max }, () => openStream(url, token)));
    try {
      const refused = await getJson(url, token);
      expect(refused.status, JSON.stringify(refused.body)).to.equal(429);
      expect((refused.body.error as { code: string; message: string }).code).to.equal('TOO_MANY_REQUESTS');
      expect((refused.body.error as { message: string }).message).to.contain(`has ${max} feed streams open`);
      // The caller's reads are not held up by its streams, and another caller streams.
      expect((await getJson(`${hub.apiUrl}/v1/stats?groupBy=country`, token)).status).to.equal(200);
      const other = await openStream(url, hub.token('analyst', 'TJ', 'GREEN'));
      other.close();
      open.pop()!.close();
      const again = await waitUntil('a stream taken again once one closed', async () => {
        const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
        if (res.status === 200) return res;
        await res.body?.cancel();
        return undefined;
      });
      await again.body?.cancel();
    } finally {
      for (const s of open) s.close();
    }
  });

  it('passes on no report holding a text longer than a node takes, and the reports after it', async () => {
    const reader = await openStream(
      `${hub.apiUrl}/v1/feeds/central-asia/stream`,
      hub.token('analyst', 'KG', 'GREEN'),
    );
    const { store, producer, close } = await feedWriter('feed-stream-long-text');
    try {
      const valueOf = () =>
        seizureReportFromJson(report('GREEN'), {
          nodeCountry: 'UZ',
          now: Date.now(),
          versionOf: () => 1,
          regions: new Set(['central-asia']),
        }).value;
      // Written straight to UZ's topic, as a node could (its own API bounds each field): an agency name of 900,000
      // characters, which every feed record, stored copy and analyst's screen would carry, then a report as a node
      // sends it.
      const long = valueOf();
      const after = valueOf();
      const longEnvelope = signedAs(env, 'UZ', 'SeizureReport', { ...long, agencyName: 'x'.repeat(900_000) });
      expect(longEnvelope.bytes.length).to.be.below(MAX_ENVELOPE_BYTES);
      await producer.send({
        topic: topicNames(env.config.namespace).nodeOut('UZ'),
        acks: -1,
        messages: [
          { key: long.reportId, value: longEnvelope.bytes },
          { key: after.reportId, value: signedAs(env, 'UZ', 'SeizureReport', after).bytes },
        ],
      });
      // Keyed apart, the two may be read from different partitions: the refusal is waited for, not assumed.
      const refused = await waitUntil('the long report refused', () =>
        store.collection(COLLECTIONS.quarantine).findOne({ messageId: longEnvelope.envelope.messageId }),
      );
      await waitUntil(
        'the report after it at the reader',
        () => reader.events.find((e) => e.data.subjectId === after.reportId),
        60000,
      );
      expect(reader.events.find((e) => e.data.subjectId === long.reportId)).to.equal(undefined);
      expect(await store.collection(COLLECTIONS.reports).findOne({ _id: long.reportId as never })).to.equal(
        null,
      );
      expect(refused).to.include({
        reasonCode: 'invalid-content',
        detail: 'agencyName: must be at most 200 characters (got 900000)',
      });
    } finally {
      await close();
      reader.close();
    }
  });

  it('refuses a countersigned record found on a feed it does not name, or one it cannot read, and goes on', async () => {
    // A record signed by the coordinator for other regions' feeds (a misrouting, or a copy put there) is not for
    // this feed's members, however valid its signatures. One whose payload no schema reads is passed over, not
    // retried for ever: the records behind it on its partition still arrive.
    const url = `${hub.apiUrl}/v1/feeds/central-asia/stream`;
    const reader = await openStream(url, hub.token('coordinator', 'KZ', 'RED'));
    const { store, producer, close } = await feedWriter('feed-misroute');
    try {
      const original = await storedReport(store);
      const record = (subjectId: string, regions: string[]) => {
        return signedAs(env, HUB_ORIGIN, 'FeedRecord', {
          originalEnvelope: original.bytes,
          messageType: 'SeizureReport',
          subjectId,
          version: 1,
          originCountry: original.origin,
          region: regions[0],
          regions,
          acceptedAt: Date.now(),
        }).bytes;
      };
      const elsewhere = `elsewhere-${randomUUID()}`;
      const named = `named-${randomUUID()}`;
      const unreadable = unreadableAs(env, HUB_ORIGIN, 'FeedRecord');
      const refusedBefore = await metricValue(hub.apiUrl, 'hub_query_feed_records_refused_total', {
        reason: 'unreadable',
      });
      const otherFeedBefore = await metricValue(hub.apiUrl, 'hub_query_feed_records_refused_total', {
        reason: 'other-feed',
      });
      await producer.send({
        topic: topicNames(env.config.namespace).feed('central-asia'),
        messages: [
          { key: elsewhere, value: record(elsewhere, ['balkan-route', 'south-caucasus']) },
          { key: named, value: unreadable },
          { key: named, value: record(named, ['balkan-route', 'central-asia']) },
        ],
      });
      const ids = () => reader.events.filter((e) => e.event === 'SeizureReport').map((e) => e.data.subjectId);
      await waitUntil('the record naming central-asia', () => ids().includes(named) || undefined, 60000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(ids(), 'the record for other regions only').to.not.include(elsewhere);
      expect(reader.events.find((e) => e.data.subjectId === named)?.data.region).to.equal('central-asia');
      expect(
        await metricValue(hub.apiUrl, 'hub_query_feed_records_refused_total', { reason: 'unreadable' }),
      ).to.equal(refusedBefore + 1);
      // The record for other regions only, refused once (its partition may be read after the other's: waited for).
      await waitUntil(
        'the record for other regions refused',
        async () =>
          (await metricValue(hub.apiUrl, 'hub_query_feed_records_refused_total', { reason: 'other-feed' })) >
          otherFeedBefore,
        60000,
      );
      expect(
        await metricValue(hub.apiUrl, 'hub_query_feed_records_refused_total', { reason: 'other-feed' }),
      ).to.equal(otherFeedBefore + 1);
    } finally {
      reader.close();
      await close();
    }
  });

  it("holds a record until its signer's certificate arrives on hub.pki, in order, and refuses it when none does", async () => {
    // The coordinator renews its certificate and restarts: its first feed records may come before the query API's
    // tail of hub.pki has applied the announcement. They wait for it; one whose certificate never comes is refused
    // after the grace period, and the records behind it on its partition still arrive, in order.
    const api = await startQueryApi({
      config: env.config,
      logger: env.logger,
      port: 0,
      // Ten seconds past the test's 2 s wait for the API's tail of hub.pki to apply the announcement on a slow
      // machine; well within the 30 s a read-back for a reconnecting client may take.
      feedSignerGraceMs: 12000,
    });
    const url = `${api.url}/v1/feeds/central-asia/stream`;
    const reader = await openStream(url, hub.token('coordinator', 'KZ', 'RED'));
    const { store, producer, close } = await feedWriter('feed-renewed');
    // Two renewed coordinator certificates from the hub's CA, in a copy of its PKI (the running hub keeps its own).
    const copy = mkdtempSync(join(tmpdir(), 'hub-renewed-'));
    cpSync(join(env.config.hubHome, 'pki'), copy, { recursive: true });
    const renewedPki = new PkiStore(copy);
    const renewal = () => {
      renewedPki.issue({ country: HUB_ORIGIN, agency: 'Coordination centre' });
      const identity = renewedPki.identity(HUB_ORIGIN);
      const signer = createSigner({
        privateKey: identity.privateKey,
        certificate: identity.certificatePem,
        origin: HUB_ORIGIN,
      });
      return { signer, certificatePem: identity.certificatePem };
    };
    const announced = renewal();
    const never = renewal();
    const registry = loadSchemaRegistry();
    const names = topicNames(env.config.namespace);
    try {
      const original = await storedReport(store);
      const record = (signer: Signer | undefined, subjectId: string) => {
        const value = {
          originalEnvelope: original.bytes,
          messageType: 'SeizureReport',
          subjectId,
          version: 1,
          originCountry: 'UZ',
          region: 'central-asia',
          regions: ['central-asia'],
          acceptedAt: Date.now(),
        };
        if (!signer) return signedAs(env, HUB_ORIGIN, 'FeedRecord', value).bytes;
        const { payload, fingerprint } = registry.encode('FeedRecord', value);
        return signer.signEncoded({ messageType: 'FeedRecord', schemaFingerprint: fingerprint, payload })
          .bytes;
      };
      const [late, orphan, known] = ['late', 'orphan', 'known'].map((k) => `${k}-${randomUUID()}`);
      // One key, so one partition: the records are read in this order.
      await producer.send({
        topic: names.feed('central-asia'),
        acks: -1,
        messages: [
          { key: 'renewal', value: record(announced.signer, late!) },
          { key: 'renewal', value: record(never.signer, orphan!) },
          { key: 'renewal', value: record(undefined, known!) },
        ],
      });
      // Their subjects stand in the store, as those of records the coordinator published do: what is given again
      // (held, or read back) is judged by its subject as it is now.
      await store.collection<{ _id: string }>(COLLECTIONS.reports).insertMany(
        [late!, orphan!, known!].map((_id) => ({
          _id,
          originCountry: 'UZ',
          version: 1,
          status: 'active',
          handling: { tlp: 'GREEN', releasableCountries: [], releasableTo: [] },
        })),
      );
      const ours = new Set([late, orphan, known]);
      const ids = () =>
        reader.events
          .filter((e) => e.event === 'SeizureReport' && ours.has(String(e.data.subjectId)))
          .map((e) => e.data.subjectId);
      await new Promise((r) => setTimeout(r, 2000));
      expect(ids(), 'nothing passes a record waiting for its signer').to.deep.equal([]);
      await announceCertificate({ producer, topic: names.pki, registry, ...announced });
      await waitUntil(
        'the record signed with the announced certificate',
        () => ids().includes(late!) || undefined,
      );
      await waitUntil('the record behind the refused one', () => ids().includes(known!) || undefined, 30000);
      expect(ids(), 'in order, without the record whose certificate never came').to.deep.equal([late, known]);
      expect(
        await metricValue(api.url, 'hub_query_feed_records_refused_total', { reason: 'unknown-signer' }),
      ).to.equal(1);
      // Read back from the broker for a client reconnecting from the feed's beginning, the same records: the
      // refused one refused again (after the same grace) but not counted twice, the two others given in order.
      const fromStart = reader.events
        .find((e) => e.data.subjectId === known)!
        .id!.replace(/:(-?[0-9]+)/g, ':-1');
      const again = await openStream(url, hub.token('coordinator', 'KZ', 'RED'), {
        'last-event-id': fromStart,
      });
      try {
        const replayed = () =>
          again.events
            .filter((e) => e.event === 'SeizureReport' && ours.has(String(e.data.subjectId)))
            .map((e) => e.data.subjectId);
        await waitUntil('the records read back', () => replayed().includes(known!) || undefined, 30000);
        expect(replayed()).to.deep.equal([late, known]);
        expect(
          await metricValue(api.url, 'hub_query_feed_records_refused_total', { reason: 'unknown-signer' }),
        ).to.equal(1);
      } finally {
        again.close();
      }
    } finally {
      reader.close();
      await close();
      await api.close();
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("gives a record read back for a reconnecting client although its signers' certificates expired since it was appended", async function () {
    // It waits for the certificates to expire, about 45 s.
    this.timeout(240000);
    // A query API that holds none of the feed (restarted) reads back from the broker what a reconnecting client
    // missed. Each record is judged as of when the brokers appended it: one countersigned by the coordinator, and its
    // original signed by UZ's node, under certificates valid then that have expired since, is given, not refused
    // (and silently missing from the stream).
    const url = (base: string) => `${base}/v1/feeds/central-asia/stream`;
    const watcher = await openStream(url(hub.apiUrl), hub.token('coordinator', 'KZ', 'RED'));
    const readers: Stream[] = [watcher];
    const { store, producer, close } = await feedWriter('feed-expired-since');
    // Short-lived certificates from the hub's CA, in a copy of its PKI (the running hub keeps its own).
    const copy = mkdtempSync(join(tmpdir(), 'hub-short-lived-'));
    cpSync(join(env.config.hubHome, 'pki'), copy, { recursive: true });
    const shortLived = new PkiStore(copy);
    const registry = loadSchemaRegistry();
    const names = topicNames(env.config.namespace);
    /** A certificate of `origin`'s valid for about 45 s more (issued valid from a minute ago), announced on hub.pki. */
    const issueShortLived = async (origin: string, agency: string) => {
      const issued = shortLived.issue({ country: origin, agency, validityDays: 105 / 86_400 });
      const identity = shortLived.identity(origin);
      const signer = createSigner({
        privateKey: identity.privateKey,
        certificate: identity.certificatePem,
        origin,
      });
      await announceCertificate({
        producer,
        topic: names.pki,
        registry,
        signer,
        certificatePem: identity.certificatePem,
      });
      return { signer, notAfter: issued.notAfter.getTime() };
    };
    let restarted: Awaited<ReturnType<typeof startQueryApi>> | undefined;
    try {
      // Where the watcher stands before the record: what the reconnecting client last saw.
      const before = await storedReport(store);
      const last = await waitUntil('the record before', () =>
        watcher.events.find((e) => e.data.subjectId === before.subjectId),
      );
      const coordinator = await issueShortLived(HUB_ORIGIN, 'Coordination centre');
      const uz = await issueShortLived('UZ', 'UZ customs');
      const body = report('GREEN');
      const value = seizureReportFromJson(body, {
        nodeCountry: 'UZ',
        now: Date.now(),
        versionOf: () => 1,
        regions: new Set(['central-asia']),
      }).value;
      const inner = registry.encode('SeizureReport', value);
      const original = uz.signer.signEncoded({
        messageType: 'SeizureReport',
        schemaFingerprint: inner.fingerprint,
        payload: inner.payload,
      });
      const record = registry.encode('FeedRecord', {
        originalEnvelope: original.bytes,
        messageType: 'SeizureReport',
        subjectId: body.reportId,
        version: 1,
        originCountry: 'UZ',
        region: 'central-asia',
        regions: ['central-asia'],
        acceptedAt: Date.now(),
      });
      const countersigned = coordinator.signer.signEncoded({
        messageType: 'FeedRecord',
        schemaFingerprint: record.fingerprint,
        payload: record.payload,
      });
      // Its subject stands in the store, as that of a record the coordinator published does: what is given again is
      // judged by its subject as it is now.
      await store.collection<{ _id: string } & Record<string, unknown>>(COLLECTIONS.reports).insertOne({
        _id: body.reportId,
        originCountry: 'UZ',
        version: 1,
        status: 'active',
        handling: { tlp: 'GREEN', releasableCountries: [], releasableTo: [] },
      });
      await producer.send({
        topic: names.feed('central-asia'),
        acks: -1,
        messages: [{ key: body.reportId, value: countersigned.bytes }],
      });
      // Given live while both certificates are valid.
      await waitUntil(
        'the record live, at the watcher',
        () => watcher.events.find((e) => e.data.subjectId === body.reportId),
        60000,
      );
      expect(Date.now(), 'given live before the certificates expire').to.be.below(
        Math.min(coordinator.notAfter, uz.notAfter),
      );
      const expiredBy = Math.max(coordinator.notAfter, uz.notAfter) + 2000;
      await new Promise((r) => setTimeout(r, expiredBy - Date.now()));

      restarted = await startQueryApi({ config: env.config, logger: env.logger, port: 0 });
      const expiredBefore = await metricValue(restarted.url, 'hub_query_feed_records_refused_total', {
        reason: 'expired',
      });
      const again = await openStream(url(restarted.url), hub.token('analyst', 'KG', 'AMBER'), {
        'last-event-id': last.id!,
      });
      readers.push(again);
      const given = await waitUntil(
        'the record read back',
        () => again.events.find((e) => e.data.subjectId === body.reportId),
        60000,
      );
      expect(given.event).to.equal('SeizureReport');
      expect(again.events.map((e) => e.event)).not.to.include('gap');
      expect(
        await metricValue(restarted.url, 'hub_query_feed_records_refused_total', { reason: 'expired' }),
        'refused as expired',
      ).to.equal(expiredBefore);
    } finally {
      for (const r of readers) r.close();
      await close();
      await restarted?.close();
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
