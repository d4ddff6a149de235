/** The Redis collector against a real redis-server: sharing, time travel, outages. */
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisCollector } from '../../src/app/collector/index.js';
import { parseTailOthers, TAIL_OTHERS_LUA } from '../../src/app/collector/redis-stream.js';
import { AppConfigError } from '../../src/app/config.js';
import { containerIds, redisAvailable, reportWithContainers, startRedis, type TestRedis } from './helpers.js';

const available = await redisAvailable();
if (!available && process.env.CI === 'true') throw new Error('redis-server is required in CI');

describe('RedisCollector', { skip: available ? false : 'redis-server not installed' }, () => {
  let redis: TestRedis;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.kill();
  });

  test('two collectors on one Redis serve the same merged reports', async () => {
    const a = new RedisCollector({ url: redis.url, windowMillis: 15_000, keyPrefix: 'share:' });
    const b = new RedisCollector({ url: redis.url, windowMillis: 15_000, keyPrefix: 'share:' });
    try {
      await Promise.all([a.ready(), b.ready()]);
      await a.add('pa', reportWithContainers('ha', ['a1']), Date.now());
      await b.add('pb', reportWithContainers('hb', ['b1']), Date.now());
      const both = ['a1;<container>', 'b1;<container>'];
      for (const c of [a, b]) {
        let ids: string[] = [];
        for (let i = 0; i < 100 && ids.join() !== both.join(); i++) {
          ids = containerIds(await c.report());
          await new Promise((r) => setTimeout(r, 50));
        }
        assert.deepEqual(ids, both);
      }
      // A replica started later loads the window from Redis.
      const late = new RedisCollector({ url: redis.url, windowMillis: 15_000, keyPrefix: 'share:' });
      try {
        await late.ready();
        assert.deepEqual(containerIds(await late.report()), both);
      } finally {
        await late.close();
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  test("the tail's read leaves out the reader's own entries but moves past them", async () => {
    const r = new Redis(redis.url);
    try {
      const key = 'tailfilter:reports';
      const add = (replica: string, probe: string) => r.xadd(key, '*', 'p', probe, 'r', replica, 'b', 'x');
      const ids = [await add('me', 'p1'), await add('other', 'p2'), await add('me', 'p3'), await add('other', 'p4'), await add('me', 'p5')];
      const read = async (after: string, count: number) => parseTailOthers(await r.callBuffer('EVAL', TAIL_OTHERS_LUA, 1, key, after, count, 'me'));
      const all = await read('0-0', 100);
      assert.equal(all.lastId, ids[4]);
      assert.deepEqual(all.entries.map((e) => e.fields.get('p')?.toString()), ['p2', 'p4']);
      assert.deepEqual(all.entries.map((e) => e.id), [ids[1], ids[3]]);
      // Pages count scanned entries, own ones included; the next page starts after the last scanned.
      const page = await read(ids[0]!, 2);
      assert.equal(page.lastId, ids[2]);
      assert.deepEqual(page.entries.map((e) => e.id), [ids[1]]);
      const none = await read(ids[4]!, 100);
      assert.equal(none.lastId, undefined);
      assert.deepEqual(none.entries, []);
    } finally {
      r.disconnect();
    }
  });

  test('time travel reads the stream by arrival time', async () => {
    const c = new RedisCollector({ url: redis.url, windowMillis: 1000, keyPrefix: 'tt:' });
    try {
      await c.ready();
      await c.add('p', reportWithContainers('h', ['old', 'kept']), Date.now());
      const then = Date.now();
      await new Promise((r) => setTimeout(r, 2100));
      await c.add('p', reportWithContainers('h', ['kept']), Date.now());
      assert.deepEqual(containerIds(await c.report()), ['kept;<container>']);
      assert.deepEqual(containerIds(await c.report(then + 5)), ['kept;<container>', 'old;<container>']);
      assert.equal(c.historic, true);
    } finally {
      await c.close();
    }
  });

  test('unreachable Redis at start is a configuration error', async () => {
    const c = new RedisCollector({ url: 'redis://127.0.0.1:1/0', windowMillis: 1000 });
    await assert.rejects(c.ready(), AppConfigError);
    await c.close();
  });

  test('a write that timed out while Redis stayed connected does not hold back later reports', async () => {
    const c = new RedisCollector({ url: redis.url, windowMillis: 30_000, keyPrefix: 'pause:' });
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      await c.ready();
      // Writes wait longer than the collector's command timeout (2 s); the connection stays up, so
      // no reconnect ('ready') will come to flush what went to the backlog.
      await client.call('CLIENT', 'PAUSE', '3000', 'WRITE');
      await c.add('p', reportWithContainers('h', ['paused']), Date.now());
      await new Promise((r) => setTimeout(r, 1500));
      await c.add('p', reportWithContainers('h', ['after']), Date.now());
      const stored = async (): Promise<string> => {
        const entries = await client.xrangeBuffer('pause:reports', '-', '+');
        return entries.map(([, f]) => gunzipSync(f[f.findIndex((x) => x.toString() === 'b') + 1]!).toString('latin1')).join();
      };
      let all = '';
      for (let i = 0; i < 100 && !all.includes('after;<container>'); i++) {
        all = await stored();
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(all.includes('after;<container>'), 'the report added after the timeout reached Redis');
      assert.ok(all.includes('paused;<container>'), 'and so did the one that timed out');
      // Redis executed the timed-out write once the pause ended, and the collector retried it:
      // stored once all the same (close() writes whatever is still waiting).
      await c.close();
      const entries = await client.xrangeBuffer('pause:reports', '-', '+');
      const paused = entries.filter(([, f]) => gunzipSync(f[f.findIndex((x) => x.toString() === 'b') + 1]!).toString('latin1').includes('paused;<container>'));
      assert.equal(paused.length, 1, 'the timed-out report is stored once');
    } finally {
      client.disconnect();
      await c.close();
    }
  });

  test('Redis killed and restarted: local reports keep serving, the backlog is written after', async () => {
    const a = new RedisCollector({ url: redis.url, windowMillis: 30_000, keyPrefix: 'down:' });
    const b = new RedisCollector({ url: redis.url, windowMillis: 30_000, keyPrefix: 'down:' });
    try {
      await Promise.all([a.ready(), b.ready()]);
      await redis.kill();
      await a.add('pa', reportWithContainers('ha', ['during']), Date.now());
      assert.deepEqual(containerIds(await a.report()), ['during;<container>']);
      await redis.restart();
      let ids: string[] = [];
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && ids.length === 0) {
        ids = containerIds(await b.report());
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.deepEqual(ids, ['during;<container>'], 'the report accepted during the outage reached the other replica');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
