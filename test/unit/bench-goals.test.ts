import { describe, expect, it } from 'vitest';
import { evaluateGoals, type Results } from '../../bench/report.ts';

/** The bench's goals table (bench/report.ts) judges figures as issue 15 states its goals. */
const meta: Results['meta'] = {
  date: '2026-12-03',
  database: 'postgresql',
  instances: 2,
  redis: true,
  quick: false,
  node: 'v20',
  cpus: 2,
  notes: [],
};

function verdicts(results: Omit<Results, 'meta'>) {
  const goals = evaluateGoals({ meta, ...results });
  return Object.fromEntries(goals.map((goal) => [goal.name, goal.met]));
}

describe('bench goals', () => {
  it('holds the 4-client batch p95 to twice the raw p95 of the same run, and the solo p95 to 15 ms', () => {
    const push = { p95Ms: 39, rawP95Ms: 20, soloP95Ms: 15 } as NonNullable<Results['push']>;
    expect(verdicts({ push })).toMatchObject({ 'push.p95Ms': true, 'push.soloP95Ms': true });
    const slower = { p95Ms: 41, rawP95Ms: 20, soloP95Ms: 15.5 } as NonNullable<Results['push']>;
    expect(verdicts({ push: slower })).toMatchObject({
      'push.p95Ms': false,
      'push.soloP95Ms': false,
    });
  });

  it('judges memory per idle subscriber at 1,000 and 10,000, and calls a negative growth noise', () => {
    const fanout = { subscribers: 1000, p95Ms: 40, rssPerSubKiB: -9.4 } as NonNullable<
      Results['fanout']
    >;
    const fanout10k = { subscribers: 10_000, p95Ms: 500, rssPerSubKiB: 70 } as NonNullable<
      Results['fanout10k']
    >;
    expect(verdicts({ fanout, fanout10k })).toMatchObject({
      'fanout.rssPerSubKiB': null,
      'fanout10k.rssPerSubKiB': false,
      'fanout.p95Ms': true,
      'fanout10k.p95Ms': false,
    });
  });
});
