/**
 * The Docker reporter (wire §5.6): Container, ContainerImage, SwarmService and Overlay topologies
 * from the registry's view, with cgroup metrics for running containers.
 */
import { networkInterfaces } from 'node:os';
import {
  makeContainerImageNodeId,
  makeContainerNodeId,
  makeDockerOverlayNodeId,
  makeHostNodeId,
  makeSwarmServiceNodeId,
  parseCidr,
  type Cidr,
} from '../../report/ids.js';
import { formatCidr } from '../../report/ip.js';
import { makeNode, makeSparseReport } from '../../report/model.js';
import { nowTime, timeFromMillis } from '../../report/time.js';
import { ZERO_TIME, type LatestMap, type Node, type Report } from '../../report/types.js';
import type { Reporter } from '../types.js';
import {
  assembleContainerNode,
  buildContainerNode,
  containerNodeShape,
  deletedContainerNode,
  fixedLatest,
  type ContainerNodeShape,
  type HostNetInfo,
  type NodeOptions,
} from './container-node.js';
import { humanBytes, imageNameAndTag } from './format.js';
import type { ContainerMetrics, MetricTarget } from './metrics.js';
import { NamespaceAddresses } from './netns.js';
import type { DockerRegistry, KnownContainer } from './registry.js';
import { decorateContainerTopology, decorateImageTopology, decorateSwarmTopology } from './templates.js';

/** Host addresses as Scope's Docker reporter sees them. */
export function readHostNetInfo(hostId: string, bridge: string): HostNetInfo {
  const ipv4: string[] = [];
  const published: string[] = [];
  const local: Cidr[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4') continue;
      ipv4.push(a.address);
      if (!/^(veth|docker|lo)/.test(name)) published.push(a.address);
      if (name === bridge) {
        const cidr = parseCidr(a.cidr ?? `${a.address}/32`);
        if (cidr) local.push(cidr);
      }
    }
  }
  return { hostId, ipv4Addresses: ipv4, publishedIpv4Addresses: published, localNetworks: local };
}

/** How long host interface addresses are reused, milliseconds. */
export const HOST_INFO_TTL_MILLIS = 5000;

