// Merging the 8 reports a real Scope 1.13.2 probe published (full, delta and shortcut reports), and
// comparing with what a live Scope app served where that comparison is meaningful.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { removePartMergedNodes } from '../../src/report/delta.js';
import { mergeReportInto } from '../../src/report/merge.js';
import { makeReport } from '../../src/report/model.js';
import { TOPOLOGIES, ZERO_TIME, type Report } from '../../src/report/types.js';
import { upgradeReport } from '../../src/report/upgrade.js';
import { assertSetsSorted, canonicalReport, fixtureApiReport, fixtureReport } from './support.js';

const reports = Array.from({ length: 8 }, (_, i) => fixtureReport(i + 1));

function mergeRange(from: number, to: number): Report {
  const acc = makeReport();
  for (let i = from; i <= to; i++) mergeReportInto(acc, reports[i - 1]!);
  return acc;
}

function partialKeys(r: Report): Set<string> {
  const keys = new Set<string>();
  for (const { name } of TOPOLOGIES) for (const [k, n] of r.topologies[name].nodes) if (n.topology === '') keys.add(`${name}/${k}`);
  return keys;
}

function completeKeys(r: Report): Set<string> {
  const keys = new Set<string>();
  for (const { name } of TOPOLOGIES) for (const [k, n] of r.topologies[name].nodes) if (n.topology !== '') keys.add(`${name}/${k}`);
  return keys;
}

describe('merging the recorded probe reports', () => {
  test('the fixtures are what these tests assume: shortcut, full and delta reports', () => {
    assert.equal(reports[0]!.ts, ZERO_TIME, 'report 1 is a shortcut report');
    assert.equal(partialKeys(reports[2]!).size, 0, 'report 3 is full');
    assert.ok(partialKeys(reports[3]!).size > 50, 'report 4 is a delta');
    assert.equal(partialKeys(reports[5]!).size, 0, 'report 6 is full');
    assert.ok(partialKeys(reports[7]!).size > 50, 'report 8 is a delta');
  });

  test('all 8 in order: partial nodes regain id and topology, nothing is part-merged', () => {
    const before = reports.map((r) => canonicalReport(r));
    const merged = mergeRange(1, 8);
    assert.deepEqual(
      reports.map((r) => canonicalReport(r)),
      before,
      'inputs unchanged',
    );
    for (const { name } of TOPOLOGIES) {
      for (const [key, node] of merged.topologies[name].nodes) {
        assert.equal(node.id, key, `${name}/${key} id`);
        assert.equal(node.topology, name, `${name}/${key} topology`);
      }
    }
    for (const key of partialKeys(reports[7]!)) {
      const [name, id] = key.split(/\/(.*)/s) as [keyof Report['topologies'], string];
      assert.equal(merged.topologies[name].nodes.get(id)!.id, id);
    }
    assert.equal(removePartMergedNodes(merged), 0);
    assert.equal(assertSetsSorted(merged), undefined);
    assert.equal(merged.ts, reports[2]!.ts, 'earliest non-zero TS: the shortcut reports have none');
    assert.equal(merged.windowNanos, reports.reduce((s, r) => s + r.windowNanos, 0));
    assert.ok(merged.topologies.process.metadataTemplates.size > 0, 'templates come from the full reports');
  });

  test('metric samples accumulate one per spy tick, time-ordered', () => {
    const merged = mergeRange(1, 8);
    const host = [...merged.topologies.host.nodes.values()][0]!;
    const cpu = host.metrics.get('host_cpu_usage_percent')!;
    const dates = new Set(reports.flatMap((r) => [...r.topologies.host.nodes.values()].flatMap((n) => n.metrics.get('host_cpu_usage_percent')?.samples.map((s) => s.date) ?? [])));
    assert.equal(cpu.samples.length, dates.size);
    for (let i = 1; i < cpu.samples.length; i++) assert.ok(cpu.samples[i - 1]!.date < cpu.samples[i]!.date);
    // 1 s spy interval: about one sample per second of window.
    assert.ok(Math.abs(cpu.samples.length - merged.windowNanos / 1e9) <= 1.5);
  });

  test('only deltas in the window: nodes whose full report is gone are removed', () => {
    const merged = mergeRange(7, 8);
    const partial = new Set([...partialKeys(reports[6]!), ...partialKeys(reports[7]!)]);
    const complete = new Set([...completeKeys(reports[6]!), ...completeKeys(reports[7]!)]);
    const expectedRemoved = [...partial].filter((k) => !complete.has(k)).length;
    assert.ok(expectedRemoved > 0);
    assert.equal(removePartMergedNodes(merged), expectedRemoved);
    assert.equal(partialKeys(merged).size, 0);
    for (const k of complete) {
      const [name, id] = k.split(/\/(.*)/s) as [keyof Report['topologies'], string];
      assert.ok(merged.topologies[name].nodes.has(id), k);
    }
  });

  test('deltas older than the newest full report: only nodes missing from it are removed', () => {
    const merged = mergeRange(4, 8);
    const full6 = completeKeys(reports[5]!);
    const completeAnywhere = new Set([4, 5, 6, 7, 8].flatMap((i) => [...completeKeys(reports[i - 1]!)]));
    const orphans = new Set(
      [4, 5, 7, 8].flatMap((i) => [...partialKeys(reports[i - 1]!)]).filter((k) => !completeAnywhere.has(k)),
    );
    assert.ok([...orphans].every((k) => !full6.has(k)));
    assert.equal(removePartMergedNodes(merged), orphans.size);
  });

  test('upgrading the recorded reports changes nothing (a current probe needs no upgrade)', () => {
    for (const r of reports) assert.equal(upgradeReport(r), r);
  });
});

describe('compared with the raw report a live Scope app served', () => {
  // Captured from the same probe setup minutes apart (different processes, connections and
  // times), so only configuration-like parts are compared: presentation, templates, controls,
  // host identity, DNS addresses, and the samples-per-window shape of metrics.
  const api = fixtureApiReport();
  const merged = mergeRange(1, 8);
  const keys = (m: Map<string, unknown>): string[] => [...m.keys()].sort();

  test('the served report has no part-merged nodes, like ours after merging', () => {
    assert.equal(partialKeys(api).size, 0);
  });

  test('same presentation, templates and controls per topology', () => {
    for (const { name } of TOPOLOGIES) {
      const a = merged.topologies[name];
      const b = api.topologies[name];
      assert.equal(a.shape, b.shape, name);
      assert.equal(a.label, b.label, name);
      assert.equal(a.labelPlural, b.labelPlural, name);
      assert.deepEqual(keys(a.controls), keys(b.controls), name);
      assert.deepEqual(keys(a.metadataTemplates), keys(b.metadataTemplates), name);
      assert.deepEqual(keys(a.metricTemplates), keys(b.metricTemplates), name);
      assert.deepEqual(keys(a.tableTemplates), keys(b.tableTemplates), name);
    }
  });

  test('same host, same topologies populated, same DNS addresses', () => {
    assert.deepEqual(keys(merged.topologies.host.nodes), keys(api.topologies.host.nodes));
    for (const { name } of TOPOLOGIES) {
      assert.equal(merged.topologies[name].nodes.size > 0, api.topologies[name].nodes.size > 0, name);
    }
    assert.deepEqual(keys(merged.dns), keys(api.dns));
  });

  test('the served metrics have one sample per second of window too', () => {
    const host = [...api.topologies.host.nodes.values()][0]!;
    const cpu = host.metrics.get('host_cpu_usage_percent')!;
    assert.ok(Math.abs(cpu.samples.length - api.windowNanos / 1e9) <= 1.5);
  });
});
