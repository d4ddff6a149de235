/**
 * Parser of the tracker program's output lines (see script.ts). Pure; malformed lines give
 * undefined (the program's own warnings and blank lines are not events).
 */

/** A connection reached ESTABLISHED. */
export interface EstablishedEvent {
  kind: 'E';
  tNanos: bigint;
  sk: string;
  netns: number;
  /** true: connect() here (old state SYN_SENT); false: accepted here (SYN_RECV). */
  outgoing: boolean;
  /** Connecting pid for outgoing connections; 0 if unknown. */
  pid: number;
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
}

/** A task accepted a socket. */
export interface AcceptEvent {
  kind: 'A';
  tNanos: bigint;
  sk: string;
  pid: number;
}

/** An established connection closed. */
export interface CloseEvent {
  kind: 'C';
  tNanos: bigint;
  sk: string;
  netns: number;
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
  sentBytes: number;
  receivedBytes: number;
  srttMicros: number;
}

/** One entry of a per-interval map dump. */
export interface SummaryEvent {
  kind: 'tx' | 'rx' | 'rtt';
  sk: string;
  value: number;
}

/** Other lines: ready, end of an interval dump, lost events. */
export interface ControlEvent {
  kind: 'R' | 'T' | 'lost';
  count: number;
}

export type TrackerEvent = EstablishedEvent | AcceptEvent | CloseEvent | SummaryEvent | ControlEvent;

const DIGITS = /^\d+$/;
const MAP_LINE = /^@(tx|rx|rtt)\[(-?\d+)\]: (\d+)$/;
const LOST = /^Lost (\d+) events/;

function int(s: string | undefined): number | undefined {
  if (s === undefined || !DIGITS.test(s)) return undefined;
  return Number(s);
}

/**
 * IPv4-mapped IPv6 (`::ffff:127.0.0.1`, what a dual-stack listener's sockets show) as the dotted
 * quad, like the /proc path (report/ip.ts formatIp), so both ends of a connection get the same ids.
 */
function ip(s: string): string {
  return s.startsWith('::ffff:') && s.includes('.') ? s.slice(7) : s;
}

function big(s: string | undefined): bigint | undefined {
  return s !== undefined && DIGITS.test(s) ? BigInt(s) : undefined;
}

/** Parses one line; undefined for anything that is not a well-formed event. */
export function parseTrackerLine(line: string): TrackerEvent | undefined {
  const c = line.charCodeAt(0);
  if (c === 64 /* @ */) {
    const m = MAP_LINE.exec(line);
    if (!m) return undefined;
    // Map keys come out as signed 64-bit numbers; socket addresses are the unsigned ones.
    const sk = m[2]!.startsWith('-') ? BigInt.asUintN(64, BigInt(m[2]!)).toString() : m[2]!;
    return { kind: m[1] as SummaryEvent['kind'], sk, value: Number(m[3]) };
  }
  const f = line.split(' ');
  switch (f[0]) {
    case 'R':
      return { kind: 'R', count: 0 };
    case 'T':
      return { kind: 'T', count: 0 };
    case 'E': {
      const t = big(f[1]);
      const netns = int(f[3]);
      const old = int(f[4]);
      const pid = int(f[5]);
      const lp = int(f[7]);
      const rp = int(f[9]);
      if (f.length !== 10 || t === undefined || !DIGITS.test(f[2]!) || netns === undefined || (old !== 2 && old !== 3) || pid === undefined || lp === undefined || rp === undefined) return undefined;
      return { kind: 'E', tNanos: t, sk: f[2]!, netns, outgoing: old === 2, pid, localIp: ip(f[6]!), localPort: lp, remoteIp: ip(f[8]!), remotePort: rp };
    }
    case 'A': {
      const t = big(f[1]);
      const pid = int(f[3]);
      if (f.length !== 4 || t === undefined || !DIGITS.test(f[2]!) || pid === undefined) return undefined;
      return { kind: 'A', tNanos: t, sk: f[2]!, pid };
    }
    case 'C': {
      const t = big(f[1]);
      const netns = int(f[3]);
      const lp = int(f[5]);
      const rp = int(f[7]);
      const sent = int(f[8]);
      const received = int(f[9]);
      const rtt = int(f[10]);
      if (f.length !== 11 || t === undefined || !DIGITS.test(f[2]!) || netns === undefined || lp === undefined || rp === undefined || sent === undefined || received === undefined || rtt === undefined) return undefined;
      return { kind: 'C', tNanos: t, sk: f[2]!, netns, localIp: ip(f[4]!), localPort: lp, remoteIp: ip(f[6]!), remotePort: rp, sentBytes: sent, receivedBytes: received, srttMicros: rtt };
    }
    default: {
      const m = LOST.exec(line);
      return m ? { kind: 'lost', count: Number(m[1]) } : undefined;
    }
  }
}
