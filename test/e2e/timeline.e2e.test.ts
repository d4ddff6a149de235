// End-to-end time travel (issue #8): the web UI in real Chromium against a real app on the file
// collector. The test feeds the app a recorded probe report, then the same report without one
// container; live, that container is gone; the timeline goes back and shows it again.
//
//   OPENSCOPE_E2E=1 node --import tsx --test test/e2e/timeline.e2e.test.ts
//
// Without OPENSCOPE_E2E the test is skipped (it needs Chromium and the built UI, web/dist: `npm
// run build:web`); with CI=true a missing Chromium or UI fails it. Screenshots go to test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { decodeReport, encodeReport } from '../../src/report/codec/index.js';
import { fixtureReport } from '../app/helpers.js';
import { loadScaledMillis } from '../helpers/deadline.js';
import { startOpenScope, waitFor, waitUntil } from '../helpers/openscope-process.js';
import { requirementMet } from '../helpers/requirements.js';
import { ARTIFACTS, CHROMIUM, openBrowserPage, runCleanups } from './browser.js';

const wanted = Boolean(process.env['OPENSCOPE_E2E']);
const PROBE_HEADERS = { 'content-type': 'application/msgpack', 'content-encoding': 'gzip', 'x-scope-probe-id': 'e2e-timeline-probe' };

