/**
 * Reading Redis stream replies (`XRANGE`, `XREAD` via ioredis `callBuffer`) into typed entries.
 * Replies come from a server we do not control, so their shape is checked here, once.
 */

/** One stream entry: its id (`<ms>-<seq>`) and fields. */
export interface StreamEntry {
  readonly id: string;
  /** Milliseconds part of the id (Redis server time when it was added). */
  readonly millis: number;
  readonly fields: Map<string, Buffer>;
}

function entryOf(raw: unknown): StreamEntry | undefined {
  if (!Array.isArray(raw) || raw.length !== 2) return undefined;
  const [idRaw, fieldsRaw] = raw as [unknown, unknown];
  if (!Buffer.isBuffer(idRaw) || !Array.isArray(fieldsRaw)) return undefined;
  const id = idRaw.toString('latin1');
  const m = /^(\d+)-\d+$/.exec(id);
  if (!m) return undefined;
  const fields = new Map<string, Buffer>();
  for (let i = 0; i + 1 < fieldsRaw.length; i += 2) {
    const k: unknown = fieldsRaw[i];
    const v: unknown = fieldsRaw[i + 1];
    if (Buffer.isBuffer(k) && Buffer.isBuffer(v)) fields.set(k.toString('latin1'), v);
  }
  return { id, millis: Number(m[1]), fields };
}

/** `XRANGE` reply → entries (malformed entries are skipped). */
export function parseRange(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const out: StreamEntry[] = [];
  for (const raw of reply) {
    const e = entryOf(raw);
    if (e) out.push(e);
  }
  return out;
}

/** `XREAD` reply for one stream → its entries (`null` = timed out = none). */
export function parseRead(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const out: StreamEntry[] = [];
  if (Buffer.isBuffer(reply[0])) {
    // RESP3 (ioredis 6): a map, flattened to key, entries, key, entries…
    for (let i = 1; i < reply.length; i += 2) out.push(...parseRange(reply[i]));
    return out;
  }
  for (const stream of reply) {
    if (Array.isArray(stream) && stream.length === 2) out.push(...parseRange(stream[1]));
  }
  return out;
}
