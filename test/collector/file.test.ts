/** The file collector: history on disk, retention, restart recovery, time travel. */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, test } from 'node:test';
import { FileCollector } from '../../src/app/collector/index.js';
import { containerIds, reportWithContainers, tempDir } from './helpers.js';

const MIN = 60_000;

describe('FileCollector', () => {
  test('time travel: a past timestamp shows containers removed since; now shows the current ones', async () => {
    const tmp = tempDir('fc-');
    let now = 1_800_000_000_000;
    const c = new FileCollector({ dir: tmp.dir, windowMillis: 15_000, now: () => now, segmentMillis: MIN });
    try {
      await c.ready();
      // 10 minutes of reports every 3 s; container "gone" disappears 4 minutes before the end.
      const end = now + 10 * MIN;
      for (; now < end; now += 3000) {
        const ids = now < end - 4 * MIN ? ['kept', 'gone'] : ['kept'];
        await c.add('p1', reportWithContainers('h1', ids), now);
      }
      assert.deepEqual(containerIds(await c.report()), ['kept;<container>']);
      assert.deepEqual(containerIds(await c.report(now - 5 * MIN)), ['gone;<container>', 'kept;<container>']);
      assert.deepEqual(containerIds(await c.report(now - 2 * MIN)), ['kept;<container>']);
      assert.deepEqual(containerIds(await c.report(now - 60 * MIN)), [], 'before the first report: nothing');
      assert.equal(c.historic, true);
    } finally {
      await c.close();
      tmp.remove();
    }
  });

  test('restart: the last window is back at once and history survives; closed segments are compressed', async () => {
    const tmp = tempDir('fc-');
    let now = 1_800_000_000_000;
    const opts = { dir: tmp.dir, windowMillis: 15_000, now: () => now, segmentMillis: MIN };
    const first = new FileCollector(opts);
    try {
      await first.ready();
      for (let i = 0; i < 60; i++, now += 3000) {
        await first.add('p1', reportWithContainers('h1', i < 30 ? ['a', 'old'] : ['a']), now);
      }
    } finally {
      await first.close();
    }
    const second = new FileCollector(opts);
    try {
      await second.ready();
      assert.deepEqual(containerIds(await second.report()), ['a;<container>']);
      assert.deepEqual(containerIds(await second.report(now - 150_000)), ['a;<container>', 'old;<container>']);
      await second.add('p1', reportWithContainers('h1', ['b']), now);
      assert.deepEqual(containerIds(await second.report()), ['a;<container>', 'b;<container>']);
    } finally {
      await second.close();
    }
    const files = readdirSync(tmp.dir);
    assert.ok(files.some((f) => f.endsWith('.seg.br')), `compressed segments in ${files.join(', ')}`);
    tmp.remove();
  });

  test('retention deletes old segments', async () => {
    const tmp = tempDir('fc-');
    let now = 1_800_000_000_000;
    const opts = { dir: tmp.dir, windowMillis: 15_000, now: () => now, segmentMillis: MIN, retentionMillis: 10 * MIN };
    const c = new FileCollector(opts);
    try {
      await c.ready();
      for (let i = 0; i < 200; i++, now += 6000) await c.add('p1', reportWithContainers('h1', [`c${i}`]), now);
    } finally {
      await c.close();
    }
    const again = new FileCollector(opts); // the start-up sweep applies retention too
    try {
      await again.ready();
      assert.deepEqual(containerIds(await again.report(now - 30 * MIN)), [], 'older than the retention: gone');
      assert.equal(containerIds(await again.report(now - 5 * MIN)).length > 0, true);
      const starts = readdirSync(tmp.dir).map((f) => Number(/^(\d+)/.exec(f)?.[1]));
      assert.ok(Math.min(...starts) >= now - 12 * MIN, 'no segment far beyond the retention remains');
    } finally {
      await again.close();
      tmp.remove();
    }
  });

  test('a torn record at the end of a segment (crash mid-write) is ignored', async () => {
    const { appendFileSync } = await import('node:fs');
    const tmp = tempDir('fc-');
    let now = 1_800_000_000_000;
    const opts = { dir: tmp.dir, windowMillis: 15_000, now: () => now, segmentMillis: MIN };
    const c = new FileCollector(opts);
    await c.ready();
    await c.add('p1', reportWithContainers('h1', ['x']), now);
    await c.close();
    const open = readdirSync(tmp.dir).find((f) => f.endsWith('.open'))!;
    appendFileSync(`${tmp.dir}/${open}`, Buffer.from([0, 0, 1, 0, 1, 2, 3]));
    now += 1000;
    const again = new FileCollector(opts);
    try {
      await again.ready();
      assert.deepEqual(containerIds(await again.report()), ['x;<container>']);
    } finally {
      await again.close();
      tmp.remove();
    }
  });
});
