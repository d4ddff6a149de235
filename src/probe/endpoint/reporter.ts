/**
 * Endpoint reporter (wire §5.5, §6.3): TCP connections of every network namespace from procfs,
 * attributed to processes, plus short-lived connections from conntrack, as endpoint nodes
 * `<scope>;<ip>;<port>` with `pid`/`host_node_id` and client → server adjacency.
 *
 * Direction: conntrack's original direction when it knows the flow; else a local listening socket
 * on the local (incoming) or remote (outgoing) port; else Scope's rule (lower local port = server).
 * Flows only conntrack saw (short-lived) have no pid on the client side; their server side gets
 * the pid of the process listening on that port in the probe's namespace.
 */
import { readlinkSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { makeNode, makeSparseReport } from '../../report/model.js';
import { makeEndpointNodeId } from '../../report/ids.js';
import { isLoopback, type Cidr } from '../../report/ip.js';
import { nowTime } from '../../report/time.js';
import type { LatestEntry, Node, Report } from '../../report/types.js';
import type { Logger } from '../../common/log.js';
import type { Reporter } from '../types.js';
import type { ProcWalker } from '../procfs/walker.js';
import { bracketInode } from '../procfs/read.js';
import { addToStringSet, setLatest, singletonMetric } from '../node-util.js';
import { cached, hostNodeId } from '../host/reporter.js';
import { ConntrackFollower, type Flow } from './conntrack.js';
import { SocketScanner, type NamespaceTable, type ScanResult } from './sockets.js';
import type { TcpSocket } from './procnet.js';

/**
 * A connection seen by another tracker (e.g. eBPF, wire §5.5.5), already oriented client → server.
 * Pids are those of the connecting (`fromPid`) and accepting (`toPid`) processes when known.
 */
export interface ObservedConnection {
  /** Network namespace inode (for loopback scoping); 0 if unknown. */
  netns: number;
  fromIp: string;
  fromPort: number;
  fromPid?: number | undefined;
  toIp: string;
  toPort: number;
  toPid?: number | undefined;
  /**
   * Extra latest values for the client (from) endpoint node, e.g. the eBPF tracker's
   * `openscope_bytes_sent` (additions to Scope; its decoder ignores unknown latest keys).
   */
  fromLatest?: ReadonlyArray<readonly [key: string, value: string]> | undefined;
  /** Extra one-sample metrics for the client endpoint node (e.g. `openscope_rtt_us`). */
  fromMetrics?: ReadonlyArray<readonly [key: string, value: number]> | undefined;
}

/** Extra connections merged into each endpoint report (open ones and those closed since the last call). */
export interface ConnectionSource {
  connections(): readonly ObservedConnection[];
  /**
   * false once the source sees every connection (eBPF): the /proc scan is skipped. Undefined or
   * true: the scan runs, and its connections are passed to `seed` when present.
   */
  scanNeeded?(): boolean;
  /** Receives each scan's connections (with pids when known): what existed before the source. */
  seed?(conns: readonly SeedConnection[]): void;
}

/** A connection found by the /proc scan, as handed to {@link ConnectionSource.seed}. */
export interface SeedConnection {
  netns: number;
  /** true: initiated here; false: accepted here. */
  outgoing: boolean;
  pid: number | undefined;
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
}

/** Options of {@link createEndpointReporter}. */
export interface EndpointReporterOptions {
  hostId: string;
  walker: ProcWalker;
  procRoot: string;
  procSpy: boolean;
  conntrack: boolean;
  fdBudgetPerTick: number;
  /** Scope's `LocalNetworks` (Docker bridge subnets when Docker is on): addresses scoped to this host. */
  localNetworks: () => readonly Cidr[];
  /** Extra connections (e.g. from the eBPF tracker), with pids; short-lived ones included. */
  connectionSource?: ConnectionSource | undefined;
  /** Do not start conntrack now; the caller may start `conntrack` later (eBPF fallback). Default false. */
  deferConntrack?: boolean | undefined;
  logger: Logger;
}

/** The endpoint reporter plus hooks for tests and benchmarks. */
export interface EndpointReporter extends Reporter {
  readonly scanner: SocketScanner;
  readonly conntrack: ConntrackFollower | undefined;
}

/** What the reporter derives from a socket's addresses, kept as long as the socket object lives. */
interface SocketMemo {
  localId: string;
  remoteId: string;
  /** The peer is on this host: loopback, or the same address as the local end. */
  localPeer: boolean;
}

interface Side {
  ip: string;
  port: number;
  pid: number | undefined;
}

const flowKey = (aIp: string, aPort: number, bIp: string, bPort: number): string => `${aIp}|${aPort}|${bIp}|${bPort}`;

/** Inode of the probe's own network namespace (where conntrack and its listeners live). */
function ownNetns(procRoot: string): number {
  try {
    return bracketInode(readlinkSync(`${procRoot}/self/ns/net`));
  } catch {
    return 0;
  }
}

export function createEndpointReporter(opts: EndpointReporterOptions): EndpointReporter {
  const scanner = new SocketScanner({ procRoot: opts.procRoot, procSpy: opts.procSpy, fdBudgetPerTick: opts.fdBudgetPerTick });
  const conntrack = opts.conntrack ? new ConntrackFollower({ procRoot: opts.procRoot, logger: opts.logger }) : undefined;
  if (opts.deferConntrack !== true) conntrack?.start();
  const hostNode = hostNodeId(opts.hostId);
  const probeNetns = ownNetns(opts.procRoot);
  const addresses = cached(interfaceAddresses, 10_000);
  const idCache = new Map<string, string>();
  // Bounded by what the reports hold: short-lived connections (eBPF, conntrack) bring a new
  // ephemeral port each, so the cache is emptied when it outgrows 4× the last report's endpoints.
  let idCacheLimit = MIN_ID_CACHE;
  let lastLocalNets: readonly Cidr[] | undefined;
  let socketMemos = new WeakMap<TcpSocket, SocketMemo>();

  return {
    name: 'endpoint',
    scanner,
    conntrack,
    async report(): Promise<Report> {
      const rpt = makeSparseReport('endpoint');
      const localNets = opts.localNetworks();
      const nodes = rpt.topologies.endpoint.nodes;
      const ts = nowTime();
      const flows = conntrack?.flows() ?? [];
      // Conntrack's view of who initiated: key (from → to) in canonical (client → server) form.
      const initiated = new Set<string>();
      for (const f of flows) {
        const [from, to] = flowEnds(f);
        initiated.add(flowKey(from.ip, from.port, to.ip, to.port));
      }

      // Ids depend on the local networks: drop the caches when they change (by value: a provider
      // may build a new, equal list each call, and clearing per tick re-derives every id).
      if (lastLocalNets === undefined || !sameCidrs(localNets, lastLocalNets)) {
        idCache.clear();
        socketMemos = new WeakMap();
      }
      lastLocalNets = localNets;
      // Ids are pure functions of (netns, ip, port): cached, since most connections persist.
      const endpointId = (netns: number, ip: string, port: number): string => {
        const key = `${netns}|${ip}|${port}`;
        let id = idCache.get(key);
        if (id === undefined) {
          id = makeEndpointNodeId(opts.hostId, netns, ip, port, localNets);
          if (idCache.size >= idCacheLimit) idCache.clear();
          idCache.set(key, id);
        }
        return id;
      };
      const add = (netns: number, from: Side, to: Side): void => {
        addIds(endpointId(netns, from.ip, from.port), from.pid, endpointId(netns, to.ip, to.port), to.pid);
      };
      // Latest entries are immutable values (report/merge.ts), so one per pid per tick is shared by
      // all of that pid's endpoint nodes: thousands fewer objects per tick for the GC.
      const hostEntry: LatestEntry = { timestamp: ts, value: hostNode };
      const pidEntries = new Map<number, LatestEntry>();
      const tagPid = (n: Node, pid: number): void => {
        let entry = pidEntries.get(pid);
        if (entry === undefined) pidEntries.set(pid, (entry = { timestamp: ts, value: String(pid) }));
        n.latest.set('pid', entry);
        n.latest.set('host_node_id', hostEntry);
      };
      const addIds = (fromId: string, fromPid: number | undefined, toId: string, toPid: number | undefined): void => {
        const a = node(nodes, fromId);
        a.adjacency = addToStringSet(a.adjacency, toId);
        if (fromPid !== undefined) tagPid(a, fromPid);
        const b = node(nodes, toId);
        if (toPid !== undefined) tagPid(b, toPid);
      };

      const snap = opts.walker.snapshot ?? (await opts.walker.walk());
      const source = opts.connectionSource;
      const scan = source?.scanNeeded?.() === false ? NO_SCAN : await scanner.scan(snap);
      const seeds: SeedConnection[] | undefined = source?.seed && scan !== NO_SCAN ? [] : undefined;
      let probeTable: NamespaceTable | undefined;
      for (const ns of scan.namespaces) {
        if (ns.netns === probeNetns) probeTable = ns;
        const listening = listenIndex(ns.listeners);
        for (const s of ns.connections) {
          const pid = s.inode === 0 ? undefined : scan.owner(s.inode);
          // Socket objects persist while the socket does (procnet.ts), so what derives from their
          // addresses alone is computed once per socket.
          let memo = socketMemos.get(s);
          if (!memo) {
            memo = {
              localId: endpointId(ns.netns, s.localIp, s.localPort),
              remoteId: endpointId(ns.netns, s.remoteIp, s.remotePort),
              localPeer: isLoopback(s.remoteIp) || s.remoteIp === s.localIp,
            };
            socketMemos.set(s, memo);
          }
          const incoming = isIncoming(s, memo.localPeer, initiated, listening);
          if (incoming) addIds(memo.remoteId, undefined, memo.localId, pid);
          else addIds(memo.localId, pid, memo.remoteId, undefined);
          seeds?.push({ netns: ns.netns, outgoing: !incoming, pid, localIp: s.localIp, localPort: s.localPort, remoteIp: s.remoteIp, remotePort: s.remotePort });
        }
      }
      if (seeds) source?.seed?.(seeds);

      for (const c of opts.connectionSource?.connections() ?? []) {
        add(c.netns, { ip: c.fromIp, port: c.fromPort, pid: c.fromPid }, { ip: c.toIp, port: c.toPort, pid: c.toPid });
        if (c.fromLatest || c.fromMetrics) {
          const n = node(nodes, endpointId(c.netns, c.fromIp, c.fromPort));
          for (const [key, value] of c.fromLatest ?? []) setLatest(n, key, value, ts);
          for (const [key, value] of c.fromMetrics ?? []) n.metrics.set(key, singletonMetric(ts, value, value));
        }
      }

      // Conntrack flows: short-lived ones appear only here. Attribute the server to its listener.
      if (flows.length > 0) {
        const listening = probeTable ? listenIndex(probeTable.listeners) : new Map<number, TcpSocket[]>();
        const localIps = addresses();
        for (const f of flows) {
          const [from, to] = flowEnds(f);
          const listener = findListener(listening, to.ip, to.port);
          const pid = listener && listener.inode !== 0 && (isLoopback(to.ip) || localIps.has(to.ip)) ? scan.owner(listener.inode) : undefined;
          add(probeNetns, { ...from, pid: undefined }, { ...to, pid });
        }
      }
      idCacheLimit = Math.max(MIN_ID_CACHE, 4 * nodes.size);
      return rpt;
    },
    async stop(): Promise<void> {
      await conntrack?.stop();
    },
  };
}

/** Same networks in the same order (compared by value). */
export function sameCidrs(a: readonly Cidr[], b: readonly Cidr[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (x.prefixLength !== y.prefixLength || !bytesEqual(x.ip, y.ip) || !bytesEqual(x.network, y.network)) return false;
  }
  return true;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Smallest bound of the endpoint id cache (entries; ~100 bytes each). */
const MIN_ID_CACHE = 10_000;

const NO_SCAN: ScanResult = { namespaces: [], owner: () => undefined };

function node(nodes: Map<string, Node>, id: string): Node {
  let n = nodes.get(id);
  if (!n) nodes.set(id, (n = makeNode(id, 'endpoint')));
  return n;
}

/** (from, to) of a conntrack flow: the original direction, or its reverse under DNAT (wire §5.5.1). */
export function flowEnds(f: Flow): [from: { ip: string; port: number }, to: { ip: string; port: number }] {
  const o = f.original;
  if (o.dst === f.reply.src) return [{ ip: o.src, port: o.sport }, { ip: o.dst, port: o.dport }];
  return [{ ip: o.dst, port: o.dport }, { ip: o.src, port: o.sport }];
}

/** Listening sockets by port. */
function listenIndex(listeners: readonly TcpSocket[]): Map<number, TcpSocket[]> {
  const byPort = new Map<number, TcpSocket[]>();
  for (const l of listeners) {
    const list = byPort.get(l.localPort);
    if (list) list.push(l);
    else byPort.set(l.localPort, [l]);
  }
  return byPort;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);

/** The listener that accepts connections to ip:port: exact address first, then a wildcard one. */
function findListener(index: Map<number, TcpSocket[]>, ip: string, port: number): TcpSocket | undefined {
  const list = index.get(port);
  if (!list) return undefined;
  return list.find((l) => l.localIp === ip) ?? list.find((l) => WILDCARDS.has(l.localIp));
}

/** Whether a connection seen locally was accepted (incoming) rather than initiated here. */
function isIncoming(s: TcpSocket, localPeer: boolean, initiated: Set<string>, listening: Map<number, TcpSocket[]>): boolean {
  if (initiated.size > 0) {
    if (initiated.has(flowKey(s.remoteIp, s.remotePort, s.localIp, s.localPort))) return true;
    if (initiated.has(flowKey(s.localIp, s.localPort, s.remoteIp, s.remotePort))) return false;
  }
  if (findListener(listening, s.localIp, s.localPort)) return true;
  if (localPeer && findListener(listening, s.remoteIp, s.remotePort)) return false;
  return s.localPort < s.remotePort;
}

/** Addresses of the probe's namespace's interfaces. */
function interfaceAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) out.add(a.address);
  return out;
}
