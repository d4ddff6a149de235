/**
 * Reading Redis stream replies (`XRANGE` and the tail's script, via ioredis `callBuffer`) into typed entries.
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

/**
 * The tail's read (a Lua script, so Redis filters): up to `ARGV[2]` entries of stream `KEYS[1]`
 * after id `ARGV[1]`, without those whose `r` field is `ARGV[3]` (the reading replica's own: their
 * bodies, a third of the stream's bytes with three replicas and all of them with one, never
 * cross the socket). Replies `{last id scanned or '', entries}`.
 */
export const TAIL_OTHERS_LUA = `
local entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])
local out = {}
local last = ''
for _, e in ipairs(entries) do
  last = e[1]
  local f = e[2]
  local own = false
  for j = 1, #f - 1, 2 do
    if f[j] == 'r' then
      own = f[j + 1] == ARGV[3]
      break
    end
  end
  if not own then out[#out + 1] = e end
end
return {last, out}
`;

/** {@link TAIL_OTHERS_LUA} reply → last id scanned (undefined if none) and the kept entries. */
export function parseTailOthers(reply: unknown): { lastId: string | undefined; entries: StreamEntry[] } {
  if (!Array.isArray(reply) || reply.length !== 2) return { lastId: undefined, entries: [] };
  const [last, entries] = reply as [unknown, unknown];
  const lastId = Buffer.isBuffer(last) && /^\d+-\d+$/.test(last.toString('latin1')) ? last.toString('latin1') : undefined;
  return { lastId, entries: parseRange(entries) };
}
