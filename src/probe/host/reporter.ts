/**
 * Host reporter and host tagger (wire §5.2, §5.3): one node `<hostID>;<host>` with the OS facts,
 * local networks and CPU/memory/load metrics; the tagger links processes, containers, images and
 * the host itself to that node.
 */
import { makeNode, makeSparseReport } from '../../report/model.js';
import { nowTime } from '../../report/time.js';
import type { LatestEntry, Node, Report, Topology, TopologyName } from '../../report/types.js';
import type { Reporter, Tagger } from '../types.js';
import { metadataTemplate, metricTemplate, setLatest, singletonMetric } from '../node-util.js';
import { HostSampler, kernelVersion, localNetworks } from './system.js';

/** `<hostID>;<host>` (wire §3.1). */
export function hostNodeId(hostId: string): string {
  return `${hostId};<host>`;
}

/** Options of {@link createHostReporter}. */
export interface HostReporterOptions {
  hostId: string;
  probeId: string;
  version: string;
  procRoot: string;
  /** Advertise `host_exec` (false with `--probe.no-controls`). */
  controlsEnabled: boolean;
  /** Overrides interface enumeration (tests); default: the OS's interfaces. */
  localNetworks?: () => string[];
}

/** The host topology's templates and control (wire §5.3). */
export function addHostTemplates(t: Topology, controls: boolean): void {
  t.metadataTemplates.set('kernel_version', metadataTemplate('kernel_version', 'Kernel version', 1));
  t.metadataTemplates.set('uptime', metadataTemplate('uptime', 'Uptime', 2, { dataType: 'duration' }));
  t.metadataTemplates.set('host_name', metadataTemplate('host_name', 'Hostname', 11));
  t.metadataTemplates.set('os', metadataTemplate('os', 'OS', 12));
  t.metadataTemplates.set('local_networks', metadataTemplate('local_networks', 'Local networks', 13, { from: 'sets' }));
  t.metadataTemplates.set('host_scope_version', metadataTemplate('host_scope_version', 'Scope version', 14));
  t.metricTemplates.set('host_cpu_usage_percent', metricTemplate('host_cpu_usage_percent', 'CPU', 'percent', 1));
  t.metricTemplates.set('host_mem_usage_bytes', metricTemplate('host_mem_usage_bytes', 'Memory', 'filesize', 2));
  t.metricTemplates.set('load1', metricTemplate('load1', 'Load (1m)', '', 11, 'load'));
  if (controls) {
    t.controls.set('host_exec', { id: 'host_exec', human: 'Exec shell', icon: 'fa fa-terminal', confirmation: '', rank: 0, probeId: '' });
  }
}

export function createHostReporter(opts: HostReporterOptions): Reporter {
  const sampler = new HostSampler(opts.procRoot);
  const kernel = kernelVersion();
  // Listing interfaces is a netlink dump of every interface (veths included): once per 10 s is plenty.
  const networks = cached(opts.localNetworks ?? localNetworks, 10_000);
  return {
    name: 'host',
    async report(): Promise<Report> {
      const rpt = makeSparseReport('host');
      const topology = rpt.topologies.host;
      addHostTemplates(topology, opts.controlsEnabled);
      const ts = nowTime();
      const node = makeNode(hostNodeId(opts.hostId), 'host');
      setLatest(node, 'control_probe_id', opts.probeId, ts);
      setLatest(node, 'ts', ts, ts);
      setLatest(node, 'host_name', opts.hostId, ts);
      setLatest(node, 'os', process.platform, ts);
      setLatest(node, 'kernel_version', kernel, ts);
      const uptime = sampler.uptimeSeconds();
      if (uptime !== undefined) setLatest(node, 'uptime', String(uptime), ts);
      setLatest(node, 'host_scope_version', opts.version, ts);
      if (opts.controlsEnabled) setLatest(node, 'active_controls', 'host_exec', ts);
      let nets: string[] = [];
      try {
        nets = networks();
      } catch {
        // Scope returns what it has when interfaces cannot be listed.
      }
      if (nets.length > 0) node.sets.set('local_networks', nets);
      const load = sampler.load1();
      if (load !== undefined) node.metrics.set('load1', singletonMetric(ts, load, load));
      const cpu = sampler.cpuUsagePercent();
      if (cpu !== undefined) node.metrics.set('host_cpu_usage_percent', singletonMetric(ts, cpu, 100));
      const mem = sampler.memory();
      if (mem) node.metrics.set('host_mem_usage_bytes', singletonMetric(ts, mem.usedBytes, mem.totalBytes));
      topology.nodes.set(node.id, node);
      return rpt;
    },
    stop(): Promise<void> {
      sampler.close();
      return Promise.resolve();
    },
  };
}

/** Memoises `fn` for `ttlMillis`. */
export function cached<T>(fn: () => T, ttlMillis: number): () => T {
  let value: T | undefined;
  let at = -Infinity;
  return () => {
    const now = Date.now();
    if (value === undefined || now - at >= ttlMillis) {
      value = fn();
      at = now;
    }
    return value;
  };
}

const HOST_TAGGED = ['process', 'container', 'container_image', 'host'] as const;

/** Host tagger: `host_node_id` latest and `host` parent on process, container, image and host nodes. */
export function createHostTagger(hostId: string): Tagger {
  const id = hostNodeId(hostId);
  return {
    name: 'host',
    tag(report: Report): void {
      // Entries and StringSets are immutable values (report/merge.ts): one of each serves every node.
      const entry: LatestEntry = { timestamp: nowTime(), value: id };
      const parents: readonly string[] = [id];
      // forEach, not for…of: these loops run once a tick, rarely optimised, and an unoptimised
      // Map iterator allocates a result object per node.
      const tagNode = (node: Node): void => {
        node.latest.set('host_node_id', entry);
        node.parents.set('host', parents);
      };
      for (const name of HOST_TAGGED) report.topologies[name].nodes.forEach(tagNode);
    },
  };
}

/** Topology tagger (wire §5.2): every node carries its topology's name. Run it last (§6.4 item 30). */
export function createTopologyTagger(): Tagger {
  return {
    name: 'topology',
    tag(report: Report): void {
      for (const name in report.topologies) {
        report.topologies[name as TopologyName].nodes.forEach((node) => {
          node.topology = name;
        });
      }
    },
  };
}
