/** LiveViews: which views are prepared on report changes, and when. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemoryCollector } from '../../src/app/collector/index.js';
import { LIVE_MILLIS, LiveViews } from '../../src/app/routes/live-views.js';
import { createLogger } from '../../src/common/log.js';
import { makeReport } from '../../src/report/model.js';

const turn = () => new Promise((r) => setImmediate(r));

function setup() {
  let now = 1_000_000;
  const collector = new MemoryCollector({ windowMillis: 15_000, now: () => now });
  const prepared: string[] = [];
  const passes = { count: 0 };
  const live = new LiveViews(collector, createLogger({ level: 'silent', name: 'test' }), () => now, async () => void passes.count++);
  const request = (key: string) => live.requested(key, async () => void prepared.push(key));
  const report = async () => collector.add('p1', makeReport(), now);
  return { live, prepared, passes, request, report, advance: (ms: number) => (now += ms) };
}

describe('LiveViews', () => {
  test('a view requested after most report changes is prepared once per change, in one pass per turn', async () => {
    const { live, prepared, request, report } = setup();
    for (let i = 0; i < 4; i++) {
      request('a');
      await report();
      await turn();
    }
    assert.ok(live.qualifies('a'));
    const before = prepared.length;
    request('a');
    await report();
    await report(); // same turn: one pass
    await turn();
    await turn();
    assert.equal(prepared.length - before, 1);
  });

  test('the after-pass hook runs once after each pass that prepared views, never after none', async () => {
    const { prepared, passes, request, report } = setup();
    request('a');
    await report();
    await turn();
    assert.equal(passes.count, 0); // nothing qualified yet
    for (let i = 0; i < 4; i++) {
      request('a');
      request('b');
      await report();
      await turn();
      await turn();
    }
    const withViews = new Set(prepared).size;
    assert.equal(withViews, 2);
    const passesBefore = passes.count;
    assert.ok(passesBefore > 0);
    request('a');
    request('b');
    await report();
    await turn();
    await turn();
    assert.equal(passes.count, passesBefore + 1); // two views, one pass, one call
  });

  test('a view must earn it: the first changes prepare nothing', async () => {
    const { prepared, request, report } = setup();
    request('a');
    await report();
    await turn();
    assert.deepEqual(prepared, []);
  });

  test('when changes outpace requests (many probes), nothing is prepared', async () => {
    const { live, prepared, request, report } = setup();
    for (let i = 0; i < 40; i++) {
      if (i % 10 === 0) request('a'); // one request per ten reports
      await report();
      await turn();
    }
    assert.equal(live.qualifies('a'), false);
    assert.deepEqual(prepared, []);
  });

  test('a view that stops being requested stops being prepared, and is forgotten after LIVE_MILLIS', async () => {
    const { live, prepared, request, report, advance } = setup();
    for (let i = 0; i < 5; i++) {
      request('a');
      await report();
      await turn();
    }
    assert.ok(live.qualifies('a'));
    for (let i = 0; i < 3; i++) {
      await report();
      await turn();
    }
    assert.equal(live.qualifies('a'), false);
    const n = prepared.length;
    await report();
    await turn();
    assert.equal(prepared.length, n);
    advance(LIVE_MILLIS + 1);
    await report();
    assert.equal(live.size, 0);
  });
});
