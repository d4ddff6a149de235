/**
 * Routes UI control requests to the probe they name (app §1.11): one connection per probe id, a
 * new connection replacing the previous one, deregistration only by the connection that owns the
 * entry (app `control_router.go`).
 *
 * Unlike Scope, a connection from another address does not take over a probe id that is still
 * connected when probes are not authenticated: otherwise anyone who reaches the app could claim a
 * probe's id and receive the controls (and the shells) meant for it. A probe reconnecting from its
 * own address still replaces its half-open old connection at once.
 */
import { ControlCallError, ProbeConnection, type ControlCall, type ControlReply } from './rpc.js';

interface Route {
  readonly conn: ProbeConnection;
  readonly remote: string;
}

/** Why {@link ControlRouter.register} refused a connection. */
export class ProbeIdTakenError extends Error {}

export class ControlRouter {
  private readonly probes = new Map<string, Route>();

  constructor(private readonly onCountChange: (count: number) => void = () => {}) {}

  /**
   * Makes `conn` the route to its probe; removed again when it closes, unless replaced by then.
   * `remote` is the peer address; `authenticated` says the probe presented the probe token.
   * Throws {@link ProbeIdTakenError} when an unauthenticated connection from another address asks
   * for an id that is connected.
   */
  register(conn: ProbeConnection, closed: Promise<void>, remote = '', authenticated = true): void {
    const current = this.probes.get(conn.probeId);
    if (current !== undefined && !authenticated && current.remote !== remote && current.conn.isOpen()) {
      throw new ProbeIdTakenError(`probe id ${conn.probeId} is already connected from another address`);
    }
    this.probes.set(conn.probeId, { conn, remote });
    this.onCountChange(this.probes.size);
    void closed.then(() => {
      if (this.probes.get(conn.probeId)?.conn === conn) {
        this.probes.delete(conn.probeId);
        this.onCountChange(this.probes.size);
      }
    });
  }

  /** Calls the control on probe `probeId`; {@link ControlCallError} if it is not connected or fails. */
  async handle(probeId: string, call: ControlCall, timeoutMillis: number): Promise<ControlReply> {
    const conn = this.probes.get(probeId)?.conn;
    if (!conn) throw new ControlCallError(`probe ${probeId} is not connected right now`, 400);
    return conn.call(call, timeoutMillis);
  }

  /** Ids of probes with a control connection. */
  connectedProbeIds(): string[] {
    return [...this.probes.keys()];
  }
}
