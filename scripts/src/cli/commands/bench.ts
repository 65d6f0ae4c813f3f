// `hub bench` (npm run bench): the benchmark table, on the real local stack.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig, repoRoot } from '@hub/config';
import { HubError } from '@hub/errors';
import type { Command } from '../command';
import { say } from '../command';
import { checkBenchSettings } from '../../run/bench-settings';
import { stackUp } from '../../stack/stack';

export const benchCommand: Command = {
  name: 'bench',
  summary:
    'benchmarks: ingest, query API and memory, each against a raw baseline (BENCH_QUICK=1 for a short run)',
  usage: `hub bench

Starts the local stack if needed, then measures, each beside a raw baseline taken in the same run, and prints the
table with ratios to bench/results.md:
  ingest  end-to-end ingest (JSON at a national node → verified and stored at the coordinator) beside raw kafkajs
          produce+consume, RSA-PSS signing and verification and insertMany of the same data (BENCH_REPORTS=N,
          default 5,000; quick 1,000)
  query   query API p50/p95 of stats and searches over a store filled straight with N stored reports and their
          read-model buckets, beside the same finds with the driver (BENCH_QUERY_REPORTS=N, default 1,000,000,
          quick 2,000; BENCH_QUERY_FILL_MINUTES caps the fill, BENCH_QUERY_BUDGET_S the time per query)
  memory  peak RSS (VmHWM) of the coordinator, a national node and the query API run as processes under sustained
          load, beside an idle node process (BENCH_MEMORY_SECONDS, default 60; quick 20)
BENCH_SECTIONS=query,memory runs only those (written to bench/results-<sections>.md). BENCH_CPU_PROFILE=FILE
writes a CPU profile of the end-to-end ingest run (the node, the coordinator and the clients, in the bench's process). On FerretDB every filtered
read scans the whole collection, so the full query section at 1,000,000 reports takes about an hour.`,
  async run(args) {
    // Before the stack is started: it takes no options, and a mistyped setting would measure nothing (or an hour).
    if (args.length)
      throw new HubError(
        'USAGE',
        `hub bench takes no arguments (got ${args.join(' ')}); its settings are BENCH_* in the environment\nusage: ${this.usage}`,
      );
    checkBenchSettings();
    await stackUp(loadConfig(), say('bench'), { security: 'plaintext' });
    return new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'run.ts')], {
        stdio: 'inherit',
        cwd: repoRoot,
      });
      child.on('exit', (code) => resolve(code ?? 1));
    });
  },
};
