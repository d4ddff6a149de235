/**
 * Successive reports of one probe, as a real probe sends them: every report carries the same
 * nodes, but every `latest` entry is re-stamped with the report's time and every metric is a fresh
 * sample (a few percent off the last value). Benches that POST one fixed body again and again would
 * let a cache keyed on the bytes (or on node content) hit on every report, which no real probe
 * allows; this keeps those benches honest.
 */
import { gzipSync } from 'node:zlib';
import { makeSingletonMetric } from '../../src/report/merge-metric.js';
import { encodeReport } from '../../src/report/codec/index.js';
import { timeFromMillis, timeToMillis } from '../../src/report/time.js';
import type { LatestEntry, Metric, Node, Report, Time, Topology } from '../../src/report/types.js';

/** A small deterministic jitter in [-4 %, +4 %] for sample `i` of metric `key`. */
function jitter(key: string, tick: number): number {
  let h = tick * 2654435761;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return ((h >>> 0) % 81) / 1000 - 0.04;
}

function restampNode(n: Node, ts: Time, tick: number): Node {
  const latest = new Map<string, LatestEntry>();
  for (const [k, e] of n.latest) latest.set(k, { timestamp: ts, value: e.value });
  const metrics = new Map<string, Metric>();
  for (const [k, m] of n.metrics) {
    const last = m.samples.at(-1)?.value ?? 0;
    const value = last === 0 ? 0 : last * (1 + jitter(n.id + k, tick));
    metrics.set(k, makeSingletonMetric(ts, value, m.max));
  }
  let children: Map<string, Node> | null = null;
  if (n.children !== null) {
    children = new Map();
    for (const [k, c] of n.children) children.set(k, restampNode(c, ts, tick));
  }
  return { ...n, latest, metrics, children };
}

/** `report` as the probe would send it `tick` publish intervals later. */
export function reportAtTick(report: Report, tick: number, intervalMillis: number): Report {
  const base = timeToMillis(report.ts);
  const ts = timeFromMillis(base + tick * intervalMillis);
  const topologies = { ...report.topologies };
  for (const name of Object.keys(topologies) as (keyof Report['topologies'])[]) {
    const t: Topology = report.topologies[name];
    const nodes = new Map<string, Node>();
    for (const [id, n] of t.nodes) nodes.set(id, restampNode(n, ts, tick));
    topologies[name] = { ...t, nodes };
  }
  return { ...report, ts, topologies };
}

/**
 * Gzipped msgpack bodies of `count` successive reports of `report`, made up front so that the bench
 * process spends no time encoding between a POST and the request it times.
 */
export function reportBodies(report: Report, count: number, intervalMillis: number): Buffer[] {
  const bodies: Buffer[] = [];
  for (let i = 0; i < count; i++) bodies.push(gzipSync(encodeReport(reportAtTick(report, i, intervalMillis), 'msgpack')));
  return bodies;
}
