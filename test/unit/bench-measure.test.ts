// Unit tier: the benchmark's own arithmetic (bench/measure.ts): percentiles by nearest rank, tail percentiles only
// from enough samples, each report's end-to-end latency from its POST to its accepted receipt, and the results file's
// header naming every BENCH_* setting the run was given.
import { expect } from 'chai';
import {
  percentile,
  receiptLatencies,
  resultsHeader,
  samplesFor,
  table,
  tailPercentile,
  type ResultsRun,
} from '../../bench/measure';
import { benchSettingsGiven } from '../../scripts/src/run/bench-settings';

const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('bench percentiles', () => {
  it('takes the nearest rank: the smallest value with p% of the values at or below it', () => {
    expect(percentile(oneTo(100), 99)).to.equal(99);
    expect(percentile(oneTo(1000), 50)).to.equal(500);
    expect(percentile(oneTo(20), 95)).to.equal(19);
    expect(percentile(oneTo(100), 100)).to.equal(100);
    expect(percentile([7], 50)).to.equal(7);
    expect(percentile([], 50)).to.equal(0);
  });

  it('sorts a copy, in numeric order, leaving the samples as taken', () => {
    const samples = [30, 4, 200, 10];
    expect(percentile(samples, 50)).to.equal(10);
    expect(samples).to.deep.equal([30, 4, 200, 10]);
  });

  it('gives no p95 from fewer than 20 samples, nor a p99 from fewer than 100: it would only be the slowest', () => {
    expect(samplesFor(95)).to.equal(20);
    expect(samplesFor(99)).to.equal(100);
    expect(tailPercentile(oneTo(19), 95)).to.equal(undefined);
    expect(tailPercentile(oneTo(20), 95)).to.equal(19);
    expect(tailPercentile(oneTo(99), 99)).to.equal(undefined);
    expect(tailPercentile(oneTo(100), 99)).to.equal(99);
  });

  it('prints a figure with no value as n/a, with no ratio', () => {
    const out = table([
      { figure: 'query API p95: GET /x', value: undefined, unit: 'ms', baseline: 'raw p95: n/a' },
    ]);
    expect(out.split('\n')[2]).to.equal('| query API p95: GET /x | n/a | ms |  | raw p95: n/a |  |');
  });
});

describe('bench end-to-end latency: POST at the node to the accepted receipt at the coordinator', () => {
  it('runs from the POST, before the node answered, to the receipt, after the report was stored', () => {
    // Posted at 1000, the node's 202 at 1100, the coordinator's receivedAt (taken as it starts persisting) at 1300,
    // the accepted receipt issued at 2400: the report took 1400 ms end to end, not 1300 - 1100.
    const out = receiptLatencies(
      [{ reportIds: ['r1'], postedAt: 1000, answeredAt: 1100 }],
      [{ subjectId: 'r1', status: 'accepted', issuedAt: 2400 }],
    );
    expect(out).to.deep.equal({ latencies: [1400], negative: 0, missing: 0 });
  });

  it('pairs each report with its own receipt; a refusal is no end, and a redelivered acceptance counts once, first', () => {
    const out = receiptLatencies(
      [
        { reportIds: ['a', 'b'], postedAt: 1000, answeredAt: 1050 },
        { reportIds: ['c'], postedAt: 2000, answeredAt: 2070 },
      ],
      [
        { subjectId: 'b', status: 'accepted', issuedAt: 1800 },
        { subjectId: 'a', status: 'rejected', issuedAt: 1100 },
        { subjectId: 'a', status: 'accepted', issuedAt: 1500 },
        { subjectId: 'c', status: 'accepted', issuedAt: new Date(2900) },
        { subjectId: 'c', status: 'accepted', issuedAt: 2600 },
        { subjectId: 'warm-up', status: 'accepted', issuedAt: 500 },
      ],
    );
    expect(out.latencies).to.deep.equal([500, 800, 600]);
    expect(out.missing).to.equal(0);
  });

  it('counts reports with no accepted receipt, and keeps and counts negative latencies instead of making them 0', () => {
    const out = receiptLatencies(
      [{ reportIds: ['a', 'b', 'c'], postedAt: 5000, answeredAt: 5100 }],
      [
        { subjectId: 'a', status: 'accepted', issuedAt: 4990 },
        { subjectId: 'b', status: 'rejected', issuedAt: 5200 },
        { subjectId: 'c', status: 'accepted', issuedAt: 5300 },
      ],
    );
    expect(out).to.deep.equal({ latencies: [-10, 300], negative: 1, missing: 1 });
  });
});

describe('bench results header', () => {
  const run = (settings: [string, string][]): ResultsRun => ({
    sections: ['ingest'],
    partial: true,
    measuredAt: new Date('2026-12-07T20:00:00Z'),
    machine: { platform: 'linux', arch: 'x64', cores: 2, node: 'v22.1.0' },
    seconds: 73,
    settings,
  });

  it('names every BENCH_* setting given, not only BENCH_QUICK', () => {
    const settings = benchSettingsGiven({
      BENCH_REPORTS: '3000',
      BENCH_QUICK: '1',
      BENCH_PREFILL_BUCKETS: '39000',
      BENCH_QUERY_ONLY: 'stats',
      BENCH_QUERY_FILL_MINUTES: '',
      HUB_MONGO_URL: 'mongodb://elsewhere',
    });
    expect(settings).to.deep.equal([
      ['BENCH_PREFILL_BUCKETS', '39000'],
      ['BENCH_QUERY_ONLY', 'stats'],
      ['BENCH_QUICK', '1'],
      ['BENCH_REPORTS', '3000'],
    ]);
    expect(resultsHeader(run(settings))).to.equal(
      '# Benchmark results (ingest)\n\n' +
        'Measured 2026-12-07T20:00:00.000Z on linux x64, 2 cores, Node v22.1.0, in 73 s; settings ' +
        'BENCH_PREFILL_BUCKETS=39000, BENCH_QUERY_ONLY=stats, BENCH_QUICK=1, BENCH_REPORTS=3000 (any other at its default).\n',
    );
  });

  it("says when none was given: the full run's defaults", () => {
    const header = resultsHeader({ ...run([]), partial: false, sections: ['ingest', 'query', 'memory'] });
    expect(header).to.match(/^# Benchmark results\n\n/);
    expect(header).to.contain("in 73 s; no BENCH_* setting given (the full run's defaults).");
  });
});
