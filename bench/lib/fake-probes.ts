/**
 * Fake probes for the load benches: the recorded Scope probe reports (fixtures 03–08, consecutive
 * reports of one host with 5 containers, ~90 processes, sent 3 s apart: a full report, then
 * deltas) rewritten as if N distinct hosts had sent them — host name and every container id
 * renamed — so a window of N probes holds N hosts, 5·N containers and ~90·N processes, as N real
 * Docker hosts would. Bodies are gzip+msgpack, with a real probe's headers, written to one file so
 * a separate load-generator process can replay them.
 *
 * A probe's successive bodies continue the recording as the probe would have gone on sending it
 * ({@link probeReportAt}): every time in the report moves on by 3 s per publish (18 s per lap of
 * the six fixtures), sample values are fresh, and each report has its own id. Replaying the
 * fixtures with their recorded times instead would make a probe's times jump back every lap:
 * merges would take the slow merge-join path for every metric, which no real probe causes, and
 * identical bytes would let a content-keyed cache hit where a real probe's report would miss.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeReport, encodeReport } from '../../src/report/codec/index.js';
import { randomReportId } from '../../src/report/model.js';
import { timeFromUnix, timeToUnix } from '../../src/report/time.js';
import { ZERO_TIME, type LatestEntry, type Metric, type Node, type Report, type Sample, type Sets, type Time } from '../../src/report/types.js';

const FIXTURES = new URL('../../../shared/fixtures/scope/probe-reports/', import.meta.url);
/** The full reports of the recording (01 and 02 are shortcut reports of single containers). */
export const FULL_FIXTURES = [3, 4, 5, 6, 7, 8] as const;

/** Headers a Scope probe sends with a report (wire §4.1), without the probe id. */
export const PROBE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'application/msgpack',
  'content-encoding': 'gzip',
  'user-agent': 'Scope_Probe/12175b96a',
  'x-scope-probe-version': '12175b96a',
};

const fixtureBytes = new Map<number, Uint8Array>();

export function fixtureReport(n: number): Report {
  let bytes = fixtureBytes.get(n);
  if (bytes === undefined) {
    bytes = gunzipSync(readFileSync(new URL(`report-0${n}.msgpack.gz`, FIXTURES)));
    fixtureBytes.set(n, bytes);
  }
  return decodeReport(bytes, 'msgpack');
}

const sortedSet = (xs: readonly string[], f: (s: string) => string): string[] => [...new Set(xs.map(f))].sort();

function renameSets(sets: Sets, f: (s: string) => string): Sets {
  const out: Sets = new Map();
  for (const [k, v] of sets) out.set(k, sortedSet(v, f));
  return out;
}

function renameNode(n: Node, f: (s: string) => string): Node {
  const latest = new Map();
  for (const [k, e] of n.latest) latest.set(k, { timestamp: e.timestamp, value: f(e.value) });
  let children: Map<string, Node> | null = null;
  if (n.children !== null) {
    children = new Map();
    for (const [k, c] of n.children) children.set(f(k), renameNode(c, f));
  }
  return {
    id: f(n.id),
    topology: n.topology,
    sets: renameSets(n.sets, f),
    adjacency: sortedSet(n.adjacency, f),
    latest,
    metrics: n.metrics,
    parents: renameSets(n.parents, f),
    children,
  };
}

/** `r` with every node id, set, parent, adjacency and latest value passed through `f` (in place). */
export function renameReport(r: Report, f: (s: string) => string): Report {
  for (const t of Object.values(r.topologies)) {
    // Nothing to rename; and a decoder may hand out shared read-only empty topologies.
    if (t.nodes.size === 0) continue;
    const nodes = new Map<string, Node>();
    for (const [k, n] of t.nodes) nodes.set(f(k), renameNode(n, f));
    t.nodes = nodes;
  }
  return r;
}

/** The recorded report `n` as host `host` (index `hostIndex`) would send it. */
export function fakeHostReport(n: number, host: string, hostIndex: number): Report {
  const r = fixtureReport(n);
  const recordedHost = [...r.topologies.host.nodes.keys()][0]!.replace(/;<host>$/, '');
  const containerIds = [...r.topologies.container.nodes.keys()].map((k) => k.replace(/;<container>$/, ''));
  const suffix = hostIndex.toString(16).padStart(12, '0');
  const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`^${escape(recordedHost)}(?=;|$)|${containerIds.map(escape).join('|')}`, 'g');
  return renameReport(r, (s) => s.replace(re, (m) => (m === recordedHost ? host : `${m.slice(0, m.length - 12)}${suffix}`)));
}

/** gzip+msgpack body of {@link fakeHostReport}. */
export function fakeHostBody(n: number, host: string, hostIndex: number): Buffer {
  return gzipSync(encodeReport(fakeHostReport(n, host, hostIndex), 'msgpack'), { level: 1 });
}

/** Seconds between a probe's reports (Scope's default publish interval; the recording's too). */
export const PUBLISH_SECONDS = 3;

/** A deterministic factor in [0.96, 1.04] for value `v` at publish `k`. */
function jitter(v: number, k: number): number {
  let h = Math.imul(k + 1, 2654435761) ^ Math.imul(Math.floor(v * 1000) | 0, 16777619);
  h = Math.imul(h ^ (h >>> 15), 2246822507);
  return 1 + ((h >>> 0) % 81) / 1000 - 0.04;
}

