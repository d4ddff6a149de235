/**
 * Parser of the tracker program's output lines (see script.ts). Pure; malformed lines give
 * undefined (the program's own warnings and blank lines are not events).
 */

/** A connection's 4-tuple and network namespace, from this host's side. */
export interface Tuple {
  netns: number;
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
}

/** `@e`/`@o`: a connection announced (established during the generation, or older than the tracker). */
export interface AnnounceEvent extends Tuple {
  kind: 'e';
  sk: string;
  /** 1: connect() here; 0: accepted here; 2: unknown (a socket older than the tracker). */
  dir: 0 | 1 | 2;
  /** Connecting pid (dir 1); 0 if unknown. */
  pid: number;
}

/** `@a`: a task accepted a socket. */
export interface AcceptEvent {
  kind: 'a';
  sk: string;
  pid: number;
}

/** Cumulative kernel counters of a socket (tcp_sock). */
export interface Counters {
  /** Data bytes sent (bytes_sent less bytes_retrans; sock_diag: bytes_acked). */
  sentBytes: number;
  /** bytes_received. */
  receivedBytes: number;
  /** Smoothed RTT, µs (0 = no sample yet). */
  srttMicros: number;
  /** total_retrans. */
  retransmits: number;
}

/** `@s`: latest counters of a socket that moved during the generation. */
export interface SnapshotEvent extends Counters {
  kind: 's';
  sk: string;
}

/** `@c`: an announced (or pre-existing) connection closed, with its final counters. */
export interface CloseEvent extends Counters, Tuple {
  kind: 'c';
  sk: string;
  resets: number;
}

/** Key of an aggregate of short-lived connections. */
export interface GroupKey {
  outgoing: boolean;
  pid: number;
  netns: number;
  localIp: string;
  remoteIp: string;
  serverPort: number;
}

/** One field of an aggregate of short-lived connections (`@n`, `@t`, `@r`, `@x`, `@z`, `@l`). */
export interface GroupEvent {
  kind: 'g';
  field: 'n' | 't' | 'r' | 'x' | 'z' | 'l';
  /** The key as printed (identifies the group within a dump). */
  keyText: string;
  key: GroupKey;
  /** `@l`: a client port; others: the count or sum. */
  value: number;
  /** `@l` only: last smoothed RTT, µs. */
  srttMicros: number;
}

/** Other lines: ready, end of a dump, lost events. */
export interface ControlEvent {
  kind: 'R' | 'T' | 'lost';
  /** `T`: the kernel clock (ns) at the end of the generation; `lost`: the count. */
  value: bigint;
}

export type TrackerEvent = AnnounceEvent | AcceptEvent | SnapshotEvent | CloseEvent | GroupEvent | ControlEvent;

const MAP_LINE = /^@([eoascntrxzl])[01]\[([^\]]+)\]: (.+)$/;
const SIGNED = /^-?\d+$/;
const DIGITS = /^\d+$/;
const LOST = /^Lost (\d+) events/;

function int(s: string | undefined): number | undefined {
  return s !== undefined && DIGITS.test(s) ? Number(s) : undefined;
}

/**
 * IPv4-mapped IPv6 (`::ffff:127.0.0.1`, what the program prints for IPv4 sockets) as the dotted
 * quad, like the /proc path (report/ip.ts formatIp), so both ends of a connection get the same ids.
 */
export function ip(s: string): string {
  return s.startsWith('::ffff:') && s.includes('.') ? s.slice(7) : s;
}

const IP = /^[0-9a-fA-F:.]+$/;

/** `(a, b, c)` → ['a', 'b', 'c']; a bare value → [value]. */
function fields(s: string): string[] {
  const inner = s.startsWith('(') && s.endsWith(')') ? s.slice(1, -1) : s;
  return inner.split(', ');
}

function ints(f: readonly string[], ...at: number[]): number[] | undefined {
  const out: number[] = [];
  for (const i of at) {
    const v = int(f[i]);
    if (v === undefined) return undefined;
    out.push(v);
  }
  return out;
}

