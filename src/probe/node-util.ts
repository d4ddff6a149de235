/**
 * Small builders the reporters share for filling report nodes (latest values, single-sample
 * metrics, templates). Pure; kept in the probe because only producers need them.
 */
import type { Metric, MetadataTemplate, MetricTemplate, Node, Time } from '../report/types.js';

/** Sets latest `key` = `value` at `ts`. */
export function setLatest(node: Node, key: string, value: string, ts: Time): void {
  node.latest.set(key, { timestamp: ts, value });
}

/** A metric holding one sample (Scope's `MakeSingletonMetric`): min = value, max as given. */
export function singletonMetric(date: Time, value: number, max: number): Metric {
  return { samples: [{ date, value }], min: value, max };
}

/** A metadata template; `from` defaults to `latest`. */
export function metadataTemplate(id: string, label: string, priority: number, extra: Partial<MetadataTemplate> = {}): MetadataTemplate {
  return { id, label, truncate: 0, dataType: '', priority, from: 'latest', ...extra };
}

/** A metric template. */
export function metricTemplate(id: string, label: string, format: string, priority: number, group = ''): MetricTemplate {
  return { id, label, format, group, priority };
}

/** Inserts `value` into a sorted, de-duplicated string set, returning the new set. */
export function addToStringSet(set: readonly string[], value: string): readonly string[] {
  if (set.length === 0) return [value]; // the common case (an endpoint's first peer): one small array
  let lo = 0;
  let hi = set.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = set[mid]!;
    if (m === value) return set;
    if (m < value) lo = mid + 1;
    else hi = mid;
  }
  return [...set.slice(0, lo), value, ...set.slice(lo)];
}