/** The recorded report, and the same without container `removed` (and its processes). */
function bodies(): { full: Buffer; labelOf: (id: string) => string; without: (id: string) => Buffer } {
  const decode = () => decodeReport(gunzipSync(fixtureReport(3).body), 'msgpack');
  const full = gzipSync(encodeReport(decode(), 'msgpack'));
  const labels = new Map([...decode().topologies.container.nodes].map(([id, n]) => [id, (n.latest.get('docker_container_name')?.value ?? '').replace(/^\//, '')]));
  return {
    full,
    labelOf: (id) => labels.get(id) ?? '',
    without: (id) => {
      const r = decode();
      r.topologies.container.nodes.delete(id);
      const cid = id.replace(/;<container>$/, '');
      for (const [pid, n] of r.topologies.process.nodes) if (n.latest.get('docker_container_id')?.value === cid) r.topologies.process.nodes.delete(pid);
      return gzipSync(encodeReport(r, 'msgpack'));
    },
  };
}

const node = (page: Page, label: string) => page.locator(`[data-testid="graph-node"][data-label="${label}"]`);
const pausedAtOf = (url: string): string | null => {
  const hash = decodeURIComponent(new URL(url).hash).replace(/<SLASH>/g, '/');
  return /"pausedAt":"([^"]+)"/.exec(hash)?.[1] ?? null;
};

test('time travel in the UI: the timeline goes back to a removed container', { timeout: 240_000 }, async (t) => {
  if (!wanted) {
    t.skip('set OPENSCOPE_E2E=1 to run the browser test');
    return;
  }
  const missing = [!existsSync(CHROMIUM) && `Chromium at ${CHROMIUM}`, !existsSync('web/dist/index.html') && 'the built UI (npm run build:web)'].filter(Boolean);
  if (!requirementMet(t, missing.length > 0 ? `time-travel e2e needs ${missing.join(' and ')}` : undefined)) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  const cleanups: (() => unknown)[] = [];
  let feeding = true;
  try {
    const dir = mkdtempSync(join(tmpdir(), 'openscope-tt-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const app = await startOpenScope(['--mode=app', `--app.collector=${pathToFileURL(dir).href}`, '--app.window=3s'], { timeoutMillis: 60_000 });
    cleanups.push(() => app.stop());
    const post = async (body: Buffer): Promise<void> => {
      const res = await fetch(`${app.url}/api/report`, { method: 'POST', headers: PROBE_HEADERS, body });
      assert.equal(res.status, 200, `report accepted: ${await res.text()}`);
    };

    // A container visible in the default containers view, to remove.
    const b = bodies();
    await post(b.full);
    const shown = await waitFor('containers in the default view', async () => {
      const res = (await (await fetch(`${app.url}/api/topology/containers`)).json()) as { nodes: Record<string, { label: string }> };
      const ids = Object.keys(res.nodes).filter((id) => b.labelOf(id) !== '' && res.nodes[id]!.label === b.labelOf(id));
      return ids.length > 0 ? ids : undefined;
    }, 10_000);
    const removedId = shown[0]!;
    const label = b.labelOf(removedId);
    const withoutBody = b.without(removedId);

    // 6 s with the container, then without it from `removedAt` on (1 report/s, as a fast probe).
    for (let i = 0; i < 6; i++) {
      await post(b.full);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const beforeRemoval = Date.now() - 1500;
    const feeder = (async () => {
      while (feeding) {
        await post(withoutBody).catch(() => undefined);
        await new Promise((r) => setTimeout(r, 1000));
      }
    })();
    cleanups.push(async () => {
      feeding = false;
      await feeder;
    });

    const browser = await openBrowserPage('openscope-tt-chrome-');
    cleanups.push(() => browser.close());
    const { page, errors } = browser;
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const sockets: string[] = [];
    page.on('websocket', (ws) => sockets.push(ws.url()));

    await t.test('live: the removed container is gone and the timeline is shown', async () => {
      await page.goto(`${app.url}/#!/state/${encodeURIComponent(JSON.stringify({ topologyId: 'containers' }))}`);
      await page.getByTestId('timeline').waitFor({ timeout: loadScaledMillis(30_000) });
      await waitUntil('some containers, not the removed one', async () => (await page.getByTestId('graph-node').count()) > 0 && (await node(page, label).count()) === 0, 30_000);
      assert.equal(await page.getByTestId('timeline-label').textContent(), 'Live');
      await waitUntil('change marks', async () => (await page.getByTestId('timeline-mark').count()) > 0, 20_000);
      await page.screenshot({ path: join(ARTIFACTS, 'e2e-timeline-live.png') });
    });

    await t.test('"previous change" goes back to the removal: the container is there again', async () => {
      requests.length = 0;
      await page.getByTestId('timeline-prev-change').click();
      await node(page, label).waitFor({ timeout: loadScaledMillis(20_000) });
      const pausedAt = pausedAtOf(page.url());
      assert.ok(pausedAt, `the URL keeps the chosen time: ${page.url()}`);
      assert.ok(Date.parse(pausedAt) >= beforeRemoval - 10_000 && Date.parse(pausedAt) <= Date.now(), `near the removal: ${pausedAt}`);
      assert.ok(requests.some((u) => u.includes('api/topology/containers?') && u.includes('timestamp=')), `views ask with timestamp=: ${requests.join(' ')}`);
      assert.notEqual(await page.getByTestId('timeline-label').textContent(), 'Live');
      await page.screenshot({ path: join(ARTIFACTS, 'e2e-timeline-back.png') });
    });

    await t.test('details and the table follow the chosen moment', async () => {
      requests.length = 0;
      await node(page, label).click();
      await page.locator(`[data-testid="details-card"][data-node-id="${removedId}"]`).waitFor({ timeout: loadScaledMillis(15_000) });
      assert.ok(requests.some((u) => u.includes(`api/topology/containers/${encodeURIComponent(removedId)}`) && u.includes('timestamp=')), 'details asked with timestamp=');
      await page.getByTestId('view-grid').click();
      await page.locator(`[data-testid="table-row"][data-node-id="${removedId}"]`).waitFor({ timeout: loadScaledMillis(10_000) });
      await page.getByTestId('view-topo').click();
    });

    await t.test('a reload keeps the chosen moment', async () => {
      const url = page.url();
      await page.reload();
      await node(page, label).waitFor({ timeout: loadScaledMillis(30_000) });
      assert.equal(pausedAtOf(page.url()), pausedAtOf(url));
    });

    await t.test('Live returns to now: the container is gone again', async () => {
      await page.getByTestId('timeline-live').click();
      await waitUntil('removed container gone', async () => (await node(page, label).count()) === 0, 20_000);
      assert.equal(pausedAtOf(page.url()), null);
      assert.equal(await page.getByTestId('timeline-label').textContent(), 'Live');
    });

    await t.test('clicking the track before the removal shows it; steps move by 3 s', async () => {
      const box = await page.getByTestId('timeline-track').boundingBox();
      assert.ok(box);
      const min = Number(await page.getByTestId('timeline-track').getAttribute('aria-valuemin'));
      const max = Number(await page.getByTestId('timeline-track').getAttribute('aria-valuemax'));
      const target = beforeRemoval - 1000;
      await page.mouse.click(box.x + ((target - min) / (max - min)) * box.width, box.y + box.height / 2);
      await node(page, label).waitFor({ timeout: loadScaledMillis(20_000) });
      const at = Date.parse(pausedAtOf(page.url()) ?? '');
      assert.ok(Math.abs(at - target) < ((max - min) / box.width) * 3 + 1000, `clicked near ${new Date(target).toISOString()}, got ${new Date(at).toISOString()}`);
      await page.getByTestId('timeline-back').click();
      await waitUntil('3 s earlier', async () => Date.parse(pausedAtOf(page.url()) ?? '') === at - 3000, 5000, 100);
    });

    await t.test('play replays over a websocket opened with timestamp=', async () => {
      sockets.length = 0;
      await page.getByTestId('timeline-play').click();
      await waitUntil('a replay websocket', async () => sockets.some((u) => u.includes('/api/topology/containers/ws?') && u.includes('timestamp=')), 10_000, 100);
      await page.getByTestId('timeline-pause').click();
      assert.ok(pausedAtOf(page.url()), 'stopped where it was');
      await page.getByTestId('timeline-live').click();
    });

    assert.deepEqual(errors, [], 'no uncaught errors in the page');
  } finally {
    feeding = false;
    await runCleanups(cleanups);
  }
});
