// Loads the 8 recorded Scope probe reports and merges them as the app does, and reads Scope's
// rendered answers for the same reports.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { decodeReport, makeReport, mergeReportInto, removePartMergedNodes, upgradeReport, type Report } from '../../src/report/index.js';

export const FIXTURES = new URL('../../../shared/fixtures/scope/', import.meta.url);

let merged: Report | undefined;

/** The 8 fixture reports merged in order, part-merged nodes removed, upgraded. */
export function mergedFixtureReport(): Report {
  if (merged !== undefined) return merged;
  const acc = makeReport();
  for (let i = 1; i <= 8; i++) {
    const bytes = gunzipSync(readFileSync(new URL(`probe-reports/report-0${i}.msgpack.gz`, FIXTURES)));
    mergeReportInto(acc, decodeReport(bytes, 'msgpack'));
  }
  removePartMergedNodes(acc);
  merged = upgradeReport(acc);
  return merged;
}

let sample: Report | undefined;

/** The merged report Scope's app served at `/api/report` (recorded with the `samples/` answers). */
export function sampleApiReport(): Report {
  if (sample !== undefined) return sample;
  const raw = decodeReport(gunzipSync(readFileSync(new URL('samples/api-report.raw.json.gz', FIXTURES))), 'json');
  removePartMergedNodes(raw);
  sample = upgradeReport(raw);
  return sample;
}

export function readJsonFixture<T>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, FIXTURES), 'utf8')) as T;
}
