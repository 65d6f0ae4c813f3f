// End-to-end ingest (agency JSON at a national node → verified and stored at the coordinator) and its raw
// baselines: kafkajs produce+consume, RSA-PSS signing and verification, driver insertMany of the documents it stored.
import { constants, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { startCoordinator } from '@hub/coordinator';
import { seizureReportFromJson, type SeizureReportRecord } from '@hub/domain';
import { createSigner, signingInput, type Envelope } from '@hub/envelope';
import { createKafka, ensureTopics } from '@hub/kafka';
import { startNationalNode } from '@hub/national-node';
import { loadRegions, loadSchemaRegistry } from '@hub/schemas';
import type { Document } from 'mongodb';
import { COLLECTIONS, connectStore, currentBuckets } from '@hub/store';
import {
  addStoreCommand,
  cpuMeter,
  percentile,
  storeTimeOf,
  storeTimesFromMetrics,
  storeTimesSince,
  timed,
  type CpuSeconds,
  type Row,
  type StoreTimes,
} from './measure';
import { benchNumber } from '@hub/cli/run/bench-settings';
import { startProfile } from './profile';
import { agencyJson, random } from './reports';
import { benchPki, benchSection, say } from './setup';

const N = benchNumber('BENCH_REPORTS');
const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
const RUNS = benchNumber('BENCH_INGEST_RUNS');

const BATCH = 100;

/** End-to-end ingest of N reports beside its raw baselines (a)-(d). */
export async function ingestRows(): Promise<Row[]> {
  const bench = benchSection('ingest');
  const { home, config, logger } = bench;
  const pki = benchPki(config, ['KZ']);
  const registry = loadSchemaRegistry();
  // Varied as the field sends them (bench/reports.ts): drugs, routes, concealments, dates over a year, and a plate
  // or flight number of its own each, as real seizures have; all from one node (KZ).
  const rnd = random(0x1e57);
  const bodies = Array.from({ length: N }, (_, i) =>
    agencyJson(rnd, i, { now: Date.now(), years: 1, country: 'KZ', idSeed: 0x1e57 }),
  );
  const regionIds = new Set(loadRegions().map((r) => r.id));
  const records = bodies.map(
    (b) =>
      seizureReportFromJson(b, { nodeCountry: 'KZ', now: Date.now(), versionOf: () => 1, regions: regionIds })
        .value,
  );
  const identity = pki.identity('KZ');
  const signer = createSigner({
    privateKey: identity.privateKey,
    certificate: identity.certificatePem,
    origin: 'KZ',
  });
  const envelopes = records.map((r) => {
    const { payload, fingerprint } = registry.encode('SeizureReport', r);
    return signer.signEncoded({ messageType: 'SeizureReport', schemaFingerprint: fingerprint, payload });
  });
  const rows: Row[] = [];

  // (b) raw node:crypto signing of the same payloads with the same key
  say(`raw signing of ${N} payloads`);
  const key = createPrivateKey(readFileSync(join(home, 'pki', 'nodes', 'KZ', 'node.key'), 'utf8'));
  const inputs = envelopes.map((e) => signingInput(e.envelope, e.envelope.payload));
  const signT = await timed(async () => inputs.map((input) => sign('sha256', input, { key, ...PSS })));
  const signRate = (N / signT.ms) * 1000;
  // (c) raw verification
  say('raw verification');
  const pub = createPublicKey(identity.certificatePem);
  const verifyT = await timed(async () =>
    inputs.forEach((input, i) =>
      verify('sha256', input, { key: pub, ...PSS }, envelopes[i]!.envelope.signature),
    ),
  );
  const verifyRate = (N / verifyT.ms) * 1000;

  // (a) raw kafkajs produce-and-consume of the same envelope bytes
  say('raw kafkajs produce and consume');
  const kafka = createKafka({ brokers: config.kafka.brokers, clientId: 'bench', logger });
  const admin = kafka.admin();
  await admin.connect();
  const rawTopic = `${config.namespace}.bench.raw`;
  await ensureTopics(admin, [{ topic: rawTopic, numPartitions: 3, replicationFactor: 1 }]);
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `${config.namespace}-raw` });
  await consumer.connect();
  await consumer.subscribe({ topics: [rawTopic], fromBeginning: true });
  let consumed = 0;
  let doneConsuming: () => void = () => undefined;
  const allConsumed = new Promise<void>((r) => (doneConsuming = r));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      consumed += batch.messages.length;
      if (consumed >= N) doneConsuming();
    },
  });
  const kafkaT = await timed(async () => {
    for (let i = 0; i < N; i += 500)
      await producer.send({
        topic: rawTopic,
        acks: -1,
        messages: envelopes
          .slice(i, i + 500)
          .map((e, j) => ({ key: records[i + j]!.reportId, value: e.bytes })),
      });
    await allConsumed;
  });
  const kafkaRate = (N / kafkaT.ms) * 1000;
  await consumer.disconnect();
  await producer.disconnect();

  // BENCH_INGEST_RUNS=n: n end-to-end runs, each followed by its (d) and (d'), each in a namespace and database of
  // its own. The table shows the run of the median ratio (the lower of the two middle ones for an even n); its note
  // gives every run's ratio. Runs differ by a fifth on our machines without any change to the code.
  const slowestWith = (insert: number) => Math.min(kafkaRate, signRate, verifyRate, insert);
  const runs: (PipelineRun & { ratio: number })[] = [];
  for (let r = 0; r < RUNS; r++) {
    if (RUNS > 1) say(`end-to-end run ${r + 1} of ${RUNS}`);
    const run = await pipelineRun({ bodies, records, envelopes });
    runs.push({ ...run, ratio: run.e2eRate / slowestWith(run.insertRate) });
  }
  const median = [...runs].sort((x, y) => x.ratio - y.ratio)[Math.floor((runs.length - 1) / 2)]!;
  const {
    e2eRate,
    e2eMs,
    latencies,
    e2eCpu,
    insertRate,
    insertCpu,
    storedDocs,
    collections,
    indexCount,
    oneRate,
    insertMs,
    e2eStore,
    insertStore,
  } = median;

  const slowest = slowestWith(insertRate);
  // What the work costs in CPU, per report, and the rate the machine's cores could sustain at that cost if none
  // of them ever waited: the ceiling that the cost alone puts on the ratio. Only with the local stack's servers,
  // whose CPU time this machine can read.
  const cpuRows = (): Row[] => {
    const parts = (c: CpuSeconds, names: string[]) => names.map((n) => c[n] ?? Number.NaN);
    const e2eParts = parts(e2eCpu, ['store', 'kafka', 'node']);
    const dParts = parts(insertCpu, ['store', 'node']);
    if ([...e2eParts, ...dParts].some(Number.isNaN)) return [];
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const perReport = (seconds: number) => (seconds / N) * 1000;
    const e2eTotal = sum(e2eParts);
    const dTotal = sum(dParts);
    const cores = availableParallelism();
    const ceiling = (cores * N) / e2eTotal;
    const ms = (x: number) => perReport(x).toFixed(2);
    const busy = (seconds: number, wallMs: number) => ((seconds / wallMs) * 1000).toFixed(2);
    return [
      {
        figure: 'CPU per report, end-to-end (store, Kafka and the Node process together)',
        value: perReport(e2eTotal),
        unit: 'ms',
        ratio: e2eTotal / dTotal,
        baseline: "ratio = this / (d)'s CPU per report",
        note: `store ${ms(e2eParts[0]!)}, Kafka ${ms(e2eParts[1]!)}, Node ${ms(e2eParts[2]!)} (national node, coordinator, clients); ${busy(e2eTotal, e2eMs)} of ${cores} cores busy on average`,
      },
      {
        figure: 'CPU per report, (d) raw insertMany (store and the Node process)',
        value: perReport(dTotal),
        unit: 'ms',
        note: `store ${ms(dParts[0]!)}, Node ${ms(dParts[1]!)}; ${busy(dTotal, insertMs)} of ${cores} cores busy on average`,
      },
      {
        figure: 'end-to-end ceiling at that CPU cost (every core busy all the time)',
        value: ceiling,
        unit: 'reports/s',
        ratio: ceiling / slowest,
        baseline: 'ratio = this / the slowest raw baseline',
        note: `${cores} cores / ${ms(e2eTotal)} ms per report: no schedule of this work on this machine ingests faster`,
      },
    ];
  };
  // Where the store's time went: the coordinator's commands over the end-to-end run against (d)'s, each command's
  // time from its sending to its answer, summed (commands that overlap each count).
  const storeRows = (): Row[] => {
    const all = storeTimeOf(e2eStore, () => true);
    const raw = storeTimeOf(insertStore, () => true);
    if (all.count === 0 || raw.count === 0) return [];
    const reads = new Set(['find', 'getMore', 'aggregate', 'count', 'listCollections', 'listIndexes']);
    const inserts = storeTimeOf(e2eStore, (c) => c === 'insert');
    const read = storeTimeOf(e2eStore, (c) => reads.has(c));
    const other = storeTimeOf(e2eStore, (c) => c !== 'insert' && !reads.has(c));
    const ms = (x: number) => Math.round(x).toLocaleString('en-US');
    const most = [...e2eStore]
      .filter(([key]) => key.startsWith('insert '))
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 5)
      .map(([key, t]) => {
        const name = key.slice('insert '.length);
        return `${name} ${ms(t.ms)} ((d) ${ms(insertStore.get(`insert raw_${name}`)?.ms ?? 0)})`;
      });
    return [
      {
        figure: "store time per report, end-to-end (the coordinator's commands, summed)",
        value: all.ms / N,
        unit: 'ms',
        ratio: all.ms / N / (raw.ms / (N + 1)),
        baseline: "ratio = this / (d)'s",
        note: `${ms(all.ms)} ms in ${all.count} commands over a run of ${ms(e2eMs)} ms: inserts ${ms(inserts.ms)} (${inserts.count}), other writes (locks, journals, progress, deletes) ${ms(other.ms)} (${other.count}), reads ${ms(read.ms)} (${read.count}); the longest inserts, in ms: ${most.join(', ')}`,
      },
      {
        figure: 'store time per report, (d) raw insertMany',
        value: raw.ms / (N + 1),
        unit: 'ms',
        note: `${ms(raw.ms)} ms in ${raw.count} insert commands`,
      },
    ];
  };
  const slowestName = [
    ['raw kafkajs produce+consume', kafkaRate],
    ['raw RSA-PSS signing', signRate],
    ['raw RSA-PSS verification', verifyRate],
    ['raw insertMany of the same documents', insertRate],
  ].find(([, r]) => r === slowest)?.[0] as string;
  rows.push(
    {
      figure: 'end-to-end ingest (JSON at the node → verified and stored)',
      value: e2eRate,
      unit: 'reports/s',
      ratio: e2eRate / slowest,
      baseline: slowestName,
      note: `${N} reports, batches of ${BATCH}, 4 clients${runs.length > 1 ? `; the median of ${runs.length} runs, whose ratios were ${runs.map((r) => r.ratio.toFixed(2)).join(', ')}` : ''}`,
    },
    {
      figure: 'end-to-end latency p50',
      value: percentile(latencies, 50),
      unit: 'ms',
      note: '202 at the node → stored at the coordinator',
    },
    { figure: 'end-to-end latency p99', value: percentile(latencies, 99), unit: 'ms' },
    {
      figure: '(a) raw kafkajs produce+consume of the same envelopes',
      value: kafkaRate,
      unit: 'msgs/s',
      ratio: e2eRate / kafkaRate,
      baseline: 'ratio = end-to-end / this',
    },
    {
      figure: '(b) raw node:crypto RSA-PSS signing, same payloads and key',
      value: signRate,
      unit: 'sigs/s',
      ratio: e2eRate / signRate,
      baseline: 'ratio = end-to-end / this',
      note: 'one core',
    },
    {
      figure: '(c) raw node:crypto RSA-PSS verification',
      value: verifyRate,
      unit: 'verifs/s',
      ratio: e2eRate / verifyRate,
      baseline: 'ratio = end-to-end / this',
      note: 'one core',
    },
    {
      figure: '(d) raw driver insertMany of the same documents (all the pipeline stored for them)',
      value: insertRate,
      unit: 'reports/s',
      ratio: e2eRate / insertRate,
      baseline: 'ratio = end-to-end / this',
      note: `${storedDocs.toLocaleString('en-US')} documents in ${collections} collections with their ${indexCount} secondary indexes (${(storedDocs / (N + 1)).toFixed(1)} per report), ${Math.round((storedDocs / insertMs) * 1000).toLocaleString('en-US')} docs/s; store: ${config.mongo.url}`,
    },
    {
      figure: "(d') raw driver insertMany, one document per report (report and envelope bytes)",
      value: oneRate,
      unit: 'reports/s',
      ratio: e2eRate / oneRate,
      baseline: 'ratio = end-to-end / this',
      note: 'for comparison with runs before 2026-11-27, which used it as (d)',
    },
    ...cpuRows(),
    ...storeRows(),
    {
      figure: 'peak memory of the benchmark process (node + coordinator in-process)',
      value: process.resourceUsage().maxRSS / 1024,
      unit: 'MiB',
    },
  );
  await bench.cleanup();
  return rows;
}

