/**
 * Screenshots of the UI against a running server (fixture server or a real app), for looking
 * at the result while developing: node --import tsx web/dev/shoot.ts [baseUrl] [scenario...]
 */
import { chromium, type Page } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.argv[2] ?? 'http://127.0.0.1:4041/';
const scenarios = process.argv.slice(3);
const out = 'test-artifacts';
mkdirSync(out, { recursive: true });

const userDataDir = mkdtempSync(join(tmpdir(), 'openscope-shoot-'));
const ctx = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1400, height: 900 },
});
const page: Page = ctx.pages()[0] ?? (await ctx.newPage());
page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.log('console:', m.type(), m.text()); });
page.on('pageerror', (e) => console.log('pageerror:', e.message));

async function graphReady(): Promise<void> {
  await page.waitForSelector('[data-testid="graph-node"]', { timeout: 15000 });
  await page.waitForTimeout(600);
}

const all: Record<string, () => Promise<void>> = {
  async graph() {
    await page.goto(base);
    await graphReady();
    await page.screenshot({ path: `${out}/ui-graph.png` });
  },
  async hover() {
    await page.goto(base);
    await graphReady();
    await page.locator('[data-testid="graph-node"][data-label="api"]').hover();
    await page.waitForTimeout(400);
    await page.screenshot({ path: `${out}/ui-hover.png` });
  },
  async details() {
    await page.goto(base);
    await graphReady();
    await page.locator('[data-testid="graph-node"][data-label="api"]').click();
    await page.waitForSelector('[data-testid="card-info"]', { timeout: 10000 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: `${out}/ui-details.png` });
  },
  async table() {
    await page.goto(base);
    await graphReady();
    await page.keyboard.press('t');
    await page.waitForSelector('[data-testid="table-row"]');
    await page.screenshot({ path: `${out}/ui-table.png` });
  },
  async processes() {
    await page.goto(base);
    await graphReady();
    await page.click('[data-testid="topology-processes"]');
    await page.waitForTimeout(2500);
    await page.screenshot({ path: `${out}/ui-processes.png` });
  },
  async search() {
    await page.goto(base);
    await graphReady();
    await page.click('[data-testid="search-input"]');
    await page.waitForTimeout(1500);
    await page.fill('[data-testid="search-input"]', 'sh');
    await page.waitForTimeout(600);
    await page.screenshot({ path: `${out}/ui-search.png` });
  },
  async metric() {
    await page.goto(base);
    await graphReady();
    await page.click('[data-testid="metric-CPU"]');
    await page.waitForTimeout(400);
    await page.screenshot({ path: `${out}/ui-metric.png` });
  },
  async terminal() {
    await page.goto(base);
    await graphReady();
    await page.locator('[data-testid="graph-node"][data-label="api"]').click();
    await page.click('[data-testid="control-docker_exec_container"]');
    await page.waitForSelector('[data-testid="terminal"][data-status="connected"]', { timeout: 10000 });
    await page.click('[data-testid="terminal-body"]');
    await page.keyboard.type('echo hi\r');
    await page.waitForTimeout(600);
    await page.screenshot({ path: `${out}/ui-terminal.png` });
  },
  async dark() {
    await page.goto(base);
    await graphReady();
    await page.click('[data-testid="theme-toggle"]');
    await page.locator('[data-testid="graph-node"][data-label="frontend"]').click();
    await page.waitForTimeout(800);
    await page.screenshot({ path: `${out}/ui-dark.png` });
  },
  async zoomed() {
    await page.goto(base);
    await page.waitForSelector('[data-testid="graph"][data-layout-pending="false"][data-node-count]:not([data-node-count="0"])', { timeout: 30000 });
    await page.waitForTimeout(500);
    for (let i = 0; i < 5; i++) await page.click('[data-testid="zoom-in"]');
    await page.waitForTimeout(600);
    await page.screenshot({ path: `${out}/ui-zoomed.png` });
  },
  async contrast() {
    await page.goto(base);
    await graphReady();
    await page.click('[data-testid="theme-toggle"]');
    await page.click('[data-testid="theme-toggle"]');
    await page.keyboard.press('?');
    await page.waitForTimeout(500);
    await page.screenshot({ path: `${out}/ui-contrast-help.png` });
  },
  async resources() {
    await page.goto(base);
    await graphReady();
    await page.click('[data-testid="topology-hosts"]');
    await page.waitForTimeout(800);
    await page.click('[data-testid="view-resource"]');
    await page.waitForTimeout(1500);
    await page.screenshot({ path: `${out}/ui-resources.png` });
  },
  async offline() {
    await page.goto(base);
    await graphReady();
    await fetch(new URL('__dev/down', base), { method: 'POST' });
    await page.waitForTimeout(7000);
    await page.screenshot({ path: `${out}/ui-offline.png` });
    await fetch(new URL('__dev/up', base), { method: 'POST' });
    await page.waitForTimeout(7000);
    await page.screenshot({ path: `${out}/ui-recovered.png` });
  },
};

try {
  for (const name of scenarios.length ? scenarios : Object.keys(all)) {
    const fn = all[name];
    if (!fn) continue;
    try {
      await fn();
      console.log('ok', name);
    } catch (err) {
      console.log('FAIL', name, (err as Error).message.split('\n')[0]);
      await page.screenshot({ path: `${out}/ui-fail-${name}.png` }).catch(() => undefined);
    }
  }
} finally {
  await ctx.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
