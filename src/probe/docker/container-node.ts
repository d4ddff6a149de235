/**
 * A Docker container as a report node (wire §5.6): the fixed part (computed once, when first seen),
 * the dynamic part (state, name, active controls, every report), and the network sets.
 * Pure: everything it needs about the host comes in as {@link HostNetInfo}.
 */
import { makeNode } from '../../report/model.js';
import {
  makeAddressNodeId,
  makeContainerImageNodeId,
  makeContainerNodeId,
  makeHostNodeId,
  type Cidr,
} from '../../report/ids.js';
import type { LatestMap, Node, StringSet, Time } from '../../report/types.js';
import { stateHuman, stateString, dockerTimeMillis } from './format.js';
import type { ContainerInfo } from './wire.js';
import { CONTROL_IDS } from './templates.js';

/** What the host looks like, for host-network containers and published ports. */
export interface HostNetInfo {
  hostId: string;
  /** Every IPv4 interface address (loopback and docker0 included): `host` network containers' IPs. */
  ipv4Addresses: readonly string[];
  /** IPv4 addresses of interfaces not named `veth*`, `docker*`, `lo*`: where `0.0.0.0` ports bind. */
  publishedIpv4Addresses: readonly string[];
  /** Scope's `LocalNetworks` (the Docker bridge subnets): IPs inside get `hostId` as scope. */
  localNetworks: readonly Cidr[];
}

/** Options of {@link fixedLatest}. */
export interface NodeOptions {
  omitEnvVars: boolean;
  omitCmdArgs: boolean;
}

/** The container's latest entries that never change (timestamped when the container was first seen). */
export function fixedLatest(c: ContainerInfo, opts: NodeOptions, firstSeen: Time): LatestMap {
  const latest: LatestMap = new Map();
  const set = (k: string, value: string): void => void latest.set(k, { timestamp: firstSeen, value });
  set('docker_container_id', c.id);
  set('docker_container_created', c.created);
  set('docker_container_command', opts.omitCmdArgs ? c.path : `${c.path} ${c.args.join(' ')}`);
  set('docker_image_id', c.imageId);
  set('docker_container_hostname', c.domainname ? `${c.hostname}.${c.domainname}` : c.hostname);
  for (const [k, v] of c.labels) set(`docker_label_${k}`, v);
  if (!opts.omitEnvVars) {
    for (const e of c.env) {
      const eq = e.indexOf('=');
      if (eq > 0) set(`docker_env_${e.slice(0, eq)}`, e.slice(eq + 1));
    }
  }
  return latest;
}

/** `active_controls` for a container in `state` (Scope's lists, plus our logs control everywhere). */
export function activeControls(state: string): string[] {
  const C = CONTROL_IDS;
  let ids: string[];
  if (state === 'paused') ids = [C.unpause];
  else if (state === 'running') ids = [C.restart, C.stop, C.pause, C.attach, C.exec];
  else ids = [C.start, C.remove];
  return [...ids, C.logs];
}

/** Whether the container has (or had, when stopped) a process tree we can attribute processes to. */
export function isLive(state: string): boolean {
  return state === 'running' || state === 'paused' || state === 'restarting';
}

/** The dynamic latest entries (wire §5.6 "Dynamic part"). */
export function dynamicLatest(c: ContainerInfo, now: Time, nowMillis: number, controlsEnabled: boolean): LatestMap {
  const latest: LatestMap = new Map();
  setDynamicLatest(latest, c, now, nowMillis, controlsEnabled);
  return latest;
}

/** Writes the dynamic latest entries of `c` into `latest`. */
function setDynamicLatest(latest: LatestMap, c: ContainerInfo, now: Time, nowMillis: number, controlsEnabled: boolean): void {
  const set = (k: string, value: string): void => void latest.set(k, { timestamp: now, value });
  const state = stateString(c.state);
  set('docker_container_name', c.name);
  set('docker_container_state', state);
  set('docker_container_state_human', stateHuman(c.state, nowMillis));
  if (c.state.running && !c.state.paused) {
    const started = dockerTimeMillis(c.state.startedAt) ?? nowMillis;
    set('docker_container_uptime', String(Math.max(0, Math.trunc((nowMillis - started) / 1000))));
    set('docker_container_restart_count', String(c.restartCount));
    set('docker_container_network_mode', c.networkMode);
  }
  if (controlsEnabled) set('active_controls', activeControls(state).join(';'));
}

/** Network sets of a container (already resolved through `container:` delegation). */
export interface NetworkSets {
  ips: string[];
  networks: string[];
  inHostNetwork: boolean;
}

const IPV4_RE = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * IPs and network names of a container. `lookup` resolves `container:<x>` network modes to the
 * container whose id starts with `x` (or whose name is `x`).
 */
