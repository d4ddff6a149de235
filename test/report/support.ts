// Shared helpers for report tests: fast-check arbitraries for reports and a canonical,
// order-independent view of a report for deep comparisons.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { decodeReport } from '../../src/report/codec/index.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import { timeFromUnix } from '../../src/report/time.js';
import {
  TOPOLOGIES,
  type Metric,
  type Node,
  type Report,
  type Sample,
  type StringSet,
  type Time,
} from '../../src/report/types.js';

export const BASE_SECONDS = 1_677_672_000; // 2023-03-01T12:00:00Z
export const t = (offsetSeconds: number, nanos = 0): Time => timeFromUnix(BASE_SECONDS + offsetSeconds, nanos);

const sortedUnique = (xs: string[]): string[] => [...new Set(xs)].sort();

export const arbStringSet = (pool: readonly string[], maxLength = 4): fc.Arbitrary<StringSet> =>
  fc.array(fc.constantFrom(...pool), { maxLength }).map(sortedUnique);

const arbTime = fc.tuple(fc.integer({ min: 0, max: 40 }), fc.constantFrom(0, 1, 999_999_999)).map(([s, n]) => t(s, n));

/**
 * `deterministic`: values are functions of their timestamps/dates, so ties between operands carry
 * equal data and merges become exactly commutative.
 */
export function arbMetric(deterministic: boolean): fc.Arbitrary<Metric> {
  return fc
    .tuple(
      fc.uniqueArray(arbTime, { minLength: deterministic ? 1 : 0, maxLength: 40 }),
      fc.integer({ min: 0, max: 100 }),
      fc.integer({ min: 0, max: 100 }),
    )
    .map(([dates, v, capacity]) => {
      const samples: Sample[] = dates.sort().map((date, i) => ({ date, value: deterministic ? date.charCodeAt(18) : v + i }));
      let min = Infinity;
      let max = -Infinity;
      for (const s of samples) {
        min = Math.min(min, s.value);
        max = Math.max(max, s.value);
      }
      return samples.length === 0 ? { samples, min: 0, max: 0 } : { samples, min, max: Math.max(max, capacity) };
    });
}

const KEYS = ['a', 'b', 'c', 'd', 'active_controls'];
const IDS = ['n1', 'n2', 'n3', 'n4', 'n5'];
const CONTROLS = ['host_exec', 'kubernetes_cordon_node', 'x'];

export function arbNode(topology: string, deterministic: boolean): fc.Arbitrary<Node> {
  const arbLatest = fc.array(
    fc.tuple(fc.constantFrom(...KEYS), arbTime, fc.subarray(CONTROLS), fc.constantFrom('v1', 'v2')),
    { maxLength: 5 },
  );
  return fc
    .record({
      id: fc.constantFrom('', 'n1'),
      sets: fc.array(fc.tuple(fc.constantFrom('s1', 's2'), arbStringSet(IDS)), { maxLength: 2 }),
      parents: fc.array(fc.tuple(fc.constantFrom('host', 'container'), arbStringSet(IDS)), { maxLength: 2 }),
      adjacency: arbStringSet(IDS),
      latest: arbLatest,
      metrics: fc.array(fc.tuple(fc.constantFrom('m1', 'm2'), arbMetric(deterministic)), { maxLength: 2 }),
      partial: fc.boolean(),
    })
    .map((r) => {
      const n = makeNode(r.id, r.partial ? '' : topology);
      for (const [k, v] of r.sets) n.sets.set(k, v);
      for (const [k, v] of r.parents) n.parents.set(k, v);
      n.adjacency = r.adjacency;
      for (const [key, ts, controls, v] of r.latest) {
        // Host active_controls ties are resolved by union; other ties only by determinism.
        const value =
          key === 'active_controls' && topology === 'host' ? controls.join(';') : deterministic ? `${key}@${ts}` : v;
        n.latest.set(key, { timestamp: ts, value });
      }
      for (const [k, m] of r.metrics) n.metrics.set(k, m);
      return n;
    });
}

