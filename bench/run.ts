/**
 * `npm run bench [filter…]` — runs every `bench/*.bench.ts`, prints a table, rewrites RESULTS.md.
 *
 * Contract for a bench module (e.g. bench/merge.bench.ts):
 *   import type { BenchResult } from './lib/types.js';
 *   export async function run(): Promise<BenchResult[]> { … }
 * Each result is one figure; give it a `baseline` measured in the same run (e.g. `JSON.parse` of
 * the same bytes) so RESULTS.md can state a ratio, which survives this noisy shared machine far
 * better than absolute times. `bench/lib/measure.ts` has timing helpers (median of batches,
 * interleaved candidate/baseline pairs).
 *
 * Arguments filter bench files by substring of their name (`npm run bench -- codec`). RESULTS.md
 * keeps one section per bench file between `<!-- bench:NAME -->` markers; a run rewrites only the
 * sections of the files it ran, with the date (UTC) and machine.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import type { BenchModule, BenchResult } from './lib/types.js';

const benchDir = new URL('./', import.meta.url);
const resultsFile = new URL('RESULTS.md', benchDir);

const filters = process.argv.slice(2).filter((a) => a !== '--');
const files = readdirSync(benchDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();

const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ` +
  `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`;

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const a = Math.abs(n);
  return a >= 100 ? n.toFixed(0) : a >= 10 ? n.toFixed(1) : a >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

function rows(results: BenchResult[]): string[][] {
  return results.map((r) => {
    const ratio = r.ratio ?? (r.baseline ? r.value / r.baseline.value : undefined);
    return [
      r.name,
      `${fmt(r.value)} ${r.unit}`,
      r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value)} ${r.unit}` : '',
      ratio === undefined ? '' : `${ratio.toFixed(2)}×`,
      r.target ?? '',
      r.note ?? '',
    ];
  });
}

const HEAD = ['benchmark', 'value', 'baseline (same run)', 'ratio', 'target', 'note'];

function markdownTable(body: string[][]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [`| ${HEAD.join(' | ')} |`, `|${HEAD.map(() => '---').join('|')}|`,
    ...body.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

function consoleTable(body: string[][]): string {
  const all = [HEAD, ...body];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

function readSections(): Map<string, string> {
  const sections = new Map<string, string>();
  let text: string;
  try {
    text = readFileSync(resultsFile, 'utf8');
  } catch {
    return sections;
  }
  for (const m of text.matchAll(/<!-- bench:([\w.-]+) -->\n([\s\S]*?)<!-- \/bench:\1 -->/g)) {
    sections.set(m[1]!, m[2]!);
  }
  return sections;
}

// Only the sections of the benches run here change: everything else is re-read right before the
// write, so sections committed by others while a long run was going on are kept.
const fresh = new Map<string, string>();
let failed = false;
for (const file of files) {
  const name = file.replace(/\.bench\.ts$/, '');
  console.log(`\n== ${file}`);
  let results: BenchResult[];
  try {
    const mod = (await import(pathToFileURL(new URL(file, benchDir).pathname).href)) as BenchModule;
    results = await mod.run();
  } catch (e) {
    failed = true;
    console.error(`${file} failed:`, e);
    continue;
  }
  const body = rows(results);
  console.log(consoleTable(body));
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  fresh.set(name, `## ${file}\n\nRun ${date} on ${machine}.\n\n${markdownTable(body)}\n\n`);
}

const sections = readSections();
for (const [name, text] of fresh) sections.set(name, text);
const out = ['# Benchmark results', '',
  'Written by `npm run bench` (bench/run.ts); each section is replaced when its bench file runs.',
  'Ratios compare against a baseline measured in the same run, on a shared, noisy machine.', ''];
for (const [name, text] of [...sections].sort(([a], [b]) => a.localeCompare(b))) {
  out.push(`<!-- bench:${name} -->\n${text}<!-- /bench:${name} -->`, '');
}
writeFileSync(resultsFile, out.join('\n'));
if (failed) process.exitCode = 1;
