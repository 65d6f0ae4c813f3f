// Small measuring helpers for the benchmark table.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';

export interface Row {
  figure: string;
  /** Undefined when too few samples were taken to give it: printed "n/a", and the note says why. */
  value: number | undefined;
  unit: string;
  /** Figure divided by its raw baseline measured in the same run. */
  ratio?: number;
  baseline?: string;
  note?: string;
}

/** The p-th percentile by nearest rank: the smallest value with at least p% of the values at or below it. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/**
 * The fewest samples whose p-th percentile is not simply their largest value: 20 for p95, 100 for p99. With fewer,
 * a "p95" is the slowest sample under another name.
 */
export function samplesFor(p: number): number {
  return Math.ceil(100 / (100 - p));
}

/** The p-th percentile, or undefined when fewer than samplesFor(p) values were taken. */
export function tailPercentile(values: number[], p: number): number | undefined {
  return values.length < samplesFor(p) ? undefined : percentile(values, p);
}

/** One POST of a batch of reports to the national node: when it was sent and when its 202 was read. */
export interface Posted {
  reportIds: string[];
  postedAt: number;
  answeredAt: number;
}

/** A receipt as the coordinator stores it (receipts collection): `issuedAt` in epoch milliseconds. */
export interface StoredReceipt {
  subjectId?: unknown;
  status?: unknown;
  issuedAt?: unknown;
}

/** End-to-end latencies, each report's from its POST to the node to its accepted receipt at the coordinator. */
export interface ReceiptLatencies {
  /** Milliseconds, one per report that has an accepted receipt, unclamped. */
  latencies: number[];
  /** How many of those were below zero (a receipt issued before its POST: clocks that disagree). */
  negative: number;
  /** Reports posted with no accepted receipt found. */
  missing: number;
}

/**
 * Pair each posted report with its accepted receipt (the receipt's subjectId is the reportId): the latency runs from
 * the POST's start, before the node parsed, checked and signed anything, to the receipt's issuedAt, taken once the
 * coordinator had stored the report, updated the read models and correlated it. A report accepted more than once
 * (a redelivery) counts from its first receipt.
 */
export function receiptLatencies(posts: Posted[], receipts: Iterable<StoredReceipt>): ReceiptLatencies {
  const issued = new Map<string, number>();
  for (const r of receipts) {
    if (r.status !== 'accepted' || typeof r.subjectId !== 'string') continue;
    const at = r.issuedAt instanceof Date ? r.issuedAt.getTime() : Number(r.issuedAt);
    if (!Number.isFinite(at)) continue;
    const seen = issued.get(r.subjectId);
    if (seen === undefined || at < seen) issued.set(r.subjectId, at);
  }
  const out: ReceiptLatencies = { latencies: [], negative: 0, missing: 0 };
  for (const post of posts)
    for (const id of post.reportIds) {
      const at = issued.get(id);
      if (at === undefined) {
        out.missing += 1;
        continue;
      }
      const ms = at - post.postedAt;
      if (ms < 0) out.negative += 1;
      out.latencies.push(ms);
    }
  return out;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

/** Two decimals, or two significant digits for small ratios (0.0042 rather than 0.00). */
function ratioText(r: number): string {
  return r !== 0 && Math.abs(r) < 0.1 ? r.toPrecision(2) : r.toFixed(2);
}

export function table(rows: Row[]): string {
  const fmt = (n: number | undefined) =>
    n === undefined
      ? 'n/a'
      : Math.abs(n) >= 100
        ? Math.round(n).toLocaleString('en-US')
        : n.toFixed(Math.abs(n) >= 10 ? 1 : 2);
  const lines = [
    '| figure | value | unit | ratio | baseline | note |',
    '|---|---:|---|---:|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.figure} | ${fmt(r.value)} | ${r.unit} | ${r.ratio === undefined ? '' : ratioText(r.ratio)} | ${r.baseline ?? ''} | ${r.note ?? ''} |`,
    ),
  ];
  return lines.join('\n');
}

/** What a results file's header records of the run that wrote it. */
export interface ResultsRun {
  /** The sections run, in the table's order; `partial` when not all of them. */
  sections: string[];
  partial: boolean;
  measuredAt: Date;
  machine: { platform: string; arch: string; cores: number; node: string };
  seconds: number;
  /** Every BENCH_* setting given, as written (benchSettingsGiven). */
  settings: [string, string][];
}

/** The title and the "Measured ..." line of bench/results*.md, naming every BENCH_* setting the run was given. */
export function resultsHeader(run: ResultsRun): string {
  const { platform, arch, cores, node } = run.machine;
  const given = run.settings.length
    ? `settings ${run.settings.map(([k, v]) => `${k}=${v}`).join(', ')} (any other at its default)`
    : "no BENCH_* setting given (the full run's defaults)";
  return (
    `# Benchmark results${run.partial ? ` (${run.sections.join(', ')})` : ''}\n\n` +
    `Measured ${run.measuredAt.toISOString()} on ${platform} ${arch}, ${cores} cores, Node ${node}, in ${run.seconds} s; ${given}.\n`
  );
}

