// The render stages on small hand-built reports: endpoints → processes, pseudo nodes, containers,
// grouping, option filters and their query-string quirks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isKnownTopology, listTopologies, renderNodeDetails, renderTopology } from '../../src/render/index.js';
import { add, addContainer, addLocalEndpoint, addProcess, addRemoteEndpoint, hostReport } from './build.js';

const ids = (nodes: Record<string, unknown>): string[] => Object.keys(nodes).sort();

describe('processes', () => {
  test('processes the report does not hold (short-lived, named only by their connections) show as one Short-lived processes node per host', () => {
    const r = hostReport();
    addProcess(r, 12, 'httpd');
    addLocalEndpoint(r, 'h1;127.0.0.1;80', 12);
    // Two wget runs of a loop, exited before the process walk: their pids are in no process node.
    addLocalEndpoint(r, 'h1;127.0.0.1;41000', 98, ['h1;127.0.0.1;80']);
    addLocalEndpoint(r, 'h1;127.0.0.1;41001', 99, ['h1;127.0.0.1;80']);
    const nodes = renderTopology(r, 'processes', { unconnected: 'hide' })!.nodes;
    assert.deepEqual(Object.keys(nodes).sort(), ['h1;12', 'pseudo:shortlived:h1']);
    const short = nodes['pseudo:shortlived:h1']!;
    assert.deepEqual([short.label, short.labelMinor, short.pseudo, short.adjacency], ['Short-lived processes', 'h1', true, ['h1;12']]);
    const byName = renderTopology(r, 'processes-by-name', { unconnected: 'hide' })!.nodes;
    assert.deepEqual(byName['pseudo:shortlived:h1']?.adjacency, ['httpd']);
    assert.equal(renderNodeDetails(r, 'processes', 'pseudo:shortlived:h1', {})?.node.label, 'Short-lived processes');
  });

  test('connections between processes become edges; unconnected processes hide once any option is sent', () => {
    const r = hostReport();
    addProcess(r, 1, 'client');
    addProcess(r, 2, 'server');
    addProcess(r, 3, 'idle');
    addLocalEndpoint(r, 'h1;127.0.0.1;5000', 1, ['h1;127.0.0.1;80']);
    addLocalEndpoint(r, 'h1;127.0.0.1;80', 2);
    const bare = renderTopology(r, 'processes', {})!.nodes;
    assert.deepEqual(ids(bare), ['h1;1', 'h1;2', 'h1;3'], 'no query: no option filter at all');
    assert.deepEqual(bare['h1;1']!.adjacency, ['h1;2']);
    assert.equal(bare['h1;1']!.labelMinor, 'h1 (1)');
    // Scope quirk kept: *any* parameter (here only `t`) switches every group to its default.
    assert.deepEqual(ids(renderTopology(r, 'processes', { t: '5s' })!.nodes), ['h1;1', 'h1;2']);
    assert.deepEqual(ids(renderTopology(r, 'processes', { unconnected: 'show' })!.nodes), ['h1;1', 'h1;2', 'h1;3']);
    // An unknown value matches no option and so filters nothing.
    assert.deepEqual(ids(renderTopology(r, 'processes', { unconnected: 'bogus' })!.nodes), ['h1;1', 'h1;2', 'h1;3']);
  });

  test('an endpoint with edges to two different endpoints is ambiguous and dropped', () => {
    const r = hostReport();
    addProcess(r, 1, 'a');
    addProcess(r, 2, 'b');
    addProcess(r, 3, 'c');
    addLocalEndpoint(r, 'h1;127.0.0.1;5000', 1, ['h1;127.0.0.1;80', 'h1;127.0.0.1;81']);
    addLocalEndpoint(r, 'h1;127.0.0.1;80', 2);
    addLocalEndpoint(r, 'h1;127.0.0.1;81', 3);
    const nodes = renderTopology(r, 'processes', {})!.nodes;
    assert.equal(nodes['h1;1']!.adjacency, undefined);
  });

  test('Internet nodes: inbound clients, outbound servers, known services; in→out edge removed', () => {
    const r = hostReport();
    r.dns.set('52.216.1.1', { forward: ['bucket.s3.amazonaws.com'], reverse: [] });
    r.dns.set('54.1.1.1', { forward: [], reverse: ['ec2-54-1-1-1.compute-1.amazonaws.com'] });
    addProcess(r, 1, 'web');
    addLocalEndpoint(r, ';10.0.0.5;443', 1);
    addRemoteEndpoint(r, ';203.0.113.7;40000', [';10.0.0.5;443']); // remote client → us
    addLocalEndpoint(r, ';10.0.0.5;50000', 1, [';198.51.100.9;80']);
    addRemoteEndpoint(r, ';198.51.100.9;80'); // we → remote server
    addLocalEndpoint(r, ';10.0.0.5;50001', 1, [';52.216.1.1;443']);
    addRemoteEndpoint(r, ';52.216.1.1;443');
    addLocalEndpoint(r, ';10.0.0.5;50002', 1, [';54.1.1.1;443']);
    addRemoteEndpoint(r, ';54.1.1.1;443'); // ec2 names are too generic: plain Internet
    const nodes = renderTopology(r, 'processes', { unconnected: 'hide' })!.nodes;
    assert.deepEqual(ids(nodes), ['h1;1', 'in-theinternet', 'out-theinternet', 'service-bucket.s3.amazonaws.com']);
    assert.deepEqual(nodes['in-theinternet']!.adjacency, ['h1;1']);
    assert.deepEqual(nodes['h1;1']!.adjacency, ['out-theinternet', 'service-bucket.s3.amazonaws.com']);
    assert.deepEqual(
      { ...nodes['in-theinternet'], adjacency: undefined },
      { id: 'in-theinternet', label: 'The Internet', labelMinor: 'Inbound connections', rank: 'in-theinternet', shape: 'cloud', pseudo: true, adjacency: undefined },
    );
    assert.equal(nodes['service-bucket.s3.amazonaws.com']!.label, 'bucket.s3.amazonaws.com');
  });

  test('IPv6 addresses are external or local like IPv4 ones, and shown in full', () => {
    const r = hostReport();
    r.topologies.host.nodes.get('h1;<host>')!.sets.set('local_networks', ['10.0.0.1/8', '2001:db8:1::1/64']);
    addProcess(r, 1, 'web');
    addLocalEndpoint(r, ';2001:db8:1::5;443', 1);
    addRemoteEndpoint(r, ';2001:db8:ffff:1:2:3:4:5;40000', [';2001:db8:1::5;443']);
    addRemoteEndpoint(r, ';2001:db8:1::99;40001', [';2001:db8:1::5;443']); // local: dropped
    const nodes = renderTopology(r, 'processes', {})!.nodes;
    assert.deepEqual(nodes['in-theinternet']!.adjacency, ['h1;1']);
    const details = renderNodeDetails(r, 'processes', 'in-theinternet', {})!.node;
    const row = details.connections[1]!.connections[0]!;
    // The Internet node's outbound row: to the process, the remote (client) address in full.
    assert.equal(row.label, 'web');
    assert.deepEqual(row.metadata.map((m) => m.value), ['2001:db8:ffff:1:2:3:4:5', '443', '1']);
    assert.deepEqual(details.connections[1]!.columns.map((c) => c.id), ['remote', 'port', 'count']);
  });

  test('hostile ids such as `__proto__` are plain keys', () => {
    const r = hostReport();
    addProcess(r, 1, '__proto__');
    const nodes = renderTopology(r, 'processes-by-name', {})!.nodes;
    assert.deepEqual(Object.keys(nodes), ['__proto__']);
    assert.equal(JSON.parse(JSON.stringify({ nodes })).nodes.__proto__.label, '__proto__');
  });

  test('processes-by-name groups and counts', () => {
    const r = hostReport();
    addProcess(r, 1, 'nginx');
    addProcess(r, 2, 'nginx');
    addProcess(r, 3, 'redis');
    addLocalEndpoint(r, 'h1;127.0.0.1;5000', 1, ['h1;127.0.0.1;6379']);
    addLocalEndpoint(r, 'h1;127.0.0.1;6379', 3);
    const nodes = renderTopology(r, 'processes-by-name', {})!.nodes;
    assert.deepEqual(nodes.nginx, { id: 'nginx', label: 'nginx', labelMinor: '2 processes', rank: 'nginx', shape: 'square', stack: true, adjacency: ['redis'] });
    assert.equal(nodes.redis!.labelMinor, '1 process');
  });
});

