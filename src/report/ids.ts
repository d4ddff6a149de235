/**
 * Node ids (wire §3): how every kind of node id is made and parsed, exactly as Scope 1.13.2 does
 * (`report/id.go`), plus probe and pipe ids (wire §3.6). Parsers return `undefined` on malformed
 * input rather than throwing: ids arrive in untrusted reports.
 */
import { cidrsContain, formatIp, isLoopbackIp, parseIp, type Cidr } from './ip.js';

export {
  cidrContains,
  cidrsContain,
  formatCidr,
  formatIp,
  isLoopback,
  isLoopbackIp,
  normalizeIp,
  parseCidr,
  parseIp,
  toIpv4,
  type Cidr,
  type IpBytes,
} from './ip.js';

/** Separates the parts of a node id (`ScopeDelim`). */
export const SCOPE_DELIM = ';';

/**
 * Tags of single-component ids `<x>;<tag>` (wire §3.1). Note `daemonset`, `statefulset`,
 * `cronjob` differ from the topology names `daemon_set`, `stateful_set`, `cron_job`.
 */
export const NODE_ID_TAGS = [
  'host',
  'container',
  'container_image',
  'pod',
  'service',
  'deployment',
  'replica_set',
  'daemonset',
  'statefulset',
  'cronjob',
  'job',
  'namespace',
  'persistent_volume',
  'persistent_volume_claim',
  'storage_class',
  'volume_snapshot',
  'volume_snapshot_data',
  'ecs_task',
  'swarm_service',
] as const;

export type NodeIdTag = (typeof NODE_ID_TAGS)[number];

/** `<x>;<tag>` (Go's `makeSingleComponentID`). */
export function makeSingleComponentId(tag: NodeIdTag, x: string): string {
  return `${x};<${tag}>`;
}

/** The `x` of `<x>;<tag>`: split at the first `;`, the rest must be `<tag>` exactly. */
export function parseSingleComponentId(tag: NodeIdTag, id: string): string | undefined {
  const i = id.indexOf(SCOPE_DELIM);
  if (i < 0) return undefined;
  const rest = id.slice(i + 1);
  return rest.length === tag.length + 2 && rest === `<${tag}>` ? id.slice(0, i) : undefined;
}

/** Splits any id at its first `;` (Go's `ParseNodeID`): `{ x, tag }` with `tag` still bracketed. */
export function parseNodeId(id: string): { x: string; tag: string } | undefined {
  const i = id.indexOf(SCOPE_DELIM);
  return i < 0 ? undefined : { x: id.slice(0, i), tag: id.slice(i + 1) };
}

type Maker = (x: string) => string;
type Parser = (id: string) => string | undefined;
const maker = (tag: NodeIdTag): Maker => (x) => makeSingleComponentId(tag, x);
const parser = (tag: NodeIdTag): Parser => (id) => parseSingleComponentId(tag, id);

