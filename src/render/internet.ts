/**
 * Where endpoints outside our infrastructure go (app §3.3): local networks, known cloud services
 * and the two Internet pseudo nodes.
 */
import { parseEndpointNodeId } from '../report/ids.js';
import { cidrsContain, parseCidr, parseIp, toIpv4, type Cidr } from '../report/ip.js';
import type { Report } from '../report/types.js';
import type { RNode } from './rnode.js';

export const INCOMING_INTERNET_ID = 'in-theinternet';
export const OUTGOING_INTERNET_ID = 'out-theinternet';
/** Suffix shared by both Internet ids (Scope's `TheInternetID`). */
export const THE_INTERNET_SUFFIX = 'theinternet';
export const SERVICE_NODE_ID_PREFIX = 'service-';

export function isInternetNodeId(id: string): boolean {
  return id === INCOMING_INTERNET_ID || id === OUTGOING_INTERNET_ID;
}

const KNOWN_SERVICE =
  /^.+\.(amazonaws\.com|googleapis\.com|weave\.works|core\.windows\.net|servicebus\.windows\.net|azure-api\.net|onmicrosoft\.com|cloudapp\.azure\.com|database\.windows\.net|documents\.azure\.com)$/;
const KNOWN_SERVICE_EXCLUDED = /^ec2.*\.amazonaws\.com$/;

// Names repeat across reports; the regexes are a hot spot in Scope, so remember verdicts.
const knownServiceCache = new Map<string, boolean>();
const KNOWN_SERVICE_CACHE_MAX = 10_000;

export function isKnownService(hostname: string): boolean {
  let known = knownServiceCache.get(hostname);
  if (known === undefined) {
    known = KNOWN_SERVICE.test(hostname) && !KNOWN_SERVICE_EXCLUDED.test(hostname);
    if (knownServiceCache.size >= KNOWN_SERVICE_CACHE_MAX) knownServiceCache.clear();
    knownServiceCache.set(hostname, known);
  }
  return known;
}

/** First DNS name of `address` (forward names first, then reverse) accepted by `match`. */
export function firstDnsMatch(report: Report, address: string, match: (name: string) => boolean): string | undefined {
  const record = report.dns.get(address);
  if (record === undefined) return undefined;
  for (const name of record.forward) if (match(name)) return name;
  for (const name of record.reverse) if (match(name)) return name;
  return undefined;
}

const localNetworksCache = new WeakMap<Report, readonly Cidr[]>();

/**
 * CIDRs local to the report's hosts: `local_networks` of Host and Overlay nodes plus the smallest
 * IPv4 prefix holding every Kubernetes Service IP. IPv6 networks are kept in full.
 */
export function localNetworks(report: Report): readonly Cidr[] {
  let nets = localNetworksCache.get(report);
  if (nets !== undefined) return nets;
  const out: Cidr[] = [];
  const seen = new Set<string>();
  for (const topology of [report.topologies.host, report.topologies.overlay]) {
    for (const n of topology.nodes.values()) {
      for (const s of n.sets.get('local_networks') ?? []) {
        if (seen.has(s)) continue;
        seen.add(s);
        const cidr = parseCidr(s);
        if (cidr !== undefined) out.push(cidr);
      }
    }
  }
  const serviceNet = serviceIpSupernet(report);
  if (serviceNet !== undefined) out.push(serviceNet);
  nets = out;
  localNetworksCache.set(report, nets);
  return nets;
}

/** Smallest IPv4 prefix containing all `kubernetes_ip`s of Service nodes, if any. */
function serviceIpSupernet(report: Report): Cidr | undefined {
  let first: number | undefined;
  let prefix = 32;
  for (const n of report.topologies.service.nodes.values()) {
    const text = n.latest.get('kubernetes_ip')?.value;
    if (text === undefined) continue;
    const parsed = parseIp(text);
    const v4 = parsed === undefined ? undefined : toIpv4(parsed);
    if (v4 === undefined) continue;
    const value = ((v4[0]! << 24) | (v4[1]! << 16) | (v4[2]! << 8) | v4[3]!) >>> 0;
    if (first === undefined) {
      first = value;
      continue;
    }
    const diff = (first ^ value) >>> 0;
    if (diff !== 0) prefix = Math.min(prefix, Math.clz32(diff));
  }
  if (first === undefined) return undefined;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const net = (first & mask) >>> 0;
  const text = `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${prefix}`;
  return parseCidr(text);
}

/**
 * The pseudo node an endpoint without `host_node_id` belongs to, if it is external: a known cloud
 * service by DNS name, else an Internet node when its address is outside the local networks
 * (inbound if the endpoint has edges, i.e. it is a remote client). IPv6 addresses are handled
 * like IPv4 ones.
 */
export function externalNodeId(report: Report, endpoint: RNode, local: readonly Cidr[]): string | undefined {
  const parts = parseEndpointNodeId(endpoint.id);
  if (parts === undefined) return undefined;
  const service = firstDnsMatch(report, parts.address, isKnownService);
  if (service !== undefined) return SERVICE_NODE_ID_PREFIX + service;
  const ip = parseIp(parts.address);
  if (ip !== undefined && !cidrsContain(local, ip)) {
    return endpoint.adjacency.size > 0 ? INCOMING_INTERNET_ID : OUTGOING_INTERNET_ID;
  }
  return undefined;
}