describe('containers', () => {
  function report(): ReturnType<typeof hostReport> {
    const r = hostReport();
    addContainer(r, 'aaa', 'web', { docker_image_id: 'img1' }, ['10.1.0.2']);
    addContainer(r, 'bbb', 'db', { docker_label_com_x: '1' }, ['10.1.0.3']);
    addContainer(r, 'ccc', 'old', { docker_container_state: 'exited' });
    addContainer(r, 'ddd', 'weavescope');
    addContainer(r, 'eee', 'gone', { docker_container_state: 'deleted' });
    add(r, 'container_image', 'img1;<container_image>', {
      latest: { docker_image_id: 'img1', docker_image_name: 'docker.io/library/nginx:1.25', docker_image_tag: '1.25' },
      parents: { host: ['h1;<host>'] },
    });
    addProcess(r, 10, 'nginx', 'aaa');
    addProcess(r, 11, 'bash'); // uncontained
    // Short-lived connection seen only by conntrack: joined by container IP.
    addRemoteEndpoint(r, ';10.1.0.2;40000', [';10.1.0.3;5432']);
    addRemoteEndpoint(r, ';10.1.0.3;5432');
    return r;
  }

  test('IP join, image names, deleted containers dropped, uncontained pseudo node', () => {
    const nodes = renderTopology(report(), 'containers', {})!.nodes;
    assert.deepEqual(ids(nodes), ['aaa;<container>', 'bbb;<container>', 'ccc;<container>', 'ddd;<container>']);
    const web = nodes['aaa;<container>']!;
    assert.deepEqual([web.label, web.labelMinor, web.rank], ['web', 'h1', 'library/nginx']);
    assert.deepEqual(web.adjacency, ['bbb;<container>']);
    assert.deepEqual(web.parents, [
      { id: 'library/nginx;<container_image>', label: 'library/nginx', topologyId: 'containers-by-image' },
      { id: 'h1;<host>', label: 'h1', topologyId: 'hosts' },
    ]);
    assert.equal(nodes['pseudo:uncontained:h1'], undefined, 'unconnected pseudo nodes always go');
  });

  test('options: defaults apply with any parameter; pseudo=show keeps connected Uncontained', () => {
    const r = report();
    addLocalEndpoint(r, 'h1;127.0.0.1;1234', 11, ['h1;127.0.0.1;80']); // bash → nginx
    addLocalEndpoint(r, 'h1;127.0.0.1;80', 10);
    const all = renderTopology(r, 'containers', {})!.nodes;
    assert.deepEqual(all['pseudo:uncontained:h1']!.adjacency, ['aaa;<container>']);
    assert.equal(all['pseudo:uncontained:h1']!.label, 'Uncontained');
    const defaults = renderTopology(r, 'containers', { timestamp: '' })!.nodes;
    assert.deepEqual(ids(defaults), ['aaa;<container>', 'bbb;<container>'], 'running application containers, no pseudo');
    const both = renderTopology(r, 'containers', { stopped: 'both', system: 'all', pseudo: 'show' })!.nodes;
    assert.deepEqual(ids(both), ['aaa;<container>', 'bbb;<container>', 'ccc;<container>', 'ddd;<container>', 'pseudo:uncontained:h1']);
    const stats = listTopologies(r, undefined, { system: 'application' }).find((t) => t.name === 'Containers')!.stats;
    assert.deepEqual(stats, { node_count: 2, nonpseudo_node_count: 2, edge_count: 1, filtered_nodes: 4 });
  });

  test('a short-lived process gone from the report: its connection goes to its container by address, not to an Uncontained node', () => {
    const r = report();
    // The eBPF tracker names the pid of a `wget` in web (10.1.0.2) that exited before the process
    // walk saw it: the endpoint has a pid but the report has no process h1;99.
    addLocalEndpoint(r, ';10.1.0.2;41000', 99, [';10.1.0.3;80']);
    addProcess(r, 12, 'httpd', 'bbb');
    addLocalEndpoint(r, ';10.1.0.3;80', 12);
    // A host process gone as well, from a host address: still the host's Uncontained node.
    addLocalEndpoint(r, ';10.0.0.1;42000', 98, [';10.1.0.3;80']);
    const nodes = renderTopology(r, 'containers', { pseudo: 'show' })!.nodes;
    assert.deepEqual(nodes['aaa;<container>']!.adjacency, ['bbb;<container>']);
    assert.deepEqual(ids(nodes).filter((id) => id.startsWith('pseudo:')), ['pseudo:uncontained:h1'], 'no hostless Uncontained node');
    assert.deepEqual(nodes['pseudo:uncontained:h1']!.adjacency, ['bbb;<container>'], 'only the host process');
  });

  test('details of a node hidden by the filters are still served, without edges to it', () => {
    const r = report();
    const d = renderNodeDetails(r, 'containers', 'ccc;<container>', { stopped: 'running' });
    assert.equal(d!.node.id, 'ccc;<container>');
    assert.equal(renderNodeDetails(r, 'containers', 'eee;<container>', {}), undefined, 'deleted: not in the view');
    assert.equal(renderNodeDetails(r, 'containers', 'nope', {}), undefined);
    assert.equal(renderTopology(r, 'nope', {}), undefined);
    assert.equal(isKnownTopology('containers-by-service'), true);
    assert.equal(isKnownTopology('nope'), false);
  });

  test('by image merges tags and registries; by hostname groups', () => {
    // Rendering is memoised per report object: build the whole report first.
    const r = report();
    addContainer(r, 'fff', 'web2', { docker_container_hostname: 'web' });
    addContainer(r, 'ggg', 'web3', { docker_container_hostname: 'web' });
    const images = renderTopology(r, 'containers-by-image', {})!.nodes;
    assert.deepEqual(ids(images), ['library/nginx;<container_image>']);
    assert.equal(images['library/nginx;<container_image>']!.labelMinor, '1 container');
    const hosts = renderTopology(r, 'containers-by-hostname', {})!.nodes;
    assert.deepEqual(hosts.web, { id: 'web', label: 'web', labelMinor: '2 containers', rank: 'web', shape: 'hexagon', stack: true });
  });

  test('containers-by-service groups by Compose project and service', () => {
    const r = report();
    const compose = (project: string, service: string): Record<string, string> => ({
      'docker_label_com.docker.compose.project': project,
      'docker_label_com.docker.compose.service': service,
    });
    addContainer(r, 's1', 'shop-web-1', compose('shop', 'web'), ['10.2.0.1']);
    addContainer(r, 's2', 'shop-web-2', compose('shop', 'web'));
    addContainer(r, 's3', 'shop-db-1', compose('shop', 'db'), ['10.2.0.2']);
    addRemoteEndpoint(r, ';10.2.0.1;40000', [';10.2.0.2;5432']);
    addRemoteEndpoint(r, ';10.2.0.2;5432');
    const nodes = renderTopology(r, 'containers-by-service', {})!.nodes;
    assert.deepEqual(ids(nodes), ['shop;db', 'shop;web']);
    assert.deepEqual(nodes['shop;web'], {
      id: 'shop;web',
      label: 'web (shop)',
      labelMinor: '2 containers',
      rank: 'shop',
      shape: 'hexagon',
      stack: true,
      adjacency: ['shop;db'],
    });
    const d = renderNodeDetails(r, 'containers-by-service', 'shop;web', {})!.node;
    assert.deepEqual(d.children!.map((g) => [g.label, g.nodes!.map((n) => n.id)]), [['Containers', ['s1;<container>', 's2;<container>']]]);
    assert.deepEqual(d.connections[1]!.connections.map((c) => [c.nodeId, c.label, c.metadata.map((m) => m.value)]), [['shop;db', 'db (shop)', ['5432', '1']]]);
  });
});

