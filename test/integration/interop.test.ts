/**
 * Interop (issues #3 and #4): replay the 8 reports a real Scope 1.13.2 probe POSTed, in order, into
 * `openscope --mode=app`, and compare what we render with what Scope's app answered after the same
 * reports: node ids, labels, minor labels, shapes, ranks, stacks, parents and adjacency.
 * Timestamps and metric samples differ from run to run and are not compared.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { FIXTURES, getJson, startOpenScope, type OpenScopeProcess } from '../helpers/openscope-process.js';
import { assertMatchesScope, scopeRendered, type SummariesById } from '../helpers/scope-interop.js';

let app: OpenScopeProcess;
before(async () => {
  app = await startOpenScope(['--mode=app', '--app.window=120s']);
  const dir = `${FIXTURES}probe-reports/`;
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.msgpack.gz')).sort()) {
    const res = await fetch(`${app.url}/api/report`, {
      method: 'POST',
      body: readFileSync(dir + name),
      headers: { 'content-type': 'application/msgpack', 'content-encoding': 'gzip', 'x-scope-probe-id': '1bbd5237cef35570' },
    });
    assert.equal(res.status, 200, `${name}: ${await res.text()}`);
  }
});
after(async () => {
  await app?.stop();
});

const views = ['hosts', 'processes', 'processes-by-name', 'containers', 'containers-by-image', 'containers-by-hostname'];
for (const view of views) {
  for (const filtered of [false, true]) {
    test(`${view}${filtered ? ' (?system=application&stopped=running&pseudo=hide)' : ''} matches Scope`, async () => {
      const query = filtered ? '?system=application&stopped=running&pseudo=hide' : '';
      const actual = await getJson<{ nodes: SummariesById | null }>(`${app.url}/api/topology/${view}${query}`);
      assertMatchesScope(actual.nodes ?? {}, scopeRendered(`${view}${filtered ? '.filtered' : ''}`));
    });
  }
}

test('/api/topology lists the same topologies, sub-topologies and options as Scope', async () => {
  interface Desc { name: string; url: string; options?: Array<{ id: string; defaultValue: string }>; sub_topologies?: Desc[] }
  const expected = JSON.parse(readFileSync(`${FIXTURES}rendered/topology.json`, 'utf8')) as Desc[];
  const actual = await getJson<Desc[]>(`${app.url}/api/topology`);
  const shape = (list: Desc[]): unknown =>
    list.map((d) => ({ url: d.url, name: d.name, options: (d.options ?? []).map((o) => `${o.id}=${o.defaultValue}`), subs: shape(d.sub_topologies ?? []) }));
  // We may list more (e.g. containers-by-service); every Scope topology must be there, the same.
  const ours = new Map((shape(actual) as Array<{ url: string }>).map((d) => [d.url, d]));
  for (const d of shape(expected) as Array<{ url: string; subs: Array<{ url: string }> }>) {
    const mine = ours.get(d.url) as { subs: Array<{ url: string }> } | undefined;
    assert.ok(mine, `missing topology ${d.url}`);
    const { subs, ...rest } = d;
    const { subs: mySubs, ...myRest } = mine as typeof d;
    assert.deepEqual(myRest, rest);
    for (const s of subs) assert.deepEqual(mySubs.find((m) => m.url === s.url), s, `sub-topology ${s.url}`);
  }
});
