/**
 * UI benchmark: serves web/dist, opens web/dist/bench.html in headless Chromium (software
 * rendering, as on CI machines) and writes the figures to bench/ui-results.md.
 *   npm run build:web && node --import tsx bench/ui-bench.ts
 */
import { createServer } from 'node:http';
import { readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { tmpdir, cpus, loadavg } from 'node:os';
import { chromium } from 'playwright-core';
import { synthetic } from '../web/src/ui/synthetic.js';
import { computeLayout } from '../web/src/ui/layout.js';

interface Row {
  nodes: number;
  edges: number;
  layoutEngine: string;
  layoutMillis: number;
  firstFrameMillis: number;
  panFrameMedianMillis: number;
  panFrameP95Millis: number;
  panFps: number;
  drawMedianMillis: number;
  updateMillis: number;
  addNodeMillis: number;
}

const dist = resolve('web/dist');
if (!existsSync(join(dist, 'bench.html'))) throw new Error('web/dist/bench.html missing: run npm run build:web first');
const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
const server = createServer((req, res) => {
  const p = join(dist, new URL(req.url ?? '/', 'http://x').pathname);
  if (!p.startsWith(dist) || !existsSync(p)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'Content-Type': types[extname(p)] ?? 'application/octet-stream' }).end(readFileSync(p));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const addr = server.address();
const port = typeof addr === 'object' && addr ? addr.port : 0;
const loadBefore = loadavg()[0] ?? 0;
const userDataDir = mkdtempSync(join(tmpdir(), 'openscope-uibench-'));
const ctx = await chromium.launchPersistentContext(userDataDir, {
  executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  viewport: { width: 1400, height: 900 },
});
let rows: Row[];
try {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  await page.goto(`http://127.0.0.1:${port}/bench.html`);
  await page.waitForFunction('window.__benchResults || window.__benchError', undefined, { timeout: 180_000, polling: 500 });
  const err = await page.evaluate<string | undefined>('window.__benchError');
  if (err) throw new Error(err);
  rows = await page.evaluate<Row[]>('window.__benchResults');
  await page.screenshot({ path: 'test-artifacts/ui-bench.png' }).catch(() => undefined);
} finally {
  await ctx.close();
  server.close();
  rmSync(userDataDir, { recursive: true, force: true });
}

const lines = [
  '# UI benchmark (web/src/bench, bench/ui-bench.ts)',
  '',
  `Headless Chromium (software rendering, --disable-gpu), viewport 1400×900, ${cpus().length} cores (${cpus()[0]?.model ?? 'cpu'}), shared machine, load average ${loadBefore.toFixed(1)} → ${(loadavg()[0] ?? 0).toFixed(1)} during the run; ${new Date().toISOString()}.`,
  'Synthetic graphs: n nodes, ~2n clustered edges, one CPU metric per node. Layout runs in the Web Worker.',
  '',
  '| nodes | edges | layout engine | layout ms | first frame ms (layout+draw) | pan/zoom frame median ms | p95 ms | fps | draw ms/frame | live metric update ms | add one node ms |',
  '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map((r) => `| ${r.nodes} | ${r.edges} | ${r.layoutEngine} | ${r.layoutMillis} | ${r.firstFrameMillis} | ${r.panFrameMedianMillis} | ${r.panFrameP95Millis} | ${r.panFps} | ${r.drawMedianMillis} | ${r.updateMillis} | ${r.addNodeMillis} |`),
  '',
];
// Layout CPU time in this Node process (same code as the worker): less sensitive to a loaded
// machine than the wall-clock figures above.
lines.push('Layout CPU time (same synthetic graphs, same code as the worker, measured in Node with process.cpuUsage):', '', '| nodes | engine | layout CPU ms | wall ms |', '|---:|---|---:|---:|');
for (const n of [100, 1000, 5000]) {
  const nodes = synthetic(n);
  const req = {
    nodes: [...nodes.values()].map((x) => ({ id: x.id, rank: x.rank })),
    edges: [...nodes.values()].flatMap((x) => (x.adjacency ?? []).map((t) => ({ source: x.id, target: t }))),
    previous: {},
  };
  computeLayout(req); // warm-up
  const c0 = process.cpuUsage();
  const r = computeLayout(req);
  const c = process.cpuUsage(c0);
  lines.push(`| ${n} | ${r.engine} | ${Math.round((c.user + c.system) / 1000)} | ${Math.round(r.millis)} |`);
}
lines.push('');
writeFileSync('bench/ui-results.md', lines.join('\n'));
console.log(lines.join('\n'));