/**
 * `r` with every time moved on by `shiftSeconds` (nanoseconds kept) and every non-zero sample
 * value a few percent off, the same factor for equal values (so values a report repeats, such as
 * equal memory sizes, stay repeated), integers kept integral. In place; `r`'s metrics are new.
 */
function restampReport(r: Report, shiftSeconds: number, k: number): Report {
  const times = new Map<Time, Time>();
  const shift = (t: Time): Time => {
    if (t === ZERO_TIME) return t;
    let out = times.get(t);
    if (out === undefined) {
      const [seconds, nanos] = timeToUnix(t);
      out = timeFromUnix(seconds + shiftSeconds, nanos);
      times.set(t, out);
    }
    return out;
  };
  const fresh = (v: number): number => (v === 0 ? v : Number.isInteger(v) ? Math.round(v * jitter(v, k)) : v * jitter(v, k));
  const restampNode = (n: Node): void => {
    const latest = new Map<string, LatestEntry>();
    for (const [key, e] of n.latest) latest.set(key, { timestamp: shift(e.timestamp), value: e.value });
    n.latest = latest;
    const metrics = new Map<string, Metric>();
    for (const [key, m] of n.metrics) {
      const samples: Sample[] = m.samples.map((s) => ({ date: shift(s.date), value: fresh(s.value) }));
      let { min, max } = m;
      for (const s of samples) {
        min = Math.min(min, s.value);
        max = Math.max(max, s.value);
      }
      metrics.set(key, { samples, min, max });
    }
    n.metrics = metrics;
    if (n.children !== null) for (const c of n.children.values()) restampNode(c);
  };
  r.ts = shift(r.ts);
  for (const t of Object.values(r.topologies)) for (const n of t.nodes.values()) restampNode(n);
  r.id = randomReportId();
  return r;
}

/**
 * Probe `i`'s report at publish `k` (k = 0, 1, …), stamped as if publish 0 was at `startSeconds`
 * (Unix seconds): fixture FULL_FIXTURES[(i + k) % 6] as host `loadhost<i>`, its times moved on so
 * that the probe's reports continue the recording (3 s apart, 18 s more per lap of the six),
 * with fresh sample values and its own report id. Probes start at different fixtures, so at any
 * moment some send full reports and some deltas.
 */
export function probeReportAt(i: number, k: number, startSeconds: number): Report {
  const f = FULL_FIXTURES[(i + k) % FULL_FIXTURES.length]!;
  const r = fakeHostReport(f, `loadhost${i}`, i);
  const lap = Math.floor((i + k) / FULL_FIXTURES.length);
  firstFixtureSeconds ??= timeToUnix(fixtureReport(FULL_FIXTURES[0]).ts)[0];
  // Publish k of probe i is position i + k of the recording continued lap after lap (recorded
  // ~3·p s after the first fixture at position p of a lap): shifting by the laps and by i
  // publishes back stamps it ~3·k s after startSeconds, the same for every probe.
  const shiftSeconds = startSeconds - firstFixtureSeconds + (lap * FULL_FIXTURES.length - i) * PUBLISH_SECONDS;
  return restampReport(r, shiftSeconds, k);
}
let firstFixtureSeconds: number | undefined;

/** gzip+msgpack body of {@link probeReportAt}. */
export function probeBodyAt(i: number, k: number, startSeconds: number): Buffer {
  return gzipSync(encodeReport(probeReportAt(i, k, startSeconds), 'msgpack'), { level: 1 });
}

/** Bodies for `probes` fake probes, `perProbe` consecutive reports each (probe-major). */
export interface ProbeBodies {
  probes: number;
  perProbe: number;
  bodies: Buffer[];
}

/** Probe `i`'s `k`-th body is {@link probeBodyAt}(i, k), publish 0 stamped now. */
export function makeProbeBodies(probes: number, perProbe: number): ProbeBodies {
  const startSeconds = Math.floor(Date.now() / 1000);
  const bodies: Buffer[] = [];
  for (let i = 0; i < probes; i++) {
    for (let k = 0; k < perProbe; k++) bodies.push(probeBodyAt(i, k, startSeconds));
  }
  return { probes, perProbe, bodies };
}

/** Writes bodies as `[probes u32][perProbe u32]` then `[length u32][bytes]…`. */
export function writeProbeBodies(path: string, b: ProbeBodies): void {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(b.probes, 0);
  head.writeUInt32LE(b.perProbe, 4);
  const parts: Buffer[] = [head];
  for (const body of b.bodies) {
    const len = Buffer.alloc(4);
    len.writeUInt32LE(body.length, 0);
    parts.push(len, body);
  }
  writeFileSync(path, Buffer.concat(parts));
}

export function readProbeBodies(path: string): ProbeBodies {
  const buf = readFileSync(path);
  const probes = buf.readUInt32LE(0);
  const perProbe = buf.readUInt32LE(4);
  const bodies: Buffer[] = [];
  let at = 8;
  while (at < buf.length) {
    const len = buf.readUInt32LE(at);
    bodies.push(buf.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  return { probes, perProbe, bodies };
}
