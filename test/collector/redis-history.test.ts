/**
 * The Redis collector's history (issue #8) against a real redis-server: compaction into chunks,
 * time travel across the watermark, several compactors, the change index; and its outage promises:
 * logs once, keeps serving, no report acknowledged while Redis was up is lost (Redis with AOF).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Writable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { RedisCollector } from '../../src/app/collector/index.js';
import { planParts } from '../../src/app/collector/redis-compact.js';
import type { StreamEntry } from '../../src/app/collector/redis-stream.js';
import { containerIds, redisAvailable, reportWithContainers, startRedis, tempDir, type TestRedis } from './helpers.js';

const available = await redisAvailable();
if (!available && process.env.CI === 'true') throw new Error('redis-server is required in CI');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A pino logger that keeps its lines, to count warnings. */
function capturingLogger(): { logger: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as { level: number; msg: string });
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

describe('RedisCollector history', { skip: available ? false : 'redis-server not installed' }, () => {
  let redis: TestRedis;
  let client: Redis;
  before(async () => {
    redis = await startRedis();
    client = new Redis(redis.url);
  });
  after(async () => {
    client.disconnect();
    await redis.kill();
  });

  test('closed chunks are compacted; time travel reads chunks below the watermark and raw entries above, once each', async () => {
    const opts = { url: redis.url, windowMillis: 1000, keyPrefix: 'cmp:', chunkMillis: 500, compactEveryMillis: 3_600_000 };
    const a = new RedisCollector(opts);
    const b = new RedisCollector(opts);
    try {
      await Promise.all([a.ready(), b.ready()]);
      // Reports are stored at Redis's time of their XADD, some time after add() is called (more on
      // a loaded machine) and before it resolves: the times read below are taken when an add has
      // resolved, so each names a moment just after a stored report, however long the adds took.
      const t0 = Date.now();
      let firstStored = 0;
      let withOld = 0; // just after the last report with 'old'
      for (let i = 0; i < 4; i++) {
        await a.add('p', reportWithContainers('h', ['old', 'kept']), Date.now());
        withOld = Date.now();
        if (i === 0) firstStored = withOld;
        await sleep(150);
      }
      await sleep(1200); // the next window (1 s) after withOld holds no report with 'old'
      let keptOnly = 0; // just after the last report without it
      for (let i = 0; i < 4; i++) {
        await a.add('p', reportWithContainers('h', ['kept']), Date.now());
        keptOnly = Date.now();
        await sleep(150);
      }
      await sleep(1600); // every chunk so far is closed (500 ms + 1 s margin)
      // Two replicas compacting at once: the watermark is WATCHed, so each chunk is written once.
      await Promise.all([a.compact(), b.compact()]);
      const wm = Number(await client.get('cmp:compacted'));
      assert.ok(wm > withOld + 1200, `watermark ${wm} covers the reports`);
      const chunks = (await client.xrange('cmp:history', '-', '+')) as [string, string[]][];
      const inChunks = chunks.reduce((n, [, f]) => n + Number(f[f.indexOf('n') + 1]), 0);
      assert.equal(inChunks, 8, 'every report in exactly one chunk');

      await a.add('p', reportWithContainers('h', ['kept', 'new']), Date.now()); // above the watermark
      const all = await b.range(t0 - 1, Date.now() + 1);
      assert.equal(all.length, 9, 'chunks and raw entries, no duplicates');
      assert.equal(new Set(all.map((r) => r.key)).size, 9);
      assert.deepEqual(containerIds(await b.report(withOld)), ['kept;<container>', 'old;<container>'], 'from a chunk');
      assert.deepEqual(containerIds(await b.report(keptOnly)), ['kept;<container>']);

      // The change index: the probe appeared, then its node set changed twice.
      const h = await a.history(t0 - 1, Date.now() + 1);
      assert.deepEqual(h.changes.map((c) => c.kind), ['appeared', 'nodes', 'nodes']);
      // The oldest time is the first report's chunk start (a chunk of 500 ms), or the report itself.
      assert.ok(h.oldestMillis !== null && h.oldestMillis > t0 - opts.chunkMillis && h.oldestMillis <= firstStored, `oldest ${h.oldestMillis}, first report stored in (${t0}, ${firstStored}]`);
      assert.equal(h.probes[0]?.reports, 9);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a chunk larger than a part is written as several parts, split between probes, and read back whole', async () => {
    // Parts of ~1 byte: every probe's reports are cut into their own parts (and split further).
    // A window of a minute holds all 9 reports however long their adds take on a loaded machine
    // (with 1 s, the first ones fell out of the window read at `at` once, at load 40).
    const opts = { url: redis.url, windowMillis: 60_000, keyPrefix: 'prt:', chunkMillis: 500, compactEveryMillis: 3_600_000, chunkPartBytes: 1 };
    const c = new RedisCollector(opts);
    try {
      await c.ready();
      const t0 = Date.now();
      for (let i = 0; i < 3; i++) {
        for (const probe of ['p1', 'p2', 'p3']) await c.add(probe, reportWithContainers(`h-${probe}`, [`${probe}-c${i}`]), Date.now());
        await sleep(100);
      }
      const at = Date.now();
      await sleep(1600);
      await c.compact();
      const parts = (await client.xrange('prt:history', '-', '+')) as [string, string[]][];
      assert.ok(parts.length >= 3, `one part or more per probe: ${parts.length}`);
      assert.equal(parts.reduce((n, [, f]) => n + Number(f[f.indexOf('n') + 1]), 0), 9, 'every report in exactly one part');
      const all = await c.range(t0 - 1, Date.now());
      assert.equal(new Set(all.map((r) => r.key)).size, 9);
      assert.equal(all.length, 9);
      assert.deepEqual(containerIds(await c.report(at)), ['p1-c0', 'p1-c1', 'p1-c2', 'p2-c0', 'p2-c1', 'p2-c2', 'p3-c0', 'p3-c1', 'p3-c2'].map((x) => `${x};<container>`));
    } finally {
      await c.close();
    }
  });

  test('planParts groups a chunk by probe and cuts between probes', () => {
    const body = gzipSync(Buffer.alloc(1000)); // trailer: 1000 bytes uncompressed
    const entry = (id: string, probe: string): StreamEntry => ({ id, millis: Number(id.split('-')[0]), fields: new Map([['p', Buffer.from(probe)], ['b', body]]) });
    const entries = [entry('1-0', 'b'), entry('2-0', 'a'), entry('3-0', 'b'), entry('4-0', 'a'), entry('5-0', 'c')];
    const ids = (parts: StreamEntry[][]) => parts.map((p) => p.map((e) => e.id));
    assert.deepEqual(ids(planParts(entries, 1e9)), [['2-0', '4-0', '1-0', '3-0', '5-0']], 'one part, by probe then time');
    assert.deepEqual(ids(planParts(entries, 1500)), [['2-0', '4-0'], ['1-0', '3-0'], ['5-0']], 'cut between probes once full');
    assert.deepEqual(ids(planParts(entries, 400)), [['2-0'], ['4-0'], ['1-0'], ['3-0'], ['5-0']], 'a probe over two parts is split');
  });

  test('a report body stored as received (gzip) is served back', async () => {
    const c = new RedisCollector({ url: redis.url, windowMillis: 1000, keyPrefix: 'rcv:' });
    try {
      await c.ready();
      const { encodeReportBody } = await import('../../src/report/codec/index.js');
      const r = reportWithContainers('h', ['x']);
      const body = await encodeReportBody(r, 'msgpack');
      await c.add('p', reportWithContainers('h', ['x']), Date.now(), { bytes: body, format: 'msgpack', contentEncoding: 'gzip' });
      const at = Date.now();
      const entries = await client.xrangeBuffer('rcv:reports', '-', '+');
      const fields: Buffer[] = entries[0]?.[1] ?? [];
      assert.ok(fields.some((f) => f.equals(Buffer.from(body))), 'the body as the probe sent it');
      await sleep(1500);
      assert.deepEqual(containerIds(await c.report(at)), ['x;<container>']);
    } finally {
      await c.close();
    }
  });
});

describe('RedisCollector outage promises', { skip: available ? false : 'redis-server not installed' }, () => {
  test('the backlog of an outage is bounded in bytes: the newest reports are kept', async () => {
    const server = await startRedis();
    const body = (id: string) => gzipSync(Buffer.from(JSON.stringify({ id, pad: 'x'.repeat(2000) })));
    // Room for about two bodies of ~100 bytes gzipped (the fields p, r and b count).
    const c = new RedisCollector({ url: server.url, windowMillis: 60_000, keyPrefix: 'bb:', maxBacklogBytes: 2 * (body('x').length + 30) });
    const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await c.ready();
      await server.kill();
      for (let i = 0; i < 5; i++) {
        const received = { bytes: body(`r${i}`), format: 'json' as const, contentEncoding: 'gzip' };
        await c.add('p', reportWithContainers('h', [`during${i}`]), Date.now(), received);
      }
      await server.restart();
      await client.connect();
      let n = 0;
      const deadline = Date.now() + 30_000; // generous: a loaded CI machine reconnects slowly
      while (Date.now() < deadline && n < 2) {
        n = (await client.xrange('bb:reports', '-', '+')).length;
        await sleep(100);
      }
      await sleep(300);
      const entries = await client.xrangeBuffer('bb:reports', '-', '+');
      const ids = entries.map(([, f]) => JSON.parse(gunzipSync(f[f.findIndex((x) => x.toString() === 'b') + 1]!).toString()).id as string);
      assert.deepEqual(ids, ['r3', 'r4'], 'the two newest reports of the outage were written');
    } finally {
      client.disconnect();
      await c.close();
      await server.kill();
    }
  });

  test('Redis (AOF) killed and restarted: logs once, keeps serving, no acknowledged report is lost', async () => {
    const tmp = tempDir('redis-aof-');
    const server = await startRedis({ persistDir: tmp.dir });
    const { logger, lines } = capturingLogger();
    const c = new RedisCollector({ url: server.url, windowMillis: 60_000, keyPrefix: 'dur:', logger });
    const client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await c.ready();
      await c.add('p', reportWithContainers('h', ['before']), Date.now()); // acknowledged: in Redis
      await server.kill();
      for (let i = 0; i < 5; i++) {
        await c.add('p', reportWithContainers('h', [`during${i}`]), Date.now()); // acknowledged: in the backlog
        assert.ok(containerIds(await c.report()).includes(`during${i};<container>`), 'serving what it has');
        await sleep(300);
      }
      await server.restart();
      await client.connect();
      let ids: string[] = [];
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline && ids.length < 6) {
        const entries = await client.xrange('dur:reports', '-', '+');
        ids = entries.map(([id]) => id);
        await sleep(100);
      }
      assert.equal(ids.length, 6, 'the report from before the outage survived, the 5 from during it were written after');
      const unreachable = lines.filter((l) => l.level === 40 && l.msg.includes('unreachable'));
      assert.equal(unreachable.length, 1, `warned once: ${JSON.stringify(lines)}`);
      assert.ok(lines.some((l) => l.msg.includes('Redis is back')), 'says when it is back');
      // And a late replica sees all of them in its window.
      const late = new RedisCollector({ url: server.url, windowMillis: 60_000, keyPrefix: 'dur:' });
      try {
        await late.ready();
        assert.equal(containerIds(await late.report()).length, 6);
      } finally {
        await late.close();
      }
    } finally {
      client.disconnect();
      await c.close();
      await server.kill();
      tmp.remove();
    }
  });
});
