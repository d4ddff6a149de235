/**
 * The record framing of the file collector's segment files. A segment is a run of records:
 *
 *   u32 BE  length of what follows in this record (8 + 2 + probe id bytes + payload)
 *   f64 BE  arrival time, ms since the epoch
 *   u16 BE  probe id length in bytes, then the probe id (UTF-8)
 *   ...     the report as msgpack (wire §4.1, uncompressed: segments are compressed whole)
 *
 * A torn tail (the app died mid-write) is ignored by {@link parseRecords}.
 */

/** One record as framed on disk. */
export interface FramedRecord {
  readonly probeId: string;
  readonly arrivalMillis: number;
  readonly bytes: Uint8Array;
}

/** Largest record accepted when reading (a corrupted length must not allocate gigabytes). */
const MAX_RECORD_BYTES = 1024 * 1024 * 1024;

export function frameRecord(rec: FramedRecord): Buffer {
  const id = Buffer.from(rec.probeId, 'utf8').subarray(0, 0xffff);
  const out = Buffer.allocUnsafe(4 + 8 + 2 + id.length + rec.bytes.length);
  out.writeUInt32BE(8 + 2 + id.length + rec.bytes.length, 0);
  out.writeDoubleBE(rec.arrivalMillis, 4);
  out.writeUInt16BE(id.length, 12);
  id.copy(out, 14);
  out.set(rec.bytes, 14 + id.length);
  return out;
}

/** Every whole record of `buf`, in order; `torn` tells whether trailing bytes were not a whole record. */
export function parseRecords(buf: Buffer): { records: FramedRecord[]; torn: boolean } {
  const records: FramedRecord[] = [];
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = buf.readUInt32BE(off);
    if (len < 10 || len > MAX_RECORD_BYTES || off + 4 + len > buf.length) break;
    const arrivalMillis = buf.readDoubleBE(off + 4);
    const idLen = buf.readUInt16BE(off + 12);
    if (10 + idLen > len || !Number.isFinite(arrivalMillis)) break;
    const probeId = buf.toString('utf8', off + 14, off + 14 + idLen);
    const bytes = buf.subarray(off + 14 + idLen, off + 4 + len);
    records.push({ probeId, arrivalMillis, bytes });
    off += 4 + len;
  }
  return { records, torn: off !== buf.length };
}
