// Swarm services, ECS tasks/services and Weave peers on hand-built reports.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listTopologies, renderTopology } from '../../src/render/index.js';
import { add, addContainer, hostReport } from './build.js';

test('swarm services: containers under their service, others Unmanaged; stack option group', () => {
  const r = hostReport();
  add(r, 'swarm_service', 'sv1;<swarm_service>', { latest: { service_name: 'web', stack_namespace: 'shop' } });
  add(r, 'swarm_service', 'sv2;<swarm_service>', { latest: { service_name: 'api', stack_namespace: 'No stack' } });
  const c = addContainer(r, 'c1', 'web.1', { 'docker_label_com.docker.stack.namespace': 'shop' });
  c.parents.set('swarm_service', ['sv1;<swarm_service>']);
  addContainer(r, 'c2', 'other');
  const nodes = renderTopology(r, 'swarm-services', { pseudo: 'show' })!.nodes;
  assert.deepEqual(Object.keys(nodes).sort(), ['sv1;<swarm_service>', 'sv2;<swarm_service>']);
  assert.equal(nodes['sv1;<swarm_service>']!.label, 'web');
  const swarm = listTopologies(r).find((t) => t.url === '/api/topology/swarm-services')!;
  assert.deepEqual(swarm.options!.at(-1), {
    id: 'namespace',
    defaultValue: '',
    selectType: 'union',
    noneLabel: 'All Stacks',
    options: [
      { value: 'No stack', label: 'No stack' },
      { value: 'shop', label: 'shop' },
    ],
  });
  // "No stack" matches containers without any namespace.
  assert.deepEqual(Object.keys(renderTopology(r, 'containers', { namespace: 'No stack' })!.nodes), ['c2;<container>']);
});

test('ECS: tasks and services render when present', () => {
  const r = hostReport();
  add(r, 'ecs_task', 'arn:t1;<ecs_task>', { latest: { ecs_task_family: 'web-task' }, parents: { ecs_service: ['cluster;web'] } });
  add(r, 'ecs_service', 'cluster;web');
  const c = addContainer(r, 'c1', 'web');
  c.parents.set('ecs_task', ['arn:t1;<ecs_task>']);
  const tasks = renderTopology(r, 'ecs-tasks', {})!.nodes;
  assert.deepEqual(tasks['arn:t1;<ecs_task>']!.label, 'web-task');
  const services = renderTopology(r, 'ecs-services', {})!.nodes;
  assert.deepEqual(services['cluster;web'], { id: 'cluster;web', label: 'web', labelMinor: '', rank: '', shape: 'heptagon', stack: true });
});

test('weave: peers with edges; peers without a local probe are Unmanaged; docker peers skipped', () => {
  const r = hostReport();
  add(r, 'overlay', '#aa:aa', { latest: { weave_peer_nick_name: 'h1', host_node_id: 'h1;<host>' }, adjacency: ['#bb:bb'] });
  add(r, 'overlay', '#bb:bb', { latest: { weave_peer_nick_name: 'h2' } });
  add(r, 'overlay', '#docker_peer_h1', { sets: { local_networks: ['172.17.0.0/16'] } });
  const nodes = renderTopology(r, 'weave', {})!.nodes;
  assert.deepEqual(Object.keys(nodes).sort(), ['#aa:aa', 'pseudo:unmanaged:h2']);
  assert.deepEqual(nodes['#aa:aa'], { id: '#aa:aa', label: 'h1', labelMinor: 'aa:aa', rank: '', shape: 'circle', adjacency: ['pseudo:unmanaged:h2'] });
  assert.equal(nodes['pseudo:unmanaged:h2']!.labelMinor, 'h2');
});
