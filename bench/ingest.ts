// End-to-end ingest (agency JSON at a national node → verified and stored at the coordinator) and its raw
// baselines: kafkajs produce+consume, RSA-PSS signing and verification as the node and the coordinator do them (batch
// signatures by default), driver insertMany of the documents it stored. The baselines use the pipeline's own kind of
// envelope, signed with the key the pipeline's node signs with.
import { constants, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { cpSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { startCoordinator } from '@hub/coordinator';
import { seizureReportFromJson, type SeizureReportRecord } from '@hub/domain';
import {
  BATCH_ALGORITHM_NAME,
  createSigner,
  decodeBatchSignature,
  encodeBatchSignature,
  leafHash,
  merkleTree,
  rootFromProof,
  rootSigningInput,
  signingInput,
  type Envelope,
  type SignerOptions,
  type SignRequest,
} from '@hub/envelope';
import { createKafka, ensureTopics } from '@hub/kafka';
import { startNationalNode } from '@hub/national-node';
import { loadRegions, loadSchemaRegistry } from '@hub/schemas';
import type { Document } from 'mongodb';
import { COLLECTIONS, connectStore, currentBuckets } from '@hub/store';
import {
  addStoreCommand,
  cpuMeter,
  percentile,
  receiptLatencies,
  samplesFor,
  tailPercentile,
  storeTimeOf,
  storeTimesFromMetrics,
  storeTimesSince,
  timed,
  type CpuSeconds,
  type Posted,
  type ReceiptLatencies,
  type Row,
  type StoredReceipt,
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
/** Clients posting batches to the node at once. */
const CLIENTS = 4;
const SALT_BYTES = 16;

type Signed = { envelope: Envelope; bytes: Buffer };

/**
 * The baselines' envelopes, signed as the national node signs its reports: a signer made with the node's options
 * (`batch`: HUB_SIGNATURE_BATCH, on by default), each `batchSize` requests together, as a batch posted to the node
 * is signed together. With batch signatures each envelope carries its Merkle proof, some 250 bytes more than one
 * signed alone.
 */
export async function baselineEnvelopes(
  options: SignerOptions,
  requests: SignRequest[],
  batchSize: number,
): Promise<Signed[]> {
  const signer = createSigner(options);
  const out: Signed[] = [];
  for (let i = 0; i < requests.length; i += batchSize)
    out.push(...(await signer.signEncodedAll(requests.slice(i, i + batchSize))));
  return out;
}

/**
 * (b): the signature fields the node's batch signer computes, with node:crypto directly, one tree of `batchSize`
 * signing inputs at a time: a random salt and a salted SHA-256 leaf hash per input, the Merkle tree and each leaf's
 * proof, one RSA-PSS signature of the root, each input's signature field. A tree of one is signed alone, as the
 * signer signs a lone request. Synchronous, on this thread.
 */
export function rawBatchSignatures(inputs: Buffer[], key: KeyObject, batchSize: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < inputs.length; i += batchSize) {
    const tree = inputs.slice(i, i + batchSize);
    if (tree.length === 1) {
      out.push(sign('sha256', tree[0]!, { key, ...PSS }));
      continue;
    }
    const random = randomBytes(SALT_BYTES * tree.length);
    const salts = tree.map((_, j) => random.subarray(j * SALT_BYTES, (j + 1) * SALT_BYTES));
    const { root, proofs } = merkleTree(tree.map((input, j) => leafHash(salts[j]!, input)));
    const rootSignature = sign('sha256', rootSigningInput(tree.length, root), { key, ...PSS });
    tree.forEach((_, j) =>
      out.push(
        encodeBatchSignature({
          index: j,
          treeSize: tree.length,
          salt: salts[j]!,
          proof: proofs[j]!,
          rootSignature,
        }),
      ),
    );
  }
  return out;
}

/**
 * (c): the envelopes' signatures checked with node:crypto directly, as the coordinator's verifier checks them: a batch
 * signature by its leaf hash and proof up to its tree's root, and that root's RSA-PSS signature once for the
 * envelopes of a tree that come one after another; any other signature on its own. `inputs[i]` is envelope i's
 * signing input. Throws at the first that does not verify: a baseline that verified nothing would be no baseline.
 */
export function rawVerifyAll(envelopes: Envelope[], inputs: Buffer[], key: KeyObject): void {
  let last: { root: Buffer; rootSignature: Buffer } | undefined;
  envelopes.forEach((e, i) => {
    let ok: boolean;
    if (e.signatureAlgorithm === BATCH_ALGORITHM_NAME) {
      const parts = decodeBatchSignature(e.signature);
      const root =
        parts && rootFromProof(parts.index, parts.treeSize, leafHash(parts.salt, inputs[i]!), parts.proof);
      if (!parts || !root) ok = false;
      else if (last && last.root.equals(root) && last.rootSignature.equals(parts.rootSignature)) ok = true;
      else {
        ok = verify('sha256', rootSigningInput(parts.treeSize, root), { key, ...PSS }, parts.rootSignature);
        if (ok) last = { root, rootSignature: parts.rootSignature };
      }
    } else ok = verify('sha256', inputs[i]!, { key, ...PSS }, e.signature);
    if (!ok) throw new Error(`raw verification: envelope ${i} (${e.messageId}) did not verify`);
  });
}

/** The end-to-end row's note: what was sent, how, and what the store held beforehand. */
export function endToEndNote(run: {
  reports: number;
  batch: number;
  clients: number;
  /** Each run's ratio, when there were several. */
  ratios: number[];
  /** BENCH_PREFILL_BUCKETS: statistics and route-leg buckets stored before the run, each. */
  prefill: number;
}): string {
  const parts = [`${run.reports} reports, batches of ${run.batch}, ${run.clients} clients`];
  if (run.ratios.length > 1)
    parts.push(
      `the median of ${run.ratios.length} runs, whose ratios were ${run.ratios.map((r) => r.toFixed(2)).join(', ')}`,
    );
  if (run.prefill > 0) {
    const n = run.prefill.toLocaleString('en-US');
    parts.push(`the store prefilled with ${n} statistics and ${n} route-leg buckets (BENCH_PREFILL_BUCKETS)`);
  }
  return parts.join('; ');
}

/** The end-to-end latency rows: from each report's POST to its accepted receipt, and the node's own answer. */
function latencyRows(latency: ReceiptLatencies, answered: number[]): Row[] {
  const { latencies, negative, missing } = latency;
  const p99 = tailPercentile(latencies, 99);
  const odd = [
    ...(negative ? [`${negative} negative (a receipt issued before its POST), counted as they are`] : []),
    ...(missing ? [`${missing} posted reports with no accepted receipt found, left out`] : []),
  ];
  return [
    {
      figure: 'end-to-end latency p50',
      value: percentile(latencies, 50),
      unit: 'ms',
      note:
        `POST of its batch at the node → its accepted receipt issued at the coordinator (after storing it, the ` +
        `read models and correlation); ${latencies.length} reports; the node answered each POST (202) after ` +
        `p50 ${percentile(answered, 50).toFixed(0)} ms` +
        (odd.length ? `; ${odd.join('; ')}` : ''),
    },
    {
      figure: 'end-to-end latency p99',
      value: p99,
      unit: 'ms',
      ...(p99 === undefined && {
        note: `a p99 needs at least ${samplesFor(99)} reports, and ${latencies.length} were timed`,
      }),
    },
  ];
}

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
  // The one PKI of the section: every end-to-end run's node signs with this key (pipelineRun copies it), so that
  // the baselines sign and verify with the pipeline's key, envelopes the pipeline's node would make.
  const identity = pki.identity('KZ');
  const batchSignatures = config.signatureBatch;
  const envelopes = await baselineEnvelopes(
    {
      privateKey: identity.privateKey,
      certificate: identity.certificatePem,
      origin: 'KZ',
      batch: batchSignatures,
    },
    records.map((r) => {
      const { payload, fingerprint } = registry.encode('SeizureReport', r);
      return { messageType: 'SeizureReport', schemaFingerprint: fingerprint, payload };
    }),
    BATCH,
  );
  const envelopeBytes = envelopes.reduce((n, e) => n + e.bytes.length, 0) / N;
  const rows: Row[] = [];

  // (b) raw node:crypto signing of the same payloads with the same key: as the node signs them (batch signatures:
  // one RSA-PSS signature per tree of BATCH, and the hashing), and (b') one signature per payload besides.
  const key = identity.privateKey;
  const inputs = envelopes.map((e) => signingInput(e.envelope, e.envelope.payload));
  say(`raw signing of ${N} payloads${batchSignatures ? ` in trees of ${BATCH}` : ''}`);
  const signT = await timed(async () =>
    batchSignatures
      ? rawBatchSignatures(inputs, key, BATCH)
      : inputs.map((input) => sign('sha256', input, { key, ...PSS })),
  );
  const signRate = (N / signT.ms) * 1000;
  let onePerPayloadRate: number | undefined;
  if (batchSignatures) {
    say(`raw signing of ${N} payloads, one signature each`);
    const oneT = await timed(async () => inputs.map((input) => sign('sha256', input, { key, ...PSS })));
    onePerPayloadRate = (N / oneT.ms) * 1000;
  }
  // (c) raw verification of the same envelopes, as the coordinator's verifier checks them
  say('raw verification');
  const pub = createPublicKey(identity.certificatePem);
  const verifyT = await timed(async () =>
    rawVerifyAll(
      envelopes.map((e) => e.envelope),
      inputs,
      pub,
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
    const run = await pipelineRun({ bodies, records, envelopes, pkiDir: join(home, 'pki') });
    runs.push({ ...run, ratio: run.e2eRate / slowestWith(run.insertRate) });
  }
  const median = [...runs].sort((x, y) => x.ratio - y.ratio)[Math.floor((runs.length - 1) / 2)]!;
  const {
    e2eRate,
    e2eMs,
    latency,
    answered,
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
    [batchSignatures ? 'raw RSA-PSS batch signing' : 'raw RSA-PSS signing', signRate],
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
      note: endToEndNote({
        reports: N,
        batch: BATCH,
        clients: CLIENTS,
        ratios: runs.map((r) => r.ratio),
        prefill: benchNumber('BENCH_PREFILL_BUCKETS'),
      }),
    },
    ...latencyRows(latency, answered),
    {
      figure: '(a) raw kafkajs produce+consume of the same envelopes',
      value: kafkaRate,
      unit: 'msgs/s',
      ratio: e2eRate / kafkaRate,
      baseline: 'ratio = end-to-end / this',
      note: `${Math.round(envelopeBytes)} bytes each on average, signed ${batchSignatures ? `in trees of ${BATCH}` : 'one by one'} with the key of the end-to-end run's node, as it signs them`,
    },
    batchSignatures
      ? {
          figure: '(b) raw node:crypto batch signing as the node signs, same payloads and key',
          value: signRate,
          unit: 'reports/s',
          ratio: e2eRate / signRate,
          baseline: 'ratio = end-to-end / this',
          note: `timed per tree of ${BATCH} signing inputs: a salt and a salted SHA-256 leaf hash each, the Merkle tree and each report's proof, one RSA-PSS signature of the root, each report's signature field (RSA-PSS-SHA256-BATCH, HUB_SIGNATURE_BATCH on); one core; the envelope headers and Avro not included`,
        }
      : {
          figure: '(b) raw node:crypto RSA-PSS signing, one signature per payload, same payloads and key',
          value: signRate,
          unit: 'sigs/s',
          ratio: e2eRate / signRate,
          baseline: 'ratio = end-to-end / this',
          note: 'one core; HUB_SIGNATURE_BATCH off, so the node signs each report alike',
        },
    ...(onePerPayloadRate === undefined
      ? []
      : [
          {
            figure: "(b') raw node:crypto RSA-PSS signing, one signature per payload, same payloads and key",
            value: onePerPayloadRate,
            unit: 'sigs/s',
            ratio: e2eRate / onePerPayloadRate,
            baseline: 'ratio = end-to-end / this',
            note: 'one core; not what the node does (it signs once per tree, (b)), so not among the baselines of the end-to-end ratio; for comparison with runs up to 2026-12-07, whose (b) it was',
          },
        ]),
    {
      figure: '(c) raw node:crypto RSA-PSS verification of the same envelopes',
      value: verifyRate,
      unit: batchSignatures ? 'reports/s' : 'verifs/s',
      ratio: e2eRate / verifyRate,
      baseline: 'ratio = end-to-end / this',
      note: batchSignatures
        ? `each report's leaf hash and proof up to its tree's root, and one RSA-PSS verification per tree of ${BATCH} (as the coordinator's verifier checks a root once for the envelopes of a tree that arrive together); one core`
        : 'one RSA-PSS verification per envelope; one core',
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
  /** Each report's POST to its accepted receipt. */
  latency: ReceiptLatencies;
  /** Each POST's answer (202) from the node, in ms. */
  answered: number[];
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
  envelopes: Signed[];
  /** The section's PKI, whose node key signed the baselines' envelopes: the run's node signs with it too. */
  pkiDir: string;
}): Promise<PipelineRun> {
  const { bodies, records, envelopes } = input;
  const bench = benchSection('ingest');
  const { config, logger } = bench;
  cpSync(input.pkiDir, join(config.hubHome, 'pki'), { recursive: true });
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
  const posts: Posted[] = [];
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
    Array.from({ length: CLIENTS }, async () => {
      for (let batch = queue.shift(); batch; batch = queue.shift()) {
        // Before anything is sent: the latency covers the node's parsing, checks and signing too.
        const postedAt = Date.now();
        const res = await fetch(`${node.url}/v1/seizures/batch`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(batch),
        });
        const body = (await res.json()) as { results: { reportId: string }[] };
        posts.push({ reportIds: body.results.map((r) => r.reportId), postedAt, answeredAt: Date.now() });
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
  const e2eRate = (N / e2eMs) * 1000;
  // Each report's latency ends when the coordinator issued its accepted receipt (replies.ts: subjectId is the
  // reportId, issuedAt the coordinator's clock, this process's), once it had stored the report, the read models and
  // the correlation.
  const latency = receiptLatencies(
    posts,
    await store
      .collection<StoredReceipt & { _id: string }>(COLLECTIONS.receipts)
      .find({ status: 'accepted' }, { projection: { subjectId: 1, status: 1, issuedAt: 1 } })
      .toArray(),
  );
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
    latency,
    answered: posts.map((p) => p.answeredAt - p.postedAt),
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
