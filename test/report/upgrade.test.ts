import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cloneReport } from '../../src/report/copy.js';
import { removePartMergedNodes } from '../../src/report/delta.js';
import { latestValue, withLatest, withParent, withParents, withSet } from '../../src/report/merge.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import { upgradeReport } from '../../src/report/upgrade.js';
import { canonicalReport, t } from './support.js';

const NOW = t(100);

describe('upgradeReport (wire §2.10)', () => {
  test('a report needing nothing is returned as is', () => {
    const r = makeReport();
    r.dns.set('1.2.3.4', { forward: ['a'], reverse: [] });
    assert.equal(upgradeReport(r, NOW), r);
    assert.equal(upgradeReport(makeReport(), NOW).topologies.namespace.nodes.size, 0);
  });

  test("pods' replica_set parents become the replica sets' deployments", () => {
    const r = makeReport();
    r.topologies.replica_set.nodes.set('rs1;<replica_set>', withParent(makeNode('rs1;<replica_set>', 'replica_set'), 'deployment', 'd1;<deployment>'));
    r.topologies.replica_set.nodes.set('rs2;<replica_set>', withParent(makeNode('rs2;<replica_set>', 'replica_set'), 'deployment', 'd0;<deployment>'));
    r.topologies.replica_set.nodes.set('rs3;<replica_set>', makeNode('rs3;<replica_set>', 'replica_set'));
    const pod = makeNode('p;<pod>', 'pod');
    withParents(pod, 'replica_set', ['rs1;<replica_set>', 'rs2;<replica_set>', 'rs3;<replica_set>', 'missing;<replica_set>']);
    withParent(pod, 'deployment', 'd2;<deployment>');
    withParent(pod, 'host', 'h;<host>');
    r.topologies.pod.nodes.set('p;<pod>', pod);
    r.topologies.pod.nodes.set('q;<pod>', withParent(makeNode('q;<pod>', 'pod'), 'host', 'h;<host>'));
    const before = canonicalReport(cloneReport(r));
    const u = upgradeReport(r, NOW);
    const p = u.topologies.pod.nodes.get('p;<pod>')!;
    assert.equal(p.parents.has('replica_set'), false);
    assert.deepEqual(p.parents.get('deployment'), ['d0;<deployment>', 'd1;<deployment>', 'd2;<deployment>']);
    assert.deepEqual(p.parents.get('host'), ['h;<host>']);
    assert.equal(u.topologies.pod.nodes.get('q;<pod>'), r.topologies.pod.nodes.get('q;<pod>'), 'untouched pods shared');
    assert.deepEqual(canonicalReport(r), before, 'input unchanged');
  });

  test('without replica sets pods are left alone', () => {
    const r = makeReport();
    r.dns.set('x', { forward: ['a'], reverse: [] });
    r.topologies.pod.nodes.set('p', withParent(makeNode('p', 'pod'), 'replica_set', 'rs'));
    assert.equal(upgradeReport(r, NOW), r);
  });

  test('namespaces are synthesised from non-deleted namespaced objects when none exist', () => {
    const r = makeReport();
    const ns = (topology: string, id: string, namespace: string, state?: string) => {
      const n = withLatest(makeNode(id, topology), 'kubernetes_namespace', namespace, t(1));
      if (state !== undefined) withLatest(n, 'kubernetes_state', state, t(1));
      return n;
    };
    r.topologies.pod.nodes.set('a', ns('pod', 'a', 'default'));
    r.topologies.pod.nodes.set('b', ns('pod', 'b', 'gone', 'deleted'));
    r.topologies.service.nodes.set('c', ns('service', 'c', 'kube-system'));
    r.topologies.deployment.nodes.set('d', ns('deployment', 'd', 'default'));
    r.topologies.daemon_set.nodes.set('e', ns('daemon_set', 'e', 'ds-ns'));
    r.topologies.stateful_set.nodes.set('f', ns('stateful_set', 'f', 'ss-ns'));
    r.topologies.cron_job.nodes.set('g', ns('cron_job', 'g', 'cj-ns'));
    r.topologies.job.nodes.set('h', ns('job', 'h', 'job-ns-not-counted'));
    r.topologies.pod.nodes.set('i', ns('pod', 'i', 'failed-counts', 'Failed'));
    const u = upgradeReport(r, NOW);
    const nodes = u.topologies.namespace.nodes;
    assert.deepEqual([...nodes.keys()].sort(), [
      'cj-ns;<namespace>',
      'default;<namespace>',
      'ds-ns;<namespace>',
      'failed-counts;<namespace>',
      'kube-system;<namespace>',
      'ss-ns;<namespace>',
    ]);
    const d = nodes.get('default;<namespace>')!;
    assert.equal(d.id, 'default;<namespace>');
    assert.equal(d.topology, 'namespace', 'set so the part-merged filter keeps it (Go leaves it empty)');
    assert.equal(latestValue(d, 'kubernetes_name'), 'default');
    assert.equal(d.latest.get('kubernetes_name')!.timestamp, NOW);
    assert.equal(r.topologies.namespace.nodes.size, 0, 'input unchanged');
    assert.equal(removePartMergedNodes(u), 0);
  });

  test('existing namespaces are kept as they are', () => {
    const r = makeReport();
    r.dns.set('x', { forward: ['a'], reverse: [] });
    r.topologies.namespace.nodes.set('u;<namespace>', makeNode('u;<namespace>', 'namespace'));
    r.topologies.pod.nodes.set('a', withLatest(makeNode('a', 'pod'), 'kubernetes_namespace', 'default', t(1)));
    assert.equal(upgradeReport(r, NOW), r);
  });

  test('DNS is rebuilt from endpoint name sets when empty', () => {
    const r = makeReport();
    const ep = (id: string) => makeNode(id, 'endpoint');
    r.topologies.endpoint.nodes.set(';10.0.0.9;80', withSet(ep(';10.0.0.9;80'), 'snooped_dns_names', ['b.com', 'a.com']));
    r.topologies.endpoint.nodes.set(
      ';10.0.0.9;443',
      withSet(withSet(ep(';10.0.0.9;443'), 'snooped_dns_names', ['c.com']), 'reverse_dns_names', ['r.net']),
    );
    r.topologies.endpoint.nodes.set('h;127.0.0.1;1', withSet(ep('h;127.0.0.1;1'), 'reverse_dns_names', ['localhost']));
    r.topologies.endpoint.nodes.set(';10.0.0.8;80', ep(';10.0.0.8;80'));
    r.topologies.endpoint.nodes.set('malformed', withSet(ep('malformed'), 'snooped_dns_names', ['x']));
    const u = upgradeReport(r, NOW);
    assert.deepEqual(u.dns.get('10.0.0.9'), { forward: ['a.com', 'b.com', 'c.com'], reverse: ['r.net'] });
    assert.deepEqual(u.dns.get('127.0.0.1'), { forward: [], reverse: ['localhost'] });
    assert.equal(u.dns.size, 2);
    assert.equal(r.dns.size, 0, 'input unchanged');
  });

  test('a non-empty DNS is not rebuilt', () => {
    const r = makeReport();
    r.dns.set('1.1.1.1', { forward: ['one'], reverse: [] });
    r.topologies.endpoint.nodes.set(';10.0.0.9;80', withSet(makeNode(';10.0.0.9;80', 'endpoint'), 'snooped_dns_names', ['a']));
    assert.equal(upgradeReport(r, NOW).dns.has('10.0.0.9'), false);
  });
});
