/**
 * The trust boundary with the Docker Engine API: every reply (inspect, list, events) is validated
 * here once and turned into the typed domain objects below. Nothing else in the Docker plugin reads
 * raw Docker JSON.
 */

/** A Docker reply did not have the shape the Engine API documents. */
export class DockerReplyError extends Error {
  constructor(what: string, detail: string) {
    super(`unexpected Docker ${what} reply: ${detail}`);
    this.name = 'DockerReplyError';
  }
}

/** `State` of an inspected container (the subset Scope uses). */
export interface ContainerState {
  /** Docker's own state word (`running`, `exited`…), compared with container lists to spot changes. */
  status: string;
  running: boolean;
  paused: boolean;
  restarting: boolean;
  dead: boolean;
  removalInProgress: boolean;
  /** Main process id on the host; 0 when not running. */
  pid: number;
  exitCode: number;
  /** RFC 3339 as Docker sends it; Go's zero time `0001-01-01T00:00:00Z` when never started. */
  startedAt: string;
  finishedAt: string;
}

export interface ContainerNetwork {
  name: string;
  ipAddress: string;
}

export interface PortBinding {
  hostIp: string;
  hostPort: string;
}

/** An inspected container (`GET /containers/{id}/json`). */
export interface ContainerInfo {
  /** Full 64-hex id. */
  id: string;
  /** Name without the leading `/`. */
  name: string;
  /** Creation time as Docker sends it (RFC 3339 with nanoseconds, trailing zeros trimmed). */
  created: string;
  path: string;
  args: string[];
  /** Image id without `sha256:`. */
  imageId: string;
  hostname: string;
  domainname: string;
  labels: Map<string, string>;
  /** `NAME=value` entries. */
  env: string[];
  tty: boolean;
  state: ContainerState;
  restartCount: number;
  /** `HostConfig.NetworkMode`: `default`, `bridge`, `host`, `none`, `container:<id>`, a network name. */
  networkMode: string;
  ipAddress: string;
  secondaryIps: string[];
  networks: ContainerNetwork[];
  /** Exposed port key (`80/tcp`) → host bindings (empty when not published). */
  ports: Map<string, PortBinding[]>;
}

/** A listed container (`GET /containers/json?all=1`): enough to see what changed. */
export interface ContainerSummary {
  id: string;
  /** `running`, `exited`, `paused`… */
  state: string;
  /** `Up 2 minutes`… (changes every minute, so not used to detect changes). */
  status: string;
}

/** A listed image (`GET /images/json`). */
export interface ImageInfo {
  /** Id without `sha256:`. */
  id: string;
  repoTags: string[];
  labels: Map<string, string>;
  /** Bytes. */
  size: number;
  /** Bytes; equals `size` on API ≥ 1.44 where Docker dropped the field. */
  virtualSize: number;
}

/** A listed network (`GET /networks`). */
export interface NetworkInfo {
  id: string;
  name: string;
  /** Every IPAM `Subnet` (IPv4 and IPv6). */
  subnets: string[];
}

/** One message of the event stream (`GET /events`). */
export interface DockerEvent {
  /** `container`, `image`, `network`… */
  type: string;
  /** Action without any `: detail` suffix (`exec_start: sh` → `exec_start`). */
  action: string;
  /** The object's id (a container id for container events, a network id for network events). */
  id: string;
  /** For network connect/disconnect events: the container concerned (else ''). */
  container: string;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: unknown, what: string, field: string): Obj {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw new DockerReplyError(what, `${field} is not an object`);
  return v;
}

function str(v: unknown, what: string, field: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new DockerReplyError(what, `${field} is not a string`);
  return v;
}

function num(v: unknown, what: string, field: string): number {
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new DockerReplyError(what, `${field} is not a number`);
  return v;
}

function bool(v: unknown): boolean {
  return v === true;
}

function strArray(v: unknown, what: string, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DockerReplyError(what, `${field} is not an array`);
  return v.map((x, i) => str(x, what, `${field}[${i}]`));
}

function strMap(v: unknown, what: string, field: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, x] of Object.entries(obj(v, what, field))) out.set(k, str(x, what, `${field}.${k}`));
  return out;
}

const ID_RE = /^[0-9a-f]{12,64}$/;

function id(v: unknown, what: string, field: string): string {
  const s = str(v, what, field);
  if (!ID_RE.test(s)) throw new DockerReplyError(what, `${field} is not a Docker id`);
  return s;
}

/** Strips `sha256:` from an image id. */
export function stripSha(imageId: string): string {
  return imageId.startsWith('sha256:') ? imageId.slice('sha256:'.length) : imageId;
}

