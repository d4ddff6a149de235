// End-to-end: the web UI in real Chromium against a real OpenScope with real Docker containers.
//
//   OPENSCOPE_URL=http://host:4040/ node --import tsx --test test/e2e/ui.e2e.test.ts
//     runs against a running app whose probe sees this machine's Docker engine;
//   OPENSCOPE_E2E=1 node --import tsx --test test/e2e/ui.e2e.test.ts
//     starts `node --import tsx src/cli/main.ts` (app + probe) itself on a free port.
// Either way the test starts its own chain of containers A → B → C (busybox `nc`, long-lived
// TCP connections on a private network) and removes them afterwards. Without either variable the
// test is skipped (it needs Docker, Chromium and ~1 minute); with CI=true a missing Chromium or
// Docker fails it. Screenshots go to test-artifacts/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ebpfUnavailableReason } from '../../src/probe/ebpf/index.js';
import { loadScaledMillis } from '../helpers/deadline.js';
import { startOpenScope, waitFor, waitUntil } from '../helpers/openscope-process.js';
import { requirementMet } from '../helpers/requirements.js';
import { ARTIFACTS, CHROMIUM, openBrowserPage, runCleanups } from './browser.js';

const IMAGE = process.env['OPENSCOPE_E2E_IMAGE'] ?? 'localbb:latest';
const wanted = Boolean(process.env['OPENSCOPE_URL'] || process.env['OPENSCOPE_E2E']);

function have(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 15_000 });
    return true;
  } catch {
    return false;
  }
}

function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', timeout: 60_000 }).trim();
}

/** Admin token of the self-started app; with OPENSCOPE_URL, OPENSCOPE_TOKEN (if the app wants one). */
const E2E_TOKEN = process.env['OPENSCOPE_URL'] ? (process.env['OPENSCOPE_TOKEN'] ?? '') : `e2e-${randomBytes(12).toString('hex')}`;

interface Chain {
  a: string;
  b: string;
  c: string;
  network: string;
  remove: () => void;
}

/**
 * A → B → C: each client holds a long-lived TCP connection, each server `nc -ll`. A streams
 * 20 kB every second to B (echoed back), so the A → B edge carries traffic (issue #10); B → C idles
 * (`sleep | nc`).
 */
function startChain(): Chain {
  const tag = `osui${process.pid}${Date.now() % 100000}`;
  const network = `${tag}-net`;
  const [a, b, c] = [`${tag}-a`, `${tag}-b`, `${tag}-c`];
  const serve = (port: number): string => `nc -ll -p ${port} -e cat &`;
  const connect = (host: string, port: number): string => `while true; do sleep 100000 | nc ${host} ${port}; sleep 1; done`;
  const stream = (host: string, port: number): string =>
    `while true; do (while true; do head -c 20000 /dev/zero; sleep 1; done) | nc ${host} ${port} >/dev/null; sleep 1; done`;
  const remove = (): void => {
    for (const n of [a, b, c]) {
      try {
        docker('rm', '-f', n);
      } catch {
        /* already gone */
      }
    }
    try {
      docker('network', 'rm', network);
    } catch {
      /* already gone */
    }
  };
  try {
    docker('network', 'create', network);
    docker('run', '-d', '--name', c, '--network', network, IMAGE, 'sh', '-c', `${serve(5432)} while true; do sleep 3600; done`);
    docker('run', '-d', '--name', b, '--network', network, IMAGE, 'sh', '-c', `${serve(8080)} ${connect(c, 5432)}`);
    docker('run', '-d', '--name', a, '--network', network, IMAGE, 'sh', '-c', stream(b, 8080));
  } catch (err) {
    remove();
    throw err;
  }
  return { a, b, c, network, remove };
}

const node = (page: Page, label: string) => page.locator(`[data-testid="graph-node"][data-label="${label}"]`);

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `e2e-${name}.png`) });
}

