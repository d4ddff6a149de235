/**
 * Pure IP address and CIDR helpers with Go's `net` semantics (wire §3.3): parsing as
 * `net.ParseIP`, printing as `net.IP.String()` (dotted quad for IPv4 and IPv4-mapped IPv6, RFC 5952
 * for IPv6), containment as `net.IPNet.Contains`. No I/O; `node:net` is off limits in report/.
 */

/**
 * A parsed address: 4 bytes for an IPv4 literal, 16 for an IPv6 literal. IPv4-mapped IPv6
 * (`::ffff:a.b.c.d`) stays 16 bytes but is treated as IPv4 everywhere, as Go does.
 */
export type IpBytes = Uint8Array;

/** A parsed CIDR (`10.0.0.5/24`): the address as written (host bits kept) and its network. */
export interface Cidr {
  /** The address part, host bits included (Scope's `local_networks` keep them). */
  readonly ip: IpBytes;
  /** The network address (host bits cleared); 4 bytes for IPv4 CIDRs, 16 for IPv6. */
  readonly network: IpBytes;
  /** Prefix length in bits (0–32 for IPv4, 0–128 for IPv6). */
  readonly prefixLength: number;
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** Parses a dotted quad as Go 1.17+ does (no leading zeros, each part 0–255). */
function parseIpv4(s: string, out: Uint8Array, offset: number): boolean {
  let part = 0;
  let digits = 0;
  let index = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46; // treat the end as a final '.'
    if (c === 46) {
      if (digits === 0 || index > 3) return false;
      out[offset + index++] = part;
      part = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return false; // leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return false;
    } else {
      return false;
    }
  }
  return index === 4;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Parses an IPv6 literal (no zone), with optional trailing dotted quad. */
function parseIpv6(s: string): IpBytes | undefined {
  const out = new Uint8Array(16);
  let ellipsis = -1; // byte index where '::' was seen
  let i = 0;
  let n = 0; // bytes written
  if (s.startsWith('::')) {
    ellipsis = 0;
    i = 2;
    if (i === s.length) return out;
  }
  while (n < 16) {
    // One group of up to 4 hex digits.
    let value = 0;
    let digits = 0;
    let j = i;
    for (; j < s.length && digits < 5; j++) {
      const h = hexValue(s.charCodeAt(j));
      if (h < 0) break;
      value = value * 16 + h;
      digits++;
    }
    if (digits === 0 || digits > 4) return undefined;
    if (j < s.length && s.charCodeAt(j) === 46) {
      // Embedded IPv4 at the end: must fit in the last 4 bytes.
      if (ellipsis < 0 && n !== 12) return undefined;
      if (n + 4 > 16) return undefined;
      if (!parseIpv4(s.slice(i), out, n)) return undefined;
      n += 4;
      i = s.length;
      break;
    }
    out[n++] = value >> 8;
    out[n++] = value & 0xff;
    i = j;
    if (i === s.length) break;
    if (s.charCodeAt(i) !== 58) return undefined;
    i++;
    if (i < s.length && s.charCodeAt(i) === 58) {
      if (ellipsis >= 0) return undefined; // a second '::'
      ellipsis = n;
      i++;
      if (i === s.length) break;
    } else if (i === s.length) {
      return undefined; // trailing single ':'
    }
  }
  if (i !== s.length) return undefined;
  if (n < 16) {
    if (ellipsis < 0) return undefined;
    const tail = n - ellipsis;
    for (let k = tail - 1; k >= 0; k--) out[16 - tail + k] = out[ellipsis + k]!;
    for (let k = ellipsis; k < 16 - tail; k++) out[k] = 0;
  } else if (ellipsis >= 0) {
    return undefined; // '::' must stand for at least one group
  }
  return out;
}

/** Parses an IP literal like Go's `net.ParseIP`; `undefined` when malformed. */
export function parseIp(s: string): IpBytes | undefined {
  if (s.length === 0 || s.length > 45) return undefined;
  if (s.includes(':')) return parseIpv6(s);
  const out = new Uint8Array(4);
  return parseIpv4(s, out, 0) ? out : undefined;
}

/** The 4-byte IPv4 form of an address (IPv4 or IPv4-mapped IPv6), or `undefined` (Go's `To4`). */
export function toIpv4(ip: IpBytes): IpBytes | undefined {
  if (ip.length === 4) return ip;
  if (ip.length !== 16) return undefined;
  for (let i = 0; i < 12; i++) if (ip[i] !== V4_MAPPED_PREFIX[i]) return undefined;
  return ip.subarray(12);
}

/** Prints an address as Go's `net.IP.String()`: dotted quad, or RFC 5952 IPv6. */
export function formatIp(ip: IpBytes): string {
  const v4 = toIpv4(ip);
  if (v4) return `${v4[0]}.${v4[1]}.${v4[2]}.${v4[3]}`;
  // Longest run (≥ 2 groups) of zero groups becomes '::'; the first wins on ties.
  let bestStart = -1;
  let bestLength = 1;
  for (let g = 0; g < 8; ) {
    if (ip[2 * g] === 0 && ip[2 * g + 1] === 0) {
      let end = g;
      while (end < 8 && ip[2 * end] === 0 && ip[2 * end + 1] === 0) end++;
      if (end - g > bestLength) {
        bestStart = g;
        bestLength = end - g;
      }
      g = end;
    } else {
      g++;
    }
  }
  let out = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      out += '::';
      g += bestLength - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += ((ip[2 * g]! << 8) | ip[2 * g + 1]!).toString(16);
  }
  return out;
}

