/**
 * Connections tables of a detailed node (app §4.6): inbound and outbound connections counted from
 * the endpoint children of the node and of its neighbours in the (filtered) view.
 */
import { parseEndpointNodeId } from '../report/ids.js';
import type { Report } from '../report/types.js';
import type { ApiColumn, ApiConnectionRow, ApiConnectionsSummary } from './api-types.js';
import { EDGE_KEYS, connectionWeight, endpointChildren, latestNumber } from './edge-metrics.js';
import { isInternetNodeId } from './internet.js';
import type { RNode } from './rnode.js';
import { summarize } from './summary.js';

const PORT_COLUMN: ApiColumn = { id: 'port', label: 'Port', defaultSort: false, dataType: 'number' };
const COUNT_COLUMN: ApiColumn = { id: 'count', label: 'Count', defaultSort: true, dataType: 'number' };
const REMOTE_COLUMN: ApiColumn = { id: 'remote', label: 'Remote', defaultSort: false, dataType: '' };
/**
 * Additions to Scope, shown only when a probe's eBPF tracker reported per-connection figures
 * (latest `openscope_bytes_sent` / `_received` / `openscope_rtt_us` on client endpoints): bytes
 * client → server and back summed over the row's connections, and the largest smoothed RTT.
 */
const SENT_COLUMN: ApiColumn = { id: 'openscope_bytes_sent', label: 'Bytes sent', defaultSort: false, dataType: 'number' };
const RECEIVED_COLUMN: ApiColumn = { id: 'openscope_bytes_received', label: 'Bytes received', defaultSort: false, dataType: 'number' };
const RTT_COLUMN: ApiColumn = { id: 'openscope_rtt_us', label: 'RTT (µs)', defaultSort: false, dataType: 'number' };
/** Rates over the probe's last spy interval, and cumulative retransmits and resets (summed per row). */
const SENT_RATE_COLUMN: ApiColumn = { id: EDGE_KEYS.bytesSentPerSecond, label: 'Sent (B/s)', defaultSort: false, dataType: 'number' };
const RECEIVED_RATE_COLUMN: ApiColumn = { id: EDGE_KEYS.bytesReceivedPerSecond, label: 'Received (B/s)', defaultSort: false, dataType: 'number' };
const RETRANSMITS_COLUMN: ApiColumn = { id: EDGE_KEYS.retransmits, label: 'Retransmits', defaultSort: false, dataType: 'number' };
const RESETS_COLUMN: ApiColumn = { id: EDGE_KEYS.resets, label: 'Resets', defaultSort: false, dataType: 'number' };

/** Summed per-row figures: row field and its column (whose id is the report key), after RTT. */
const SUMMED: ReadonlyArray<readonly ['sentPerSecond' | 'receivedPerSecond' | 'retransmits' | 'resets', ApiColumn]> = [
  ['sentPerSecond', SENT_RATE_COLUMN],
  ['receivedPerSecond', RECEIVED_RATE_COLUMN],
  ['retransmits', RETRANSMITS_COLUMN],
  ['resets', RESETS_COLUMN],
];

/** Endpoint child ids of `n` → canonical id (through `copy_of`). */
function endpointChildIds(n: RNode): Map<string, string> {
  const out = new Map<string, string>();
  if (n.children === null) return out;
  for (const c of n.children.values()) {
    if (c.topology === 'endpoint') out.set(c.id, c.latest.get('copy_of')?.value ?? c.id);
  }
  return out;
}

interface Row {
  remoteNodeId: string;
  remoteAddr: string;
  localAddr: string;
  port: string;
  count: number;
  /** eBPF figures (client's view); undefined when no connection of the row has them. */
  sentBytes?: number;
  receivedBytes?: number;
  rttMicros?: number;
  sentPerSecond?: number;
  receivedPerSecond?: number;
  retransmits?: number;
  resets?: number;
}

class Counter {
  private readonly counted = new Set<string>();
  readonly rows = new Map<string, Row>();

  constructor(private readonly report: Report) {}

  /** Address of an Internet node's endpoint, prefixed with its first DNS name; '' for other nodes. */
  private internetAddr(node: RNode, endpointId: string): string | undefined {
    if (!isInternetNodeId(node.id)) return '';
    const parts = parseEndpointNodeId(endpointId);
    if (parts === undefined) return undefined;
    const dns = this.report.dns.get(parts.address);
    const name = dns?.forward[0] ?? dns?.reverse[0];
    return name === undefined ? parts.address : `${name} (${parts.address})`;
  }