/** A report with nodes in Process and Host (host exercises the active_controls rule). */
export function arbReport(deterministic: boolean): fc.Arbitrary<Report> {
  return fc
    .record({
      ts: fc.oneof(fc.constant('0001-01-01T00:00:00.000000000Z'), arbTime),
      window: fc.integer({ min: 0, max: 10_000 }),
      count: fc.integer({ min: 0, max: 5 }),
      process: fc.array(fc.tuple(fc.constantFrom(...IDS), arbNode('process', deterministic)), { maxLength: 4 }),
      host: fc.array(fc.tuple(fc.constantFrom(...IDS), arbNode('host', deterministic)), { maxLength: 3 }),
      dns: fc.array(fc.tuple(fc.constantFrom('10.0.0.1', '10.0.0.2'), arbStringSet(['a.com', 'b.com']), arbStringSet(['r.x'])), {
        maxLength: 2,
      }),
    })
    .map((r) => {
      const report = makeReport();
      report.ts = r.ts;
      report.windowNanos = r.window;
      report.sampling = { count: r.count, total: r.count * 2 };
      for (const [key, node] of r.process) report.topologies.process.nodes.set(key, node);
      for (const [key, node] of r.host) report.topologies.host.nodes.set(key, node);
      for (const [addr, forward, reverse] of r.dns) report.dns.set(addr, { forward, reverse });
      return report;
    });
}

type Plain = null | boolean | number | string | Plain[] | { [k: string]: Plain };

function sortedEntries<V>(m: Map<string, V>, f: (v: V) => Plain): Plain {
  return [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, f(v)]);
}

export function canonicalNode(n: Node): Plain {
  return {
    id: n.id,
    topology: n.topology,
    sets: sortedEntries(n.sets, (s) => [...s]),
    adjacency: [...n.adjacency],
    latest: sortedEntries(n.latest, (e) => [e.timestamp, e.value]),
    metrics: sortedEntries(n.metrics, (m) => ({
      samples: m.samples.map((s) => [s.date, s.value]),
      min: m.min,
      max: m.max,
    })),
    parents: sortedEntries(n.parents, (s) => [...s]),
    children: n.children === null ? null : sortedEntries(n.children, canonicalNode),
  };
}

/** An order-independent plain view of the data of a report (its random `id` left out). */
export function canonicalReport(r: Report, opts: { sums?: boolean } = {}): Plain {
  const topologies: { [k: string]: Plain } = {};
  for (const { name } of TOPOLOGIES) {
    const topo = r.topologies[name];
    topologies[name] = {
      shape: topo.shape,
      tag: topo.tag,
      label: topo.label,
      labelPlural: topo.labelPlural,
      nodes: sortedEntries(topo.nodes, canonicalNode),
      controls: sortedEntries(topo.controls, (c) => ({ ...c })),
      metadataTemplates: sortedEntries(topo.metadataTemplates, (c) => ({ ...c })),
      metricTemplates: sortedEntries(topo.metricTemplates, (c) => ({ ...c })),
      tableTemplates: sortedEntries(topo.tableTemplates, (c) => ({
        ...c,
        columns: c.columns.map((col) => ({ ...col })),
        fixedRows: sortedEntries(c.fixedRows, (v) => v),
      })),
    };
  }
  return {
    ts: r.ts,
    topologies,
    dns: sortedEntries(r.dns, (d) => ({ forward: [...d.forward], reverse: [...d.reverse] })),
    sums: opts.sums === false ? null : [r.windowNanos, r.sampling.count, r.sampling.total],
    shortcut: r.shortcut,
    plugins: r.plugins.map((p) => ({ ...p, interfaces: [...p.interfaces] })),
  };
}

/** Every StringSet in the report is sorted and unique. */
export function assertSetsSorted(r: Report): string | undefined {
  const check = (s: StringSet, where: string): string | undefined => {
    for (let i = 1; i < s.length; i++) if (!(s[i - 1]! < s[i]!)) return `${where}: ${JSON.stringify(s)}`;
    return undefined;
  };
  for (const { name } of TOPOLOGIES) {
    for (const [key, n] of r.topologies[name].nodes) {
      const bad =
        check(n.adjacency, `${name}/${key}/adjacency`) ??
        [...n.sets].map(([k, s]) => check(s, `${name}/${key}/sets/${k}`)).find((x) => x) ??
        [...n.parents].map(([k, s]) => check(s, `${name}/${key}/parents/${k}`)).find((x) => x);
      if (bad) return bad;
    }
  }
  for (const [a, d] of r.dns) {
    const bad = check(d.forward, `dns/${a}`) ?? check(d.reverse, `dns/${a}`);
    if (bad) return bad;
  }
  return undefined;
}

/** The recorded Scope fixtures (`../shared/fixtures/scope` beside the repo). */
export const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/scope/', import.meta.url));

/** The i-th (1–8) recorded probe report, decoded. */
export function fixtureReport(i: number): Report {
  const bytes = gunzipSync(readFileSync(`${FIXTURES}probe-reports/report-0${i}.msgpack.gz`));
  return decodeReport(bytes, 'msgpack');
}

/** The raw merged report a live Scope app served (`/api/report`), decoded. */
export function fixtureApiReport(): Report {
  return decodeReport(gunzipSync(readFileSync(`${FIXTURES}samples/api-report.raw.json.gz`)), 'json');
}
