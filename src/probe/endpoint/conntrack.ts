/**
 * Conntrack follower (wire §5.5.3) using the Debian `conntrack` tool: `conntrack -L` dumps the
 * flows at start, `conntrack -E` streams UPDATE/DESTROY events. One pair per address family.
 * Netlink would need a native module; the tool's text output is stable and cheap to parse.
 *
 * Semantics as Scope: an UPDATE to a state other than TIME_WAIT makes a flow active; an UPDATE to
 * TIME_WAIT or a DESTROY of an active flow moves it to the finished list, which the next `flows()`
 * reports once. Flows first seen in a DESTROY are ignored.
 *
 * Note: the kernel tracks a namespace's traffic only while some netfilter rule needs conntrack
 * (Docker's NAT rules make that true for IPv4 on most hosts; loopback is then tracked too). IPv6
 * is usually not tracked unless ip6tables/nftables rules use conntrack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Backoff, sleep } from '../../common/backoff.js';
import { LogOnce, type Logger } from '../../common/log.js';

/** One direction of a flow. */
export interface FlowTuple {
  src: string;
  dst: string;
  sport: number;
  dport: number;
}

/** A tracked TCP flow. */
export interface Flow {
  id: string;
  state: string;
  original: FlowTuple;
  reply: FlowTuple;
}

/** Most finished flows kept between two reports (a burst beyond this is dropped, counted). */
const MAX_FINISHED = 20_000;
/** Most active flows tracked (bounded by the kernel table in practice). */
const MAX_ACTIVE = 200_000;

const LINE = /^\s*(?:\[(\w+)\]\s+)?tcp\s+\d+\s+\d+\s+(\w+)\s+src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+)(?:\s+\[\w+\])?\s+src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+).*?\bid=(\d+)/;

/** Parses one line of `conntrack -L/-E -p tcp -o id` output; undefined if it is not a TCP flow. */
export function parseConntrackLine(line: string): { event: string; flow: Flow } | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  return {
    event: m[1] ?? '',
    flow: {
      id: m[11]!,
      state: m[2]!,
      original: { src: m[3]!, dst: m[4]!, sport: Number(m[5]), dport: Number(m[6]) },
      reply: { src: m[7]!, dst: m[8]!, sport: Number(m[9]), dport: Number(m[10]) },
    },
  };
}

/** Whether the kernel can send conntrack events (`nf_conntrack_events` present and not 0). */
export function conntrackEventsEnabled(procRoot: string): boolean {
  try {
    return readFileSync(`${procRoot}/sys/net/netfilter/nf_conntrack_events`, 'utf8').trim() !== '0';
  } catch {
    return false;
  }
}

/**
 * util-linux `setpriv --pdeathsig KILL` makes the kernel kill the tool when the probe dies, even by
 * SIGKILL, so a crashed probe never leaves `conntrack -E` processes behind.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** Options of {@link ConntrackFollower}. */
export interface ConntrackOptions {
  procRoot: string;
  logger: Logger;
  /** The `conntrack` binary. Default `conntrack` (from $PATH; Debian: /usr/sbin/conntrack). */
  binary?: string;
}

export class ConntrackFollower {
  private readonly active = new Map<string, Flow>();
  private finished: Flow[] = [];
  private dropped = 0;
  private readonly children = new Set<ChildProcess>();
  private readonly abort = new AbortController();
  private readonly logOnce: LogOnce;
  private readonly binary: string;
  /** Set once the first dump of either family completed. */
  running = false;

  constructor(private readonly opts: ConntrackOptions) {
    this.logOnce = new LogOnce(opts.logger);
    this.binary = opts.binary ?? 'conntrack';
  }

  /** Starts following both families. Never throws; problems are logged once. */
  start(): void {
    if (!conntrackEventsEnabled(this.opts.procRoot)) {
      this.opts.logger.info('conntrack: nf_conntrack_events unavailable or 0; short-lived connections will not be seen');
      return;
    }
    for (const family of ['ipv4', 'ipv6'] as const) void this.follow(family);
  }

  /** Active flows, then flows finished since the last call (each reported once). */
  flows(): Flow[] {
    const out = [...this.active.values(), ...this.finished];
    this.finished = [];
    if (this.dropped > 0) {
      this.opts.logger.debug({ dropped: this.dropped }, 'conntrack: finished flows dropped (burst)');
      this.dropped = 0;
    }
    return out;
  }

  async stop(): Promise<void> {
    this.abort.abort();
    for (const c of this.children) c.kill('SIGTERM');
    this.children.clear();
  }

  private async follow(family: 'ipv4' | 'ipv6'): Promise<void> {
    const backoff = new Backoff({ initialMillis: 1000, maxMillis: 60_000 });
    const key = `conntrack ${family}`;
    while (!this.abort.signal.aborted) {
      try {
        await this.run(['-L', '-p', 'tcp', '-f', family, '-o', 'id'], (line) => this.onDump(line));
        this.running = true;
        const started = Date.now();
        await this.run(['-E', '-p', 'tcp', '-f', family, '-e', 'UPDATE,DESTROY', '-o', 'id'], (line) => this.onEvent(line));
        if (Date.now() - started > 60_000) backoff.reset();
        throw new Error('conntrack -E exited');
      } catch (err) {
        if (this.abort.signal.aborted) return;
        this.logOnce.fail(key, err, 'conntrack: follower failed; retrying with backoff');
        // Scope moves active flows to finished when its follower restarts.
        for (const f of this.active.values()) if (this.finished.length < MAX_FINISHED) this.finished.push(f);
        this.active.clear();
        await sleep(backoff.next(), this.abort.signal);
      }
    }
  }

  /** Runs the tool, feeding stdout lines; resolves on exit 0, rejects otherwise. */
  private run(args: string[], onLine: (line: string) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = SETPRIV
        ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', this.binary, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
        : spawn(this.binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      this.children.add(child);
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        if (stderr.length < 2000) stderr += d.toString();
      });
      createInterface({ input: child.stdout }).on('line', onLine);
      child.on('error', (err) => {
        this.children.delete(child);
        reject(err);
      });
      child.on('close', (code) => {
        this.children.delete(child);
        if (code === 0) resolve();
        else reject(new Error(`conntrack ${args[0]} exited with ${code}: ${stderr.trim()}`));
      });
    });
  }

  private onDump(line: string): void {
    const parsed = parseConntrackLine(line);
    if (!parsed || parsed.flow.state === 'TIME_WAIT' || parsed.flow.state === 'CLOSE') return;
    if (this.active.size < MAX_ACTIVE) this.active.set(parsed.flow.id, parsed.flow);
  }

  private onEvent(line: string): void {
    const parsed = parseConntrackLine(line);
    if (!parsed) return;
    const { event, flow } = parsed;
    if (event === 'UPDATE' && flow.state !== 'TIME_WAIT') {
      if (this.active.size < MAX_ACTIVE || this.active.has(flow.id)) this.active.set(flow.id, flow);
      return;
    }
    // UPDATE to TIME_WAIT, or DESTROY.
    if (!this.active.delete(flow.id)) return;
    if (this.finished.length < MAX_FINISHED) this.finished.push(flow);
    else this.dropped++;
  }
}