/** Whether two host readings are the same (then the older object is kept, and so are node shapes). */
function sameHostNetInfo(a: HostNetInfo, b: HostNetInfo): boolean {
  const same = (x: readonly string[], y: readonly string[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
  return (
    a.hostId === b.hostId &&
    same(a.ipv4Addresses, b.ipv4Addresses) &&
    same(a.publishedIpv4Addresses, b.publishedIpv4Addresses) &&
    a.localNetworks.length === b.localNetworks.length &&
    a.localNetworks.every((c, i) => formatCidr(c) === formatCidr(b.localNetworks[i]!))
  );
}

/** A container's node shape and the inputs it was computed from (compared by identity). */
interface ShapeEntry {
  info: KnownContainer['info'];
  host: HostNetInfo;
  namespaceIps: readonly string[] | undefined;
  shape: ContainerNodeShape;
}

/** Topologies a Docker report fills (the others are shared read-only empties). */
const DOCKER_TOPOLOGIES = ['container', 'container_image', 'swarm_service', 'overlay'] as const;

/** Options of {@link DockerReporter}. */
export interface DockerReporterOptions extends NodeOptions {
  hostId: string;
  probeId: string;
  controlsEnabled: boolean;
  bridge: string;
}

export class DockerReporter implements Reporter {
  readonly name = 'docker';
  /** Fixed latest entries per container, computed once (their timestamps are the first-seen time). */
  private readonly fixed = new WeakMap<KnownContainer['info'], LatestMap>();
  private host: HostNetInfo | undefined;
  private hostReadAt = 0;
  /**
   * Node shapes by container id, reused while the container's inspection, the host addresses and
   * its namespace addresses are the same objects: most of a container node's cost each report.
   */
  private readonly shapes = new Map<string, ShapeEntry>();
  /** Metric target per inspection (id and main pid do not change within one). */
  private readonly targets = new WeakMap<KnownContainer['info'], MetricTarget>();

  constructor(
    private readonly registry: DockerRegistry,
    private readonly metrics: ContainerMetrics,
    private readonly opts: DockerReporterOptions,
    private readonly namespaces: NamespaceAddresses = new NamespaceAddresses(),
  ) {}

  /** An empty report with the Docker topologies' templates and controls. */
  private emptyReport(): Report {
    const r = makeSparseReport(...DOCKER_TOPOLOGIES);
    decorateContainerTopology(r.topologies.container, this.opts.controlsEnabled);
    decorateImageTopology(r.topologies.container_image);
    decorateSwarmTopology(r.topologies.swarm_service);
    return r;
  }

  /** Host addresses, re-read at most every {@link HOST_INFO_TTL_MILLIS} (interfaces rarely change). */
  hostInfo(): HostNetInfo {
    const now = Date.now();
    if (!this.host || now - this.hostReadAt > HOST_INFO_TTL_MILLIS) {
      const host = readHostNetInfo(this.opts.hostId, this.opts.bridge);
      if (!this.host || !sameHostNetInfo(this.host, host)) this.host = host;
      this.hostReadAt = now;
    }
    return this.host;
  }

  private fixedOf(c: KnownContainer): LatestMap {
    let f = this.fixed.get(c.info);
    if (!f) {
      f = fixedLatest(c.info, this.opts, c.firstSeen);
      this.fixed.set(c.info, f);
    }
    return f;
  }

  /** The node of one container as of now (also used for shortcut reports). */
  containerNode(c: KnownContainer, host = this.hostInfo(), nsIps?: Map<number, string[]>): Node {
    const nowMillis = Date.now();
    return buildContainerNode({
      container: c.info,
      fixed: this.fixedOf(c),
      now: timeFromMillis(nowMillis),
      nowMillis,
      host,
      probeId: this.opts.probeId,
      controlsEnabled: this.opts.controlsEnabled,
      lookup: (ref) => this.registry.lookup(ref)?.info,
      ...(nsIps ? { namespaceIps: (x) => nsIps.get(x.state.pid) ?? [] } : {}),
    });
  }

  /** A shortcut report (wire §4.5) carrying one container node. */
  shortcutFor(c: KnownContainer): Report {
    const r = this.emptyReport();
    r.shortcut = true;
    r.ts = ZERO_TIME;
    r.topologies.container.nodes.set(makeContainerNodeId(c.info.id), this.containerNode(c));
    return r;
  }

  /**
   * One shortcut report for several container changes at once: the current node of each changed
   * container, and a `deleted` node for each removed one (a removal wins over a change).
   */
  shortcutForMany(changed: Iterable<KnownContainer>, removed: Iterable<string>): Report {
    const r = this.emptyReport();
    r.shortcut = true;
    r.ts = ZERO_TIME;
    const nodes = r.topologies.container.nodes;
    const host = this.hostInfo();
    for (const c of changed) nodes.set(makeContainerNodeId(c.info.id), this.containerNode(c, host));
    const now = nowTime();
    for (const id of removed) nodes.set(makeContainerNodeId(id), deletedContainerNode(id, now));
    return r;
  }

  /** A shortcut report saying the container was destroyed. */
  deletedShortcut(id: string): Report {
    const r = this.emptyReport();
    r.shortcut = true;
    r.topologies.container.nodes.set(makeContainerNodeId(id), deletedContainerNode(id, nowTime()));
    return r;
  }

  /** A container's node for a full report, built on its kept shape when the inputs are the same. */
  private reportNode(c: KnownContainer, host: HostNetInfo, nsIps: Map<number, string[]>, now: string, nowMillis: number): Node {
    const info = c.info;
    const namespaceIps = info.state.running && info.state.pid > 0 ? nsIps.get(info.state.pid) : undefined;
    let entry = this.shapes.get(info.id);
    // `container:` network modes take another container's addresses: not kept.
    if (!entry || entry.info !== info || entry.host !== host || entry.namespaceIps !== namespaceIps || info.networkMode.startsWith('container:')) {
      const shape = containerNodeShape(info, host, (ref) => this.registry.lookup(ref)?.info, (x) => nsIps.get(x.state.pid) ?? []);
      entry = { info, host, namespaceIps, shape };
      this.shapes.set(info.id, entry);
    }
    return assembleContainerNode({
      container: info,
      shape: entry.shape,
      fixed: this.fixedOf(c),
      now,
      nowMillis,
      probeId: this.opts.probeId,
      controlsEnabled: this.opts.controlsEnabled,
    });
  }

  async report(): Promise<Report> {
    const r = this.emptyReport();
    const known = this.registry.containers;
    if (this.shapes.size > known.size) {
      for (const id of this.shapes.keys()) if (!known.has(id)) this.shapes.delete(id);
    }
    if (known.size === 0 && !this.registry.connected) return r;
    // One pass over the registry (this runs every spy tick): the containers as of now, the running
    // ones' metric targets (each container's target object kept while its inspection is the same)
    // and their main pids.
    const containers: KnownContainer[] = [];
    const targets: MetricTarget[] = [];
    const pids: number[] = [];
    known.forEach((c) => {
      containers.push(c);
      const info = c.info;
      if (!info.state.running) return;
      let target = this.targets.get(info);
      if (target === undefined) {
        target = { id: info.id, pid: info.state.pid };
        this.targets.set(info, target);
      }
      targets.push(target);
      if (info.state.pid > 0) pids.push(info.state.pid);
    });
    const metrics = await this.metrics.collect(targets);
    const nsIps = this.namespaces.read(pids);
    const host = this.hostInfo();
    const nowMillis = Date.now();
    const now = timeFromMillis(nowMillis);
    const hostNodeId = makeHostNodeId(this.opts.hostId);
    const usedImages = new Set<string>();
    for (const c of containers) {
      const node = this.reportNode(c, host, nsIps, now, nowMillis);
      for (const [k, m] of metrics.get(c.info.id) ?? []) node.metrics.set(k, m);
      this.addSwarm(r, c, node, now);
      r.topologies.container.nodes.set(node.id, node);
      usedImages.add(c.info.imageId);
    }
    for (const id of usedImages) {
      const image = this.registry.images.get(id);
      if (!image) continue;
      const node = makeNode(makeContainerImageNodeId(id), 'container_image');
      const set = (k: string, value: string): void => void node.latest.set(k, { timestamp: now, value });
      set('docker_image_id', id);
      set('docker_image_size', humanBytes(image.size));
      set('docker_image_virtual_size', humanBytes(image.virtualSize));
      const ref = image.repoTags[0];
      if (ref) {
        const { name, tag } = imageNameAndTag(ref);
        set('docker_image_name', name);
        set('docker_image_tag', tag);
      }
      for (const [k, v] of image.labels) set(`docker_image_label_${k}`, v);
      set('host_node_id', hostNodeId);
      node.parents.set('host', [hostNodeId]);
      r.topologies.container_image.nodes.set(node.id, node);
    }
    const subnets = new Set<string>();
    for (const n of this.registry.networks) for (const s of n.subnets) subnets.add(s);
    const overlay = makeNode(makeDockerOverlayNodeId(this.opts.hostId), 'overlay');
    if (subnets.size > 0) overlay.sets.set('local_networks', [...subnets].sort());
    r.topologies.overlay.nodes.set(overlay.id, overlay);
    return r;
  }

  /** Swarm services from container labels (wire §5.7), with `topology` set so the app keeps them. */
  private addSwarm(r: Report, c: KnownContainer, node: Node, now: string): void {
    const serviceId = c.info.labels.get('com.docker.swarm.service.id');
    let serviceName = c.info.labels.get('com.docker.swarm.service.name');
    if (!serviceId || !serviceName) return;
    const stack = c.info.labels.get('com.docker.stack.namespace') || 'No stack';
    if (serviceName.startsWith(`${stack}_`)) serviceName = serviceName.slice(stack.length + 1);
    const id = makeSwarmServiceNodeId(serviceId);
    const svc = r.topologies.swarm_service.nodes.get(id) ?? makeNode(id, 'swarm_service');
    svc.latest.set('service_name', { timestamp: now, value: serviceName });
    svc.latest.set('stack_namespace', { timestamp: now, value: stack });
    r.topologies.swarm_service.nodes.set(id, svc);
    node.parents.set('swarm_service', [id]);
  }
}
