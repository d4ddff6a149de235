/** The in-memory collector (app §1.14): window by arrival time, cached merge, change events. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryCollector, createCollector } from '../../src/app/collector/index.js';
import { AppConfigError } from '../../src/app/config.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import type { Report } from '../../src/report/types.js';
import { eventually, fixtureReport, getJson, postReport, startTestApp, SUITE } from './helpers.js';

function reportWithContainer(id: string, opts: { shortcut?: boolean; topology?: string } = {}): Report {
  const r = makeReport();
  r.shortcut = opts.shortcut ?? false;
  r.topologies.container.nodes.set(id, makeNode(id, opts.topology ?? 'container'));
  return r;
}

const containerIds = (r: Report) => [...r.topologies.container.nodes.keys()].sort();

describe('MemoryCollector', SUITE, () => {
  test('merges the reports of the window and forgets those that arrived before it', async () => {
    let now = 1_000_000;
    const c = new MemoryCollector({ windowMillis: 15_000, now: () => now });
    await c.add('p1', reportWithContainer('a;<container>'), now);
    now += 5000;
    await c.add('p2', reportWithContainer('b;<container>'), now);
    assert.deepEqual(containerIds(await c.report()), ['a;<container>', 'b;<container>']);
    now += 11_000; // a arrived 16 s ago
    assert.deepEqual(containerIds(await c.report()), ['b;<container>']);
    assert.equal(await c.hasRecentReports(), true);
    now += 5000;
    assert.deepEqual(containerIds(await c.report()), []);
    assert.equal(await c.hasRecentReports(), false);
    await c.close();
  });

  test('returns the same merged object until something changes', async () => {
    let now = 0;
    let merges = 0;
    const c = new MemoryCollector({ windowMillis: 1000, now: () => now, observer: { observeMergeSeconds: () => merges++ } });
    await c.add('p', reportWithContainer('a;<container>'), now);
    const first = await c.report();
    assert.equal(await c.report(), first);
    assert.equal(merges, 1);
    await c.add('p', reportWithContainer('b;<container>'), now);
    const second = await c.report();
    assert.notEqual(second, first);
    now = 2000;
    assert.notEqual(await c.report(), second, 'expiry invalidates the cache');
    assert.equal(merges, 3);
    await c.close();
  });

  test('leaves stored reports untouched and drops part-merged nodes', async () => {
    const c = new MemoryCollector({ windowMillis: 1000, now: () => 0 });
    const full = reportWithContainer('a;<container>');
    const partial = reportWithContainer('orphan;<container>', { topology: '' });
    await c.add('p', full, 0);
    await c.add('p', partial, 0);
    const merged = await c.report();
    assert.deepEqual(containerIds(merged), ['a;<container>']);
    merged.topologies.container.nodes.clear();
    assert.equal(full.topologies.container.nodes.size, 1, 'stored report not shared with the merge');
    await c.close();
  });

  test('part-merged nodes are dropped whichever probe holds them, and only while no report completes them', async () => {
    let now = 0;
    const c = new MemoryCollector({ windowMillis: 1000, now: () => now });
    await c.add('full', reportWithContainer('b;<container>'), now);
    // A delta of another probe completing b's node: b stays, with the full report's topology.
    await c.add('other', reportWithContainer('b;<container>', { topology: '' }), now);
    assert.deepEqual(containerIds(await c.report()), ['b;<container>']);
    assert.equal((await c.report()).topologies.container.nodes.get('b;<container>')?.topology, 'container');
    // A delta alone (its full report gone): its node is part-merged, the other parts' nodes stay.
    await c.add('delta', reportWithContainer('a;<container>', { topology: '' }), now);
    assert.deepEqual(containerIds(await c.report()), ['b;<container>']);
    // Its probe's full report arrives: the same part now completes the node.
    now = 600;
    await c.add('delta', reportWithContainer('a;<container>'), now);
    assert.deepEqual(containerIds(await c.report()), ['a;<container>', 'b;<container>']);
    // Every report leaves the window but a new delta-only one: its node is part-merged.
    now = 1700;
    await c.add('other', reportWithContainer('c;<container>', { topology: '' }), now);
    assert.deepEqual(containerIds(await c.report()), []);
    await c.close();
  });

  test('a stored report that breaks the merge is dropped, the others still served', async () => {
    const dropped: string[] = [];
    const c = new MemoryCollector({
      windowMillis: 1000,
      now: () => 0,
      observer: { observeMergeSeconds: () => undefined, reportDropped: (probeId) => dropped.push(probeId) },
    });
    await c.add('good', reportWithContainer('a;<container>'), 0);
    // Cannot come out of the codec, but must not wedge the app if it ever does.
    const broken = { ...reportWithContainer('b;<container>'), dns: null } as unknown as Report;
    await c.add('bad', broken, 0);
    await c.add('good', reportWithContainer('c;<container>'), 0);
    assert.deepEqual(containerIds(await c.report()), ['a;<container>', 'c;<container>']);
    assert.deepEqual(dropped, ['bad']);
    await c.close();
  });

  test('tells subscribers about every report, flagging shortcuts', async () => {
    const c = new MemoryCollector({ windowMillis: 1000 });
    const seen: boolean[] = [];
    const unsubscribe = c.subscribe((change) => seen.push(change.shortcut));
    await c.add('p', reportWithContainer('a;<container>'), Date.now());
    await c.add('p', reportWithContainer('b;<container>', { shortcut: true }), Date.now());
    unsubscribe();
    await c.add('p', reportWithContainer('c;<container>'), Date.now());
    assert.deepEqual(seen, [false, true]);
    await c.close();
  });

  test('createCollector knows local and memory, and refuses others clearly', () => {
    assert.ok(createCollector('local', { windowMillis: 1 }) instanceof MemoryCollector);
    assert.ok(createCollector('memory', { windowMillis: 1 }) instanceof MemoryCollector);
    assert.throws(() => createCollector('dynamodb://x', { windowMillis: 1 }), AppConfigError);
  });
});

describe('app window', SUITE, () => {
  test('reports leave GET /api/report once the window has passed', async () => {
    const app = await startTestApp({ windowMillis: 3000 });
    try {
      const f = fixtureReport(3); // a full report (01 and 02 are shortcut reports without a host)
      assert.equal((await postReport(app, f.body, f.headers)).status, 200);
      const hostCount = async () => {
        const { body } = await getJson(app, 'api/report');
        return Object.keys((body as { Host: { nodes: Record<string, unknown> | null } }).Host.nodes ?? {}).length;
      };
      // Cheapest check first: the window is short, and this machine is shared.
      assert.equal((await getJson(app, 'api/probes?sparse')).body, true);
      assert.equal(await hostCount(), 1);
      const summary = await (await fetch(`${app.url}admin/summary`)).text();
      assert.match(summary, /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d\.\d{3}: report from probe 1bbd5237cef35570: .*Host: 1/m);
      await eventually(async () => (await hostCount()) === 0, 15_000, 'the report to leave the window');
      assert.equal((await getJson(app, 'api/probes?sparse')).body, false);
    } finally {
      await app.close();
    }
  });
});
