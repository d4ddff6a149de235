/**
 * deploy/kubernetes/: every document validates against the Kubernetes OpenAPI schemas (as shipped,
 * compiled, by kubernetes-models), and the deployment keeps the properties the issue asks for:
 * least-privilege RBAC, host role DaemonSet with host PID/network and node name from the downward
 * API, cluster agent Deployment, app Deployment + ClusterIP Service with health probes, resources.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';

const DIR = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));

type Doc = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };

function documents(): Doc[] {
  const out: Doc[] = [];
  for (const f of readdirSync(DIR).filter((n) => n.endsWith('.yaml')).sort()) {
    for (const d of parseAllDocuments(readFileSync(join(DIR, f), 'utf8'))) {
      assert.equal(d.errors.length, 0, `${f}: ${d.errors.map((e) => e.message).join('; ')}`);
      const js = d.toJS() as Doc | null;
      if (js) out.push(js);
    }
  }
  return out;
}

/** Validator per apiVersion/kind; `validate()` throws with the schema path of the first error. */
const VALIDATORS: Record<string, (o: Doc) => { validate(): void }> = {
  'v1/Namespace': (o) => new Namespace(o),
  'v1/ServiceAccount': (o) => new ServiceAccount(o),
  'v1/Service': (o) => new Service(o),
  'apps/v1/Deployment': (o) => new Deployment(o),
  'apps/v1/DaemonSet': (o) => new DaemonSet(o),
  'rbac.authorization.k8s.io/v1/ClusterRole': (o) => new ClusterRole(o),
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': (o) => new ClusterRoleBinding(o as never),
};

const docs = documents();
const find = (kind: string, name: string): Doc => {
  const d = docs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(d, `${kind} ${name}`);
  return d;
};

interface PodSpecLike {
  hostPID?: boolean;
  hostNetwork?: boolean;
  serviceAccountName?: string;
  containers: Array<{
    args?: string[];
    env?: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
    resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
    livenessProbe?: { httpGet?: { path: string } };
    readinessProbe?: { httpGet?: { path: string } };
    securityContext?: { privileged?: boolean };
  }>;
}
const podSpec = (d: Doc): PodSpecLike => (d.spec as { template: { spec: PodSpecLike } }).template.spec;

describe('Kubernetes manifests', () => {
  it('validate against the Kubernetes OpenAPI schemas', () => {
    assert.ok(docs.length >= 10);
    for (const d of docs) {
      const make = VALIDATORS[`${d.apiVersion}/${d.kind}`];
      assert.ok(make, `no schema for ${d.apiVersion} ${d.kind}`);
      assert.doesNotThrow(() => make(d).validate(), `${d.kind} ${d.metadata.name}`);
    }
  });

  it('the validator does catch a bad manifest', () => {
    const bad = structuredClone(find('DaemonSet', 'openscope-agent')) as Doc & { spec: { template: { spec: { hostPID: unknown } } } };
    bad.spec.template.spec.hostPID = 'yes';
    assert.throws(() => new DaemonSet(bad as never).validate());
  });

  it('namespaced objects live in the openscope namespace', () => {
    for (const d of docs) {
      if (['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(d.kind)) continue;
      assert.equal(d.metadata.namespace, 'openscope', `${d.kind} ${d.metadata.name}`);
    }
  });

  it('gives least privilege: read verbs for the reporter, only the controls\' write verbs', () => {
    const allowedWrites = new Set([
      'pods:delete',
      'nodes:patch',
      'deployments/scale:update',
      'statefulsets/scale:update',
      'volumesnapshots:create',
      'volumesnapshots:delete',
      'persistentvolumeclaims:create',
    ]);
    for (const name of ['openscope-agent', 'openscope-cluster-agent']) {
      const rules = (find('ClusterRole', name) as Doc & { rules: Array<{ resources: string[]; verbs: string[]; apiGroups: string[] }> }).rules;
      for (const r of rules) {
        assert.ok(!r.resources.includes('*') && !r.verbs.includes('*') && !r.apiGroups.includes('*'), `no wildcards in ${name}`);
        assert.ok(!r.resources.includes('secrets') && !r.resources.includes('configmaps'), 'no secrets or config maps');
        for (const res of r.resources) {
          for (const v of r.verbs) {
            if (['get', 'list', 'watch'].includes(v)) continue;
            assert.ok(allowedWrites.has(`${res}:${v}`), `${name}: ${v} ${res} is not needed by any control`);
          }
        }
      }
    }
    const cluster = JSON.stringify(find('ClusterRole', 'openscope-cluster-agent'));
    for (const r of ['pods', 'services', 'deployments', 'daemonsets', 'statefulsets', 'jobs', 'cronjobs', 'namespaces', 'persistentvolumes', 'persistentvolumeclaims', 'storageclasses', 'nodes']) {
      assert.ok(cluster.includes(`"${r}"`), `cluster agent reads ${r}`);
    }
    const app = find('Deployment', 'openscope-app');
    assert.equal(podSpec(app).serviceAccountName, 'openscope-app');
    assert.ok(!docs.some((d) => d.kind === 'ClusterRoleBinding' && JSON.stringify(d).includes('"openscope-app"')), 'the app has no API rights');
  });

  it('runs the host role as a DaemonSet with host PID and network, node name from the downward API', () => {
    const spec = podSpec(find('DaemonSet', 'openscope-agent'));
    assert.equal(spec.hostPID, true);
    assert.equal(spec.hostNetwork, true);
    const c = spec.containers[0]!;
    assert.ok(c.args?.includes('--probe.kubernetes.role=host'));
    assert.ok(c.args?.includes('--probe.docker=true'));
    assert.equal(c.securityContext?.privileged, true);
    const env = new Map(c.env?.map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]));
    assert.equal(env.get('KUBERNETES_NODENAME'), 'spec.nodeName');
    assert.equal(env.get('SCOPE_HOSTNAME'), 'spec.nodeName');
  });

  it('runs one cluster agent and the app behind a ClusterIP service with health probes', () => {
    const agent = find('Deployment', 'openscope-cluster-agent');
    assert.equal((agent.spec as { replicas: number }).replicas, 1);
    assert.ok(podSpec(agent).containers[0]!.args?.includes('--probe.kubernetes.role=cluster'));
    const app = podSpec(find('Deployment', 'openscope-app')).containers[0]!;
    assert.equal(app.livenessProbe?.httpGet?.path, '/api/health');
    assert.equal(app.readinessProbe?.httpGet?.path, '/api/health');
    const svc = find('Service', 'openscope-app').spec as { type: string; ports: Array<{ port: number }> };
    assert.equal(svc.type, 'ClusterIP');
    assert.equal(svc.ports[0]!.port, 80);
  });

  it('sets resource requests and limits on every container', () => {
    for (const d of docs.filter((x) => x.kind === 'Deployment' || x.kind === 'DaemonSet')) {
      for (const c of podSpec(d).containers) {
        assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory, `${d.metadata.name} requests`);
        assert.ok(c.resources.limits?.cpu && c.resources.limits.memory, `${d.metadata.name} limits`);
      }
    }
  });
});