function address(s: string | undefined): string | undefined {
  return s !== undefined && IP.test(s) ? ip(s) : undefined;
}

function mapLine(m: string, keyText: string, valueText: string): TrackerEvent | undefined {
  const v = fields(valueText);
  if (m === 'n' || m === 't' || m === 'r' || m === 'x' || m === 'z' || m === 'l') {
    const k = keyText.split(', ');
    const kn = ints(k, 0, 1, 2, 5);
    const localIp = address(k[3]);
    const remoteIp = address(k[4]);
    if (k.length !== 6 || !kn || localIp === undefined || remoteIp === undefined || (kn[0] !== 0 && kn[0] !== 1)) return undefined;
    const vals = m === 'l' ? ints(v, 0, 1) : ints(v, 0);
    if (!vals || v.length !== (m === 'l' ? 2 : 1)) return undefined;
    return {
      kind: 'g', field: m, keyText,
      key: { outgoing: kn[0] === 1, pid: kn[1]!, netns: kn[2]!, localIp, remoteIp, serverPort: kn[3]! },
      value: vals[0]!, srttMicros: vals[1] ?? 0,
    };
  }
  if (!SIGNED.test(keyText)) return undefined;
  const sk = keyText;
  switch (m) {
    case 'e': {
      const n = ints(v, 0, 1, 2, 4, 6);
      const localIp = address(v[3]);
      const remoteIp = address(v[5]);
      if (v.length !== 7 || !n || localIp === undefined || remoteIp === undefined || n[1]! > 2) return undefined;
      return { kind: 'e', sk, netns: n[0]!, dir: n[1] as 0 | 1 | 2, pid: n[2]!, localIp, localPort: n[3]!, remoteIp, remotePort: n[4]! };
    }
    case 'o': {
      const n = ints(v, 0, 2, 4);
      const localIp = address(v[1]);
      const remoteIp = address(v[3]);
      if (v.length !== 5 || !n || localIp === undefined || remoteIp === undefined) return undefined;
      return { kind: 'e', sk, netns: n[0]!, dir: 2, pid: 0, localIp, localPort: n[1]!, remoteIp, remotePort: n[2]! };
    }
    case 'a': {
      const pid = int(v[0]);
      return v.length === 1 && pid !== undefined ? { kind: 'a', sk, pid } : undefined;
    }
    case 's': {
      const n = ints(v, 0, 1, 2, 3);
      if (v.length !== 4 || !n) return undefined;
      return { kind: 's', sk, sentBytes: n[0]!, receivedBytes: n[1]!, srttMicros: n[2]!, retransmits: n[3]! };
    }
    case 'c': {
      const n = ints(v, 0, 1, 2, 3, 4, 5, 7, 9);
      const localIp = address(v[6]);
      const remoteIp = address(v[8]);
      if (v.length !== 10 || !n || localIp === undefined || remoteIp === undefined) return undefined;
      return {
        kind: 'c', sk, sentBytes: n[0]!, receivedBytes: n[1]!, srttMicros: n[2]!, retransmits: n[3]!, resets: n[4]!,
        netns: n[5]!, localIp, localPort: n[6]!, remoteIp, remotePort: n[7]!,
      };
    }
    default:
      return undefined;
  }
}

/** Parses one line; undefined for anything that is not a well-formed event. */
export function parseTrackerLine(line: string): TrackerEvent | undefined {
  if (line.charCodeAt(0) === 64 /* @ */) {
    const m = MAP_LINE.exec(line);
    return m ? mapLine(m[1]!, m[2]!, m[3]!) : undefined;
  }
  if (line === 'R') return { kind: 'R', value: 0n };
  if (line.startsWith('T ')) {
    const f = line.split(' ');
    return f.length === 3 && DIGITS.test(f[1]!) && DIGITS.test(f[2]!) ? { kind: 'T', value: BigInt(f[2]!) } : undefined;
  }
  const m = LOST.exec(line);
  return m ? { kind: 'lost', value: BigInt(m[1]!) } : undefined;
}
