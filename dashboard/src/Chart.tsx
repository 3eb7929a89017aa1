import type { ReactNode } from 'react';
import type { Series } from './metrics.ts';
import { spanLabel } from './values.ts';

export interface ChartLine {
  name: string;
  series: Series;
  /** A CSS class of the line (colour), see styles.css `.line-*`. */
  tone: 'a' | 'b' | 'c';
}

interface ChartProps {
  title: string;
  lines: ChartLine[];
  /** The time span drawn, ending now. */
  spanMs: number;
  now: number;
  format: (value: number) => string;
  /** A fixed top of the scale (ratios); otherwise the largest value drawn. */
  max?: number;
  /** One line under the chart, e.g. totals over the window. */
  summary?: ReactNode;
}

const WIDTH = 300;
const HEIGHT = 72;

/** A small time chart in inline SVG: one or more lines, gaps where there is no value. */
export function Chart({ title, lines, spanMs, now, format, max, summary }: ChartProps) {
  const start = now - spanMs;
  const top = max ?? niceMax(lines.flatMap((line) => visibleValues(line.series, start)));
  const x = (at: number) => ((at - start) / spanMs) * WIDTH;
  const y = (value: number) => HEIGHT - (Math.min(value, top) / top) * (HEIGHT - 4) - 2;
  const description = lines
    .map((line) => `${line.name} ${describe(latestIn(line.series, start), format)}`)
    .join(', ');
  return (
    <figure className="chart">
      <figcaption>
        {title}
        {/* The top of the scale, not a reading: the readings are in the legend. */}
        <span className="chart-top">scale 0–{format(top)}</span>
      </figcaption>
      <div className="chart-plot">
        <svg
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          role="img"
          aria-label={`${title}, last ${spanLabel(spanMs)}: ${description}`}
        >
          <line className="grid" x1="0" x2={WIDTH} y1={HEIGHT / 2} y2={HEIGHT / 2} />
          <line className="grid" x1="0" x2={WIDTH} y1={HEIGHT - 1} y2={HEIGHT - 1} />
          {lines.map((line) =>
            segments(line.series, start).map((segment) => (
              <polyline
                key={`${line.name}-${segment[0]?.[0]}`}
                className={`line line-${line.tone}`}
                points={segment.map(([at, value]) => `${x(at)},${y(value)}`).join(' ')}
              />
            )),
          )}
        </svg>
      </div>
      <div className="chart-axis" aria-hidden="true">
        <span>−{spanLabel(spanMs, 'short')}</span>
        <span>now</span>
      </div>
      <ul className="chart-legend">
        {lines.map((line) => {
          const latest = latestIn(line.series, start);
          return (
            <li key={line.name}>
              <span className={`swatch swatch-${line.tone}`} aria-hidden="true" />
              {line.name} <strong>{describe(latest, format)}</strong>
              {latest === null ? null : <span className="muted"> now</span>}
            </li>
          );
        })}
      </ul>
      {summary ? <p className="chart-summary">{summary}</p> : null}
    </figure>
  );
}

/** Runs of consecutive values inside the window; a null ends a run (a gap in the line). */
function segments(series: Series, start: number): [number, number][][] {
  const runs: [number, number][][] = [];
  let run: [number, number][] = [];
  series.values.forEach((value, index) => {
    const at = series.at[index] ?? 0;
    if (value === null || at < start) {
      if (run.length > 0) runs.push(run);
      run = [];
      return;
    }
    run.push([at, value]);
  });
  if (run.length > 0) runs.push(run);
  // A single point would be invisible as a line: draw it as a short flat stroke.
  return runs.map((points) => {
    const [only] = points;
    return points.length === 1 && only ? [[only[0] - 1500, only[1]], only] : points;
  });
}

function visibleValues(series: Series, start: number): number[] {
  return series.values.filter(
    (value, index): value is number => value !== null && (series.at[index] ?? 0) >= start,
  );
}

function latestIn(series: Series, start: number): number | null {
  return visibleValues(series, start).at(-1) ?? null;
}

function describe(value: number | null, format: (value: number) => string): string {
  return value === null ? 'no data' : format(value);
}

/** A round upper bound (1, 2, 5 × 10^n) so the scale label reads well. */
function niceMax(values: number[]): number {
  const largest = Math.max(0, ...values);
  if (largest <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(largest));
  const step = [1, 2, 5, 10].find((factor) => factor * magnitude >= largest) ?? 10;
  return step * magnitude;
}
