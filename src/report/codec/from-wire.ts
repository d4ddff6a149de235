/**
 * Wire tree → domain `Report` (wire §2): the one place where Scope's field names and shapes are
 * read. The tree comes from `JSON.parse` or from `msgpack-read.ts`; both give plain objects,
 * arrays, strings, numbers, booleans and null, and msgpack adds raw bytes (Go binary times) and
 * extension markers.
 *
 * Decoding mirrors Scope's (`MakeFromBinary`): start from `makeReport()` and overwrite what the
 * wire carries, so missing topologies keep their default presentation; unknown keys are ignored
 * (case-sensitive); `null` stands for an empty value anywhere. Wrong types throw `WireTypeError`
 * whose path is assembled only on the way out (no per-field path strings on the success path).
 */
import {
  TOPOLOGIES,
  type Control,
  type DnsRecord,
  type LatestEntry,
  type LatestMap,
  type MetadataTemplate,
  type Metric,
  type MetricTemplate,
  type Node,
  type PluginSpec,
  type Report,
  type Sample,
  type Sets,
  type TableColumn,
  type TableTemplate,
  type Time,
  type Topology,
  ZERO_TIME,
} from '../types.js';
import { makeDefaultTopology, makeReport } from '../model.js';
import { nowTime } from '../time.js';
import { NODE_UNITS, charge } from './budget.js';
import { TooDeepError } from './errors.js';
import { bool, fail, int, isObj, keyCount, keySeg, num, obj, rethrowAt, str, stringArray, stringSet, time, uint,
  type Obj } from './wire-check.js';

function sets(v: unknown, seg: string): Sets {
  const m: Sets = new Map();
  const o = obj(v, seg);
  if (o === undefined) return m;
  let k = '';
  try {
    for (k in o) {
      charge(1);
      m.set(k, stringSet(o[k], ''));
    }
  } catch (e) {
    rethrowAt(e, `${seg}${keySeg(k)}`);
  }
  return m;
}

function latest(v: unknown, seg: string): LatestMap {
  const m: LatestMap = new Map();
  const o = obj(v, seg);
  if (o === undefined) return m;
  let k = '';
  try {
    for (k in o) {
      charge(1);
      const e = o[k];
      if (!isObj(e)) fail('map', e);
      const timestamp = time(e.timestamp, '.timestamp');
      const value = e.value;
      // Reuse the parsed {timestamp, value} object when it already is a canonical entry.
      if (timestamp === e.timestamp && typeof value === 'string' && keyCount(e) === 2) {
        m.set(k, e as unknown as LatestEntry);
      } else {
        m.set(k, { timestamp, value: str(value, '.value') });
      }
    }
  } catch (e) {
    rethrowAt(e, `${seg}${keySeg(k)}`);
  }
  return m;
}

function metric(o: unknown): Metric {
  if (!isObj(o)) fail('map', o);
  const s = o.samples;
  let samples: Sample[] = [];
  if (s !== undefined && s !== null) {
    if (!Array.isArray(s)) fail('array', s, '.samples');
    charge(s.length);
    samples = new Array<Sample>(s.length);
    let i = 0;
    try {
      for (; i < s.length; i++) {
        const x: unknown = s[i];
        if (!isObj(x)) fail('map', x);
        const date = time(x.date, '.date');
        const value = x.value;
        samples[i] = date === x.date && typeof value === 'number' && keyCount(x) === 2
          ? (x as unknown as Sample)
          : { date, value: num(value, '.value') };
      }
    } catch (e) {
      rethrowAt(e, `.samples[${i}]`);
    }
  }
  return { samples, min: num(o.min, '.min'), max: num(o.max, '.max') };
}

/** Maps each entry of a wire map with `f`, adding the entry's key to error paths. */
function mapOf<T>(v: unknown, seg: string, f: (x: unknown, key: string) => T): Map<string, T> {
  const m = new Map<string, T>();
  const o = obj(v, seg);
  if (o === undefined) return m;
  let k = '';
  try {
    for (k in o) {
      charge(1);
      m.set(k, f(o[k], k));
    }
  } catch (e) {
    rethrowAt(e, `${seg}${keySeg(k)}`);
  }
  return m;
}

