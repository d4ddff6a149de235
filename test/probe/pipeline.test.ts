import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../src/common/log.js';
import { ProbePipeline } from '../../src/probe/probe.js';
import { createTopologyTagger } from '../../src/probe/host/reporter.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import { makeSingletonMetric } from '../../src/report/merge.js';
import { nowTime } from '../../src/report/time.js';
import type { Report } from '../../src/report/types.js';
import type { Reporter } from '../../src/probe/types.js';

function pipeline(opts: { fullReportEvery?: number; noControls?: boolean } = {}): { p: ProbePipeline; published: Report[] } {
  const published: Report[] = [];
  const p = new ProbePipeline({
    spyIntervalMillis: 1000,
    publishIntervalMillis: 3000,
    fullReportEvery: opts.fullReportEvery ?? 3,
    noControls: opts.noControls ?? false,
    logger: silentLogger(),
    publisher: { publish: async (r) => void published.push(r) },
  });
  p.taggers.push(createTopologyTagger());
  return { p, published };
}

const hostReporter: Reporter = {
  name: 'fake-host',
  async report() {
    const r = makeReport();
    const n = makeNode('h;<host>');
    n.latest.set('host_name', { timestamp: nowTime(), value: 'h' });
    n.metrics.set('load1', makeSingletonMetric(nowTime(), 1));
    r.topologies.host.nodes.set(n.id, n);
    r.topologies.host.controls.set('host_exec', { id: 'host_exec', human: 'Exec shell', icon: '', confirmation: '', rank: 0, probeId: '' });
    const e = makeNode(';1.2.3.4;80');
    r.topologies.endpoint.nodes.set(e.id, e);
    return r;
  },
};

test('spy ticks merge reporters; publishes are full every N with deltas between (wire §2.9)', async () => {
  const { p, published } = pipeline({ fullReportEvery: 3 });
  p.reporters.push(hostReporter);
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 3; j++) await p.spyTick();
    await p.publishTick();
  }
  assert.equal(published.length, 4);
  const [full, delta1, , full2] = published;
  const fullHost = full!.topologies.host.nodes.get('h;<host>')!;
  assert.equal(fullHost.topology, 'host', 'full report nodes carry their topology');
  assert.equal(fullHost.metrics.get('load1')!.samples.length, 3, 'three spy ticks → three samples');
  assert.ok(full!.windowNanos > 0);
  const deltaHost = delta1!.topologies.host.nodes.get('h;<host>')!;
  assert.equal(deltaHost.topology, '', 'delta nodes are partial');
  assert.equal(delta1!.topologies.endpoint.nodes.size, 0, 'unchanged nodes without metrics are left out of deltas');
  assert.equal(full2!.topologies.host.nodes.get('h;<host>')!.topology, 'host');
  assert.equal(p.stats.fullPublishes, 2);
});

test('nothing spied → nothing published; --probe.no-controls strips topology controls', async () => {
  const { p, published } = pipeline({ noControls: true });
  await p.publishTick();
  assert.equal(published.length, 0);
  p.reporters.push(hostReporter);
  await p.spyTick();
  await p.publishTick();
  assert.equal(published[0]!.topologies.host.controls.size, 0);
});

test('a failing or hanging reporter costs only its own data; a tick never rejects; ticks are skipped while one runs', async () => {
  const { p, published } = pipeline();
  let release: () => void = () => undefined;
  p.reporters.push(hostReporter, { name: 'broken', report: () => Promise.reject(new Error('boom')) });
  p.reporters.push({ name: 'slow', report: () => new Promise<Report>((r) => (release = () => r(makeReport()))) });
  const first = p.spyTick();
  const second = p.spyTick();
  assert.equal(p.stats.skippedSpyTicks, 1);
  await sleep(10);
  release();
  await first;
  await second;
  await p.publishTick();
  assert.ok(published[0]!.topologies.host.nodes.has('h;<host>'));
});

test('shortcut reports are tagged and published at once with zero ts and window', async () => {
  const { p, published } = pipeline();
  const r = makeReport();
  r.topologies.container.nodes.set('c;<container>', makeNode('c;<container>'));
  p.publishShortcut(r);
  await sleep(20);
  assert.equal(published.length, 1);
  assert.equal(published[0]!.shortcut, true);
  assert.equal(published[0]!.ts, '0001-01-01T00:00:00.000000000Z');
  assert.equal(published[0]!.topologies.container.nodes.get('c;<container>')!.topology, 'container');
});

test('stop flushes a last full report', async () => {
  const { p, published } = pipeline();
  p.reporters.push(hostReporter);
  p.start();
  await p.stop(true);
  assert.ok(published.length >= 1);
  assert.equal(published.at(-1)!.topologies.host.nodes.get('h;<host>')!.topology, 'host');
});

test('a process the newest spy tick no longer sees is not published from older ticks', async () => {
  const { p, published } = pipeline({ fullReportEvery: 1 });
  let pids = ['1', '2'];
  let failing = false;
  p.reporters.push({
    name: 'fake-process',
    async report() {
      if (failing) throw new Error('process reporter down');
      const r = makeReport();
      for (const pid of pids) r.topologies.process.nodes.set(`h;${pid}`, makeNode(`h;${pid}`));
      return r;
    },
  });
  await p.spyTick();
  pids = ['1'];
  await p.spyTick();
  await p.publishTick();
  assert.deepEqual([...published[0]!.topologies.process.nodes.keys()], ['h;1'], 'process 2 exited before the newest tick');
  // When the newest tick has no process data at all (reporter failed), nothing is pruned.
  pids = ['1', '2'];
  await p.spyTick();
  failing = true;
  await p.spyTick();
  await p.publishTick();
  assert.deepEqual([...published[1]!.topologies.process.nodes.keys()].sort(), ['h;1', 'h;2']);
});

test('reporters get the pending report; a publish waits for the spy tick in flight and takes it whole', async () => {
  const { p, published } = pipeline({ fullReportEvery: 1 });
  const seen: Array<Readonly<Report> | undefined> = [];
  let release: (() => void) | undefined;
  p.reporters.push({
    name: 'slow',
    async report(into) {
      seen.push(into);
      if (seen.length === 3) await new Promise<void>((r) => (release = r));
      const r = makeReport();
      const n = makeNode('h;1');
      n.metrics.set('m', makeSingletonMetric(nowTime(), seen.length));
      r.topologies.process.nodes.set(n.id, n);
      return r;
    },
  });
  await p.spyTick();
  await p.spyTick();
  assert.equal(seen[0], undefined, 'nothing pending before the first tick');
  assert.ok(seen[1] !== undefined && seen[1].topologies.process.nodes.has('h;1'), 'the second tick gets the first one');
  const tick = p.spyTick(); // blocks in its reporter
  await sleep(10);
  const publish = p.publishTick();
  await sleep(10);
  assert.equal(published.length, 0, 'the publish waits for the tick in flight');
  release!();
  await tick;
  await publish;
  assert.equal(published.length, 1);
  assert.equal(published[0]!.topologies.process.nodes.get('h;1')!.metrics.get('m')!.samples.length, 3, 'all three ticks published');
  await p.spyTick();
  assert.equal(seen[3], undefined, 'after a publish, nothing is pending');
});
