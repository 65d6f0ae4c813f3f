// The benchmark's settings (BENCH_* in the environment), read by `hub bench` before it starts anything and by the
// bench's sections: a typo is refused with the setting, the value and the rule, where Number() read it as NaN (a
// run of NaN reports that measured nothing) and any BENCH_QUICK but `1` meant the full hour-long run.
import { HubError } from '@hub/errors';
import { wholeNumber } from './whole-number';

/** Each numeric setting: its default in a quick run and in a full one, the smallest value taken, what it counts. */
const NUMBERS = {
  BENCH_REPORTS: { quick: 1000, full: 5000, min: 1, unit: 'reports' },
  BENCH_INGEST_RUNS: { quick: 1, full: 3, min: 1, unit: 'runs' },
  BENCH_PREFILL_BUCKETS: { quick: 0, full: 0, min: 0, unit: 'buckets' },
  BENCH_MEMORY_SECONDS: { quick: 20, full: 60, min: 1, unit: 'seconds' },
  BENCH_QUERY_REPORTS: { quick: 2_000, full: 1_000_000, min: 1, unit: 'reports' },
  BENCH_QUERY_FILL_MINUTES: { quick: 10, full: 15, min: 1, unit: 'minutes' },
  BENCH_QUERY_BUDGET_S: { quick: 5, full: 90, min: 1, unit: 'seconds' },
} as const;

export type BenchNumber = keyof typeof NUMBERS;

export const BENCH_SECTIONS = ['ingest', 'query', 'memory'] as const;

/** BENCH_QUICK=1: the short run. Unset, empty or 0: the full one. */
export function benchQuick(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env.BENCH_QUICK ?? '';
  if (!['', '0', '1'].includes(raw))
    throw new HubError(
      'USAGE',
      `BENCH_QUICK must be 1 (a short run) or 0 (the full run), got ${JSON.stringify(raw)}`,
    );
  return raw === '1';
}

/** A numeric setting as given, or its default for this kind of run; unset or empty is the default. */
export function benchNumber(name: BenchNumber, env: NodeJS.ProcessEnv = process.env): number {
  const rule = NUMBERS[name];
  return wholeNumber(name, env[name] || undefined, benchQuick(env) ? rule.quick : rule.full, rule);
}

/** The sections BENCH_SECTIONS picks (default all), in the table's order; an unknown one is refused. */
export function benchSections(env: NodeJS.ProcessEnv = process.env): string[] {
  const chosen = (env.BENCH_SECTIONS || BENCH_SECTIONS.join(','))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = chosen.filter((s) => !(BENCH_SECTIONS as readonly string[]).includes(s));
  if (unknown.length || !chosen.length)
    throw new HubError(
      'USAGE',
      `BENCH_SECTIONS must name sections among ${BENCH_SECTIONS.join(', ')}, got ${JSON.stringify(env.BENCH_SECTIONS)}`,
    );
  return BENCH_SECTIONS.filter((s) => chosen.includes(s));
}

/** Every setting checked at once, so that a typo stops the bench before it starts the stack or measures anything. */
export function checkBenchSettings(env: NodeJS.ProcessEnv = process.env): void {
  benchSections(env);
  for (const name of Object.keys(NUMBERS) as BenchNumber[]) benchNumber(name, env);
}

/**
 * Every BENCH_* setting given (non-empty), sorted by name, as written: what a results file must record beside its
 * table, since any of them changes what the figures mean (a capped fill, a prefilled store, fewer reports).
 */
export function benchSettingsGiven(env: NodeJS.ProcessEnv = process.env): [string, string][] {
  return Object.entries(env)
    .filter((e): e is [string, string] => e[0].startsWith('BENCH_') && Boolean(e[1]))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
