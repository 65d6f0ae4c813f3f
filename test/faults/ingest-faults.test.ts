// Fault injection during sustained ingest, on real servers: a broker stopped and restarted, the store stopped and
// restarted, the coordinator and a national node killed with SIGKILL, the coordinator stopped with SIGTERM. Each
// ends with every report stored exactly once and every receipt delivered. `npm test` runs short versions;
// `npm run test:soak` (HUB_SOAK=1) the long ones of the issues (10,000 submissions through a broker outage, 50,000
// reports through three coordinator kills).
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { spawnHub } from '@hub/cli/run/children';
import { defaultHubHome, type HubConfig } from '@hub/config';
import { startCoordinator, type RunningCoordinator } from '@hub/coordinator';
import { startNationalNode } from '@hub/national-node';
import { COLLECTIONS, connectStore, findBuckets, type Store } from '@hub/store';
import { cliEnv, createTestEnv, sleep, waitUntil, type TestEnv } from '../support/env';
import { getJson, postJson, testPki } from '../support/hub';
import { freePort, ownedFerret, ownedKafka } from '../support/servers';

const SOAK = process.env.HUB_SOAK === '1';
/**
 * FerretDB counts by reading and decoding every document, and a reader that never stops keeps SQLite from ever
 * checkpointing its write-ahead log (seen: 480 MB of log, counts of 35 s): the long runs poll the store rarely.
 */
const POLL_MS = SOAK ? 10000 : 1000;

function report(i: number): Record<string, unknown> {
  return {
    reportId: randomUUID(),
    seizedAt: new Date(Date.now() - 86400000 - i * 1000).toISOString(),
    country: 'KZ',
    agency: 'customs',
    drugs: [{ substance: i % 2 ? 'heroin' : 'cannabis-resin', quantity: 1 + (i % 40), unit: 'kg' }],
    route: [
      { country: 'AF', role: 'origin' },
      { country: i % 3 ? 'TJ' : 'UZ', role: 'transit' },
      { country: 'KZ', role: 'seizure' },
    ],
    handling: { tlp: 'GREEN' },
    notes: `fault test ${i}`,
  };
}

/** Post reports in batches; returns the ids the node acknowledged (202: durable in its outbox). */
async function submit(
  url: string,
  reports: Record<string, unknown>[],
  batch = 50,
  pauseMs = 0,
): Promise<string[]> {
  const acked: string[] = [];
  for (let i = 0; i < reports.length; i += batch) {
    if (pauseMs && i) await sleep(pauseMs);
    const r = await postJson(`${url}/v1/seizures/batch`, reports.slice(i, i + batch));
    expect(r.status, JSON.stringify(r.body).slice(0, 300)).to.equal(202);
    for (const x of r.body.results as { reportId: string; status: string }[]) acked.push(x.reportId);
  }
  return acked;
}

/** Exactly these reports stored, each once, with one version each and one archived envelope each. */
async function expectExactlyOnce(
  store: Store,
  ids: string[],
  timeoutMs: number,
  options: { resent?: boolean } = {},
): Promise<void> {
  await waitUntil(
    `${ids.length} reports stored`,
    async () =>
      (await store.collection(COLLECTIONS.reportKeys).estimatedDocumentCount()) >= ids.length || undefined,
    timeoutMs,
    POLL_MS,
  );
  const stored = await store
    .collection(COLLECTIONS.reports)
    .find({}, { projection: { _id: 1 } })
    .toArray();
  expect(stored.length).to.equal(ids.length);
  expect(new Set(stored.map((d) => String(d._id)))).to.deep.equal(new Set(ids));
  // A body re-sent after a crash that lost its acknowledgement may become a second, identical version.
  const versions = await store.collection(COLLECTIONS.reportVersions).countDocuments();
  if (options.resent) expect(versions).to.be.at.least(ids.length);
  else expect(versions).to.equal(ids.length);
  expect(await store.collection(COLLECTIONS.envelopes).countDocuments()).to.equal(versions);
  const stats = await findBuckets(store.collection<{ _id: string; count: number }>(COLLECTIONS.statsMonthly));
  expect(
    stats.reduce((s, b) => s + b.count, 0),
    'read models count each report once',
  ).to.equal(ids.length);
}

