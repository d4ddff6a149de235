/**
 * Domain `Report` → msgpack bytes exactly as Scope's Go codec writes them (wire §2.1): old-spec
 * raw strings (fixstr / 0xda / 0xdb, never str8 0xd9, never bin), times as 15-byte Go binary inside
 * a 0xaf fixstr, non-negative integers as unsigned types, floats always float64. Field order and
 * omitempty rules match `to-wire.ts`, which the two must keep in step.
 *
 * Why not @msgpack/msgpack's `Encoder`: it writes str8 for 32–255-byte strings (Scope's old-spec
 * decoder treats 0xd9 as invalid in its default mode), cannot emit a time as raw str bytes, and
 * chooses int-vs-float per value rather than per field (a float field holding 2.0 must still be
 * float64, an int field never).
 */
import {
  TOPOLOGIES,
  type Control,
  type LatestEntry,
  type LatestMap,
  type MetadataTemplate,
  type Metric,
  type MetricTemplate,
  type Node,
  type PluginSpec,
  type Report,
  type Sets,
  type StringSet,
  type TableTemplate,
  type Time,
  type Topology,
} from '../types.js';
import { writeGoBinaryTime } from './wire-time.js';

const utf8 = new TextEncoder();

class Writer {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(initialBytes: number) {
    this.buf = new Uint8Array(initialBytes);
    this.view = new DataView(this.buf.buffer);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  nil(): void { this.byte(0xc0); }

  bool(b: boolean): void { this.byte(b ? 0xc3 : 0xc2); }

  int(n: number): void {
    if (!Number.isInteger(n)) { this.float(n); return; }
    this.ensure(9);
    const v = this.view;
    const p = this.pos;
    if (n >= 0) {
      if (n < 0x80) { this.buf[p] = n; this.pos += 1; }
      else if (n < 0x100) { this.buf[p] = 0xcc; this.buf[p + 1] = n; this.pos += 2; }
      else if (n < 0x10000) { this.buf[p] = 0xcd; v.setUint16(p + 1, n); this.pos += 3; }
      else if (n < 0x1_0000_0000) { this.buf[p] = 0xce; v.setUint32(p + 1, n); this.pos += 5; }
      else { this.buf[p] = 0xcf; v.setBigUint64(p + 1, BigInt(n)); this.pos += 9; }
    } else if (n >= -32) { this.buf[p] = n & 0xff; this.pos += 1; }
    else if (n >= -0x80) { this.buf[p] = 0xd0; v.setInt8(p + 1, n); this.pos += 2; }
    else if (n >= -0x8000) { this.buf[p] = 0xd1; v.setInt16(p + 1, n); this.pos += 3; }
    else if (n >= -0x8000_0000) { this.buf[p] = 0xd2; v.setInt32(p + 1, n); this.pos += 5; }
    else { this.buf[p] = 0xd3; v.setBigInt64(p + 1, BigInt(n)); this.pos += 9; }
  }

  float(x: number): void {
    this.ensure(9);
    this.buf[this.pos] = 0xcb;
    this.view.setFloat64(this.pos + 1, x);
    this.pos += 9;
  }

  strHeader(n: number): void {
    if (n < 32) { this.buf[this.pos++] = 0xa0 | n; }
    else if (n < 0x10000) { this.buf[this.pos] = 0xda; this.view.setUint16(this.pos + 1, n); this.pos += 3; }
    else { this.buf[this.pos] = 0xdb; this.view.setUint32(this.pos + 1, n); this.pos += 5; }
  }

