/**
 * Fake probes for the load benches: the recorded Scope probe reports (fixtures 03–08, consecutive
 * full reports of one host with 5 containers, ~90 processes) rewritten as if N distinct hosts had
 * sent them — host name and every container id renamed — so a window of N probes holds N hosts,
 * 5·N containers and ~90·N processes, as N real Docker hosts would. Bodies are gzip+msgpack, with
 * a real probe's headers, written to one file so a separate load-generator process can replay them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeReport, encodeReport } from '../../src/report/codec/index.js';
import type { Node, Report, Sets } from '../../src/report/types.js';

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

export function fixtureReport(n: number): Report {
  return decodeReport(gunzipSync(readFileSync(new URL(`report-0${n}.msgpack.gz`, FIXTURES))), 'msgpack');
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

/** Bodies for `probes` fake probes, `perProbe` consecutive reports each (probe-major). */
export interface ProbeBodies {
  probes: number;
  perProbe: number;
  bodies: Buffer[];
}

/** Probe `i`'s `k`-th body is fixture FULL_FIXTURES[(i + k) % 6] renamed to host `loadhost<i>`. */
export function makeProbeBodies(probes: number, perProbe: number): ProbeBodies {
  const bodies: Buffer[] = [];
  for (let i = 0; i < probes; i++) {
    for (let k = 0; k < perProbe; k++) {
      bodies.push(fakeHostBody(FULL_FIXTURES[(i + k) % FULL_FIXTURES.length]!, `loadhost${i}`, i));
    }
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