test('web UI against a real OpenScope', { timeout: 480_000 }, async (t) => {
  if (!wanted) {
    t.skip('set OPENSCOPE_URL (running app) or OPENSCOPE_E2E=1 (self-started app) to run the browser test');
    return;
  }
  const missing = [!existsSync(CHROMIUM) && `Chromium at ${CHROMIUM}`, !have('docker', ['info']) && 'Docker'].filter(Boolean);
  if (!requirementMet(t, missing.length > 0 ? `browser e2e needs ${missing.join(' and ')}` : undefined)) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  const cleanups: (() => unknown)[] = [];
  try {
    const chain = startChain();
    cleanups.push(() => chain.remove());
    let base = process.env['OPENSCOPE_URL'] ?? '';
    if (!base) {
      // An admin token turns login on even on loopback, so the test signs in the way a user does:
      // through the login URL (issue #7).
      const app = await startOpenScope(['--probe.docker=true'], { token: E2E_TOKEN, timeoutMillis: 60_000 });
      cleanups.push(() => app.stop());
      base = app.url;
    }
    if (!base.endsWith('/')) base += '/';
    const browser = await openBrowserPage('openscope-e2e-');
    cleanups.push(() => browser.close());
    const { page, errors } = browser;

    const containersUrl = `${base}#!/state/${encodeURIComponent(JSON.stringify({ topologyId: 'containers' }))}`;
    const ids: Record<string, string> = {};

    if (E2E_TOKEN) {
      await t.test('logging in through the URL token sets a session and removes the token from the address bar', async () => {
        const denied = await fetch(`${base}api/topology`);
        assert.equal(denied.status, 401, 'the API needs credentials');
        await page.goto(`${base}?token=${encodeURIComponent(E2E_TOKEN)}`);
        assert.ok(!page.url().includes('token='), `token still in the address bar: ${page.url()}`);
        await waitUntil('the topology selector after login', async () => (await page.getByTestId('topology-containers').count()) > 0, 30_000);
      });
    }

    await t.test('containers graph shows the chain A → B → C with their names', async () => {
      await page.goto(containersUrl);
      await waitUntil(
        'A, B, C with edges A→B and B→C',
        async () => {
          for (const l of [chain.a, chain.b, chain.c]) {
            const id = await node(page, l).getAttribute('data-node-id', { timeout: 1000 });
            if (!id) return false;
            ids[l] = id;
          }
          // Edges are visible as a highlight set when hovering; check adjacency via the table model instead.
          await node(page, chain.b).hover();
          const edges = (await page.getByTestId('graph').getAttribute('data-highlighted-edges')) ?? '';
          return edges.includes(`${ids[chain.a]}---${ids[chain.b]}`) && edges.includes(`${ids[chain.b]}---${ids[chain.c]}`);
        },
        90_000,
        1000,
      );
      await page.mouse.move(5, 400);
      await shot(page, 'containers');
    });

    await t.test('hovering A shows the direction to B', async () => {
      await node(page, chain.a).hover();
      const graph = page.getByTestId('graph');
      assert.equal(await graph.getAttribute('data-hovered-node'), ids[chain.a]);
      const edges = ((await graph.getAttribute('data-highlighted-edges')) ?? '').split(' ');
      assert.ok(edges.includes(`${ids[chain.a]}---${ids[chain.b]}`), `edge A→B highlighted (got ${edges.join(', ')})`);
      assert.ok(!edges.includes(`${ids[chain.b]}---${ids[chain.a]}`), 'no edge B→A');
      await shot(page, 'hover-a');
    });

    await t.test('the edge A → B is drawn thicker for its traffic and its tooltip shows bytes/s and RTT', async (st) => {
      const unavailable = process.env['OPENSCOPE_URL'] ? undefined : ebpfUnavailableReason();
      if (!requirementMet(st, unavailable && `edge traffic needs the probe's eBPF tracker: ${unavailable}`)) return;
      const graph = page.getByTestId('graph');
      const edgeId = `${ids[chain.a]}---${ids[chain.b]}`;
      // Rates arrive once the eBPF tracker runs (bpftrace compiles for seconds, longer on a loaded
      // machine) and a spy interval has passed.
      const width = await waitFor('A → B drawn thicker', async () => {
        const thick = ((await graph.getAttribute('data-traffic-edges')) ?? '').split(' ');
        const mine = thick.find((x) => x.startsWith(`${edgeId}=`));
        return mine === undefined ? undefined : Number(mine.slice(edgeId.length + 1)) || undefined;
      }, 60_000, 1000).catch(() => 0);
      // Point at the middle of the curve (scene.ts: control point bent by 0.12 of the chord).
      await page.mouse.move(5, 400);
      const box = (await graph.boundingBox())!;
      const mid = await page.evaluate(([from, to]) => {
        type Graph = { screenOf(id: string): { x: number; y: number } | null };
        const g = (globalThis as unknown as { __openscopeGraph: Graph }).__openscopeGraph;
        const s = g.screenOf(from!)!;
        const e = g.screenOf(to!)!;
        return { x: (s.x + e.x) / 2 - (e.y - s.y) * 0.06, y: (s.y + e.y) / 2 + (e.x - s.x) * 0.06 };
      }, [ids[chain.a], ids[chain.b]]);
      const tooltip = page.getByTestId('edge-tooltip');
      await waitUntil('the A → B tooltip', async () => {
        await page.mouse.move(box.x + mid.x, box.y + mid.y);
        return (await tooltip.getAttribute('data-edge-id')) === edgeId && (await tooltip.isVisible());
      }, 10_000, 300);
      const text = (await tooltip.textContent()) ?? '';
      assert.match(text, new RegExp(`${chain.a} → ${chain.b}`));
      await shot(page, 'edge-traffic');
      await page.mouse.move(5, 400);
      if (width === 0) {
        // The probe may have fallen back to /proc (no rates): then the edge must not claim any.
        assert.equal(Number(await tooltip.getAttribute('data-bytes-per-second')), 0, text);
        if (process.env['CI'] === 'true') assert.fail('no bytes/s on A → B within 60 s with the eBPF tracker available');
        st.skip('no bytes/s on A → B within 60 s: the probe reported no rates (eBPF tracker not running?)');
        return;
      }
      assert.match(text, /→ [\d.]+ (k|M)?B\/s/, text);
      assert.ok(Number(await tooltip.getAttribute('data-bytes-per-second')) > 0, text);
    });

    await t.test('clicking B opens details with inbound A, outbound C and its processes', async () => {
      await node(page, chain.b).click();
      const card = page.locator(`[data-testid="details-card"][data-node-id="${ids[chain.b]}"]`);
      await card.waitFor({ timeout: loadScaledMillis(15_000) });
      await waitUntil('inbound A', async () => (await card.locator(`[data-testid="connections-inbound"] [data-node-id="${ids[chain.a]}"]`).count()) > 0, 30_000);
      await waitUntil('outbound C', async () => (await card.locator(`[data-testid="connections-outbound"] [data-node-id="${ids[chain.c]}"]`).count()) > 0, 30_000);
      // B's processes (httpd, its wget loop) are listed as children, each opening its own card.
      await waitUntil('processes of B', async () => (await card.locator('[data-testid="children-processes"] [data-testid="child-row"] button').count()) > 0, 30_000);
      assert.equal(await card.getByTestId('card-title').textContent(), chain.b);
      await shot(page, 'details-b');
    });

    await t.test('a terminal runs `echo hi` and shows hi', async () => {
      await page.getByTestId('control-docker_exec_container').click();
      const term = page.getByTestId('terminal');
      await term.waitFor({ timeout: loadScaledMillis(20_000) });
      await page.locator('[data-testid="terminal"][data-status="connected"]').waitFor({ timeout: loadScaledMillis(30_000) });
      await page.getByTestId('terminal-body').click();
      await page.waitForTimeout(500);
      await page.keyboard.type('echo hi\r');
      await waitUntil('"hi" on its own line', async () => {
        const text = (await page.locator('[data-testid="terminal-body"] .xterm-rows').innerText()).split('\n').map((l) => l.trim());
        return text.includes('hi');
      }, 20_000);
      await shot(page, 'terminal');
      await page.getByTestId('terminal-close').click();
      await term.waitFor({ state: 'detached', timeout: loadScaledMillis(5000) });
    });

    await t.test('table view lists the containers', async () => {
      await page.getByTestId('view-grid').click();
      for (const l of [chain.a, chain.b, chain.c]) {
        await page.locator(`[data-testid="table-row"][data-node-id="${ids[l]}"]`).waitFor({ timeout: loadScaledMillis(10_000) });
      }
      await shot(page, 'table');
      await page.getByTestId('view-topo').click();
      await node(page, chain.a).waitFor({ timeout: loadScaledMillis(10_000) });
    });

    await t.test('search for A highlights A and fades the rest', async () => {
      await page.getByTestId('search-input').fill(chain.a);
      await waitUntil('A matched, C faded', async () => {
        const a = (await node(page, chain.a).getAttribute('class')) ?? '';
        const c = (await node(page, chain.c).getAttribute('class')) ?? '';
        return a.includes('matched') && c.includes('faded');
      }, 5000, 200);
      await shot(page, 'search');
    });

    await t.test('a reload with the same URL restores the view', async () => {
      await page.waitForTimeout(800); // URL updates are debounced
      const url = page.url();
      await page.reload();
      assert.equal(page.url(), url);
      await node(page, chain.a).waitFor({ timeout: loadScaledMillis(30_000) });
      assert.equal(await page.getByTestId('search-input').inputValue(), chain.a);
      assert.equal(await page.getByTestId('topology-containers').getAttribute('aria-pressed'), 'true');
      assert.equal(await page.getByTestId('view-topo').getAttribute('aria-pressed'), 'true');
      await page.locator(`[data-testid="details-card"][data-node-id="${ids[chain.b]}"]`).waitFor({ timeout: loadScaledMillis(15_000) });
      await shot(page, 'reloaded');
      await page.getByTestId('search-input').fill('');
    });

    await t.test('switching to processes and hosts works', async () => {
      await page.getByTestId('topology-processes').click();
      await waitUntil('process nodes', async () => (await page.getByTestId('graph-node').count()) > 0, 30_000);
      await shot(page, 'processes');
      await page.getByTestId('topology-hosts').click();
      await waitUntil('host nodes', async () => (await page.getByTestId('graph-node').count()) > 0, 30_000);
      await shot(page, 'hosts');
    });

    await t.test('the stop button stops the container and its node changes state', async () => {
      await page.goto(containersUrl);
      await node(page, chain.c).click();
      const card = page.locator(`[data-testid="details-card"][data-node-id="${ids[chain.c]}"]`);
      await card.getByTestId('control-docker_stop_container').click();
      await waitUntil('C stopped in Docker', async () => docker('inspect', '-f', '{{.State.Running}}', chain.c) === 'false', 60_000, 1000);
      // Stopped containers leave the default ("running") view, or show an exited state.
      await waitUntil('C node changes state', async () => {
        const gone = (await node(page, chain.c).count()) === 0;
        const state = (await card.locator('[data-testid="meta-docker_container_state_human"]').textContent({ timeout: 500 }).catch(() => '')) ?? '';
        return gone || /exited|stopped/i.test(state);
      }, 45_000, 1000);
      await shot(page, 'stopped');
    });

    assert.deepEqual(errors, [], 'no uncaught errors in the page');
  } finally {
    await runCleanups(cleanups);
  }
});
