/** The eBPF connection tracker (wire §5.5.5): public surface. */
export { ConnectionTracker, ebpfUnavailableReason, type ConnectionTrackerOptions, type TrackedConnection } from './tracker.js';
export { parseTrackerLine, type TrackerEvent } from './parse.js';
export { trackerScript } from './script.js';
export { BYTES_RECEIVED_KEY, BYTES_SENT_KEY, EbpfConnections, RTT_MICROS_KEY, type ConnectionStats, type TrackedPair, type EbpfConnectionsOptions, type SeedConnection } from './endpoint-source.js';
