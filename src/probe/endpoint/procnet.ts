/**
 * Parser for `/proc/<pid>/net/tcp` and `tcp6` (wire §5.5.1), IPv6 included (Scope truncates
 * genuine IPv6 to 0.0.0.0; we keep it). Works on raw bytes and reuses the objects of sockets seen
 * at the previous parse (a socket's addresses never change), so a steady table costs one pass over
 * the bytes and no allocation per line.
 */
import { formatIp } from '../../report/ip.js';

/** TCP states kept as connections: ESTABLISHED, FIN_WAIT1, FIN_WAIT2, CLOSE_WAIT (Scope's set). */
const CONNECTED_STATES = new Set([0x01, 0x04, 0x05, 0x08]);
/** LISTEN: kept separately to tell servers from clients and to attribute short-lived connections. */
export const TCP_LISTEN = 0x0a;

/** One socket from a tcp table. */
export interface TcpSocket {
  readonly localIp: string;
  readonly localPort: number;
  readonly remoteIp: string;
  readonly remotePort: number;
  /** Socket inode; 0 for sockets no longer owned by a file (orphans). */
  readonly inode: number;
  /** Kernel TCP state (0x01 ESTABLISHED … 0x0A LISTEN). */
  readonly state: number;
  /** Hash of the address bytes: detects inode reuse with other addresses. */
  readonly addrHash: number;
}

/** The parsed tables of one network namespace. */
export interface TcpTable {
  /** Connected sockets (one per inode; inode 0 sockets collapse to one, as in Scope). */
  connections: TcpSocket[];
  /** Listening sockets. */
  listeners: TcpSocket[];
}

function hexNibble(c: number): number {
  return c <= 57 ? c - 48 : (c | 0x20) - 87;
}

/** Decodes the `HEX:HEXPORT` address at `start` (`hexLen` = 8 or 32) into `ipOut`; returns the port. */
function decodeAddress(buf: Buffer, start: number, hexLen: number, ipOut: Uint8Array): number {
  // Each 32-bit word is printed in host byte order (little-endian here): reverse bytes per word.
  for (let w = 0; w < hexLen / 8; w++) {
    for (let b = 0; b < 4; b++) {
      const at = start + w * 8 + b * 2;
      ipOut[w * 4 + (3 - b)] = (hexNibble(buf[at]!) << 4) | hexNibble(buf[at + 1]!);
    }
  }
  let port = 0;
  for (let i = start + hexLen + 1; i < start + hexLen + 5; i++) port = (port << 4) | hexNibble(buf[i]!);
  return port;
}

/** Reusable parser: keep one per network namespace so its socket cache survives between ticks. */
export class TcpTableParser {
  private previous = new Map<number, TcpSocket>();
  private current = new Map<number, TcpSocket>();
  private readonly ip4 = new Uint8Array(4);
  private readonly ip6 = new Uint8Array(16);
  private readonly ipCache = new Map<string, string>();

  /** Starts a new table (call once per tick, before the `tcp` and `tcp6` parses). */
  begin(): TcpTable {
    const swap = this.previous;
    this.previous = this.current;
    this.current = swap;
    this.current.clear();
    if (this.ipCache.size > 100_000) this.ipCache.clear();
    return { connections: [], listeners: [] };
  }

  /** Parses one file's bytes into `table`. */
  parse(buf: Buffer, length: number, table: TcpTable): void {
    let i = 0;
    // Skip the header line.
    while (i < length && buf[i] !== 10) i++;
    i++;
    while (i < length) {
      const lineEnd = buf.indexOf(10, i);
      const end = lineEnd < 0 || lineEnd > length ? length : lineEnd;
      this.parseLine(buf, i, end, table);
      i = end + 1;
    }
  }

  private parseLine(buf: Buffer, start: number, end: number, table: TcpTable): void {
    // Token starts: 0 sl, 1 local, 2 remote, 3 st, …, 9 inode.
    let token = -1;
    let i = start;
    let local = 0;
    let remote = 0;
    let localLen = 0;
    let state = 0;
    let inode = 0;
    while (i < end) {
      while (i < end && buf[i] === 32) i++;
      if (i >= end) break;
      token++;
      const tokenStart = i;
      while (i < end && buf[i] !== 32) i++;
      if (token === 1) {
        local = tokenStart;
        localLen = i - tokenStart - 5;
      } else if (token === 2) {
        remote = tokenStart;
      } else if (token === 3) {
        state = (hexNibble(buf[tokenStart]!) << 4) | hexNibble(buf[tokenStart + 1]!);
        if (state !== TCP_LISTEN && !CONNECTED_STATES.has(state)) return;
      } else if (token === 9) {
        for (let j = tokenStart; j < i; j++) inode = inode * 10 + (buf[j]! - 48);
        break;
      }
    }
    if (token < 9 || (localLen !== 8 && localLen !== 32)) return;
    // Cheap hash of the address bytes (FNV-1a over local and remote hex).
    let hash = 0x811c9dc5 ^ state;
    for (let j = 0; j < localLen + 5; j++) {
      hash = Math.imul(hash ^ buf[local + j]!, 0x01000193);
      hash = Math.imul(hash ^ buf[remote + j]!, 0x01000193);
    }
    const key = inode === 0 ? -1 : inode; // inode-0 sockets collapse into one, as in Scope
    if (this.current.has(key)) return;
    let sock = this.previous.get(key);
    if (!sock || sock.addrHash !== hash) {
      const ip = localLen === 8 ? this.ip4 : this.ip6;
      const localPort = decodeAddress(buf, local, localLen, ip);
      const localIp = this.format(ip);
      const remotePort = decodeAddress(buf, remote, localLen, ip);
      const remoteIp = this.format(ip);
      sock = { localIp, localPort, remoteIp, remotePort, inode, state, addrHash: hash };
    }
    this.current.set(key, sock);
    (state === TCP_LISTEN ? table.listeners : table.connections).push(sock);
  }

  private format(ip: Uint8Array): string {
    const key = ip.length === 4 ? `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}` : Buffer.from(ip).toString('hex');
    if (ip.length === 4) return key;
    let text = this.ipCache.get(key);
    if (text === undefined) {
      text = formatIp(new Uint8Array(ip));
      this.ipCache.set(key, text);
    }
    return text;
  }
}
