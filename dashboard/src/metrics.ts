/**
 * Sync health from the server's Prometheus text (/metrics, server/observability/metrics.ts):
 * a parser, and the series the charts draw, computed from consecutive scrapes the way
 * Prometheus' rate() and histogram_quantile() would.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  /** When the scrape was taken (ms since the epoch). */
  at: number;
  samples: Sample[];
}

/** One value per scrape (null where it cannot be computed), aligned with `at`. */
export interface Series {
  at: number[];
  values: (number | null)[];
}

export const metricNames = {
  pushCount: 'converge_sync_push_duration_seconds_count',
  pushBucket: 'converge_sync_push_duration_seconds_bucket',
  changes: 'converge_sync_changes_total',
  autoResolution: 'converge_sync_auto_resolution_ratio',
  subscriptions: 'converge_subscriptions_active',
  connections: 'converge_connections_open',
} as const;

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text exposition format (comments and types are skipped). */
export function parsePrometheus(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = sampleLine.exec(line.trim());
    if (!match) continue;
    const [, name = '', labelText = '', raw = ''] = match;
    const labels: Record<string, string> = {};
    for (const [, key = '', value = ''] of labelText.matchAll(labelPair)) {
      labels[key] = value.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    samples.push({ name, labels, value: parseValue(raw) });
  }
  return samples;
}

function parseValue(raw: string): number {
  if (raw === '+Inf') return Number.POSITIVE_INFINITY;
  if (raw === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(raw);
}

/** The sum of every sample of `name` whose labels include `where`; null when there is none. */
export function total(
  scrape: Scrape,
  name: string,
  where: Record<string, string> = {},
): number | null {
  let sum: number | null = null;
  for (const sample of scrape.samples) {
    if (sample.name !== name) continue;
    if (Object.entries(where).some(([key, value]) => sample.labels[key] !== value)) continue;
    sum = (sum ?? 0) + sample.value;
  }
  return sum;
}

/** Counter increase between two scrapes; a drop means the server restarted from zero. */
function increase(before: number | null, after: number | null): number | null {
  if (before === null || after === null) return null;
  return after >= before ? after - before : after;
}

/** Per-second rate of a counter (summed over labels matching `where`) between scrapes. */
export function rateSeries(
  scrapes: Scrape[],
  name: string,
  where: Record<string, string> = {},
): Series {
  return pairwise(scrapes, (before, after) => {
    const delta = increase(total(before, name, where), total(after, name, where));
    const seconds = (after.at - before.at) / 1000;
    return delta === null || seconds <= 0 ? null : delta / seconds;
  });
}

/** A gauge as it was at each scrape (summed over labels). */
export function gaugeSeries(scrapes: Scrape[], name: string): Series {
  return { at: scrapes.map((scrape) => scrape.at), values: scrapes.map((s) => total(s, name)) };
}

/**
 * A quantile of a histogram over a trailing window, in the histogram's unit. Null where no
 * observation fell in the window. Windows longer than the scrape interval keep sparse
 * traffic from drawing a line of dots.
 */
export function quantileSeries(
  scrapes: Scrape[],
  bucketName: string,
  quantile: number,
  windowMs: number,
): Series {
  const at: number[] = [];
  const values: (number | null)[] = [];
  scrapes.forEach((scrape, index) => {
    if (index === 0) return;
    const start = scrapes.find((other) => other.at >= scrape.at - windowMs) ?? scrape;
    const from = start === scrape ? scrapes[index - 1] : start;
    at.push(scrape.at);
    values.push(from ? windowQuantile(from, scrape, bucketName, quantile) : null);
  });
  return { at, values };
}

function windowQuantile(before: Scrape, after: Scrape, name: string, q: number): number | null {
  const buckets = new Map<number, number>();
  for (const sample of after.samples) {
    if (sample.name !== name || sample.labels.le === undefined) continue;
    const le = parseValue(sample.labels.le);
    const earlier = total(before, name, { ...sample.labels });
    const delta = increase(earlier ?? 0, sample.value) ?? 0;
    buckets.set(le, (buckets.get(le) ?? 0) + delta);
  }
  return histogramQuantile(
    q,
    [...buckets].sort(([a], [b]) => a - b),
  );
}

/**
 * Prometheus' histogram_quantile: linear interpolation inside the bucket that holds the
 * quantile; the highest finite bound when it falls in +Inf. `buckets` are cumulative
 * counts by upper bound, ascending.
 */
export function histogramQuantile(q: number, buckets: [number, number][]): number | null {
  const count = buckets.at(-1)?.[1] ?? 0;
  if (count <= 0) return null;
  const rank = q * count;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [bound, cumulative] of buckets) {
    if (cumulative >= rank) {
      if (!Number.isFinite(bound)) return lowerBound;
      const inBucket = cumulative - lowerCount;
      if (inBucket <= 0) return bound;
      return lowerBound + ((bound - lowerBound) * (rank - lowerCount)) / inBucket;
    }
    lowerBound = bound;
    lowerCount = cumulative;
  }
  return lowerBound;
}

function pairwise(
  scrapes: Scrape[],
  value: (before: Scrape, after: Scrape) => number | null,
): Series {
  const at: number[] = [];
  const values: (number | null)[] = [];
  for (let index = 1; index < scrapes.length; index++) {
    const before = scrapes[index - 1];
    const after = scrapes[index];
    if (!before || !after) continue;
    at.push(after.at);
    values.push(value(before, after));
  }
  return { at, values };
}

/** Sum of a rate series times its intervals: how many events the window saw. */
export function countOver(series: Series, scrapes: Scrape[]): number {
  let sum = 0;
  series.values.forEach((rate, index) => {
    const before = scrapes[index];
    const after = scrapes[index + 1];
    if (rate !== null && before && after) sum += (rate * (after.at - before.at)) / 1000;
  });
  return Math.round(sum);
}

/** The last non-null value of a series. */
export function latest(series: Series): number | null {
  for (let index = series.values.length - 1; index >= 0; index--) {
    const value = series.values[index];
    if (value !== null && value !== undefined) return value;
  }
  return null;
}
