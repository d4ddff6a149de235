/** The eBPF connection tracker (wire §5.5.5) and the sock_diag fallback figures: public surface. */
export { ConnectionTracker, ebpfUnavailableReason, type ConnectionTrackerOptions, type TrackedConnection, type SeedConnection } from './tracker.js';
export { parseTrackerLine, type TrackerEvent } from './parse.js';
export { trackerScript } from './script.js';
export { SockDiag, parseSs, type SocketDiag, type SockDiagOptions } from './sockdiag.js';
export {
  BYTES_RECEIVED_KEY, BYTES_RECEIVED_PER_S_KEY, BYTES_SENT_KEY, BYTES_SENT_PER_S_KEY, CONN_COUNT_KEY, CONNECTIONS_PER_S_KEY,
  EbpfConnections, RESETS_KEY, RETRANSMITS_KEY, RTT_MICROS_KEY,
  type ConnectionStats, type TrackedPair, type EbpfConnectionsOptions,
} from './endpoint-source.js';
