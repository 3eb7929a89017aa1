import { describe, expect, it } from 'vitest';
import {
  histogramQuantile,
  parsePrometheus,
  quantileSeries,
  rateSeries,
  type Scrape,
} from '../../dashboard/src/metrics.ts';

const scrape = (at: number, text: string): Scrape => ({ at, samples: parsePrometheus(text) });

describe('the dashboard reading /metrics', () => {
  it('parses the Prometheus text format, labels and escapes included', () => {
    const samples = parsePrometheus(
      [
        '# HELP converge_sync_changes_total Changes pushed',
        '# TYPE converge_sync_changes_total counter',
        'converge_sync_changes_total{status="merged"} 12',
        'converge_up 1 1700000000000',
        'odd{path="a\\"b\\\\c",le="+Inf"} 3.5e2',
      ].join('\n'),
    );
    expect(samples).toEqual([
      { name: 'converge_sync_changes_total', labels: { status: 'merged' }, value: 12 },
      { name: 'converge_up', labels: {}, value: 1 },
      { name: 'odd', labels: { path: 'a"b\\c', le: '+Inf' }, value: 350 },
    ]);
  });

  it('turns counters into per-second rates, across a server restart', () => {
    const scrapes = [
      scrape(0, 'c{status="merged"} 10\nc{status="conflict"} 1'),
      scrape(2000, 'c{status="merged"} 30\nc{status="conflict"} 1'),
      scrape(4000, 'c{status="merged"} 4\nc{status="conflict"} 0'),
    ];
    expect(rateSeries(scrapes, 'c', { status: 'merged' }).values).toEqual([10, 2]);
    expect(rateSeries(scrapes, 'c').values).toEqual([10, 2]);
  });

  it('interpolates quantiles inside histogram buckets, as histogram_quantile does', () => {
    const buckets: [number, number][] = [
      [0.01, 50],
      [0.05, 90],
      [0.1, 100],
      [Number.POSITIVE_INFINITY, 100],
    ];
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(0.01);
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(0.03);
    expect(histogramQuantile(0.99, buckets)).toBeCloseTo(0.095);
    expect(histogramQuantile(0.5, [[0.1, 0]])).toBeNull();
    expect(
      histogramQuantile(0.99, [
        [0.1, 1],
        [Number.POSITIVE_INFINITY, 10],
      ]),
    ).toBe(0.1);
  });

  it('computes latency quantiles over a trailing window of scrapes', () => {
    const histogram = (fast: number, slow: number) =>
      [
        `h_bucket{le="0.01",outcome="ok"} ${fast}`,
        `h_bucket{le="0.1",outcome="ok"} ${fast + slow}`,
        `h_bucket{le="+Inf",outcome="ok"} ${fast + slow}`,
      ].join('\n');
    const scrapes = [
      scrape(0, histogram(0, 0)),
      scrape(1000, histogram(10, 0)),
      scrape(2000, histogram(10, 10)),
    ];
    const median = quantileSeries(scrapes, 'h_bucket', 0.5, 5000);
    expect(median.at).toEqual([1000, 2000]);
    expect(median.values[0]).toBeCloseTo(0.005);
    expect(median.values[1]).toBeCloseTo(0.01);
    // No observation in the window: no value, rather than zero.
    expect(
      quantileSeries(
        [scrape(0, histogram(5, 5)), scrape(1000, histogram(5, 5))],
        'h_bucket',
        0.5,
        500,
      ).values,
    ).toEqual([null]);
  });
});