/** Latency samples of two ways to do the same read, taken in turn so that noise falls on both alike. */
export interface PairedSamples {
  a: number[];
  b: number[];
}

/**
 * Time `a` and `b` alternately. One warm-up pair first; when that pair alone overruns `budgetMs` (a read that takes
 * minutes), it is kept as the only sample instead of being repeated. Otherwise pairs are taken until the budget is
 * spent, at least `min` and at most `max` of them.
 */
export async function pairedLatencies(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  opts: { budgetMs: number; min: number; max: number },
): Promise<PairedSamples> {
  const out: PairedSamples = { a: [], b: [] };
  const warmA = await timed(a);
  const warmB = await timed(b);
  if (warmA.ms + warmB.ms >= opts.budgetMs) return { a: [warmA.ms], b: [warmB.ms] };
  const start = Date.now();
  while (out.a.length < opts.max && (out.a.length < opts.min || Date.now() - start < opts.budgetMs)) {
    out.a.push((await timed(a)).ms);
    out.b.push((await timed(b)).ms);
  }
  return out;
}

/** Peak and current resident set of a process, from /proc (Linux), in MiB. */
export function memoryOf(pid: number): { peakMiB: number; rssMiB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { peakMiB: kb('VmHWM') / 1024, rssMiB: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

let clockTicks: number | undefined;

/** CPU time (user + system, all threads) a process has used so far, in seconds, from /proc (Linux). */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command's closing parenthesis: state is the 3rd field of stat, utime the 14th, stime the 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}

/** CPU seconds per named process; undefined for a process that could not be read. */
export type CpuSeconds = Record<string, number | undefined>;

/** CPU seconds used by each named process between `start()` and `stop()`; this process is always `node`. */
export function cpuMeter(pids: Record<string, number | undefined>) {
  const read = () => {
    const usage = process.cpuUsage();
    const out: CpuSeconds = { node: (usage.user + usage.system) / 1e6 };
    for (const [name, pid] of Object.entries(pids))
      out[name] = pid === undefined ? undefined : cpuSecondsOf(pid);
    return out;
  };
  let start = read();
  return {
    start() {
      start = read();
    },
    /** Seconds used since start, per process. */
    stop(): CpuSeconds {
      const end = read();
      return Object.fromEntries(
        Object.entries(end).map(([k, v]) => [
          k,
          v === undefined || start[k] === undefined ? undefined : v - start[k]!,
        ]),
      );
    },
  };
}

const agent = new http.Agent({ keepAlive: true });

/**
 * GET a JSON body over a kept-alive connection, with no client-side timeout: on a store that scans, one read of a
 * large collection can take minutes, longer than fetch's own limits. Sent again once if the server had just closed
 * the idle connection.
 */
export async function getJson(url: string, token?: string): Promise<{ status: number; body: unknown }> {
  try {
    return await getOnce(url, token);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ECONNRESET') throw err;
    return getOnce(url, token);
  }
}

function getOnce(url: string, token?: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const headers = token ? { authorization: `Bearer ${token}` } : {};
    const req = http.get(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        } catch {
          resolve({ status: res.statusCode ?? 0, body: text });
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Close the kept-alive connections of getJson, so that the process can end. */
export function closeConnections(): void {
  agent.destroy();
}

/** Time the store spent answering commands, by "command collection": summed milliseconds and how many. */
export type StoreTimes = Map<string, { ms: number; count: number }>;

/** Add one answered command (a store's `onCommand`) to `times`. */
export function addStoreCommand(
  times: StoreTimes,
  c: { command: string; collection: string; ms: number },
): void {
  const key = `${c.command} ${c.collection}`;
  const t = times.get(key) ?? { ms: 0, count: 0 };
  t.ms += c.ms;
  t.count += 1;
  times.set(key, t);
}

/** A service's `hub_store_command_seconds` sums and counts, read from its /metrics text. */
export function storeTimesFromMetrics(text: string): StoreTimes {
  const times: StoreTimes = new Map();
  for (const m of text.matchAll(/^hub_store_command_seconds_(sum|count)\{([^}]*)\} (\S+)$/gm)) {
    const labels = Object.fromEntries([...m[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    const key = `${labels.command} ${labels.collection}`;
    const t = times.get(key) ?? { ms: 0, count: 0 };
    if (m[1] === 'sum') t.ms += Number(m[3]) * 1000;
    else t.count += Number(m[3]);
    times.set(key, t);
  }
  return times;
}

/** `after` less `before`: what was spent between the two readings. */
export function storeTimesSince(after: StoreTimes, before: StoreTimes): StoreTimes {
  const times: StoreTimes = new Map();
  for (const [key, t] of after) {
    const b = before.get(key) ?? { ms: 0, count: 0 };
    if (t.count > b.count) times.set(key, { ms: t.ms - b.ms, count: t.count - b.count });
  }
  return times;
}

/** Summed time and commands of the entries whose command passes `which`. */
export function storeTimeOf(
  times: StoreTimes,
  which: (command: string) => boolean,
): { ms: number; count: number } {
  let ms = 0;
  let count = 0;
  for (const [key, t] of times)
    if (which(key.split(' ')[0]!)) {
      ms += t.ms;
      count += t.count;
    }
  return { ms, count };
}