/** Canonical text of an IP literal (`net.ParseIP(s).String()`), or `undefined` when malformed. */
export function normalizeIp(s: string): string | undefined {
  const ip = parseIp(s);
  return ip ? formatIp(ip) : undefined;
}

/** Whether an address is loopback: 127.0.0.0/8 (also IPv4-mapped) or `::1` (Go's `IsLoopback`). */
export function isLoopbackIp(ip: IpBytes): boolean {
  const v4 = toIpv4(ip);
  if (v4) return v4[0] === 127;
  for (let i = 0; i < 15; i++) if (ip[i] !== 0) return false;
  return ip[15] === 1;
}

/** Whether an IP literal is loopback; malformed input is not. */
export function isLoopback(address: string): boolean {
  const ip = parseIp(address);
  return ip !== undefined && isLoopbackIp(ip);
}

/** Parses `ip/prefix` (Go's `net.ParseCIDR`); `undefined` when malformed. */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIp(s.slice(0, slash));
  const bitsText = s.slice(slash + 1);
  if (!ip || !/^\d{1,3}$/.test(bitsText)) return undefined;
  const prefixLength = Number(bitsText);
  // Go: an IPv4 literal (even written as IPv4-mapped IPv6) gives a 32-bit mask.
  const isV4 = !s.slice(0, slash).includes(':');
  const maxBits = isV4 ? 32 : 128;
  if (prefixLength > maxBits) return undefined;
  const network = new Uint8Array(ip.length);
  for (let i = 0; i < ip.length; i++) {
    const bits = Math.max(0, Math.min(8, prefixLength - i * 8));
    network[i] = ip[i]! & ((0xff << (8 - bits)) & 0xff);
  }
  return { ip, network, prefixLength };
}

/** Whether `ip` lies inside `cidr` (Go's `IPNet.Contains`; IPv4-mapped addresses match IPv4 nets). */
export function cidrContains(cidr: Cidr, ip: IpBytes | string): boolean {
  const parsed = typeof ip === 'string' ? parseIp(ip) : ip;
  if (!parsed) return false;
  let candidate: IpBytes | undefined = parsed;
  if (cidr.network.length === 4) {
    candidate = toIpv4(parsed);
    if (!candidate) return false;
  } else if (toIpv4(parsed)) {
    return false; // Go: an IPv4 (or IPv4-mapped) address never matches an IPv6 network
  }
  const whole = cidr.prefixLength >> 3;
  for (let i = 0; i < whole; i++) if (candidate[i] !== cidr.network[i]) return false;
  const rest = cidr.prefixLength & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (candidate[whole]! & mask) === cidr.network[whole];
}

/** Whether any of `cidrs` contains `ip`. */
export function cidrsContain(cidrs: readonly Cidr[], ip: IpBytes | string): boolean {
  const parsed = typeof ip === 'string' ? parseIp(ip) : ip;
  if (!parsed) return false;
  for (const c of cidrs) if (cidrContains(c, parsed)) return true;
  return false;
}

/** Prints a CIDR as `ip/prefix` with the address as written (host bits kept). */
export function formatCidr(cidr: Cidr): string {
  return `${formatIp(cidr.ip)}/${cidr.prefixLength}`;
}
