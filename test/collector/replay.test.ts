/**
 * Scope's file collector behind `file://` (issue #9, wire §1.6): a directory of the recorded probe
 * reports renamed `<nanoseconds>.msgpack.gz` plays back in a loop and renders the containers
 * topology Scope's app rendered after them; other names are merged once; a directory written by
 * the #8 store is still served by the store.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, test } from 'node:test';
import { FileCollector } from '../../src/app/collector/index.js';
import { isScopeReportPath } from '../../src/app/collector/replay.js';
import { decodeReport, encodeReport } from '../../src/report/codec/index.js';
import { FIXTURES, getJson, startTestApp } from '../app/helpers.js';
import { assertMatchesScope, matchesScope, scopeRendered, type SummariesById } from '../helpers/scope-interop.js';
import { tempDir } from './helpers.js';

async function assertContainersMatchScope(url: string): Promise<void> {
  const expected = scopeRendered('containers');
  const app = await startTestApp({ collector: url, windowMillis: 120_000 });
  try {
    // Polled until the rendering matches (every recorded report played) or the deadline; then compared.
    let actual: SummariesById = {};
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      actual = ((await getJson(app, 'api/topology/containers')).body as { nodes: SummariesById | null }).nodes ?? {};
      if (matchesScope(actual, expected)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assertMatchesScope(actual, expected);
  } finally {
    await app.close();
  }
}

const recorded = (n: number): string => `${FIXTURES}probe-reports/report-0${n}.msgpack.gz`;

describe('file:// with Scope report files', () => {
  test('<nanoseconds>.msgpack.gz files play back in a loop; containers match Scope', async () => {
    const tmp = tempDir('replay-');
    try {
      // 150 ms apart (the recording was 3 s apart): the loop comes round quickly.
      const t0 = 1_764_000_000_000_000_000n;
      for (let n = 1; n <= 8; n++) copyFileSync(recorded(n), join(tmp.dir, `${t0 + BigInt(n) * 150_000_000n}.msgpack.gz`));
      assert.equal(isScopeReportPath(tmp.dir), true);
      const url = pathToFileURL(tmp.dir).href;
      const app = await startTestApp({ collector: url, windowMillis: 120_000 });
      try {
        const api = (await getJson(app, 'api')).body as { capabilities: Record<string, boolean> };
        assert.equal(api.capabilities.historic_reports, false, 'a replay is not a history');
        // Summary lines are the reports in the window: more than 8 means the loop came round.
        let lines = 0;
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline && lines <= 8) {
          const res = await fetch(`${app.url}admin/summary`, { signal: AbortSignal.timeout(5000) });
          lines = (await res.text()).split('\n').filter((l) => l.includes('report from probe')).length;
          if (lines <= 8) await new Promise((r) => setTimeout(r, 200));
        }
        assert.ok(lines > 8, `played in a loop (${lines} reports in the window)`);
      } finally {
        await app.close();
      }
      await assertContainersMatchScope(url);
    } finally {
      tmp.remove();
    }
  });

  test('other names are merged once (msgpack.gz and json, in subdirectories); a single file works', async () => {
    const tmp = tempDir('replay-static-');
    try {
      mkdirSync(join(tmp.dir, 'more'));
      for (let n = 1; n <= 7; n++) copyFileSync(recorded(n), join(tmp.dir, n > 4 ? 'more' : '', `report-0${n}.msgpack.gz`));
      const eighth = decodeReport(gunzipSync(readFileSync(recorded(8))), 'msgpack');
      writeFileSync(join(tmp.dir, 'report-08.json'), encodeReport(eighth, 'json'));
      assert.equal(isScopeReportPath(tmp.dir), true);
      await assertContainersMatchScope(pathToFileURL(tmp.dir).href);
      const single = pathToFileURL(join(tmp.dir, 'report-08.json')).href;
      const app = await startTestApp({ collector: single });
      try {
        const ids = Object.keys(((await getJson(app, 'api/topology/hosts')).body as { nodes: Record<string, unknown> }).nodes);
        assert.equal(ids.length, 1, 'the host of the one report');
      } finally {
        await app.close();
      }
    } finally {
      tmp.remove();
    }
  });

  test('a directory written by the file store, an empty one and a missing one stay with the store', async () => {
    const tmp = tempDir('replay-store-');
    try {
      assert.equal(isScopeReportPath(tmp.dir), false, 'empty');
      assert.equal(isScopeReportPath(join(tmp.dir, 'missing')), false, 'missing');
      const store = new FileCollector({ dir: tmp.dir, windowMillis: 15_000 });
      await store.ready();
      await store.add('p', decodeReport(gunzipSync(readFileSync(recorded(3))), 'msgpack'), Date.now());
      await store.close();
      assert.equal(isScopeReportPath(tmp.dir), false, 'the store layout');
      const app = await startTestApp({ collector: pathToFileURL(tmp.dir).href });
      try {
        const api = (await getJson(app, 'api')).body as { capabilities: Record<string, boolean> };
        assert.equal(api.capabilities.historic_reports, true, 'served by the file store');
      } finally {
        await app.close();
      }
    } finally {
      tmp.remove();
    }
  });
});
