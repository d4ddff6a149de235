// A synthetic busy host for render tests and benches: N processes (some in containers), with
// connections between them and to the Internet, carrying the fixture's templates.
import { makeSingletonMetric } from '../../src/report/merge-metric.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import { timeFromUnix } from '../../src/report/time.js';
import type { Node, Report } from '../../src/report/types.js';
import { mergedFixtureReport } from './fixtures.js';

const T = timeFromUnix(1_767_000_000, 0);

function set(n: Node, key: string, value: string): void {
  n.latest.set(key, { timestamp: T, value });
}

/**
 * `processes` processes on host `busy`, one container per 10 processes, and `processes` TCP
 * connections (process i → process i+1 port 80), every 7th process also talking to 8.8.8.8.
 */
export function syntheticReport(processes: number): Report {
  const fixture = mergedFixtureReport();
  const r = makeReport();
  r.ts = T;
  for (const name of ['process', 'container', 'host', 'container_image'] as const) {
    const src = fixture.topologies[name];
    const dst = r.topologies[name];
    dst.metadataTemplates = src.metadataTemplates;
    dst.metricTemplates = src.metricTemplates;
    dst.tableTemplates = src.tableTemplates;
    dst.controls = src.controls;
  }
  const hostNodeId = 'busy;<host>';
  const host = makeNode(hostNodeId, 'host');
  set(host, 'host_name', 'busy');
  host.sets.set('local_networks', ['10.0.0.1/16', '127.0.0.1/8']);
  r.topologies.host.nodes.set(hostNodeId, host);
  const containers = Math.ceil(processes / 10);
  for (let c = 0; c < containers; c++) {
    const id = `c${String(c).padStart(63, '0')}`;
    const n = makeNode(`${id};<container>`, 'container');
    set(n, 'docker_container_id', id);
    set(n, 'docker_container_name', `app-${c}`);
    set(n, 'docker_container_state', 'running');
    set(n, 'docker_container_hostname', `app-${c}`);
    set(n, 'docker_image_id', 'img');
    set(n, 'host_node_id', hostNodeId);
    set(n, 'docker_label_com.docker.compose.project', `proj${c % 3}`);
    set(n, 'docker_label_com.docker.compose.service', `svc${c % 5}`);
    n.parents.set('host', [hostNodeId]);
    n.sets.set('docker_container_ips_with_scopes', [`;10.1.${c >> 8}.${c & 255}`]);
    r.topologies.container.nodes.set(n.id, n);
  }
  const image = makeNode('img;<container_image>', 'container_image');
  set(image, 'docker_image_id', 'img');
  set(image, 'docker_image_name', 'registry.example.com/team/app:1.2');
  image.parents.set('host', [hostNodeId]);
  r.topologies.container_image.nodes.set(image.id, image);
  for (let p = 0; p < processes; p++) {
    const pid = String(1000 + p);
    const n = makeNode(`busy;${pid}`, 'process');
    set(n, 'pid', pid);
    set(n, 'name', `proc${p % 40}`);
    set(n, 'cmdline', `proc${p % 40} --flag ${p}`);
    set(n, 'ppid', '1');
    set(n, 'threads', '4');
    set(n, 'host_node_id', hostNodeId);
    n.parents.set('host', [hostNodeId]);
    if (p % 2 === 0) {
      const c = Math.floor(p / 10);
      set(n, 'docker_container_id', `c${String(c).padStart(63, '0')}`);
      n.parents.set('container', [`c${String(c).padStart(63, '0')};<container>`]);
    }
    n.metrics.set('process_cpu_usage_percent', makeSingletonMetric(T, p % 7, 400));
    n.metrics.set('process_memory_usage_bytes', makeSingletonMetric(T, 1e6 + p, 1e10));
    n.metrics.set('open_files_count', makeSingletonMetric(T, 10, 1024));
    r.topologies.process.nodes.set(n.id, n);
  }
  // Connections: client endpoint of p → server endpoint of p+1 (port 80).
  for (let p = 0; p < processes; p++) {
    const q = (p + 1) % processes;
    const client = makeNode(`busy;127.0.0.1;${20000 + p}`, 'endpoint');
    const server = makeNode(`busy;127.0.0.1;${30000 + q}`, 'endpoint');
    set(client, 'pid', String(1000 + p));
    set(client, 'host_node_id', hostNodeId);
    set(server, 'pid', String(1000 + q));
    set(server, 'host_node_id', hostNodeId);
    client.adjacency = [server.id];
    r.topologies.endpoint.nodes.set(client.id, client);
    r.topologies.endpoint.nodes.set(server.id, server);
    if (p % 7 === 0) {
      const out = makeNode(`;10.0.${p >> 8}.${p & 255};${40000 + p}`, 'endpoint');
      set(out, 'pid', String(1000 + p));
      set(out, 'host_node_id', hostNodeId);
      const remote = makeNode(';8.8.8.8;53', 'endpoint');
      out.adjacency = [remote.id];
      r.topologies.endpoint.nodes.set(out.id, out);
      r.topologies.endpoint.nodes.set(remote.id, remote);
    }
  }
  return r;
}