/** `<hostId>;<host>`; the host id is the hostname (or `SCOPE_HOSTNAME`). */
export const makeHostNodeId = maker('host');
export const parseHostNodeId = parser('host');
export const makeContainerNodeId = maker('container');
export const parseContainerNodeId = parser('container');
/** Image id without `sha256:` (container/image nodes) or image name without tag (process parents). */
export const makeContainerImageNodeId = maker('container_image');
export const parseContainerImageNodeId = parser('container_image');
export const makePodNodeId = maker('pod');
export const parsePodNodeId = parser('pod');
export const makeServiceNodeId = maker('service');
export const parseServiceNodeId = parser('service');
export const makeDeploymentNodeId = maker('deployment');
export const parseDeploymentNodeId = parser('deployment');
export const makeReplicaSetNodeId = maker('replica_set');
export const parseReplicaSetNodeId = parser('replica_set');
export const makeDaemonSetNodeId = maker('daemonset');
export const parseDaemonSetNodeId = parser('daemonset');
export const makeStatefulSetNodeId = maker('statefulset');
export const parseStatefulSetNodeId = parser('statefulset');
export const makeCronJobNodeId = maker('cronjob');
export const parseCronJobNodeId = parser('cronjob');
export const makeJobNodeId = maker('job');
export const parseJobNodeId = parser('job');
export const makeNamespaceNodeId = maker('namespace');
export const parseNamespaceNodeId = parser('namespace');
export const makePersistentVolumeNodeId = maker('persistent_volume');
export const parsePersistentVolumeNodeId = parser('persistent_volume');
export const makePersistentVolumeClaimNodeId = maker('persistent_volume_claim');
export const parsePersistentVolumeClaimNodeId = parser('persistent_volume_claim');
export const makeStorageClassNodeId = maker('storage_class');
export const parseStorageClassNodeId = parser('storage_class');
export const makeVolumeSnapshotNodeId = maker('volume_snapshot');
export const parseVolumeSnapshotNodeId = parser('volume_snapshot');
export const makeVolumeSnapshotDataNodeId = maker('volume_snapshot_data');
export const parseVolumeSnapshotDataNodeId = parser('volume_snapshot_data');
export const makeEcsTaskNodeId = maker('ecs_task');
export const parseEcsTaskNodeId = parser('ecs_task');
export const makeSwarmServiceNodeId = maker('swarm_service');
export const parseSwarmServiceNodeId = parser('swarm_service');

/** `<hostId>;<pid>` (wire §3.2). */
export function makeProcessNodeId(hostId: string, pid: number | string): string {
  return `${hostId};${pid}`;
}

/** `{ hostId, pid }` of a process id (split at the first `;`); pid is kept as text. */
export function parseProcessNodeId(id: string): { hostId: string; pid: string } | undefined {
  const i = id.indexOf(SCOPE_DELIM);
  return i < 0 ? undefined : { hostId: id.slice(0, i), pid: id.slice(i + 1) };
}

/**
 * The scope part of endpoint/address ids (wire §3.3, Go's `makeAddressID`): `hostId` when `ip` is
 * in `localNetworks`; `hostId` (plus `-<netns>` when known) for loopback; else ''.
 * Returns the scope and the address as printed (canonical when `address` parses as an IP).
 */
function addressScope(
  hostId: string,
  netnsId: string,
  address: string,
  localNetworks: readonly Cidr[],
): [scope: string, address: string] {
  const ip = parseIp(address);
  if (!ip) return ['', address]; // Go keeps unparsable addresses verbatim, unscoped
  const printed = formatIp(ip);
  if (localNetworks.length > 0 && cidrsContain(localNetworks, ip)) return [hostId, printed];
  if (isLoopbackIp(ip)) return [netnsId === '' ? hostId : `${hostId}-${netnsId}`, printed];
  return ['', printed];
}

/** A network namespace id: `''`, `0` and `'0'` mean unknown (the probe's binary variant). */
export type NetnsId = string | number;

function netnsText(netnsId: NetnsId): string {
  return netnsId === 0 || netnsId === '0' ? '' : String(netnsId);
}

/**
 * `<scope>;<ip>;<port>` with Scope's scoping rules (wire §3.3). `localNetworks` is what Scope calls
 * `LocalNetworks`: the Docker bridge subnets when Docker is on and Kubernetes is off, else empty.
 */
export function makeEndpointNodeId(
  hostId: string,
  netnsId: NetnsId,
  ip: string,
  port: number | string,
  localNetworks: readonly Cidr[],
): string {
  const [scope, printed] = addressScope(hostId, netnsText(netnsId), ip, localNetworks);
  return `${scope};${printed};${port}`;
}

/** `<scope>;<ip>` with the same scoping but no namespace (`MakeAddressNodeID`). */
export function makeAddressNodeId(hostId: string, ip: string, localNetworks: readonly Cidr[]): string {
  const [scope, printed] = addressScope(hostId, '', ip, localNetworks);
  return `${scope};${printed}`;
}

/** `<scope>;<ip>;<port>` verbatim, no scoping rules; `port` may be '' (the app's IP-only joins). */
export function makeScopedEndpointNodeId(scope: string, ip: string, port: number | string): string {
  return `${scope};${ip};${port}`;
}

