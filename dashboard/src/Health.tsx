import { useEffect, useState } from 'react';
import { Chart } from './Chart.tsx';
import {
  countOver,
  gaugeSeries,
  metricNames,
  parsePrometheus,
  quantileSeries,
  rateSeries,
  type Scrape,
} from './metrics.ts';
import { spanLabel } from './values.ts';

const healthDefaults = {
  spanMs: 5 * 60_000,
  minSpanMs: 60_000,
  pollMs: 3_000,
  // Latency quantiles over this trailing window: a few pushes per interval are too few.
  quantileWindowMs: 30_000,
};

/** `?poll=<ms>` speeds the charts up (the browser tests use it). */
function pollInterval(): number {
  const asked = Number(new URLSearchParams(location.search).get('poll'));
  return Number.isFinite(asked) && asked >= 250 ? asked : healthDefaults.pollMs;
}

/** Scrapes /metrics every few seconds and keeps the last `spanMs` of scrapes. */
function useScrapes(spanMs: number) {
  const [scrapes, setScrapes] = useState<Scrape[]>([]);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    let stopped = false;
    const scrape = async () => {
      // Nobody is looking: spare the server.
      if (document.hidden) return;
      try {
        const response = await fetch('/metrics', { cache: 'no-store' });
        if (!response.ok) throw new Error(`metrics answered ${response.status}`);
        const samples = parsePrometheus(await response.text());
        if (stopped) return;
        const at = Date.now();
        setScrapes((kept) => [
          ...kept.filter((s) => s.at >= at - spanMs - 10_000),
          { at, samples },
        ]);
        setFailed(false);
      } catch {
        if (!stopped) setFailed(true);
      }
    };
    void scrape();
    const timer = setInterval(scrape, pollInterval());
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [spanMs]);
  return { scrapes, failed };
}

const perSecond = (value: number) => `${value < 10 ? value.toFixed(1) : Math.round(value)}/s`;
const milliseconds = (seconds: number) => {
  const ms = seconds * 1000;
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
};
const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
const count = (value: number) => String(Math.round(value));

/** Sync health of the server instance this page talks to, from its /metrics. */
export function Health() {
  const { quantileWindowMs } = healthDefaults;
  const { scrapes, failed } = useScrapes(healthDefaults.spanMs);
  const now = scrapes.at(-1)?.at ?? Date.now();
  // A page opened a moment ago has seconds of data, not minutes: widen as it accumulates.
  const spanMs = Math.min(
    healthDefaults.spanMs,
    Math.max(healthDefaults.minSpanMs, now - (scrapes[0]?.at ?? now)),
  );
  const pushes = rateSeries(scrapes, metricNames.pushCount);
  const byStatus = (status: string) => rateSeries(scrapes, metricNames.changes, { status });
  const merged = byStatus('merged');
  const conflicted = byStatus('conflict');
  const rejected = byStatus('rejected');
  const quantile = (q: number) =>
    quantileSeries(scrapes, metricNames.pushBucket, q, quantileWindowMs);
  const common = { spanMs, now };

  return (
    <section className="panel health" aria-labelledby="health-heading">
      <div className="panel-head">
        <h2 id="health-heading">Sync health</h2>
        <p className="muted">
          {failed ? (
            <span role="alert">
              Cannot read /metrics right now; the charts resume when it answers.
            </span>
          ) : (
            `This server instance, last ${spanLabel(spanMs)}`
          )}
        </p>
      </div>
      <div className="charts">
        <Chart
          {...common}
          title="Pushes"
          format={perSecond}
          lines={[{ name: 'pushChanges', series: pushes, tone: 'a' }]}
          summary={`${countOver(pushes, scrapes)} in the window`}
        />
        <Chart
          {...common}
          title="Changes by outcome"
          format={perSecond}
          lines={[
            { name: 'merged', series: merged, tone: 'a' },
            { name: 'conflicted', series: conflicted, tone: 'b' },
            { name: 'rejected', series: rejected, tone: 'c' },
          ]}
          summary={`${countOver(merged, scrapes)} merged · ${countOver(conflicted, scrapes)} conflicted · ${countOver(rejected, scrapes)} rejected`}
        />
        <Chart
          {...common}
          title="Auto-resolution"
          format={percent}
          max={1}
          lines={[
            {
              name: 'merged without a person',
              series: gaugeSeries(scrapes, metricNames.autoResolution),
              tone: 'a',
            },
          ]}
          summary="Share of concurrent edits merged automatically since the server started"
        />
        <Chart
          {...common}
          title="Push latency"
          format={milliseconds}
          lines={[
            { name: 'p50', series: quantile(0.5), tone: 'a' },
            { name: 'p95', series: quantile(0.95), tone: 'b' },
            { name: 'p99', series: quantile(0.99), tone: 'c' },
          ]}
          summary="Over a trailing 30 s window"
        />
        <Chart
          {...common}
          title="Live subscribers"
          format={count}
          lines={[
            {
              name: 'subscriptions',
              series: gaugeSeries(scrapes, metricNames.subscriptions),
              tone: 'a',
            },
            {
              name: 'connections',
              series: gaugeSeries(scrapes, metricNames.connections),
              tone: 'b',
            },
          ]}
        />
      </div>
    </section>
  );
}
