/** A small SVG sparkline of a metric's samples (details panel). */
import type { MetricRow } from '../domain/api-types.js';

export function Sparkline({ metric, width = 90, height = 26 }: { metric: MetricRow; width?: number; height?: number }): React.JSX.Element {
  const samples = metric.samples ?? [];
  if (samples.length < 2) return <svg width={width} height={height} className="sparkline empty" aria-hidden="true" />;
  const values = samples.map((s) => s.value);
  const min = Math.min(...values, metric.min);
  const max = Math.max(...values, min + 1e-9);
  const pts = values.map((v, i) => `${((i / (values.length - 1)) * (width - 4) + 2).toFixed(1)},${(height - 3 - ((v - min) / (max - min)) * (height - 6)).toFixed(1)}`);
  const first = Date.parse(samples[0]?.date ?? '');
  const last = Date.parse(samples[samples.length - 1]?.date ?? '');
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const secs = Number.isFinite(last - first) ? Math.round((last - first) / 1000) : 0;
  return (
    <svg width={width} height={height} className="sparkline" role="img" aria-label={`${metric.label} over the last ${secs} seconds`}>
      <title>{`Last ${secs} seconds, ${samples.length} samples, min ${min.toFixed(2)}, max ${Math.max(...values).toFixed(2)}, mean ${mean.toFixed(2)}`}</title>
      <polyline points={pts.join(' ')} fill="none" stroke="currentColor" strokeWidth="1.5" />
      <circle cx={pts[pts.length - 1]?.split(',')[0]} cy={pts[pts.length - 1]?.split(',')[1]} r="2" fill="currentColor" />
    </svg>
  );
}
