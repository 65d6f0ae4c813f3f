// Unit tier: the query section's rows (bench/query.ts): a figure taken on fewer stored reports than asked says so in
// its name, and a p95 is given only from enough samples.
import { expect } from 'chai';
import { queryFigure, readRows, type ReadMeasured } from '../../bench/query';
import { table } from '../../bench/measure';

const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

const measured = (over: Partial<ReadMeasured>): ReadMeasured => ({
  path: '/v1/seizures?country=KZ&limit=50',
  stored: 1_000_000,
  asked: 1_000_000,
  scans: 'reports',
  scanned: 1_000_000,
  api: oneTo(20).map((x) => x * 10),
  raw: oneTo(20).map((x) => x * 9),
  size: 50,
  rawSize: 51,
  ...over,
});

describe('bench query rows', () => {
  it('names the stored count in the figure when the fill stopped short of the asked count', () => {
    expect(queryFigure('p50', '/v1/stats?groupBy=country', 412_000, 1_000_000)).to.equal(
      'query API p50 at 412,000 stored reports (of 1,000,000 asked): GET /v1/stats?groupBy=country',
    );
    const rows = readRows(measured({ stored: 412_000, scanned: 412_000 }));
    expect(rows.map((r) => r.figure)).to.deep.equal([
      'query API p50 at 412,000 stored reports (of 1,000,000 asked): GET /v1/seizures?country=KZ&limit=50',
      'query API p95 at 412,000 stored reports (of 1,000,000 asked): GET /v1/seizures?country=KZ&limit=50',
    ]);
  });

  it('names no count when the store holds what was asked', () => {
    expect(queryFigure('p95', '/v1/stats?groupBy=country', 2_000, 2_000)).to.equal(
      'query API p95: GET /v1/stats?groupBy=country',
    );
    expect(readRows(measured({})).map((r) => r.figure)).to.deep.equal([
      'query API p50: GET /v1/seizures?country=KZ&limit=50',
      'query API p95: GET /v1/seizures?country=KZ&limit=50',
    ]);
  });

  it('gives a p95 and its ratio from 20 samples', () => {
    const [p50, p95] = readRows(measured({}));
    expect(p50!.value).to.equal(100);
    expect(p50!.ratio).to.equal(100 / 90);
    expect(p95!.value).to.equal(190);
    expect(p95!.ratio).to.equal(190 / 171);
    expect(p95!.baseline).to.equal('raw p95: 171 ms');
  });

  it('prints no p95 and no p95 ratio from fewer than 20 samples, and says why', () => {
    const one = readRows(measured({ stored: 600_000, api: [840_000], raw: [800_000] }));
    expect(one[0]!.value).to.equal(840_000);
    expect(one[0]!.note).to.contain('1 sample each');
    expect(one[1]!.value).to.equal(undefined);
    expect(one[1]!.ratio).to.equal(undefined);
    expect(one[1]!.note).to.equal(
      'a p95 needs at least 20 samples, and 1 was taken within BENCH_QUERY_BUDGET_S: with fewer it is only the slowest one',
    );
    const line = table(one).split('\n')[3]!;
    expect(line.startsWith('| query API p95 at 600,000 stored reports (of 1,000,000 asked): GET ')).to.equal(
      true,
    );
    expect(line).to.contain(' | n/a | ms |  | raw p95: n/a | a p95 needs at least 20 samples');
    expect(readRows(measured({ api: oneTo(19), raw: oneTo(19) }))[1]!.value).to.equal(undefined);
  });
});