/** One end-to-end run, then its (d) and (d'), in a section of its own (namespace, database, HUB_HOME, PKI). */
interface PipelineRun {
  e2eRate: number;
  e2eMs: number;
  latencies: number[];
  e2eCpu: CpuSeconds;
  insertRate: number;
  insertMs: number;
  insertCpu: CpuSeconds;
  storedDocs: number;
  collections: number;
  indexCount: number;
  oneRate: number;
  /** The coordinator's store commands over the end-to-end run, and (d)'s. */
  e2eStore: StoreTimes;
  insertStore: StoreTimes;
}

async function pipelineRun(input: {
  bodies: ReturnType<typeof agencyJson>[];
  records: SeizureReportRecord[];
  envelopes: { envelope: Envelope; bytes: Buffer }[];
}): Promise<PipelineRun> {
  const { bodies, records, envelopes } = input;
  const bench = benchSection('ingest');
  const { config, logger } = bench;
  benchPki(config, ['KZ']);
  // (d)'s commands are counted, as the coordinator counts its own (hub_store_command_seconds).
  const insertStore: StoreTimes = new Map();
  let countCommands = false;
  const store = await connectStore({
    url: config.mongo.url,
    dbName: config.mongo.dbName,
    onCommand: (c) => countCommands && addStoreCommand(insertStore, c),
  });
  // BENCH_PREFILL_BUCKETS=n: the read models of a store that has seen much more (n statistics and n route-leg buckets
  // of a country nobody reports here), as at 1,000,000 reports (39,000 stats buckets): on FerretDB every delete
  // decodes them all. Left out of (d).
  const prefill = benchNumber('BENCH_PREFILL_BUCKETS');
  if (prefill > 0) {
    say(`prefilling ${prefill} statistics and ${prefill} route-leg buckets`);
    const common = {
      originCountry: 'ZZ',
      tlp: 'GREEN',
      releasableCountries: [],
      quantityKg: 1,
      count: 1,
      rev: 1,
      prefill: true,
    };
    const stats = Array.from({ length: prefill }, (_, i) => ({
      _id: `s|ZZ|heroin|1990-${i}|ZZ|GREEN|`,
      source: 'seizures',
      country: 'ZZ',
      substance: 'heroin',
      drugGroup: 'opiates',
      aggregates: [],
      year: 1990,
      month: 1 + (i % 12),
      ...common,
    }));
    const legs = stats.map((_, i) => ({
      _id: `l|ZZ|Z${i}|heroin|ZZ|GREEN|`,
      from: 'ZZ',
      to: `Z${i}`,
      substance: 'heroin',
      lastSeenAt: new Date(0),
      ...common,
    }));
    for (const [name, docs] of [
      [COLLECTIONS.statsMonthly, stats],
      [COLLECTIONS.routeLegs, legs],
    ] as const)
      for (let i = 0; i < docs.length; i += 1000)
        await store.db.collection(name).insertMany(docs.slice(i, i + 1000) as never[]);
  }

  // End to end: agency JSON in at the national node → verified and stored at the coordinator.
  say(`end-to-end ingest of ${N} reports through a national node and the coordinator`);
  const coordinator = await startCoordinator({ config, logger, topicRefreshMs: 500, opsPort: 0 });
  const storeTimes = async () =>
    storeTimesFromMetrics(await (await fetch(`${coordinator.opsUrl}/metrics`)).text());
  const node = await startNationalNode({ config, country: 'KZ', logger, port: 0 });
  // One report first, outside the clock, as the raw baselines connect and subscribe before theirs: the coordinator
  // finds the node's new topic, joins its group and takes the store lock once, so the figure is the pipeline's rate
  // and not its start-up (about 0.5 s, which was a sixth of a quick run).
  const warmUp = agencyJson(random(0x3a4d), N, { now: Date.now(), years: 1, country: 'KZ', idSeed: 0x3a4d });
  const warmRes = await fetch(`${node.url}/v1/seizures`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(warmUp),
  });
  if (warmRes.status !== 202) throw new Error(`the warm-up report was refused: ${await warmRes.text()}`);
  for (const t0 = Date.now(); coordinator.processed() < 1; await new Promise((r) => setTimeout(r, 20)))
    if (Date.now() - t0 > 120000) throw new Error('the warm-up report was not stored within 2 minutes');
  const sentAt = new Map<string, number>();
  // CPU time of every process the run uses (this one runs the national node, the coordinator and the clients),
  // so that the table shows what the work costs besides how long it takes.
  const cpu = cpuMeter(bench.stackPids);
  const storeBefore = await storeTimes();
  cpu.start();
  const prof = await startProfile();
  const e2eStart = Date.now();
  const queue = Array.from({ length: Math.ceil(N / BATCH) }, (_, i) =>
    bodies.slice(i * BATCH, (i + 1) * BATCH),
  );
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let batch = queue.shift(); batch; batch = queue.shift()) {
        const res = await fetch(`${node.url}/v1/seizures/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        });
        const body = (await res.json()) as { results: { reportId: string }[] };
        const t = Date.now();
        for (const r of body.results) sentAt.set(r.reportId, t);
      }
    }),
  );
  // Done when the coordinator has stored and answered every message (its own count: polling the store would
  // slow it, since FerretDB reads every document to count them).
  for (;;) {
    if (coordinator.processed() >= N + 1) break;
    if (Date.now() - e2eStart > 600000) throw new Error('end-to-end ingest did not finish in 10 minutes');
    await new Promise((r) => setTimeout(r, 100));
  }
  const e2eMs = Date.now() - e2eStart;
  await prof.stop();
  const e2eCpu = cpu.stop();
  const e2eStore = storeTimesSince(await storeTimes(), storeBefore);
  const reports = store.collection(COLLECTIONS.reports);
  const e2eRate = (N / e2eMs) * 1000;
  const latencies: number[] = [];
  for await (const d of reports.find({}, { projection: { receivedAt: 1 } })) {
    const t = sentAt.get(String(d._id));
    if (t) latencies.push(Math.max(0, (d.receivedAt as Date).getTime() - t));
  }
  await node.close();
  await coordinator.close();

  // (d) raw driver insertMany of the same documents into the same store: every document the pipeline stored for
  // these reports (reports, history, archive, digests, contributions, read-model buckets, match keys, receipts,
  // retention dates...), read back and inserted again into collections of their own, 500 per command.
  say('raw insertMany of the documents the pipeline stored');
  const stored: { name: string; docs: Document[] }[] = [];
  // Read-model buckets and route-pattern keys as they stand (each one's latest version: those the pipeline
  // superseded and had not deleted yet are not counted), as when they were rewritten in place.
  const buckets = new Set<string>([COLLECTIONS.statsMonthly, COLLECTIONS.routeLegs, COLLECTIONS.routeKeys]);
  for (const { name } of await store.db.listCollections({}, { nameOnly: true }).toArray()) {
    const docs = await store.db
      .collection(name)
      .find(prefill > 0 ? { prefill: { $exists: false } } : {})
      .toArray();
    stored.push({
      name,
      docs: buckets.has(name) ? currentBuckets(docs as unknown as { _id: string }[]) : docs,
    });
  }
  const storedDocs = stored.reduce((n, c) => n + c.docs.length, 0);
  // The same store means the same indexes: each raw collection gets the secondary indexes its original has (those
  // the query API's filters need), so that (d) pays for maintaining them as the pipeline does.
  let indexCount = 0;
  for (const { name } of stored) {
    const specs = (await store.db.collection(name).indexes()).filter((ix) => ix.name !== '_id_');
    for (const { key, name: ixName, unique, sparse, partialFilterExpression } of specs) {
      await store.db.collection(`raw_${name}`).createIndex(key, {
        name: ixName,
        ...(unique ? { unique } : {}),
        ...(sparse ? { sparse } : {}),
        ...(partialFilterExpression ? { partialFilterExpression } : {}),
      });
      indexCount += 1;
    }
  }
  cpu.start();
  countCommands = true;
  const insertT = await timed(async () => {
    for (const { name, docs } of stored)
      for (let i = 0; i < docs.length; i += 500)
        await store.db.collection(`raw_${name}`).insertMany(docs.slice(i, i + 500), { ordered: false });
  });
  countCommands = false;
  const insertCpu = cpu.stop();
  // N + 1: the warm-up report's documents are among them.
  const insertRate = ((N + 1) / insertT.ms) * 1000;
  // The same, one document per report (the report and its envelope's bytes): what an ingest storing nothing else
  // could reach at best; shown for comparison with earlier runs, which used it as (d).
  const oneDocs = records.map((r, i) => ({
    _id: `raw-${i}`,
    report: r,
    bytes: envelopes[i]!.bytes,
    country: 'KZ',
    seizedAt: new Date(r.seizedAt),
  }));
  const oneT = await timed(async () => {
    for (let i = 0; i < N; i += 500)
      await store.collection(COLLECTIONS.meta).insertMany(oneDocs.slice(i, i + 500) as never[]);
  });
  const oneRate = (N / oneT.ms) * 1000;
  await store.db.dropDatabase().catch(() => undefined);
  await store.close();
  await bench.cleanup();
  return {
    e2eRate,
    e2eMs,
    latencies,
    e2eCpu,
    insertRate,
    insertMs: insertT.ms,
    insertCpu,
    storedDocs,
    collections: stored.length,
    indexCount,
    oneRate,
    e2eStore,
    insertStore,
  };
}
