import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/common/log.js';
import { foldOwned, foldReportInto, largestReport } from '../../src/probe/fold.js';
import { createEndpointReporter } from '../../src/probe/endpoint/reporter.js';
import { createHostReporter, createHostTagger, createTopologyTagger } from '../../src/probe/host/reporter.js';
import { createProcessReporter } from '../../src/probe/process/reporter.js';
import { ProcWalker } from '../../src/probe/procfs/walker.js';
import { unmergeReport } from '../../src/report/delta.js';
import { mergeReportInto } from '../../src/report/merge.js';
import { isSharedEmptyTopology, makeNode, makeReport, makeSparseReport } from '../../src/report/model.js';
import { reportToWireJson } from '../../src/report/codec/to-wire.js';
import type { Report } from '../../src/report/types.js';

/** The pipeline's merge before probe/fold.ts: `mergeReportInto` with `adoptSource` into the largest. */
function mergeOwnedReference(reports: Report[]): Report {
  const base = largestReport(reports);
  for (const r of reports) if (r !== base) mergeReportInto(base, r, { adoptSource: true });
  return base;
}

/** Wire JSON without the report id and the host tagger's timestamps (it stamps each call with the time). */
const wire = (r: Report): unknown =>
  JSON.parse(JSON.stringify({ ...(reportToWireJson(r) as Record<string, unknown>), ID: '' }, (key, value: unknown) =>
    key === 'host_node_id' && typeof value === 'object' && value !== null ? { ...value, timestamp: '' } : value));

test('fold gives the same reports as mergeReportInto, and so the same publish delta, on real reporters', async () => {
  const walker = new ProcWalker();
  const reporters = [
    createHostReporter({ hostId: 'h', probeId: 'p', version: 'v', procRoot: '/proc', controlsEnabled: true }),
    createProcessReporter({ hostId: 'h', walker, omitCmdArgs: false }),
    createEndpointReporter({
      hostId: 'h', walker, procRoot: '/proc', procSpy: true, conntrack: false, fdBudgetPerTick: 4000,
      localNetworks: () => [], logger: silentLogger(),
    }),
  ];
  const taggers = [createHostTagger('h'), createTopologyTagger()];
  const published: Array<[Report, Report]> = [];
  for (let publish = 0; publish < 2; publish++) {
    const ticks: Report[] = [];
    const ticksRef: Report[] = [];
    for (let i = 0; i < 3; i++) {
      await walker.walk();
      const parts = await Promise.all(reporters.map((r) => r.report()));
      const partsRef = parts.map((p) => structuredClone(p)); // ordinary reports, nothing shared
      const tick = foldOwned(parts, makeReport);
      const tickRef = mergeOwnedReference(partsRef);
      for (const t of taggers) {
        await t.tag(tick);
        await t.tag(tickRef);
      }
      assert.deepEqual(wire(tick), wire(tickRef));
      ticks.push(tick);
      ticksRef.push(tickRef);
    }
    const report = foldOwned(ticks, makeReport);
    const reportRef = mergeOwnedReference(ticksRef);
    assert.deepEqual(wire(report), wire(reportRef));
    assert.ok(report.topologies.process.nodes.size > 0);
    published.push([report, reportRef]);
  }
  const [[full, fullRef], [current, currentRef]] = published as [[Report, Report], [Report, Report]];
  const delta = unmergeReport(current, full);
  assert.deepEqual(wire(delta), wire(unmergeReport(currentRef, fullRef)));
  assert.ok([...delta.topologies.process.nodes.values()].some((n) => n.topology === ''), 'deltas carry partial nodes');
  walker.close();
});

test('sparse reports share read-only empty topologies; folding into one gives it a topology of its own', () => {
  const a = makeSparseReport('process');
  const b = makeSparseReport('endpoint');
  assert.ok(isSharedEmptyTopology(a.topologies.endpoint));
  assert.equal(a.topologies.endpoint, makeSparseReport().topologies.endpoint);
  assert.equal(a.topologies.container.shape, 'hexagon', 'presentation defaults as makeReport');
  assert.throws(() => a.topologies.endpoint.nodes.set('x', makeNode('x')), TypeError);
  assert.throws(() => {
    a.topologies.endpoint.label = 'x';
  }, TypeError);
  const e = makeNode(';1.2.3.4;80', 'endpoint');
  b.topologies.endpoint.nodes.set(e.id, e);
  a.topologies.process.nodes.set('h;1', makeNode('h;1', 'process'));
  foldReportInto(a, b);
  assert.ok(!isSharedEmptyTopology(a.topologies.endpoint));
  assert.equal(a.topologies.endpoint.nodes.get(e.id), e);
  assert.equal(makeSparseReport().topologies.endpoint.nodes.size, 0, 'the shared topology is still empty');
});

/** `wire` with every time replaced by its rank among the report's distinct times (two reporters stamp different clocks). */
const wireRanked = (r: Report): unknown => {
  const text = JSON.stringify(wire(r));
  const times = [...new Set(text.match(/"\d{4}-\d\d-\d\dT[\d:.]+Z"/g) ?? [])].sort();
  return JSON.parse(text.replace(/"\d{4}-\d\d-\d\dT[\d:.]+Z"/g, (t) => `"t${times.indexOf(t)}"`));
};

test('process reporter: updating its nodes of the pending report in place gives what folding new nodes gives', async () => {
  const walker = new ProcWalker();
  const folded = createProcessReporter({ hostId: 'h', walker, omitCmdArgs: false });
  const inPlace = createProcessReporter({ hostId: 'h', walker, omitCmdArgs: false });
  const taggers = [createHostTagger('h'), createTopologyTagger()];
  let pendingA: Report | undefined;
  let pendingB: Report | undefined;
  let published: { report: Report; json: string } | undefined;
  let updatedInPlace = 0;
  // 40 ticks in one interval (past the 32-sample cap of a metric), then a publish and 3 more.
  for (let i = 0; i < 43; i++) {
    await walker.walk();
    const a = await folded.report();
    const b = await inPlace.report(pendingB);
    for (const t of taggers) {
      await t.tag(a);
      await t.tag(b);
    }
    if (pendingB !== undefined) {
      const pendingNodes = pendingB.topologies.process.nodes;
      b.topologies.process.nodes.forEach((node, id) => {
        if (pendingNodes.get(id) === node) updatedInPlace++;
      });
    }
    if (pendingA === undefined) pendingA = a;
    else foldReportInto(pendingA, a);
    if (pendingB === undefined) pendingB = b;
    else foldReportInto(pendingB, b);
    assert.deepEqual(wireRanked(pendingB), wireRanked(pendingA));
    if (i === 39) {
      const samples = [...pendingB.topologies.process.nodes.values()][0]!.metrics.get('process_memory_usage_bytes')!.samples;
      assert.equal(samples.length, 32, 'capped at MAX_METRIC_SAMPLES as mergeMetric does');
      published = { report: pendingB, json: JSON.stringify(wire(pendingB)) };
      pendingA = undefined;
      pendingB = undefined;
    }
  }
  assert.ok(updatedInPlace > 30 * 10, `nodes were updated in place (${updatedInPlace})`);
  assert.equal(JSON.stringify(wire(published!.report)), published!.json, 'a published report is never written to afterwards');
  walker.close();
});