export function networkSets(
  c: ContainerInfo,
  host: HostNetInfo,
  lookup: (ref: string) => ContainerInfo | undefined,
  namespaceIps: (c: ContainerInfo) => readonly string[] = () => [],
  depth = 0,
): NetworkSets {
  if (c.networkMode.startsWith('container:')) {
    const other = depth < 8 ? lookup(c.networkMode.slice('container:'.length)) : undefined;
    return other ? networkSets(other, host, lookup, namespaceIps, depth + 1) : { ips: [], networks: [], inHostNetwork: false };
  }
  if (c.networkMode === 'host') return { ips: [...host.ipv4Addresses], networks: [], inHostNetwork: true };
  const ips = new Set<string>();
  for (const ip of c.secondaryIps) ips.add(ip);
  if (c.ipAddress) ips.add(c.ipAddress);
  if (c.state.running && c.state.pid > 0) for (const ip of namespaceIps(c)) ips.add(ip);
  const networks: string[] = [];
  for (const n of c.networks) {
    if (n.name === 'none') continue;
    networks.push(n.name);
    if (n.ipAddress) ips.add(n.ipAddress);
  }
  return { ips: [...ips].filter((ip) => IPV4_RE.test(ip)), networks, inHostNetwork: false };
}

/** `docker_container_ports` entries (wire §5.6 "Port strings"); IPv6 bindings are dropped. */
export function portStrings(c: ContainerInfo, host: HostNetInfo): string[] {
  const out: string[] = [];
  for (const [port, bindings] of c.ports) {
    if (bindings.length === 0) {
      out.push(port);
      continue;
    }
    for (const b of bindings) {
      if (b.hostIp === '0.0.0.0') {
        for (const ip of host.publishedIpv4Addresses) out.push(`${ip}:${b.hostPort}->${port}`);
      } else if (b.hostIp.includes(':')) {
        continue; // `::` and other IPv6 bindings: Scope's joins are IPv4 only
      } else {
        out.push(`${b.hostIp}:${b.hostPort}->${port}`);
      }
    }
  }
  return out;
}

const sortedUnique = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

/**
 * The parts of a container's node that change only with its inspection, the host's addresses and
 * the addresses in its network namespace: ids, network sets and parents. A reporter may keep it
 * while those inputs stay the same objects (its sets are immutable, so nodes may share them).
 */
export interface ContainerNodeShape {
  id: string;
  hostNodeId: string;
  inHostNetwork: boolean;
  sets: ReadonlyArray<readonly [string, StringSet]>;
  imageNodeId: string;
}

/** The {@link ContainerNodeShape} of `c` (see {@link networkSets} for `lookup` and `namespaceIps`). */
export function containerNodeShape(
  c: ContainerInfo,
  host: HostNetInfo,
  lookup: (ref: string) => ContainerInfo | undefined,
  namespaceIps?: (c: ContainerInfo) => readonly string[],
): ContainerNodeShape {
  const net = networkSets(c, host, lookup, namespaceIps);
  const sets: Array<readonly [string, StringSet]> = [];
  if (net.networks.length > 0) sets.push(['docker_container_networks', sortedUnique(net.networks)]);
  const ports = portStrings(c, host);
  if (ports.length > 0) sets.push(['docker_container_ports', sortedUnique(ports)]);
  if (net.ips.length > 0) {
    sets.push(['docker_container_ips', sortedUnique(net.ips)]);
    sets.push(['docker_container_ips_with_scopes', sortedUnique(net.ips.map((ip) => makeAddressNodeId(host.hostId, ip, host.localNetworks)))]);
  }
  return {
    id: makeContainerNodeId(c.id),
    hostNodeId: makeHostNodeId(host.hostId),
    inHostNetwork: net.inHostNetwork,
    sets,
    imageNodeId: makeContainerImageNodeId(c.imageId),
  };
}

/** The container's node as of `now`: fixed + dynamic latest entries on its shape. */
export function assembleContainerNode(args: {
  container: ContainerInfo;
  shape: ContainerNodeShape;
  fixed: LatestMap;
  now: Time;
  nowMillis: number;
  probeId: string;
  controlsEnabled: boolean;
}): Node {
  const { shape, now } = args;
  const node = makeNode(shape.id, 'container');
  const latest = node.latest;
  args.fixed.forEach((e, k) => void latest.set(k, e));
  setDynamicLatest(latest, args.container, now, args.nowMillis, args.controlsEnabled);
  latest.set('control_probe_id', { timestamp: now, value: args.probeId });
  latest.set('host_node_id', { timestamp: now, value: shape.hostNodeId });
  if (shape.inHostNetwork) latest.set('docker_is_in_host_network', { timestamp: now, value: 'true' });
  for (const [k, v] of shape.sets) node.sets.set(k, v);
  node.parents.set('container_image', [shape.imageNodeId]);
  node.parents.set('host', [shape.hostNodeId]);
  return node;
}

/** Builds the full container node: fixed + dynamic latest, sets, parents, host and probe ids. */
export function buildContainerNode(args: {
  container: ContainerInfo;
  fixed: LatestMap;
  now: Time;
  nowMillis: number;
  host: HostNetInfo;
  probeId: string;
  controlsEnabled: boolean;
  lookup: (ref: string) => ContainerInfo | undefined;
  /** Addresses found inside a running container's own network namespace. */
  namespaceIps?: (c: ContainerInfo) => readonly string[];
}): Node {
  const shape = containerNodeShape(args.container, args.host, args.lookup, args.namespaceIps);
  return assembleContainerNode({ ...args, shape });
}

/** The destroy shortcut node: only the id and `deleted` state (wire §5.6). */
export function deletedContainerNode(id: string, now: Time): Node {
  const node = makeNode(makeContainerNodeId(id), 'container');
  node.latest.set('docker_container_id', { timestamp: now, value: id });
  node.latest.set('docker_container_state', { timestamp: now, value: 'deleted' });
  return node;
}
