/**
 * IPv4 addresses configured inside a container's network namespace (wire §5.6: Scope adds every
 * universe-scope address it finds there through netlink, e.g. Weave or macvlan addresses Docker
 * does not know). We read `/proc/<pid>/net/fib_trie` instead: the kernel lists each local address
 * of that namespace as a `/32 host LOCAL` leaf, with no namespace switching needed.
 */
import { join } from 'node:path';
import { ProcFileReader, tryReadlink } from '../procfs/read.js';

/** Local IPv4 addresses in a `fib_trie` text, without loopback and link-local ones. */
export function localAddressesInFibTrie(text: string): string[] {
  const out = new Set<string>();
  let leaf = '';
  for (const line of text.split('\n')) {
    const m = /\|-- (\d+\.\d+\.\d+\.\d+)$/.exec(line);
    if (m) {
      leaf = m[1] ?? '';
      continue;
    }
    if (leaf && /^\s*\/32 host LOCAL/.test(line) && !leaf.startsWith('127.') && !leaf.startsWith('169.254.')) out.add(leaf);
  }
  return [...out];
}

/** Reads the namespace addresses of container processes, cached per pid for `ttlMillis`. */
export class NamespaceAddresses {
  private readonly cache = new Map<number, { at: number; ips: string[] }>();
  private hostNs: string | undefined;
  private readonly reader = new ProcFileReader();

  constructor(
    private readonly procRoot = '/proc',
    private readonly ttlMillis = 30_000,
  ) {}

  /**
   * The addresses for each pid (pids in the host's namespace or unreadable give none). Reads are
   * synchronous (small procfs files; a thread-pool round trip costs far more CPU than the read).
   */
  read(pids: readonly number[]): Map<number, string[]> {
    const now = Date.now();
    const live = new Set(pids);
    for (const pid of this.cache.keys()) if (!live.has(pid)) this.cache.delete(pid);
    this.hostNs ??= this.netns(1) ?? this.netns('self') ?? '';
    const out = new Map<number, string[]>();
    for (const pid of pids) {
      const hit = this.cache.get(pid);
      if (hit && now - hit.at < this.ttlMillis) {
        out.set(pid, hit.ips);
        continue;
      }
      let ips: string[] = [];
      const ns = this.netns(pid);
      if (ns && ns !== this.hostNs) {
        const text = this.reader.readText(join(this.procRoot, String(pid), 'net/fib_trie'));
        ips = text === undefined ? [] : localAddressesInFibTrie(text);
      }
      this.cache.set(pid, { at: now, ips });
      out.set(pid, ips);
    }
    return out;
  }

  private netns(pid: number | 'self'): string | undefined {
    return tryReadlink(join(this.procRoot, String(pid), 'ns/net'));
  }
}