  str(s: string): void {
    const n = s.length;
    this.ensure(5 + n);
    const start = this.pos;
    this.strHeader(n);
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) { this.pos = start; this.strUtf8(s); return; }
      buf[p++] = c;
    }
    this.pos = p;
  }

  strUtf8(s: string): void {
    const bytes = utf8.encode(s);
    this.ensure(5 + bytes.length);
    this.strHeader(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  time(t: Time): void {
    this.ensure(16);
    this.buf[this.pos] = 0xaf;
    writeGoBinaryTime(t, this.buf, this.pos + 1);
    this.pos += 16;
  }

  mapHeader(n: number): void {
    this.ensure(5);
    if (n < 16) { this.buf[this.pos++] = 0x80 | n; }
    else if (n < 0x10000) { this.buf[this.pos] = 0xde; this.view.setUint16(this.pos + 1, n); this.pos += 3; }
    else { this.buf[this.pos] = 0xdf; this.view.setUint32(this.pos + 1, n); this.pos += 5; }
  }

  arrayHeader(n: number): void {
    this.ensure(5);
    if (n < 16) { this.buf[this.pos++] = 0x90 | n; }
    else if (n < 0x10000) { this.buf[this.pos] = 0xdc; this.view.setUint16(this.pos + 1, n); this.pos += 3; }
    else { this.buf[this.pos] = 0xdd; this.view.setUint32(this.pos + 1, n); this.pos += 5; }
  }

  strings(a: readonly string[]): void {
    this.arrayHeader(a.length);
    for (const s of a) this.str(s);
  }

  stringMap(m: ReadonlyMap<string, string>): void {
    this.mapHeader(m.size);
    const values = m.values();
    for (const k of m.keys()) { this.str(k); this.str(values.next().value as string); }
  }
}

function writeSets(w: Writer, s: Sets): void {
  if (s.size === 0) { w.nil(); return; }
  w.mapHeader(s.size);
  const values = s.values();
  for (const k of s.keys()) { w.str(k); w.strings(values.next().value as StringSet); }
}

function writeLatest(w: Writer, l: LatestMap): void {
  w.mapHeader(l.size);
  const entries = l.values();
  for (const k of l.keys()) {
    const e = entries.next().value as LatestEntry;
    w.str(k);
    w.mapHeader(2);
    w.str('timestamp'); w.time(e.timestamp);
    w.str('value'); w.str(e.value);
  }
}

function writeMetric(w: Writer, m: Metric): void {
  const hasSamples = m.samples.length > 0;
  w.mapHeader(hasSamples ? 3 : 2);
  if (hasSamples) {
    w.str('samples');
    w.arrayHeader(m.samples.length);
    for (const s of m.samples) {
      w.mapHeader(2);
      w.str('date'); w.time(s.date);
      w.str('value'); w.float(s.value);
    }
  }
  w.str('min'); w.float(m.min);
  w.str('max'); w.float(m.max);
}

function writeNode(w: Writer, n: Node): void {
  const hasId = n.id !== '';
  const hasTopology = n.topology !== '';
  const hasAdjacency = n.adjacency.length > 0;
  const hasLatest = n.latest.size > 0;
  const hasMetrics = n.metrics.size > 0;
  w.mapHeader(3 + +hasId + +hasTopology + +hasAdjacency + +hasLatest + +hasMetrics);
  if (hasId) { w.str('id'); w.str(n.id); }
  if (hasTopology) { w.str('topology'); w.str(n.topology); }
  w.str('sets'); writeSets(w, n.sets);
  if (hasAdjacency) { w.str('adjacency'); w.strings(n.adjacency); }
  if (hasLatest) { w.str('latest'); writeLatest(w, n.latest); }
  if (hasMetrics) {
    w.str('metrics');
    w.mapHeader(n.metrics.size);
    const metrics = n.metrics.values();
    for (const k of n.metrics.keys()) { w.str(k); writeMetric(w, metrics.next().value as Metric); }
  }
  w.str('parents'); writeSets(w, n.parents);
  w.str('children');
  if (n.children === null) {
    w.nil();
  } else {
    w.arrayHeader(n.children.size);
    for (const c of n.children.values()) writeNode(w, c);
  }
}

function writeControl(w: Writer, c: Control): void {
  w.mapHeader(4 + +(c.confirmation !== '') + +(c.probeId !== ''));
  w.str('id'); w.str(c.id);
  w.str('human'); w.str(c.human);
  w.str('icon'); w.str(c.icon);
  if (c.confirmation !== '') { w.str('confirmation'); w.str(c.confirmation); }
  w.str('rank'); w.int(c.rank);
  if (c.probeId !== '') { w.str('probeId'); w.str(c.probeId); }
}

function writeMetadataTemplate(w: Writer, t: MetadataTemplate): void {
  w.mapHeader(1 + +(t.label !== '') + +(t.truncate !== 0) + +(t.dataType !== '') + +(t.priority !== 0) +
    +(t.from !== ''));
  w.str('id'); w.str(t.id);
  if (t.label !== '') { w.str('label'); w.str(t.label); }
  if (t.truncate !== 0) { w.str('truncate'); w.int(t.truncate); }
  if (t.dataType !== '') { w.str('dataType'); w.str(t.dataType); }
  if (t.priority !== 0) { w.str('priority'); w.float(t.priority); }
  if (t.from !== '') { w.str('from'); w.str(t.from); }
}

function writeMetricTemplate(w: Writer, t: MetricTemplate): void {
  w.mapHeader(1 + +(t.label !== '') + +(t.format !== '') + +(t.group !== '') + +(t.priority !== 0));
  w.str('id'); w.str(t.id);
  if (t.label !== '') { w.str('label'); w.str(t.label); }
  if (t.format !== '') { w.str('format'); w.str(t.format); }
  if (t.group !== '') { w.str('group'); w.str(t.group); }
  if (t.priority !== 0) { w.str('priority'); w.float(t.priority); }
}

function writeTableTemplate(w: Writer, t: TableTemplate): void {
  w.mapHeader(6);
  w.str('id'); w.str(t.id);
  w.str('label'); w.str(t.label);
  w.str('prefix'); w.str(t.prefix);
  w.str('type'); w.str(t.type);
  w.str('columns');
  if (t.columns.length === 0) {
    w.nil();
  } else {
    w.arrayHeader(t.columns.length);
    for (const c of t.columns) {
      w.mapHeader(3);
      w.str('id'); w.str(c.id);
      w.str('label'); w.str(c.label);
      w.str('dataType'); w.str(c.dataType);
    }
  }
  w.str('fixedRows'); w.stringMap(t.fixedRows);
}

function writeMapOf<T>(w: Writer, key: string, m: ReadonlyMap<string, T>, f: (w: Writer, v: T) => void): void {
  w.str(key);
  w.mapHeader(m.size);
  const values = m.values();
  for (const k of m.keys()) { w.str(k); f(w, values.next().value as T); }
}

function writeTopology(w: Writer, t: Topology): void {
  w.mapHeader(+(t.shape !== '') + +(t.tag !== '') + +(t.label !== '') + +(t.labelPlural !== '') +
    +(t.nodes.size > 0) + +(t.controls.size > 0) + +(t.metadataTemplates.size > 0) +
    +(t.metricTemplates.size > 0) + +(t.tableTemplates.size > 0));
  if (t.shape !== '') { w.str('shape'); w.str(t.shape); }
  if (t.tag !== '') { w.str('tag'); w.str(t.tag); }
  if (t.label !== '') { w.str('label'); w.str(t.label); }
  if (t.labelPlural !== '') { w.str('label_plural'); w.str(t.labelPlural); }
  if (t.nodes.size > 0) writeMapOf(w, 'nodes', t.nodes, writeNode);
  if (t.controls.size > 0) writeMapOf(w, 'controls', t.controls, writeControl);
  if (t.metadataTemplates.size > 0) writeMapOf(w, 'metadata_templates', t.metadataTemplates, writeMetadataTemplate);
  if (t.metricTemplates.size > 0) writeMapOf(w, 'metric_templates', t.metricTemplates, writeMetricTemplate);
  if (t.tableTemplates.size > 0) writeMapOf(w, 'table_templates', t.tableTemplates, writeTableTemplate);
}

function writePlugin(w: Writer, p: PluginSpec): void {
  w.mapHeader(3 + +(p.description !== '') + +(p.apiVersion !== '') + +(p.status !== ''));
  w.str('id'); w.str(p.id);
  w.str('label'); w.str(p.label);
  if (p.description !== '') { w.str('description'); w.str(p.description); }
  w.str('interfaces'); w.strings(p.interfaces);
  if (p.apiVersion !== '') { w.str('api_version'); w.str(p.apiVersion); }
  if (p.status !== '') { w.str('status'); w.str(p.status); }
}

/** A report in Scope's msgpack flavour (not compressed). */
export function encodeMsgpack(r: Report): Uint8Array {
  const w = new Writer(64 * 1024);
  const hasDns = r.dns.size > 0;
  w.mapHeader(1 + TOPOLOGIES.length + +hasDns + 5);
  w.str('TS'); w.time(r.ts);
  for (const { wire, name } of TOPOLOGIES) { w.str(wire); writeTopology(w, r.topologies[name]); }
  if (hasDns) {
    writeMapOf(w, 'DNS', r.dns, (w2, d) => {
      const hasF = d.forward.length > 0;
      const hasR = d.reverse.length > 0;
      w2.mapHeader(+hasF + +hasR);
      if (hasF) { w2.str('forward'); w2.strings(d.forward); }
      if (hasR) { w2.str('reverse'); w2.strings(d.reverse); }
    });
  }
  w.str('Sampling');
  w.mapHeader(2);
  w.str('Count'); w.int(r.sampling.count);
  w.str('Total'); w.int(r.sampling.total);
  w.str('Window'); w.int(r.windowNanos);
  w.str('Shortcut'); w.bool(r.shortcut);
  w.str('Plugins');
  w.arrayHeader(r.plugins.length);
  for (const p of r.plugins) writePlugin(w, p);
  w.str('ID'); w.str(r.id);
  return w.buf.slice(0, w.pos);
}
