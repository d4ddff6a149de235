/**
 * Routes UI control requests to the probe they name (app §1.11): one connection per probe id, a
 * new connection replacing the previous one, deregistration only by the connection that owns the
 * entry (app `control_router.go`).
 */
import { ControlCallError, ProbeConnection, type ControlCall, type ControlReply } from './rpc.js';

export class ControlRouter {
  private readonly probes = new Map<string, ProbeConnection>();

  constructor(private readonly onCountChange: (count: number) => void = () => {}) {}

  /** Makes `conn` the route to its probe; removed again when it closes, unless replaced by then. */
  register(conn: ProbeConnection, closed: Promise<void>): void {
    this.probes.set(conn.probeId, conn);
    this.onCountChange(this.probes.size);
    void closed.then(() => {
      if (this.probes.get(conn.probeId) === conn) {
        this.probes.delete(conn.probeId);
        this.onCountChange(this.probes.size);
      }
    });
  }

  /** Calls the control on probe `probeId`; {@link ControlCallError} if it is not connected or fails. */
  async handle(probeId: string, call: ControlCall, timeoutMillis: number): Promise<ControlReply> {
    const conn = this.probes.get(probeId);
    if (!conn) throw new ControlCallError(`probe ${probeId} is not connected right now`, 400);
    return conn.call(call, timeoutMillis);
  }

  /** Ids of probes with a control connection. */
  connectedProbeIds(): string[] {
    return [...this.probes.keys()];
  }
}
