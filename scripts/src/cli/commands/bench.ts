// `hub bench` (npm run bench): the benchmark table, on the real local stack.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadConfig, repoRoot } from '@hub/config';
import type { Command } from '../command';
import { say } from '../command';
import { stackUp } from '../../stack/stack';

export const benchCommand: Command = {
  name: 'bench',
  summary: 'benchmarks: end-to-end ingest against its raw baselines (BENCH_QUICK=1 for a short run)',
  usage: `hub bench

Starts the local stack if needed, then measures end-to-end ingest (JSON at a national node → verified and stored at
the coordinator) beside raw kafkajs produce+consume, raw RSA-PSS signing and verification and raw insertMany of the
same data, prints the table with ratios and writes bench/results.md. BENCH_QUICK=1: 1,000 reports instead of 5,000;
BENCH_REPORTS=N sets the count.`,
  async run() {
    await stackUp(loadConfig(), say('bench'));
    return new Promise<number>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bench', 'run.ts')], {
        stdio: 'inherit',
        cwd: repoRoot,
      });
      child.on('exit', (code) => resolve(code ?? 1));
    });
  },
};
