// Table sorting, topology list handling and the scene built from recorded Scope answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { NodeSummary, TopologyDesc } from '../../web/src/domain/api-types.js';
import { parseNodes, parseTopologies, parseDiff, ApiShapeError } from '../../web/src/api/validate.js';
import { defaultSort, inDegrees, sortRows, tableColumns } from '../../web/src/ui/table-model.js';
import { defaultTopologyId, effectiveOptions, flattenTopologies, optionsQuery } from '../../web/src/ui/topologies.js';
import { buildScene, highlightSet } from '../../web/src/ui/scene.js';
import { resourceLayout } from '../../web/src/ui/resource-layout.js';
import { formatMetric } from '../../web/src/ui/format.js';

const fixture = (p: string): unknown => JSON.parse(readFileSync(new URL(`../../../shared/fixtures/scope/${p}`, import.meta.url), 'utf8'));
const containers = parseNodes(fixture('rendered/containers.json'));
const topologies: TopologyDesc[] = parseTopologies(fixture('rendered/topology.json'));

test('topologies: rank order, sub-topologies follow parents, default is containers', () => {
  const flat = flattenTopologies(topologies);
  assert.deepEqual(flat.filter((t) => !t.isSub).map((t) => t.id), ['processes', 'containers', 'pods', 'swarm-services', 'ecs-tasks', 'hosts']);
  assert.equal(flat.find((t) => t.id === 'containers-by-image')?.parentId, 'containers');
  assert.equal(defaultTopologyId(flat), 'containers');
  const c = flat.find((t) => t.id === 'containers')!;
  const eff = effectiveOptions(c.desc.options, { stopped: ['both'], system: ['bogus'] });
  assert.deepEqual(eff, { system: ['application'], stopped: ['both'], pseudo: ['hide'] });
  assert.equal(optionsQuery(eff, { timestamp: undefined }), 'system=application&stopped=both&pseudo=hide');
});

test('table: columns include host parent, metadata and metrics; sorting by a metric and by name', () => {
  const cols = tableColumns(containers.values(), { hosts: 'Hosts', 'containers-by-image': 'by image' });
  const ids = cols.map((c) => c.id);
  assert.ok(ids.includes('parent:hosts'));
  assert.ok(ids.includes('metric:docker_cpu_total_usage'));
  assert.ok(!ids.includes('meta:docker_container_id'));
  const def = defaultSort(cols);
  assert.equal(def.by, 'metric:docker_cpu_total_usage');
  assert.equal(def.desc, true);
  const indeg = inDegrees(containers.values());
  const byName = sortRows([...containers.values()], cols.find((c) => c.id === 'label')!, false, indeg).map((n) => n.label);
  assert.deepEqual(byName, [...byName].sort((a, b) => a.localeCompare(b)));
  const cpuCol = cols.find((c) => c.id === 'metric:docker_cpu_total_usage')!;
  const byCpu = sortRows([...containers.values()], cpuCol, true, indeg);
  const cpu = (n: NodeSummary): number => n.metrics!.find((m) => m.id === 'docker_cpu_total_usage')!.value;
  for (let i = 1; i < byCpu.length; i++) assert.ok(cpu(byCpu[i - 1]!) >= cpu(byCpu[i]!));
});

test('scene: hovering api highlights frontend → api → db and both edges', () => {
  const positions: Record<string, { x: number; y: number }> = {};
  [...containers.keys()].forEach((id, i) => (positions[id] = { x: i * 100, y: 0 }));
  const scene = buildScene({ nodes: containers, positions, matches: null, hidden: null, metricLabel: 'CPU' });
  const id = (l: string): string => [...containers.values()].find((n) => n.label === l)!.id;
  const h = highlightSet(scene, id('api'), null);
  assert.deepEqual([...h.nodes].map((x) => containers.get(x)!.label).sort(), ['api', 'db', 'frontend']);
  assert.ok(h.edges.has(`${id('frontend')}---${id('api')}`));
  assert.ok(h.edges.has(`${id('api')}---${id('db')}`));
  const api = scene.byId.get(id('api'))!;
  assert.ok(api.fill !== null && api.fill >= 0.1 && api.fill <= 1, 'metric fill from value/max');
  assert.equal(api.shape, 'hexagon');
});

test('resource view: containers sit inside their host', () => {
  const hosts = [...parseNodes(fixture('rendered/hosts.json')).values()];
  const boxes = resourceLayout(hosts, [...containers.values()], [], 'Memory', 1000);
  const host = boxes.find((b) => b.layer === 0)!;
  assert.ok(host && Math.abs(host.width - 1000) < 1e-6);
  const inner = boxes.filter((b) => b.layer === 1);
  assert.ok(inner.length > 0);
  for (const b of inner) assert.ok(b.x >= host.x && b.x + b.width <= host.x + host.width + 1e-6);
});

test('validation repairs missing optional fields and rejects unusable input', () => {
  const d = parseDiff({ add: [{ id: 'x' }], update: null, remove: ['y', 3], reset: true });
  assert.equal(d.add?.[0]?.label, 'x');
  assert.equal(d.add?.[0]?.labelMinor, '');
  assert.deepEqual(d.remove, ['y']);
  assert.throws(() => parseNodes({ nodes: { a: { label: 'no id' } } }), ApiShapeError);
  assert.throws(() => parseTopologies({}), ApiShapeError);
});

test('metric formatting', () => {
  assert.equal(formatMetric(2.371, 'percent'), '2.37%');
  assert.equal(formatMetric(52428800, 'filesize'), '50.0 MB');
  assert.equal(formatMetric(12, 'integer'), '12');
  assert.equal(formatMetric(123456, 'integer'), '123.46k');
});

test('scene: a metric-only update rebuilds just the changed nodes and reuses the edges', async () => {
  const { nextScene } = await import('../../web/src/ui/scene.js');
  const { applyDiff } = await import('../../web/src/ui/graph-diff.js');
  const positions: Record<string, { x: number; y: number }> = {};
  [...containers.keys()].forEach((id, i) => (positions[id] = { x: i * 100, y: 0 }));
  const input = { nodes: containers, positions, matches: null, hidden: null, metricLabel: 'CPU' };
  const first = nextScene(null, input);
  assert.equal(nextScene({ scene: first, input }, { ...input }), first, 'nothing changed → same scene');
  const api = [...containers.values()].find((n) => n.label === 'api')!;
  const bumped = { ...api, metrics: api.metrics!.map((m) => ({ ...m, value: m.max })) };
  const nodes = applyDiff(containers, { add: null, update: [bumped], remove: null }).nodes;
  const second = nextScene({ scene: first, input }, { ...input, nodes });
  assert.equal(second.edges, first.edges);
  assert.equal(second.byId.get(api.id)!.fill, 1);
  const other = [...containers.keys()].find((id) => id !== api.id)!;
  assert.equal(second.byId.get(other), first.byId.get(other));
  const rewired = applyDiff(containers, { add: null, update: [{ ...api, adjacency: [] }], remove: null }).nodes;
  assert.notEqual(nextScene({ scene: first, input }, { ...input, nodes: rewired }).edges, first.edges);
});
