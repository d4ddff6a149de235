/** Recorded Scope traffic used by the codec tests and benchmarks (read from ../shared/fixtures). */
import { readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

export const FIXTURES = new URL('../../../shared/fixtures/scope/', import.meta.url);

export interface ProbeFixture {
  name: string;
  /** The body as POSTed: gzip of msgpack. */
  gz: Uint8Array;
  /** Decompressed msgpack. */
  msgpack: Uint8Array;
  headers: Record<string, string>;
}

/** The 8 recorded probe POSTs (report-0N.msgpack.gz + headers). */
export function probeFixtures(): ProbeFixture[] {
  const dir = new URL('probe-reports/', FIXTURES);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.msgpack.gz'))
    .sort()
    .map((f) => {
      const gz = readFileSync(new URL(f, dir));
      const headers = JSON.parse(readFileSync(new URL(f.replace('.msgpack.gz', '.headers.json'), dir), 'utf8'))
        .headers as Record<string, string>;
      return { name: f, gz, msgpack: gunzipSync(gz), headers };
    });
}

/** The app's merged report as Scope-JSON (GET /api/report), decompressed. */
export function apiReportJson(): Uint8Array {
  return gunzipSync(readFileSync(new URL('samples/api-report.raw.json.gz', FIXTURES)));
}
