// `npm run bench`: each figure beside a raw baseline measured in the same run, on the real local stack.
// BENCH_QUICK=1 gives a short run of the same table; BENCH_SECTIONS=ingest,query,memory picks sections (default all).
// Writes bench/results.md (a run of only some sections writes bench/results-<sections>.md instead), whose header
// names every BENCH_* setting given.
import { cpus } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@hub/config';
import { ingestRows } from './ingest';
import { closeConnections, resultsHeader, table, type Row } from './measure';
import { memoryRows } from './memory';
import { queryRows } from './query';
import { benchSections, benchSettingsGiven } from '@hub/cli/run/bench-settings';
import { say } from './setup';

const SECTIONS: Record<string, () => Promise<Row[]>> = {
  ingest: ingestRows,
  query: queryRows,
  memory: memoryRows,
};

/** How to read each section's rows, written under the table. */
const NOTES: Record<string, string> = {
  ingest:
    'Ingest: ratio = end-to-end rate / the raw rate (below 1: slower than that building block alone); the ' +
    "end-to-end row is compared with the slowest raw block of (a)-(d) ((b') and (d') are shown for comparison only). " +
    "The raw baselines use envelopes signed as the end-to-end run's node signs them (with HUB_SIGNATURE_BATCH, the " +
    'default: one RSA-PSS signature per tree of 100 reports, each envelope with its Merkle proof), with the key that ' +
    "node signs with: (b) times that batch signing (hashing and one signature per tree), (b') one signature per " +
    'payload, (c) the verification of those envelopes as the coordinator does it (one RSA-PSS verification per ' +
    "tree). The latency rows time each report from its batch's POST to the node to its accepted receipt's issuedAt " +
    '(after the coordinator stored it, updated the read models and correlated); a p99 needs at least 100 reports. ' +
    '(d) inserts, with the driver, every document the ' +
    'pipeline stored for these reports (read back after the end-to-end run) into collections of their own, with ' +
    "the same secondary indexes: the store's share of the work, without verifying, deciding or reading anything; " +
    "(d') one document per report. The end-to-end clock starts once one warm-up report has been stored (the " +
    'coordinator subscribed to the node, as the raw baselines connect before theirs) and ends when the ' +
    'coordinator has stored and answered every message. CPU per report: the CPU time (user and system, all ' +
    "threads) of FerretDB and Kafka (from /proc, when they are the local stack's) and of this process over the " +
    'end-to-end run, and over (d); the ceiling is the rate that cost allows with every core busy all the time. ' +
    'With BENCH_INGEST_RUNS=n (3 in the full run), n end-to-end runs, each with its own (d): the rows are those of ' +
    'the run of the median ratio.',
  query:
    'Query API: the store is filled straight with the driver: reports normalised by the domain and shaped by the ' +
    "coordinator's reportDocument (11 countries, Central Asia most; 14 substances; 3 years; TLP CLEAR to RED; 10 " +
    'routes), and the read-model buckets summed from contributionsOf, as the coordinator writes them; ' +
    'then ensureIndexes. The API runs in-process; the caller is an analyst of KZ cleared AMBER. The raw baseline is ' +
    "the API's own filter (readableFilter, searchFilter), sort, limit and projection run with the driver, timed in " +
    'turn with the API; ratio = API latency / raw latency (about 1: the store dominates). FerretDB 1.24 (SQLite) ' +
    'explains every search as a full SCAN without filter or sort pushdown, so search latency grows linearly with ' +
    'the stored reports; "≈ … at 1,000,000 if linear" is that extrapolation, not a measurement. The stats read ' +
    'every bucket the caller may see, members included. A figure taken on fewer stored reports than asked (the fill ' +
    'stopped at BENCH_QUERY_FILL_MINUTES) names the count it was taken at; a p95 needs at least 20 samples, and with ' +
    'fewer (a read slower than BENCH_QUERY_BUDGET_S allows more of) it is n/a.',
  memory:
    'Memory: VmHWM (peak resident set, /proc/<pid>/status) of `hub coordinator`, `hub node KZ` and `hub api` run ' +
    'as processes (TypeScript through tsx in-process), while 2 clients post batches of 100 reports to the node and ' +
    '2 clients read the API; "at rest" is the resident set once /healthz answered. Baseline: an idle `node -e` ' +
    'process, so ratio = how many bare Node processes the service weighs under load.',
};

async function main() {
  const all = Object.keys(SECTIONS);
  const chosen = benchSections();
  const rows: Row[] = [];
  const started = Date.now();
  for (const name of chosen) {
    const t = Date.now();
    rows.push(...(await (SECTIONS[name] as () => Promise<Row[]>)()));
    say(`${name}: ${((Date.now() - t) / 1000).toFixed(0)} s`);
  }
  closeConnections();
  const out = table(rows);
  process.stdout.write(`\n${out}\n`);
  const partial = chosen.length < all.length;
  const file = partial ? `results-${chosen.join('-')}.md` : 'results.md';
  const header = resultsHeader({
    sections: chosen,
    partial,
    measuredAt: new Date(),
    machine: { platform: process.platform, arch: process.arch, cores: cpus().length, node: process.version },
    seconds: Math.round((Date.now() - started) / 1000),
    settings: benchSettingsGiven(),
  });
  const notes = chosen.map((s) => `- ${NOTES[s]}`).join('\n');
  const noise =
    '- Our machines have 2 cores shared with other test runs on the same broker and store: read differences ' +
    'under ~30% between runs as noise.';
  writeFileSync(join(repoRoot, 'bench', file), `${header}\n${out}\n\n${notes}\n${noise}\n`);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