/** Validates a container inspect reply. */
export function parseContainerInspect(v: unknown): ContainerInfo {
  const W = 'container inspect';
  if (!isObj(v)) throw new DockerReplyError(W, 'not an object');
  const config = obj(v.Config, W, 'Config');
  const hostConfig = obj(v.HostConfig, W, 'HostConfig');
  const st = obj(v.State, W, 'State');
  const ns = obj(v.NetworkSettings, W, 'NetworkSettings');
  const networks: ContainerNetwork[] = [];
  for (const [name, n] of Object.entries(obj(ns.Networks, W, 'NetworkSettings.Networks'))) {
    networks.push({ name, ipAddress: str(obj(n, W, `Networks.${name}`).IPAddress, W, `Networks.${name}.IPAddress`) });
  }
  networks.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const secondaryIps: string[] = [];
  const secondary: unknown = ns.SecondaryIPAddresses;
  if (Array.isArray(secondary)) {
    secondary.forEach((a, i) => secondaryIps.push(str(obj(a, W, 'SecondaryIPAddresses').Addr, W, `SecondaryIPAddresses[${i}]`)));
  }
  const ports = new Map<string, PortBinding[]>();
  for (const [key, bindings] of Object.entries(obj(ns.Ports, W, 'NetworkSettings.Ports'))) {
    const list: PortBinding[] = [];
    if (Array.isArray(bindings)) {
      for (const b of bindings) {
        const o = obj(b, W, `Ports.${key}`);
        list.push({ hostIp: str(o.HostIp, W, 'HostIp'), hostPort: str(o.HostPort, W, 'HostPort') });
      }
    }
    ports.set(key, list);
  }
  return {
    id: id(v.Id, W, 'Id'),
    name: str(v.Name, W, 'Name').replace(/^\//, ''),
    created: str(v.Created, W, 'Created'),
    path: str(v.Path, W, 'Path'),
    args: strArray(v.Args, W, 'Args'),
    imageId: stripSha(str(v.Image, W, 'Image')),
    hostname: str(config.Hostname, W, 'Config.Hostname'),
    domainname: str(config.Domainname, W, 'Config.Domainname'),
    labels: strMap(config.Labels, W, 'Config.Labels'),
    env: strArray(config.Env, W, 'Config.Env'),
    tty: bool(config.Tty),
    state: {
      status: str(st.Status, W, 'State.Status'),
      running: bool(st.Running),
      paused: bool(st.Paused),
      restarting: bool(st.Restarting),
      dead: bool(st.Dead),
      removalInProgress: bool(st.RemovalInProgress),
      pid: num(st.Pid, W, 'State.Pid'),
      exitCode: num(st.ExitCode, W, 'State.ExitCode'),
      startedAt: str(st.StartedAt, W, 'State.StartedAt'),
      finishedAt: str(st.FinishedAt, W, 'State.FinishedAt'),
    },
    restartCount: num(v.RestartCount, W, 'RestartCount'),
    networkMode: str(hostConfig.NetworkMode, W, 'HostConfig.NetworkMode'),
    ipAddress: str(ns.IPAddress, W, 'NetworkSettings.IPAddress'),
    secondaryIps,
    networks,
    ports,
  };
}

/** Validates a container list reply. */
export function parseContainerList(v: unknown): ContainerSummary[] {
  const W = 'container list';
  if (!Array.isArray(v)) throw new DockerReplyError(W, 'not an array');
  return v.map((c, i) => {
    const o = obj(c, W, `[${i}]`);
    return { id: id(o.Id, W, 'Id'), state: str(o.State, W, 'State'), status: str(o.Status, W, 'Status') };
  });
}

/** Validates an image list reply. */
export function parseImageList(v: unknown): ImageInfo[] {
  const W = 'image list';
  if (!Array.isArray(v)) throw new DockerReplyError(W, 'not an array');
  return v.map((c, i) => {
    const o = obj(c, W, `[${i}]`);
    const size = num(o.Size, W, 'Size');
    return {
      id: stripSha(str(o.Id, W, 'Id')),
      repoTags: strArray(o.RepoTags, W, 'RepoTags').filter((t) => t !== '<none>:<none>'),
      labels: strMap(o.Labels, W, 'Labels'),
      size,
      virtualSize: o.VirtualSize === undefined ? size : num(o.VirtualSize, W, 'VirtualSize'),
    };
  });
}

/** Validates a network list reply. */
export function parseNetworkList(v: unknown): NetworkInfo[] {
  const W = 'network list';
  if (!Array.isArray(v)) throw new DockerReplyError(W, 'not an array');
  return v.map((c, i) => {
    const o = obj(c, W, `[${i}]`);
    const ipam = obj(o.IPAM, W, 'IPAM');
    const subnets: string[] = [];
    const configs: unknown = ipam.Config;
    if (Array.isArray(configs)) {
      for (const cfg of configs) {
        const subnet = str(obj(cfg, W, 'IPAM.Config').Subnet, W, 'IPAM.Config.Subnet');
        if (subnet) subnets.push(subnet);
      }
    }
    return { id: str(o.Id, W, 'Id'), name: str(o.Name, W, 'Name'), subnets };
  });
}

/** Validates one event-stream message. */
export function parseEvent(v: unknown): DockerEvent {
  const W = 'event';
  if (!isObj(v)) throw new DockerReplyError(W, 'not an object');
  const actor = obj(v.Actor, W, 'Actor');
  const attributes = obj(actor.Attributes, W, 'Actor.Attributes');
  const action = str(v.Action ?? v.status, W, 'Action');
  const colon = action.indexOf(':');
  return {
    type: str(v.Type, W, 'Type') || 'container',
    action: colon >= 0 ? action.slice(0, colon) : action,
    id: str(actor.ID ?? v.id, W, 'Actor.ID'),
    container: str(attributes.container, W, 'Actor.Attributes.container'),
  };
}