/** Legacy `latestControls` (wire §2.4): non-dead control ids → `active_controls`. */
export function legacyControls(v: unknown, into: LatestMap): void {
  const o = obj(v, '.latestControls');
  if (o === undefined) return;
  const ids: string[] = [];
  let ts: Time = ZERO_TIME;
  let k = '';
  try {
    for (k in o) {
      const e = o[k];
      if (!isObj(e)) fail('map', e);
      const t = time(e.timestamp, '.timestamp');
      const val = obj(e.value, '.value');
      if (val !== undefined && bool(val.dead, '.value.dead')) continue;
      ids.push(k);
      if (t > ts) ts = t;
    }
  } catch (e) {
    rethrowAt(e, `.latestControls${keySeg(k)}`);
  }
  if (ids.length > 0) into.set('active_controls', { timestamp: ts, value: ids.sort().join(';') });
}

/** Legacy `counters` (wire §2.4): name → int becomes latest `count_<name>` stamped now. */
export function legacyCounters(v: unknown, into: LatestMap): void {
  const o = obj(v, '.counters');
  if (o === undefined) return;
  const now = nowTime();
  for (const k in o) into.set(`count_${k}`, { timestamp: now, value: String(int(o[k], `.counters${keySeg(k)}`)) });
}

function node(v: unknown, depth: number, maxDepth: number): Node {
  if (depth > maxDepth) throw new TooDeepError(`nesting deeper than ${maxDepth}`);
  if (!isObj(v)) return fail('map', v);
  charge(NODE_UNITS);
  const l = latest(v.latest, '.latest');
  if (v.latestControls !== undefined) legacyControls(v.latestControls, l);
  if (v.counters !== undefined) legacyCounters(v.counters, l);
  let children: Map<string, Node> | null = null;
  const c = v.children;
  if (c !== undefined && c !== null) {
    if (!Array.isArray(c)) fail('array', c, '.children');
    children = new Map();
    for (let i = 0; i < c.length; i++) {
      let child: Node;
      try {
        child = node(c[i], depth + 2, maxDepth);
      } catch (e) {
        rethrowAt(e, `.children[${i}]`);
      }
      children.set(child.id, child);
    }
  }
  return {
    id: str(v.id, '.id'),
    topology: str(v.topology, '.topology'),
    sets: sets(v.sets, '.sets'),
    adjacency: stringSet(v.adjacency, '.adjacency'),
    latest: l,
    metrics: mapOf(v.metrics, '.metrics', metric),
    parents: sets(v.parents, '.parents'),
    children,
  };
}

function control(v: unknown): Control {
  if (!isObj(v)) return fail('map', v);
  return {
    id: str(v.id, '.id'),
    human: str(v.human, '.human'),
    icon: str(v.icon, '.icon'),
    confirmation: str(v.confirmation, '.confirmation'),
    rank: int(v.rank, '.rank'),
    probeId: str(v.probeId, '.probeId'),
  };
}

function metadataTemplate(v: unknown): MetadataTemplate {
  if (!isObj(v)) return fail('map', v);
  return {
    id: str(v.id, '.id'),
    label: str(v.label, '.label'),
    truncate: int(v.truncate, '.truncate'),
    dataType: str(v.dataType, '.dataType'),
    priority: num(v.priority, '.priority'),
    from: str(v.from, '.from'),
  };
}

function metricTemplate(v: unknown): MetricTemplate {
  if (!isObj(v)) return fail('map', v);
  return {
    id: str(v.id, '.id'),
    label: str(v.label, '.label'),
    format: str(v.format, '.format'),
    group: str(v.group, '.group'),
    priority: num(v.priority, '.priority'),
  };
}

function tableColumn(v: unknown, i: number): TableColumn {
  if (!isObj(v)) return fail('map', v, `.columns[${i}]`);
  return {
    id: str(v.id, `.columns[${i}].id`),
    label: str(v.label, `.columns[${i}].label`),
    dataType: str(v.dataType, `.columns[${i}].dataType`),
  };
}

