// Tiny builders for hand-made reports in render tests.
import { makeNode, makeReport } from '../../src/report/model.js';
import { timeFromUnix } from '../../src/report/time.js';
import type { Node, Report, TopologyName } from '../../src/report/types.js';

export const T0 = timeFromUnix(1_767_000_000, 0);

export interface NodeSpec {
  latest?: Record<string, string>;
  sets?: Record<string, string[]>;
  parents?: Record<string, string[]>;
  adjacency?: string[];
}

/** Adds a node to `r` and returns it. */
export function add(r: Report, topology: TopologyName, id: string, spec: NodeSpec = {}): Node {
  const n = makeNode(id, topology);
  for (const [k, v] of Object.entries(spec.latest ?? {})) n.latest.set(k, { timestamp: T0, value: v });
  for (const [k, v] of Object.entries(spec.sets ?? {})) n.sets.set(k, [...v].sort());
  for (const [k, v] of Object.entries(spec.parents ?? {})) n.parents.set(k, [...v].sort());
  n.adjacency = [...(spec.adjacency ?? [])].sort();
  r.topologies[topology].nodes.set(id, n);
  return n;
}

/** A report with host `h1` (local networks 10.0.0.0/8 and loopback). */
export function hostReport(): Report {
  const r = makeReport();
  r.ts = T0;
  add(r, 'host', 'h1;<host>', { latest: { host_name: 'h1.example.com' }, sets: { local_networks: ['10.0.0.1/8', '127.0.0.1/8'] } });
  return r;
}

/** A process `h1;<pid>` named `name`, optionally inside container `cid`. */
export function addProcess(r: Report, pid: number, name: string, cid?: string): Node {
  const latest: Record<string, string> = { pid: String(pid), name, host_node_id: 'h1;<host>' };
  const parents: Record<string, string[]> = { host: ['h1;<host>'] };
  if (cid !== undefined) {
    latest.docker_container_id = cid;
    parents.container = [`${cid};<container>`];
  }
  return add(r, 'process', `h1;${pid}`, { latest, parents });
}

/** A container `cid;<container>` on h1. */
export function addContainer(r: Report, cid: string, name: string, extra: Record<string, string> = {}, ips: string[] = []): Node {
  return add(r, 'container', `${cid};<container>`, {
    latest: { docker_container_id: cid, docker_container_name: name, docker_container_state: 'running', host_node_id: 'h1;<host>', ...extra },
    sets: ips.length > 0 ? { docker_container_ips_with_scopes: ips.map((ip) => `;${ip}`) } : {},
    parents: { host: ['h1;<host>'] },
  });
}

/** An endpoint owned by a process on h1 (`pid`), with edges to `to`. */
export function addLocalEndpoint(r: Report, id: string, pid: number | undefined, to: string[] = []): Node {
  const latest: Record<string, string> = { host_node_id: 'h1;<host>' };
  if (pid !== undefined) latest.pid = String(pid);
  return add(r, 'endpoint', id, { latest, adjacency: to });
}

/** A remote endpoint (no host), with edges to `to`. */
export function addRemoteEndpoint(r: Report, id: string, to: string[] = []): Node {
  return add(r, 'endpoint', id, { adjacency: to });
}
