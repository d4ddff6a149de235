import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { cloneReport } from '../../src/report/copy.js';
import { removePartMergedNodes, unmergeReport } from '../../src/report/delta.js';
import { makeSingletonMetric, mergeReports, setMetric, withAdjacent, withLatest, withParent, withSet } from '../../src/report/merge.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import { TOPOLOGIES, type Node, type Report } from '../../src/report/types.js';
import { arbReport, canonicalNode, canonicalReport, fixtureReport, t } from './support.js';

function proc(id: string, ts: number): Node {
  const n = makeNode(id, 'process');
  withLatest(n, 'pid', id.split(';')[1]!, t(ts));
  withParent(n, 'host', 'h;<host>');
  return n;
}

function reportWith(...nodes: Node[]): Report {
  const r = makeReport();
  r.topologies.process.metadataTemplates.set('pid', { id: 'pid', label: 'PID', truncate: 0, dataType: 'number', priority: 1, from: 'latest' });
  for (const n of nodes) r.topologies.process.nodes.set(n.id, n);
  return r;
}

describe('unmergeReport (wire §2.9)', () => {
  test('unchanged nodes without metrics are dropped; changed sections are kept whole', () => {
    const full = reportWith(proc('h;1', 1), proc('h;2', 1), proc('h;3', 1));
    const changed = withLatest(proc('h;2', 2), 'name', 'new', t(2));
    const withAdj = withAdjacent(proc('h;3', 2), 'x');
    const current = reportWith(proc('h;1', 2), changed, withAdj, proc('h;4', 2));
    const delta = unmergeReport(current, full);
    const nodes = delta.topologies.process.nodes;
    assert.equal(nodes.has('h;1'), false, 'same latest values (newer timestamps), sets, parents, adjacency');
    const n2 = nodes.get('h;2')!;
    assert.equal(n2.id, '');
    assert.equal(n2.topology, '');
    assert.equal(n2.latest.size, 2, 'whole latest map kept when anything changed');
    assert.equal(n2.parents.size, 0, 'equal parents emptied');
    const n3 = nodes.get('h;3')!;
    assert.equal(n3.latest.size, 0);
    assert.deepEqual(n3.adjacency, ['x']);
    assert.deepEqual(canonicalNode(nodes.get('h;4')!), canonicalNode(proc('h;4', 2)), 'new nodes sent complete');
  });
  test('nodes with metrics are always present', () => {
    const a = setMetric(proc('h;1', 1), 'cpu', makeSingletonMetric(t(1), 1));
    const b = setMetric(proc('h;1', 1), 'cpu', makeSingletonMetric(t(2), 2));
    const delta = unmergeReport(reportWith(b), reportWith(a));
    const n = delta.topologies.process.nodes.get('h;1')!;
    assert.equal(n.id, '');
    assert.equal(n.latest.size, 0);
    assert.equal(n.metrics.size, 1);
  });
  test('a node whose id or topology differs from the full one is sent complete', () => {
    const full = reportWith(proc('h;1', 1));
    const current = makeReport();
    current.topologies.process.nodes.set('h;1', { ...proc('h;1', 1), topology: 'container' });
    assert.equal(unmergeReport(current, full).topologies.process.nodes.get('h;1')!.topology, 'container');
  });
  test('templates dropped, equal presentation blanked, controls, DNS and counters kept', () => {
    const full = reportWith();
    const current = reportWith();
    current.topologies.process.controls.set('c', { id: 'c', human: 'C', icon: '', confirmation: '', rank: 0, probeId: '' });
    current.topologies.host.label = 'machine';
    current.dns.set('1.2.3.4', { forward: ['a'], reverse: [] });
    current.windowNanos = 7;
    current.ts = t(9);
    const delta = unmergeReport(current, full);
    assert.equal(delta.topologies.process.metadataTemplates.size, 0);
    assert.equal(delta.topologies.process.shape, '');
    assert.equal(delta.topologies.process.label, '');
    assert.equal(delta.topologies.host.label, 'machine');
    assert.equal(delta.topologies.host.labelPlural, 'hosts', 'label and plural are blanked only as a pair');
    assert.equal(delta.topologies.host.shape, '');
    assert.equal(delta.topologies.process.controls.size, 1);
    assert.deepEqual(delta.dns.get('1.2.3.4'), { forward: ['a'], reverse: [] });
    assert.equal(delta.windowNanos, 7);
    assert.equal(delta.ts, t(9));
  });
  test('inputs are not changed', () => {
    const full = reportWith(proc('h;1', 1));
    const current = reportWith(withSet(proc('h;1', 2), 's', ['a']));
    const [cf, cc] = [cloneReport(full), cloneReport(current)];
    unmergeReport(current, full);
    assert.deepEqual(canonicalReport(full), canonicalReport(cf));
    assert.deepEqual(canonicalReport(current), canonicalReport(cc));
  });
  test('property: lastFull + delta = lastFull + current (latest timestamps aside)', () => {
    // Merges cannot delete, so the delta can only promise what merging current would give.
    const strip = (r: Report) => {
      const out: Record<string, unknown> = {};
      for (const { name } of TOPOLOGIES) {
        for (const [k, n] of r.topologies[name].nodes) {
          const c = canonicalNode(n) as Record<string, unknown>;
          c.latest = [...n.latest].map(([key, e]) => [key, e.value]).sort();
          out[`${name}/${k}`] = c;
        }
      }
      return out;
    };
    const complete = (r: Report) => {
      for (const { name } of TOPOLOGIES) {
        for (const [k, n] of r.topologies[name].nodes) {
          n.id = k;
          n.topology = name;
        }
      }
    };
    fc.assert(
      fc.property(arbReport(false), arbReport(false), (full, current) => {
        complete(full); // a full report's nodes are complete; so are current's before un-merging
        complete(current);
        const viaDelta = mergeReports(full, unmergeReport(current, full));
        assert.deepEqual(strip(viaDelta), strip(mergeReports(full, current)));
      }),
      { numRuns: 200 },
    );
  });
  test('recorded reports: our delta of a full report against the previous full one', () => {
    const full3 = fixtureReport(3);
    const full6 = fixtureReport(6);
    const delta = unmergeReport(full6, full3);
    let partial = 0;
    for (const { name } of TOPOLOGIES) {
      assert.equal(delta.topologies[name].metadataTemplates.size, 0);
      for (const [key, n] of delta.topologies[name].nodes) {
        const old = full3.topologies[name].nodes.get(key);
        if (old === undefined) assert.equal(n.topology, name, 'new nodes complete');
        else if (n.id === '') partial++;
      }
    }
    assert.ok(partial > 50);
    assert.equal(delta.topologies.process.nodes.size, full6.topologies.process.nodes.size, 'every process has metrics');
  });
  test("recorded reports: Scope's own deltas have the shape ours would have", () => {
    for (const [fullIndex, deltaIndex] of [
      [3, 4],
      [6, 8],
    ] as const) {
      const full = fixtureReport(fullIndex);
      const goDelta = fixtureReport(deltaIndex);
      // What the probe held when it made the delta: (roughly) the full report plus the delta.
      const ours = unmergeReport(mergeReports(full, goDelta), full);
      for (const { name } of TOPOLOGIES) {
        for (const [key, g] of goDelta.topologies[name].nodes) {
          const m = ours.topologies[name].nodes.get(key);
          assert.ok(m, `${name}/${key} present`);
          assert.equal(m.id === '', g.id === '', `${name}/${key} partial`);
          assert.equal(m.latest.size === 0, g.latest.size === 0, `${name}/${key} latest kept`);
          assert.equal(m.sets.size === 0, g.sets.size === 0, `${name}/${key} sets kept`);
          assert.equal(m.adjacency.length === 0, g.adjacency.length === 0, `${name}/${key} adjacency kept`);
        }
        // Extra nodes in ours are nodes of the full report that vanished (dead processes) and
        // are carried by the merge; they carry metrics, hence are not dropped.
        for (const [key, m] of ours.topologies[name].nodes) {
          if (!goDelta.topologies[name].nodes.has(key)) assert.ok(m.metrics.size > 0, `${name}/${key}`);
        }
      }
    }
  });
});

describe('removePartMergedNodes', () => {
  test('drops nodes with an empty topology in every topology, in place', () => {
    const r = makeReport();
    r.topologies.process.nodes.set('a', makeNode('a', 'process'));
    r.topologies.process.nodes.set('b', makeNode('', ''));
    r.topologies.host.nodes.set('c', makeNode('c', ''));
    assert.equal(removePartMergedNodes(r), 2);
    assert.deepEqual([...r.topologies.process.nodes.keys()], ['a']);
    assert.equal(r.topologies.host.nodes.size, 0);
    assert.equal(removePartMergedNodes(r), 0);
  });
});
