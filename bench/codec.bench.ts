/**
 * Report codec speed (issue #2 point 8). Targets: JSON decode ≤ 1.5× `JSON.parse` of the same
 * bytes; msgpack decode ≤ 2× `JSON.parse` of the equivalent JSON bytes (also shown: the ratio to
 * @msgpack/msgpack's plain `decode` of the same bytes). Encode is compared with native
 * `JSON.stringify` + UTF-8 encoding of the same data as a plain tree.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { decode as libDecode } from '@msgpack/msgpack';
import { decodeReport, encodeReport } from '../src/report/codec/index.js';
import { TOPOLOGIES, type Node, type Report } from '../src/report/types.js';
import { measurePaired, type MeasureOptions } from './lib/measure.js';
import type { BenchResult } from './lib/types.js';

const FIXTURES = new URL('../../shared/fixtures/scope/', import.meta.url);
const utf8 = new TextDecoder();
const utf8Enc = new TextEncoder();

interface Input {
  label: string;
  report: Report;
  json: Uint8Array;
  msgpack: Uint8Array;
}

function input(label: string, report: Report): Input {
  return { label, report, json: encodeReport(report, 'json'), msgpack: encodeReport(report, 'msgpack') };
}

/** The merged app report scaled ×`factor`: every node cloned under a new key (and id). */
function scaled(base: Report, factor: number): Report {
  const r = decodeReport(encodeReport(base, 'msgpack'), 'msgpack');
  for (const { name } of TOPOLOGIES) {
    const t = r.topologies[name];
    const originals = [...t.nodes];
    for (let i = 1; i < factor; i++) {
      for (const [key, n] of originals) {
        const copy: Node = { ...n, id: n.id === '' ? '' : `${n.id}#${i}` };
        t.nodes.set(`${key}#${i}`, copy);
      }
    }
  }
  return r;
}

/** Nine interleaved pairs of ≈100 ms CPU batches per figure: about two minutes in all. */
const OPTS: MeasureOptions = { samples: 9 };

const kb = (b: Uint8Array): string => `${Math.round(b.length / 1024)} KB`;
const us = (ns: number): number => ns / 1000;

export async function run(): Promise<BenchResult[]> {
  const probeMsgpack = gunzipSync(readFileSync(new URL('probe-reports/report-06.msgpack.gz', FIXTURES)));
  const apiJson = gunzipSync(readFileSync(new URL('samples/api-report.raw.json.gz', FIXTURES)));
  const api = decodeReport(apiJson, 'json');
  const probe = decodeReport(probeMsgpack, 'msgpack');
  const big = scaled(api, 8);
  const inputs: Input[] = [
    { ...input('probe report-06', probe), msgpack: probeMsgpack },
    { ...input('app api-report', api), json: apiJson },
    input(`synthetic ×8 (${big.topologies.process.nodes.size} processes)`, big),
  ];

  const out: BenchResult[] = [];
  for (const x of inputs) {
    const jsonBaseline = (): unknown => JSON.parse(utf8.decode(x.json));

    const dj = measurePaired(() => decodeReport(x.json, 'json'), jsonBaseline, OPTS);
    out.push({
      name: `decode JSON, ${x.label} (${kb(x.json)})`, value: us(dj.candidateNanos), unit: 'µs/op',
      baseline: { name: 'JSON.parse', value: us(dj.baselineNanos) }, ratio: dj.ratio, target: '≤ 1.5×',
    });

    const dm = measurePaired(() => decodeReport(x.msgpack, 'msgpack'), jsonBaseline, OPTS);
    const lib = measurePaired(() => decodeReport(x.msgpack, 'msgpack'), () => libDecode(x.msgpack), OPTS);
    out.push({
      name: `decode msgpack, ${x.label} (${kb(x.msgpack)})`, value: us(dm.candidateNanos), unit: 'µs/op',
      baseline: { name: 'JSON.parse of same report as JSON', value: us(dm.baselineNanos) }, ratio: dm.ratio,
      target: '≤ 2×',
      note: `${lib.ratio.toFixed(2)}× @msgpack/msgpack plain decode (that pair: ${us(lib.candidateNanos).toFixed(0)} vs ` +
        `${us(lib.baselineNanos).toFixed(0)} µs; it builds a tree only, and mangles the times)`,
    });

    const plain = JSON.parse(utf8.decode(x.json)) as unknown;
    const stringifyBaseline = (): unknown => utf8Enc.encode(JSON.stringify(plain));
    for (const format of ['msgpack', 'json'] as const) {
      const e = measurePaired(() => encodeReport(x.report, format), stringifyBaseline, OPTS);
      const bytes = format === 'json' ? x.json.length : x.msgpack.length;
      out.push({
        name: `encode ${format}, ${x.label}`, value: us(e.candidateNanos), unit: 'µs/op',
        baseline: { name: 'JSON.stringify of plain tree', value: us(e.baselineNanos) }, ratio: e.ratio,
        note: `${(bytes / (e.candidateNanos / 1e9) / 1e6).toFixed(0)} MB/s`,
      });
    }
  }
  return out;
}