function tableTemplate(v: unknown): TableTemplate {
  if (!isObj(v)) return fail('map', v);
  const cols = v.columns;
  if (cols !== undefined && cols !== null && !Array.isArray(cols)) fail('array', cols, '.columns');
  return {
    id: str(v.id, '.id'),
    label: str(v.label, '.label'),
    prefix: str(v.prefix, '.prefix'),
    type: str(v.type, '.type'),
    columns: Array.isArray(cols) ? cols.map(tableColumn) : [],
    fixedRows: mapOf(v.fixedRows, '.fixedRows', (x) => str(x, '')),
  };
}

/** Applies a wire topology's fields onto `t` (which carries makeReport()'s defaults). */
export function applyTopology(v: unknown, t: Topology, maxDepth: number): void {
  if (v === undefined || v === null) return;
  if (!isObj(v)) fail('map', v);
  // Fields absent on the wire keep makeReport()'s defaults, as in Go (decode into MakeReport()).
  if (v.shape !== undefined) t.shape = str(v.shape, '.shape');
  if (v.tag !== undefined) t.tag = str(v.tag, '.tag');
  if (v.label !== undefined) t.label = str(v.label, '.label');
  if (v.label_plural !== undefined) t.labelPlural = str(v.label_plural, '.label_plural');
  if (v.nodes !== undefined) t.nodes = mapOf(v.nodes, '.nodes', (x) => node(x, 4, maxDepth));
  t.controls = mapOf(v.controls, '.controls', control);
  t.metadataTemplates = mapOf(v.metadata_templates, '.metadata_templates', metadataTemplate);
  t.metricTemplates = mapOf(v.metric_templates, '.metric_templates', metricTemplate);
  t.tableTemplates = mapOf(v.table_templates, '.table_templates', tableTemplate);
}

function dnsRecord(v: unknown): DnsRecord {
  if (!isObj(v)) return fail('map', v);
  return { forward: stringSet(v.forward, '.forward'), reverse: stringSet(v.reverse, '.reverse') };
}

function pluginSpec(v: unknown, i: number): PluginSpec {
  if (!isObj(v)) return fail('map', v, `Plugins[${i}]`);
  try {
    return {
      id: str(v.id, '.id'),
      label: str(v.label, '.label'),
      description: str(v.description, '.description'),
      interfaces: stringArray(v.interfaces, '.interfaces'),
      apiVersion: str(v.api_version, '.api_version'),
      status: str(v.status, '.status'),
    };
  } catch (e) {
    return rethrowAt(e, `Plugins[${i}]`);
  }
}

/**
 * A decoded wire tree → Report. Throws `WireTypeError` (with path) or `TooDeepError`.
 * @param maxDepth nesting limit counted in wire levels (report = 1), checked where the mapping
 *   recurses (node children).
 */
export function reportFromWire(v: unknown, maxDepth: number): Report {
  if (!isObj(v)) return fail('map at the top level', v);
  const r = makeReport();
  for (const { wire, name } of TOPOLOGIES) {
    const t = v[wire];
    if (t === undefined) continue;
    const topo = makeDefaultTopology(name);
    try {
      applyTopology(t, topo, maxDepth);
    } catch (e) {
      rethrowAt(e, wire);
    }
    r.topologies[name] = topo;
  }
  applyReportFields(v, r);
  return r;
}

/** Applies the report-level fields other than topologies (TS, DNS, Sampling, …) onto `r`. */
export function applyReportFields(v: Obj, r: Report): void {
  if (v.TS !== undefined) r.ts = time(v.TS, 'TS');
  r.dns = mapOf(v.DNS, 'DNS', dnsRecord);
  // Release 1.11.6 sent DNS under `nodes`; Scope moves it to DNS on read (wire §2.2).
  const legacy = mapOf(v.nodes, 'nodes', dnsRecord);
  if (legacy.size > 0) r.dns = legacy;
  const sampling = obj(v.Sampling, 'Sampling');
  if (sampling !== undefined) {
    r.sampling = { count: uint(sampling.Count, 'Sampling.Count'), total: uint(sampling.Total, 'Sampling.Total') };
  }
  r.windowNanos = int(v.Window, 'Window');
  r.shortcut = bool(v.Shortcut, 'Shortcut');
  const p = v.Plugins;
  if (p !== undefined && p !== null) {
    if (!Array.isArray(p)) fail('array', p, 'Plugins');
    r.plugins = p.map(pluginSpec);
  }
  if (v.ID !== undefined) r.id = str(v.ID, 'ID');
}