describe('hosts', () => {
  test('host edges come from container edges; labels split at the first dot', () => {
    const r = hostReport();
    addContainer(r, 'aaa', 'web', {}, ['10.1.0.2']);
    addContainer(r, 'bbb', 'db', {}, ['10.1.0.3']);
    addRemoteEndpoint(r, ';10.1.0.2;40000', [';10.1.0.3;5432']);
    addRemoteEndpoint(r, ';10.1.0.3;5432');
    const nodes = renderTopology(r, 'hosts', {})!.nodes;
    assert.deepEqual(ids(nodes), ['h1;<host>']);
    const h = nodes['h1;<host>']!;
    assert.deepEqual([h.label, h.labelMinor, h.rank, h.shape, h.adjacency], ['h1', 'example.com', 'example.com', 'circle', ['h1;<host>']]);
    const d = renderNodeDetails(r, 'hosts', 'h1;<host>', {})!.node;
    assert.deepEqual(d.children!.map((g) => g.label), ['Containers']);
  });
});

describe('censoring', () => {
  test('hideCommandLineArguments and hideEnvironmentVariables (exact value `true`)', () => {
    const r = hostReport();
    r.topologies.container.metadataTemplates.set('docker_container_command', { id: 'docker_container_command', label: 'Command', truncate: 0, dataType: '', priority: 3, from: 'latest' });
    r.topologies.container.tableTemplates.set('docker_env_', { id: 'docker_env_', label: 'Environment variables', prefix: 'docker_env_', type: 'property-list', columns: [], fixedRows: new Map() });
    addContainer(r, 'aaa', 'web', { docker_container_command: 'nginx -g daemon off;', docker_env_SECRET: 'x' });
    const plain = renderTopology(r, 'containers', {})!.nodes['aaa;<container>']!;
    assert.equal(plain.metadata![0]!.value, 'nginx -g daemon off;');
    assert.deepEqual(plain.tables![0]!.rows, [{ id: 'label_SECRET', entries: { label: 'SECRET', value: 'x' } }]);
    const q = { hideCommandLineArguments: 'true', hideEnvironmentVariables: 'true' };
    const censored = renderTopology(r, 'containers', q)!.nodes['aaa;<container>']!;
    assert.equal(censored.metadata![0]!.value, 'nginx');
    assert.equal(censored.tables, undefined);
    const details = renderNodeDetails(r, 'containers', 'aaa;<container>', q)!.node;
    assert.equal(details.metadata![0]!.value, 'nginx');
    assert.equal(renderTopology(r, 'containers', { hideCommandLineArguments: '1' })!.nodes['aaa;<container>']!.metadata![0]!.value, 'nginx -g daemon off;');
  });
});

