// Small measuring helpers for the benchmark table.
export interface Row {
  figure: string;
  value: number;
  unit: string;
  /** Figure divided by its raw baseline measured in the same run. */
  ratio?: number;
  baseline?: string;
  note?: string;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

export function table(rows: Row[]): string {
  const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(n >= 10 ? 1 : 2));
  const lines = [
    '| figure | value | unit | ratio | baseline | note |',
    '|---|---:|---|---:|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.figure} | ${fmt(r.value)} | ${r.unit} | ${r.ratio === undefined ? '' : r.ratio.toFixed(2)} | ${r.baseline ?? ''} | ${r.note ?? ''} |`,
    ),
  ];
  return lines.join('\n');
}