  add(outgoing: boolean, local: RNode, remote: RNode, localEndpointId: string, remoteEndpointId: string, source: RNode | undefined): void {
    const srcId = outgoing ? localEndpointId : remoteEndpointId;
    const dstId = outgoing ? remoteEndpointId : localEndpointId;
    const connectionId = source?.latest.get('copy_of')?.value ?? srcId;
    if (this.counted.has(connectionId)) return;
    const dst = parseEndpointNodeId(dstId);
    if (dst === undefined) return;
    const remoteAddr = this.internetAddr(remote, remoteEndpointId);
    const localAddr = this.internetAddr(local, localEndpointId);
    if (remoteAddr === undefined || localAddr === undefined) return;
    this.counted.add(connectionId);
    const weight = connectionWeight(source);
    const key = `${remote.id}-${remoteAddr}-${localAddr}-${dst.port}`;
    let row = this.rows.get(key);
    if (row === undefined) this.rows.set(key, (row = { remoteNodeId: remote.id, remoteAddr, localAddr, port: dst.port, count: weight }));
    else row.count += weight;
    const sent = latestNumber(source, 'openscope_bytes_sent');
    const received = latestNumber(source, 'openscope_bytes_received');
    const rtt = latestNumber(source, 'openscope_rtt_us');
    if (sent !== undefined) row.sentBytes = (row.sentBytes ?? 0) + sent;
    if (received !== undefined) row.receivedBytes = (row.receivedBytes ?? 0) + received;
    if (rtt !== undefined) row.rttMicros = Math.max(row.rttMicros ?? 0, rtt);
    for (const [field, column] of SUMMED) {
      const v = latestNumber(source, column.id);
      if (v !== undefined) row[field] = Math.round(((row[field] ?? 0) + v) * 100) / 100;
    }
  }
}

function toRows(report: Report, counter: Counter, view: ReadonlyMap<string, RNode>, includeLocal: boolean): ApiConnectionRow[] {
  const out: ApiConnectionRow[] = [];
  for (const [id, row] of counter.rows) {
    const remote = view.get(row.remoteNodeId);
    const summary = remote === undefined ? undefined : summarize(report, remote);
    const conn: Partial<ApiConnectionRow> = { id, nodeId: row.remoteNodeId };
    if (row.remoteAddr !== '') conn.label = row.remoteAddr;
    else {
      conn.label = summary?.label ?? row.remoteNodeId;
      conn.labelMinor = summary?.labelMinor ?? '';
    }
    const metadata: ApiConnectionRow['metadata'] = [];
    if (includeLocal) metadata.push({ id: 'remote', label: '', value: row.localAddr });
    conn.metadata = metadata;
    metadata.push({ id: 'port', label: '', value: row.port }, { id: 'count', label: '', value: String(row.count) });
    if (row.sentBytes !== undefined) metadata.push({ id: SENT_COLUMN.id, label: '', value: String(row.sentBytes) });
    if (row.receivedBytes !== undefined) metadata.push({ id: RECEIVED_COLUMN.id, label: '', value: String(row.receivedBytes) });
    if (row.rttMicros !== undefined) metadata.push({ id: RTT_COLUMN.id, label: '', value: String(row.rttMicros) });
    for (const [field, column] of SUMMED) {
      const v = row[field];
      if (v !== undefined) metadata.push({ id: column.id, label: '', value: String(v) });
    }
    out.push(conn as ApiConnectionRow);
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The two connections tables of node `n` within the filtered view `view`. */
export function connectionsTables(
  report: Report,
  topologyId: string,
  n: RNode,
  view: ReadonlyMap<string, RNode>,
): ApiConnectionsSummary[] {
  const internet = isInternetNodeId(n.id);
  const columns = internet ? [REMOTE_COLUMN, PORT_COLUMN, COUNT_COLUMN] : [PORT_COLUMN, COUNT_COLUMN];

  // Inbound: every node with an edge to n; its endpoints' edges into n's endpoints.
  const inbound = new Counter(report);
  const localIds = endpointChildIds(n);
  if (localIds.size > 0) {
    for (const other of view.values()) {
      if (!other.adjacency.has(n.id)) continue;
      for (const remoteEp of endpointChildren(other)) {
        for (const target of remoteEp.adjacency) {
          const canonical = localIds.get(target);
          if (canonical === undefined) continue;
          inbound.add(false, n, other, canonical, remoteEp.id, remoteEp);
        }
      }
    }
  }

  // Outbound: every node n has an edge to; n's endpoints' edges into its endpoints.
  const outbound = new Counter(report);
  const localEps = endpointChildren(n);
  if (localEps.length > 0) {
    for (const id of n.adjacency) {
      const other = view.get(id);
      if (other === undefined) continue;
      const remoteIds = endpointChildIds(other);
      if (remoteIds.size === 0) continue;
      for (const localEp of localEps) {
        for (const target of localEp.adjacency) {
          const canonical = remoteIds.get(target);
          if (canonical === undefined) continue;
          outbound.add(true, n, other, localEp.id, canonical, localEp);
        }
      }
    }
  }

  const table = (counter: Counter): ApiColumn[] => {
    const rows = [...counter.rows.values()];
    const extra: ApiColumn[] = [];
    if (rows.some((r) => r.sentBytes !== undefined)) extra.push(SENT_COLUMN);
    if (rows.some((r) => r.receivedBytes !== undefined)) extra.push(RECEIVED_COLUMN);
    if (rows.some((r) => r.rttMicros !== undefined)) extra.push(RTT_COLUMN);
    for (const [field, column] of SUMMED) if (rows.some((r) => r[field] !== undefined)) extra.push(column);
    return extra.length === 0 ? columns : [...columns, ...extra];
  };
  return [
    { id: 'incoming-connections', topologyId, label: 'Inbound', columns: table(inbound), connections: toRows(report, inbound, view, internet) },
    { id: 'outgoing-connections', topologyId, label: 'Outbound', columns: table(outbound), connections: toRows(report, outbound, view, internet) },
  ];
}