describe('custom container label filters', () => {
  test('options appended to `system` once, Scope’s ids, include and exclude filters', () => {
    const r = hostReport();
    addContainer(r, 'aaa', 'web', { 'docker_label_tier': 'front' });
    addContainer(r, 'bbb', 'db', { 'docker_label_tier': 'back' });
    const ctx = {
      containerLabelFilters: [
        { title: 'Front end', key: 'tier', value: 'front', exclude: false },
        { title: 'Not back end', key: 'tier', value: 'back', exclude: true },
      ],
    };
    const containers = listTopologies(r, ctx).find((t) => t.name === 'Containers')!;
    assert.deepEqual(containers.options![0]!.options!.map((o) => o.value), ['all', 'system', 'application', 'containerLabelFilterExclude0', 'containerLabelFilter0']);
    assert.deepEqual(containers.sub_topologies![0]!.options![0]!.options!.length, 5);
    assert.deepEqual(Object.keys(renderTopology(r, 'containers', { system: 'containerLabelFilterExclude0' }, ctx)!.nodes), ['aaa;<container>']);
    assert.deepEqual(Object.keys(renderTopology(r, 'containers', { system: 'containerLabelFilter0' }, ctx)!.nodes), ['aaa;<container>']);
    assert.equal(Object.keys(renderTopology(r, 'containers', { system: 'all' }, ctx)!.nodes).length, 2);
  });
});