/** `<scope>;<ip>` verbatim. */
export function makeScopedAddressNodeId(scope: string, ip: string): string {
  return `${scope};${ip}`;
}

/** Parts of an endpoint id (split at the first two `;`; scope may be empty). */
export interface EndpointIdParts {
  scope: string;
  address: string;
  port: string;
}

export function parseEndpointNodeId(id: string): EndpointIdParts | undefined {
  const first = id.indexOf(SCOPE_DELIM);
  if (first < 0) return undefined;
  const second = id.indexOf(SCOPE_DELIM, first + 1);
  if (second < 0) return undefined;
  return { scope: id.slice(0, first), address: id.slice(first + 1, second), port: id.slice(second + 1) };
}

/** Parts of an address id `<scope>;<ip>` (split at the first `;`). */
export function parseAddressNodeId(id: string): { scope: string; address: string } | undefined {
  const i = id.indexOf(SCOPE_DELIM);
  return i < 0 ? undefined : { scope: id.slice(0, i), address: id.slice(i + 1) };
}

/** Prefix of Weave peers in overlay ids (empty). */
export const WEAVE_OVERLAY_PEER_PREFIX = '';
/** Prefix of the per-host Docker overlay peer. */
export const DOCKER_OVERLAY_PEER_PREFIX = 'docker_peer_';

/** `#<prefix><peerName>` (wire §3.4). */
export function makeOverlayNodeId(prefix: string, peerName: string): string {
  return `#${prefix}${peerName}`;
}

/** `#docker_peer_<hostId>`: the raw host id, not `<hostId>;<host>`. */
export function makeDockerOverlayNodeId(hostId: string): string {
  return makeOverlayNodeId(DOCKER_OVERLAY_PEER_PREFIX, hostId);
}

/** `{ prefix, peerName }` of an overlay id; `undefined` without the leading `#`. */
export function parseOverlayNodeId(id: string): { prefix: string; peerName: string } | undefined {
  if (!id.startsWith('#')) return undefined;
  const rest = id.slice(1);
  return rest.startsWith(DOCKER_OVERLAY_PEER_PREFIX)
    ? { prefix: DOCKER_OVERLAY_PEER_PREFIX, peerName: rest.slice(DOCKER_OVERLAY_PEER_PREFIX.length) }
    : { prefix: WEAVE_OVERLAY_PEER_PREFIX, peerName: rest };
}

/** `<cluster>;<serviceName>` (wire §3.5). */
export function makeEcsServiceNodeId(cluster: string, serviceName: string): string {
  return `${cluster};${serviceName}`;
}

/** `{ cluster, serviceName }`; the legacy `<serviceName>;<ecs_service>` gives cluster `unknown`. */
export function parseEcsServiceNodeId(id: string): { cluster: string; serviceName: string } | undefined {
  const i = id.indexOf(SCOPE_DELIM);
  if (i < 0) return undefined;
  const cluster = id.slice(0, i);
  const serviceName = id.slice(i + 1);
  return serviceName === '<ecs_service>' ? { cluster: 'unknown', serviceName: cluster } : { cluster, serviceName };
}

/** A uniformly random non-negative 63-bit integer. */
function randomInt63(): bigint {
  const words = new Uint32Array(2);
  crypto.getRandomValues(words);
  return (BigInt(words[0]! & 0x7fffffff) << 32n) | BigInt(words[1]!);
}

/** A new probe (or app) id: random 63-bit integer, lower-case hex, no padding (wire §3.6). */
export function randomProbeId(): string {
  return randomInt63().toString(16);
}

/** A new pipe id: `pipe-<random int63 decimal>` (wire §3.6). */
export function randomPipeId(): string {
  return `pipe-${randomInt63().toString(10)}`;
}

/** Plugin control id `<pluginId>~<controlId>`. */
export function makePluginControlId(pluginId: string, controlId: string): string {
  return `${pluginId}~${controlId}`;
}
