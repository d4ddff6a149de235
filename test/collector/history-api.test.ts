/**
 * `GET /api/history` (the UI timeline's range and change marks) and the file collector storing
 * report bodies as received (issue #8).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FileCollector } from '../../src/app/collector/index.js';
import { encodeReport } from '../../src/report/codec/index.js';
import { getJson, postReport, startTestApp } from '../app/helpers.js';
import { reportWithContainers, tempDir } from './helpers.js';

const headers = { 'content-type': 'application/msgpack', 'content-encoding': 'gzip', 'x-scope-probe-id': 'p1' };
const body = (ids: string[]) => gzipSync(encodeReport(reportWithContainers('h1', ids), 'msgpack'));

interface HistoryReply {
  oldest: string | null;
  probes: { id: string; reports: number }[];
  changes: { at: string; probeId: string; kind: string }[];
  truncated: boolean;
}

describe('GET /api/history', () => {
  test('memory collector: 404, it keeps no history', async () => {
    const app = await startTestApp({});
    try {
      const res = await getJson(app, 'api/history');
      assert.equal(res.status, 404);
    } finally {
      await app.close();
    }
  });

  test('file collector: changes of node sets, the oldest report, bodies stored as received', async () => {
    const tmp = tempDir('hist-api-');
    const bodies = [body(['a', 'b']), body(['a', 'b']), body(['a'])];
    const start = Date.now();
    try {
      const app = await startTestApp({ collector: pathToFileURL(tmp.dir).href });
      try {
        for (const b of bodies) assert.equal((await postReport(app, b, headers)).status, 200);
        const res = await getJson(app, 'api/history');
        assert.equal(res.status, 200);
        const h = res.body as HistoryReply;
        assert.deepEqual(h.changes.map((c) => [c.probeId, c.kind]), [['p1', 'appeared'], ['p1', 'nodes']]);
        assert.ok(h.oldest !== null && Date.parse(h.oldest) >= start - 1000);
        assert.deepEqual(h.probes.map((p) => [p.id, p.reports]), [['p1', 3]]);
        assert.equal(h.truncated, false);
        const change = Date.parse(h.changes[1]!.at);
        const before = (await getJson(app, `api/history?to=${new Date(change - 1).toISOString()}`)).body as HistoryReply;
        assert.equal(before.changes.length, 1, 'to= bounds the changes');
        assert.equal((await getJson(app, 'api/history?from=yesterday')).status, 400);
      } finally {
        await app.close();
      }
      // On disk: the bodies as the probe sent them, decompressed (no re-encoding).
      let now = Date.now();
      const reader = new FileCollector({ dir: tmp.dir, windowMillis: 15_000, now: () => now });
      try {
        await reader.ready();
        const records = await reader.range(start - 1000, now + 1000);
        assert.deepEqual(records.map((r, i) => Buffer.from(r.bytes).equals(gunzipSync(bodies[i]!))), [true, true, true]);
        now += 1;
      } finally {
        await reader.close();
      }
    } finally {
      tmp.remove();
    }
  });
});
