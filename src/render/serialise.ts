/**
 * The UTF-8 JSON body of an API answer: the bytes of `JSON.stringify(value)`, built more cheaply
 * for topology answers (`{nodes: {id: summary}}`).
 *
 * Why: on this kind of machine (a VM where touching fresh memory is expensive) most of the cost
 * of `Buffer.from(JSON.stringify(render))` for a large topology is not the JSON walk but the two
 * large fresh allocations, a string in V8's large-object space and then the Buffer (measured for
 * 530 processes, 547 KB: stringify 4.4 ms, Buffer.from 4.4-7 ms CPU, while writing the same bytes
 * into memory already in use takes 0.2 ms). So each node's summary is stringified on its own
 * (small strings, young generation) and its UTF-8 written into a scratch buffer that is kept
 * between calls; only the final body is a fresh allocation.
 */

/**
 * Scratch kept between calls up to this size; larger bodies use a one-off buffer. Large enough for
 * the containers view of 500 hosts (5 MB): with 2 MB, every such body regrew the scratch from
 * 256 KiB into fresh memory (5 MB body: 108 -> 63 ms CPU per serialise kept, /work/scratch/s7r/ser.mts).
 * The memory is outside the JS heap (no GC work) and only as large as the largest body seen.
 */
const MAX_KEPT_SCRATCH = 16 << 20;
let scratch = Buffer.allocUnsafeSlow(256 << 10);

/** Whether `s` can be written between quotes as is (what JSON.stringify would escape: controls, `"`, `\`, surrogates). */
function isPlain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** A topology answer's node map, when `value` is exactly `{nodes: {…}}` of plain objects. */
function topologyNodes(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0] !== 'nodes') return undefined;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return undefined;
  const nodes = (value as { nodes: unknown }).nodes;
  if (typeof nodes !== 'object' || nodes === null || Array.isArray(nodes)) return undefined;
  const proto = Object.getPrototypeOf(nodes) as unknown;
  if (proto !== null && proto !== Object.prototype) return undefined;
  if (typeof (nodes as { toJSON?: unknown }).toJSON === 'function') return undefined;
  return nodes as Record<string, unknown>;
}

class Writer {
  buf: Buffer = scratch;
  length = 0;

  write(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    if (this.length + s.length * 3 > this.buf.length) this.grow(this.length + s.length * 3);
    this.length += this.buf.write(s, this.length, 'utf8');
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(needed, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
    if (next.length <= MAX_KEPT_SCRATCH) scratch = next;
  }

  /** The bytes written, in a Buffer of their own. */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.length);
    this.buf.copy(out, 0, 0, this.length);
    return out;
  }
}

/** `Buffer.from(JSON.stringify(value))`, the same bytes. */
export function serialiseJson(value: unknown): Buffer {
  const nodes = topologyNodes(value);
  if (nodes === undefined) return Buffer.from(JSON.stringify(value));
  const w = new Writer();
  w.write('{"nodes":{');
  let first = true;
  for (const id of Object.keys(nodes)) {
    const json = JSON.stringify(nodes[id]) as string | undefined; // undefined: left out, as JSON.stringify does
    if (json === undefined) continue;
    const key = isPlain(id) ? `"${id}"` : JSON.stringify(id);
    w.write(first ? `${key}:${json}` : `,${key}:${json}`);
    first = false;
  }
  w.write('}}');
  return w.take();
}
