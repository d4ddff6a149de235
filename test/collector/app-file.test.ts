/**
 * The app on the file collector (issue #8): restart shows the topology at once, and `timestamp=`
 * five minutes back shows containers removed since. The history is written with an injected
 * clock (arrivals we control) instead of waiting minutes.
 */
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { FileCollector } from '../../src/app/collector/index.js';
import { decodeReport } from '../../src/report/codec/index.js';
import { WebSocket } from 'ws';
import { fixtureReport, getJson, postReport, startTestApp, wsUrl } from '../app/helpers.js';
import { tempDir } from './helpers.js';

const MIN = 60_000;
const fixture = () => decodeReport(gunzipSync(fixtureReport(3).body), 'msgpack');
const nodeIds = (body: unknown): string[] => Object.keys((body as { nodes: Record<string, unknown> }).nodes).sort();

describe('app with the file collector', () => {
  test('restart: topology back at once; timestamp= 5 minutes back shows a container removed since', async () => {
    const tmp = tempDir('app-fc-');
    const url = pathToFileURL(tmp.dir).href;
    try {
      const containers = [...fixture().topologies.container.nodes.keys()];
      assert.ok(containers.length >= 2, 'the fixture has containers');
      const removed = containers[0]!;
      const removedId = removed; // rendered container ids are the report's node ids
      // 10 minutes of history ending now; the container goes away 3 minutes before the end.
      const end = Date.now();
      let now = end - 10 * MIN;
      const writer = new FileCollector({ dir: tmp.dir, windowMillis: 15_000, now: () => now });
      await writer.ready();
      for (; now <= end - 20_000; now += 3000) {
        const r = fixture();
        if (now > end - 3 * MIN) {
          // The container goes, and so do its processes (they would render it again).
          r.topologies.container.nodes.delete(removed);
          const cid = removed.replace(/;<container>$/, '');
          for (const [id, n] of r.topologies.process.nodes) {
            if (n.latest.get('docker_container_id')?.value === cid) r.topologies.process.nodes.delete(id);
          }
        }
        await writer.add('probe-1', r, now);
      }
      await writer.close();

      // A 2-minute window: writing the history may take tens of seconds on a loaded machine, and its
      // last record (end − 20 s) must still be in the window when the app starts.
      const app = await startTestApp({ collector: url, windowMillis: 120_000 });
      try {
        const api = (await getJson(app, 'api')).body as { capabilities: Record<string, boolean> };
        assert.equal(api.capabilities.historic_reports, true);
        const current = nodeIds((await getJson(app, 'api/topology/containers?system=all&stopped=both')).body);
        assert.ok(current.length > 0, 'the last window is served at once after a restart');
        assert.ok(!current.includes(removedId), `${removedId} is gone now`);
        const past = new Date(end - 5 * MIN).toISOString().replace(/\.\d+Z$/, 'Z');
        const then = await getJson(app, `api/topology/containers?system=all&stopped=both&timestamp=${past}`);
        assert.equal(then.status, 200);
        assert.ok(nodeIds(then.body).includes(removedId), `${removedId} was there 5 minutes ago: ${nodeIds(then.body).join(', ')}`);
        const details = await getJson(app, `api/topology/containers/${encodeURIComponent(removedId)}?timestamp=${past}`);
        assert.equal(details.status, 200, 'its details too');
        // The websocket replays from `timestamp` (app §1.6): its first diff is the past topology.
        const ws = new WebSocket(wsUrl(app, `api/topology/containers/ws?system=all&stopped=both&t=5s&timestamp=${past}`));
        try {
          // Listening before 'open': the first diff can arrive in the same chunk as the upgrade.
          const data = await new Promise<Buffer>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('no first diff within 10 s')), 10_000);
            ws.once('message', (d: Buffer) => {
              clearTimeout(timer);
              resolve(d);
            });
            ws.once('error', reject);
          });
          const first = JSON.parse(data.toString()) as { add: { id: string }[] | null; reset?: boolean };
          assert.equal(first.reset, true);
          assert.ok((first.add ?? []).some((n) => n.id === removedId), 'the websocket starts at the past topology');
        } finally {
          ws.terminate();
        }
        // A report posted now is stored and served.
        const f = fixtureReport(4);
        assert.equal((await postReport(app, f.body, f.headers)).status, 200);
      } finally {
        await app.close();
      }
      const again = await startTestApp({ collector: url, windowMillis: 30_000 });
      try {
        assert.ok(nodeIds((await getJson(again, 'api/topology/hosts')).body).length > 0, 'back after a second restart');
      } finally {
        await again.close();
      }
    } finally {
      tmp.remove();
    }
  });
});