/** Every report's receipt reached the node: `accepted`. */
async function expectReceipts(nodeUrl: string, ids: string[], timeoutMs: number): Promise<void> {
  let missing = ids;
  await waitUntil(
    'every receipt at the node',
    async () => {
      const still: string[] = [];
      for (let i = 0; i < missing.length; i += 20) {
        const group = missing.slice(i, i + 20);
        const answers = await Promise.all(group.map((id) => getJson(`${nodeUrl}/v1/receipts/${id}`)));
        answers.forEach((r, j) => r.body.status !== 'accepted' && still.push(group[j] as string));
      }
      missing = still;
      return missing.length === 0 || undefined;
    },
    timeoutMs,
    1000,
  );
}

/**
 * `hub <args>` as a child process. Its log (level HUB_TEST_LOG_LEVEL, default info; debug adds the coordinator's
 * chunk timings) is appended to $HUB_HOME/logs/test-faults-<verb>.log and kept, so that a slow or failed run can be
 * read afterwards: the test's own folder is removed.
 */
function hubProcess(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const logs = join(defaultHubHome(process.env), 'logs');
  const level = process.env.HUB_TEST_LOG_LEVEL ?? 'info';
  return spawnHub(
    `test-faults-${args[0]}`,
    args,
    logs,
    { ...env, HUB_LOG_LEVEL: level },
    { stderr: 'inherit' },
  ).process;
}

async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exit;
}

/** Until the coordinator process on `opsPort` answers its health check. */
const coordinatorReady = (opsPort: number) =>
  waitUntil(
    'the coordinator ready',
    async () => (await fetch(`http://127.0.0.1:${opsPort}/healthz`).catch(() => undefined))?.ok,
    120000,
    250,
  );