describe('port mappings', () => {
  test('connections to a published port join the container, IPv4 and IPv6 host addresses', () => {
    const r = hostReport();
    r.topologies.host.nodes.get('h1;<host>')!.sets.set('local_networks', ['10.0.0.1/8', '2001:db8::1/64']);
    const web = addContainer(r, 'aaa', 'web');
    web.sets.set('docker_container_ports', ['10.0.0.5:8080->80/tcp', '[2001:db8::5]:8443->443/tcp'].sort());
    addContainer(r, 'bbb', 'client', {}, ['10.1.0.9']);
    addRemoteEndpoint(r, ';10.1.0.9;40000', [';10.0.0.5;8080']);
    addRemoteEndpoint(r, ';10.0.0.5;8080');
    addRemoteEndpoint(r, ';2001:db8:1::77;40001', [';2001:db8::5;8443']); // from outside: Internet
    addRemoteEndpoint(r, ';2001:db8::5;8443');
    const nodes = renderTopology(r, 'containers', {})!.nodes;
    assert.deepEqual(nodes['bbb;<container>']!.adjacency, ['aaa;<container>']);
    assert.deepEqual(nodes['in-theinternet']!.adjacency, ['aaa;<container>']);
  });
});

describe('connections tables', () => {
  test('weighted by conn_count, counted once per source endpoint (copy_of), by destination port', () => {
    const r = hostReport();
    addProcess(r, 1, 'client');
    addProcess(r, 2, 'server');
    // eBPF-style sampling: one reported connection standing for 3.
    add(r, 'endpoint', 'h1;127.0.0.1;5000', { latest: { pid: '1', host_node_id: 'h1;<host>', conn_count: '3' }, adjacency: ['h1;127.0.0.1;80'] });
    add(r, 'endpoint', 'h1;127.0.0.1;5001', { latest: { pid: '1', host_node_id: 'h1;<host>' }, adjacency: ['h1;127.0.0.1;80'] });
    // A NAT copy of the first client endpoint: the same connection, not counted twice.
    add(r, 'endpoint', 'h1;127.0.0.1;6000', { latest: { pid: '1', host_node_id: 'h1;<host>', copy_of: 'h1;127.0.0.1;5000' }, adjacency: ['h1;127.0.0.1;80'] });
    addLocalEndpoint(r, 'h1;127.0.0.1;80', 2);
    const client = renderNodeDetails(r, 'processes', 'h1;1', {})!.node;
    assert.deepEqual(client.connections[1], {
      id: 'outgoing-connections',
      topologyId: 'processes',
      label: 'Outbound',
      columns: [
        { id: 'port', label: 'Port', defaultSort: false, dataType: 'number' },
        { id: 'count', label: 'Count', defaultSort: true, dataType: 'number' },
      ],
      connections: [
        {
          id: 'h1;2---80',
          nodeId: 'h1;2',
          label: 'server',
          labelMinor: 'h1 (2)',
          metadata: [
            { id: 'port', label: '', value: '80' },
            { id: 'count', label: '', value: '4' },
          ],
        },
      ],
    });
    const server = renderNodeDetails(r, 'processes', 'h1;2', {})!.node;
    assert.deepEqual(server.connections[0]!.connections.map((c) => [c.id, c.metadata[1]!.value]), [['h1;1---80', '4']]);
    assert.deepEqual(server.connections[1]!.connections, []);
    assert.deepEqual(server.controls, []);
  });
});