describe('fault injection during sustained ingest', function () {
  this.timeout(SOAK ? 4 * 3600000 : 900000);
  let env: TestEnv;
  const cleanups: (() => Promise<void>)[] = [];
  const withConfig = (over: Partial<HubConfig>) => ({ ...env.config, ...over });
  /** The coordinator (in-process, ops port on) and node KZ on `config`, both closed after the test. */
  const startHub = async (
    config: HubConfig,
    { outboxMemoryBytes, ...extra }: { sessionTimeoutMs?: number; outboxMemoryBytes?: number } = {},
  ) => {
    const coordinator = await startCoordinator({
      config,
      logger: env.logger,
      opsPort: 0,
      topicRefreshMs: 1000,
      ...extra,
    });
    cleanups.push(() => coordinator.close());
    const node = await startNationalNode({
      config,
      country: 'KZ',
      logger: env.logger,
      port: 0,
      inbox: false,
      outboxMemoryBytes,
    });
    cleanups.push(() => node.close());
    return { coordinator, node };
  };

  /**
   * Node KZ in-process, a store client, how to start the coordinator as a process (`hub coordinator`), and how many
   * reports it has stored so far.
   */
  const nodeAndCoordinatorProcess = async () => {
    const node = await startNationalNode({
      config: env.config,
      country: 'KZ',
      logger: env.logger,
      port: 0,
      inbox: false,
    });
    cleanups.push(() => node.close());
    const store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    cleanups.push(() => store.close());
    const opsPort = await freePort();
    const start = () => hubProcess(['coordinator', '--ops-port', String(opsPort)], cliEnv(env));
    // Progress is polled on the smallest documents written last for each report (its match keys).
    const stored = () => store.collection(COLLECTIONS.reportKeys).estimatedDocumentCount();
    return { node, store, start, opsPort, stored };
  };

  beforeEach(() => {
    env = createTestEnv('faults');
    testPki(env, ['KZ']);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
    env.cleanup();
  });

  it('a broker stopped and restarted during submissions loses and duplicates nothing', async () => {
    const n = SOAK ? 10000 : 600;
    const kafka = await ownedKafka(join(env.home, 'kafka'));
    cleanups.push(() => kafka.stop());
    const config = withConfig({ kafka: { ...env.config.kafka, brokers: kafka.brokers } });
    // A small memory window, so that most of the outage's backlog waits on disk only and is read back from there.
    const { node } = await startHub(config, { outboxMemoryBytes: 64 * 1024 });
    const store = await connectStore({ url: config.mongo.url, dbName: config.mongo.dbName });
    cleanups.push(() => store.close());

    const reports = Array.from({ length: n }, (_, i) => report(i));
    const third = Math.floor(n / 3);
    const acked = await submit(node.url, reports.slice(0, third));
    await kafka.stop();
    // The node keeps acknowledging: reports are durable in its outbox while the broker is away.
    acked.push(...(await submit(node.url, reports.slice(third, 2 * third))));
    expect(node.outboxDepth()).to.be.greaterThan(100);
    expect(node.outboxMemoryBytes(), 'envelope bytes held in memory').to.be.at.most(64 * 1024);
    await kafka.start();
    acked.push(...(await submit(node.url, reports.slice(2 * third))));
    expect(acked).to.have.length(n);
    await expectExactlyOnce(store, acked, SOAK ? 3600000 : 600000);
    await expectReceipts(node.url, acked, 120000);
  });

  it('a broker away until the intake crashes: /healthz says so, and ok again once it is back, with nothing new to read', async () => {
    const kafka = await ownedKafka(join(env.home, 'kafka'));
    cleanups.push(() => kafka.stop());
    const config = withConfig({ kafka: { ...env.config.kafka, brokers: kafka.brokers } });
    const { coordinator, node } = await startHub(config);
    const store = await connectStore({ url: config.mongo.url, dbName: config.mongo.dbName });
    cleanups.push(() => store.close());
    const acked = await submit(
      node.url,
      Array.from({ length: 20 }, (_, i) => report(i)),
    );
    await expectExactlyOnce(store, acked, 120000);
    const intake = async () => {
      const r = await fetch(`${coordinator.opsUrl}/healthz`);
      const body = (await r.json()) as { checks: Record<string, { ok: boolean; detail?: unknown }> };
      return body.checks.intake!;
    };
    expect((await intake()).ok).to.equal(true);
    await kafka.stop();
    // A batch may fail first (its commit or heartbeat); then kafkajs gives up retrying and restarts the consumer.
    await waitUntil(
      'the intake reported crashed',
      async () => {
        const check = await intake();
        return (!check.ok && /^crashed: /.test(String(check.detail))) || undefined;
      },
      180000,
      1000,
    );
    await kafka.start();
    // Nothing arrives to be read: only its return to the group can say the intake is up again.
    await waitUntil(
      'the intake reported up again',
      async () => (await intake()).ok || undefined,
      180000,
      1000,
    );
    // Still every report once (a chunk whose commit the outage interrupted is read again, and skipped as done).
    await expectExactlyOnce(store, acked, 60000);
  });

  it('the store stopped and restarted during ingest: intake pauses and resumes without loss', async () => {
    const n = SOAK ? 5000 : 400;
    const ferret = await ownedFerret(join(env.home, 'ferret'));
    cleanups.push(() => ferret.stop());
    const config = withConfig({ mongo: { ...env.config.mongo, url: ferret.url } });
    const { coordinator, node } = await startHub(config);
    const reports = Array.from({ length: n }, (_, i) => report(i));
    const acked = await submit(node.url, reports.slice(0, n / 2));
    await waitUntil('ingest under way', () => coordinator.processed() > 0, 60000);
    await ferret.stop();
    // Half submitted once the store is down, so that the outage meets reports to store whatever the coordinator had
    // done with the first half by then (all of it, perhaps: a chunk holds up to 500).
    acked.push(...(await submit(node.url, reports.slice(n / 2))));
    const health = await waitUntil(
      'the coordinator reporting the store down',
      async () => {
        const r = await fetch(`${coordinator.opsUrl}/healthz`);
        return r.status === 503 ? r.status : undefined;
      },
      60000,
      500,
    );
    expect(health).to.equal(503);
    await sleep(3000);
    expect(coordinator.processed(), 'reports processed while the store was down').to.be.below(n);
    await ferret.start();
    const store = await connectStore({ url: config.mongo.url, dbName: config.mongo.dbName });
    cleanups.push(() => store.close());
    await expectExactlyOnce(store, acked, SOAK ? 3600000 : 600000);
    await expectReceipts(node.url, acked, 120000);
  });

  it('a store that hangs longer than the group session: the coordinator keeps its place and stores everything once', async () => {
    const n = 300;
    const ferret = await ownedFerret(join(env.home, 'ferret'));
    cleanups.push(() => ferret.stop());
    const config = withConfig({ mongo: { ...env.config.mongo, url: ferret.url } });
    const { coordinator, node } = await startHub(config, { sessionTimeoutMs: 6000 }); // the broker's minimum
    const joins = async () =>
      Number(
        /hub_coordinator_group_joins_total\S* (\d+)/.exec(
          await (await fetch(`${coordinator.opsUrl}/metrics`)).text(),
        )?.[1],
      );
    const reports = Array.from({ length: n }, (_, i) => report(i));
    const acked = await submit(node.url, reports.slice(0, n / 2));
    await waitUntil('ingest under way', () => coordinator.processed() > 0, 60000);
    const joined = await joins();
    expect(joined).to.be.at.least(1);
    // Every store call hangs for 15 s, well past the 6 s session. Half the reports are submitted once it hangs, so
    // that the coordinator has store calls to make in it, whatever it had done with the first half by then.
    const frozen = ferret.freeze(15000);
    acked.push(...(await submit(node.url, reports.slice(n / 2))));
    expect(coordinator.processed(), 'reports processed while the store hung').to.be.below(n);
    await frozen;
    const store = await connectStore({ url: config.mongo.url, dbName: config.mongo.dbName });
    cleanups.push(() => store.close());
    await expectExactlyOnce(store, acked, 600000);
    await expectReceipts(node.url, acked, 120000);
    expect(await joins(), 'the group never dropped the coordinator').to.equal(joined);
  });

  it('a coordinator killed with SIGKILL three times ends with every report stored exactly once', async () => {
    const n = SOAK ? 50000 : 400;
    if (SOAK) {
      // Hours on servers of its own: another test run's sweep of the shared stack must not remove its topics.
      const kafka = await ownedKafka(join(env.home, 'kafka'));
      cleanups.push(() => kafka.stop());
      const ferret = await ownedFerret(join(env.home, 'ferret'));
      cleanups.push(() => ferret.stop());
      env.config = withConfig({
        kafka: { ...env.config.kafka, brokers: kafka.brokers },
        mongo: { ...env.config.mongo, url: ferret.url },
      });
    }
    const { node, store, start, opsPort, stored: count } = await nodeAndCoordinatorProcess();
    let child = start();
    cleanups.push(() => killed(child));
    await coordinatorReady(opsPort);
    // Submitted once the coordinator runs, so that it is killed while reports still arrive, not once it has stored
    // them all (a chunk holds up to 500): the short run 20 every half second, about 10 s in all.
    const submitted = submit(
      node.url,
      Array.from({ length: n }, (_, i) => report(i)),
      SOAK ? 250 : 20,
      SOAK ? 0 : 500,
    );
    const started = Date.now();
    const atKill: number[] = [];
    for (const fraction of [0.2, 0.45, 0.7]) {
      await waitUntil(
        `${fraction * 100}% stored`,
        async () => (await count()) >= n * fraction || undefined,
        600000,
        POLL_MS,
      );
      atKill.push(await count());
      await killed(child);
      if (SOAK)
        console.log(`    killed at ${atKill.at(-1)} stored, ${Math.round((Date.now() - started) / 1000)} s`);
      child = start();
    }
    const acked = await submitted;
    expect(acked).to.have.length(n);
    expect(atKill[0], 'stored when first killed').to.be.below(n);
    await expectExactlyOnce(store, acked, SOAK ? 4 * 3600000 : 400000);
    if (SOAK) console.log(`    ${n} stored exactly once in ${Math.round((Date.now() - started) / 1000)} s`);
    await expectReceipts(node.url, acked, SOAK ? 1800000 : 120000);
  });

  it('a coordinator stopped with SIGTERM mid-ingest exits cleanly, and its successor stores every report once', async () => {
    const n = 600;
    const { node, store, start, opsPort, stored: count } = await nodeAndCoordinatorProcess();
    let child = start();
    cleanups.push(() => killed(child));
    await coordinatorReady(opsPort);
    // Submitted once the coordinator runs, 20 at a time for about 6 s, so that it stores them chunk by chunk and
    // is stopped while reports still arrive.
    const submitted = submit(
      node.url,
      Array.from({ length: n }, (_, i) => report(i)),
      20,
      200,
    );
    await waitUntil('the first reports stored', async () => (await count()) >= 40 || undefined, 300000, 250);
    const atStop = await count();
    // A graceful stop finishes the chunk it is storing, then closes its consumers (each waits for its fetch in
    // flight) and its clients; a stop that outlasts the shutdown's time limit exits 1 instead.
    const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exit, 'exit code after SIGTERM').to.equal(0);
    child = start();
    const acked = await submitted;
    expect(atStop, 'stopped mid-ingest').to.be.below(acked.length);
    await expectExactlyOnce(store, acked, 400000);
    await expectReceipts(node.url, acked, 120000);
  });

  it('a national node killed with SIGKILL mid-stream resumes its outbox: every acknowledged report arrives once', async () => {
    const n = SOAK ? 5000 : 400;
    const coordinator: RunningCoordinator = await startCoordinator({
      config: env.config,
      logger: env.logger,
      topicRefreshMs: 1000,
    });
    cleanups.push(() => coordinator.close());
    const store = await connectStore({ url: env.config.mongo.url, dbName: env.config.mongo.dbName });
    cleanups.push(() => store.close());
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const start = async () => {
      const child = hubProcess(['node', 'KZ', '--port', String(port)], cliEnv(env));
      await waitUntil(
        'the node up',
        async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.ok,
        60000,
        250,
      );
      return child;
    };
    let child = await start();
    cleanups.push(() => killed(child));
    const reports = Array.from({ length: n }, (_, i) => report(i));
    const acked: string[] = [];
    // Keep submitting while the node is killed: what it acknowledged must arrive, what it did not may be re-sent.
    const sending = (async () => {
      for (let i = 0; i < n; i += 20) {
        const chunk = reports.slice(i, i + 20);
        for (;;) {
          const r = await postJson(`${url}/v1/seizures/batch`, chunk).catch(() => undefined);
          if (r?.status === 202) {
            acked.push(...(r.body.results as { reportId: string }[]).map((x) => x.reportId));
            break;
          }
          await sleep(200);
        }
      }
    })();
    await waitUntil('a third acknowledged', () => acked.length >= n / 3 || undefined, 120000, 50);
    await killed(child);
    await sleep(500);
    child = await start();
    await sending;
    expect(new Set(acked).size).to.equal(n);
    await expectExactlyOnce(store, acked, SOAK ? 3600000 : 300000, { resent: true });
    await expectReceipts(url, acked, 120000);
  });
});
