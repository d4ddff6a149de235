/**
 * The Kubernetes topologies' presentation (wire §5.9): control ids, topology controls, metadata,
 * metric and table templates, as Scope 1.13.2's Kubernetes reporter declares them.
 */
import type { Control, MetadataTemplate, Report, TopologyName } from '../../report/types.js';
import { metadataTemplate as meta, metricTemplate } from '../node-util.js';

/** Control ids the Kubernetes plugin answers. */
export const K8S_CONTROL_IDS = {
  getLogs: 'kubernetes_get_logs',
  deletePod: 'kubernetes_delete_pod',
  describe: 'kubernetes_describe',
  scaleUp: 'kubernetes_scale_up',
  scaleDown: 'kubernetes_scale_down',
  cordon: 'kubernetes_cordon_node',
  uncordon: 'kubernetes_uncordon_node',
  createSnapshot: 'kubernetes_create_volume_snapshot',
  cloneSnapshot: 'kubernetes_clone_volume_snapshot',
  deleteSnapshot: 'kubernetes_delete_volume_snapshot',
} as const;

function control(id: string, human: string, icon: string, rank: number, confirmation = '', probeId = ''): Control {
  return { id, human, icon, confirmation, rank, probeId };
}

const DESCRIBE = control(K8S_CONTROL_IDS.describe, 'Describe', 'fa fa-file-text', 2);

const NAMESPACE = meta('kubernetes_namespace', 'Namespace', 2);
const CREATED = meta('kubernetes_created', 'Created', 3, { dataType: 'datetime' });
const NODE_TYPE = meta('kubernetes_node_type', 'Type', 1);
const PODS = (priority: number): MetadataTemplate => meta('pod', '# Pods', priority, { from: 'counters', dataType: 'number' });

const METADATA: Partial<Record<TopologyName, MetadataTemplate[]>> = {
  pod: [
    meta('kubernetes_state', 'State', 2),
    meta('kubernetes_ip', 'IP', 3, { dataType: 'ip' }),
    meta('container', '# Containers', 4, { from: 'counters', dataType: 'number' }),
    meta('kubernetes_namespace', 'Namespace', 5),
    meta('kubernetes_created', 'Created', 6, { dataType: 'datetime' }),
    meta('kubernetes_restart_count', 'Restart #', 7),
  ],
  service: [
    NAMESPACE,
    CREATED,
    meta('kubernetes_public_ip', 'Public IP', 4, { dataType: 'ip' }),
    meta('kubernetes_ip', 'Internal IP', 5, { dataType: 'ip' }),
    PODS(6),
    meta('kubernetes_type', 'Type', 7),
    meta('kubernetes_ports', 'Ports', 8),
  ],
  deployment: [
    NODE_TYPE,
    NAMESPACE,
    CREATED,
    meta('kubernetes_observed_generation', 'Observed gen.', 4),
    meta('kubernetes_desired_replicas', 'Desired replicas', 5),
    PODS(6),
    meta('kubernetes_strategy', 'Strategy', 7),
  ],
  daemon_set: [NODE_TYPE, NAMESPACE, CREATED, meta('kubernetes_desired_replicas', 'Desired replicas', 4), PODS(5)],
  stateful_set: [
    NODE_TYPE,
    NAMESPACE,
    CREATED,
    meta('kubernetes_observed_generation', 'Observed gen.', 4),
    meta('kubernetes_desired_replicas', 'Desired replicas', 5),
    PODS(6),
  ],
  cron_job: [
    NODE_TYPE,
    NAMESPACE,
    CREATED,
    meta('kubernetes_schedule', 'Schedule', 4),
    meta('kubernetes_last_scheduled', 'Last scheduled', 5, { dataType: 'datetime' }),
    meta('kubernetes_suspended', 'Suspended', 6),
    meta('kubernetes_active_jobs', '# Jobs', 7),
    PODS(8),
  ],
  job: [NODE_TYPE, meta('kubernetes_name', 'Name', 2), meta('kubernetes_namespace', 'Namespace', 3), meta('kubernetes_created', 'Created', 4, { dataType: 'datetime' }), PODS(5)],
  persistent_volume: [
    NODE_TYPE,
    meta('kubernetes_volume_claim', 'Volume claim', 2),
    meta('kubernetes_storage_class_name', 'Storage class', 3),
    meta('kubernetes_access_modes', 'Access modes', 5),
    meta('kubernetes_status', 'Status', 6),
    meta('kubernetes_storage_driver', 'Storage driver', 7),
  ],
  persistent_volume_claim: [
    NODE_TYPE,
    NAMESPACE,
    meta('kubernetes_status', 'Status', 3),
    meta('kubernetes_volume_name', 'Volume', 4),
    meta('kubernetes_storage_class_name', 'Storage class', 5),
    meta('kubernetes_volume_capacity', 'Capacity', 6),
  ],
  storage_class: [NODE_TYPE, meta('kubernetes_name', 'Name', 2), meta('kubernetes_provisioner', 'Provisioner', 3)],
  volume_snapshot: [
    NODE_TYPE,
    meta('kubernetes_namespace', 'Name', 2),
    meta('kubernetes_volume_claim', 'Persistent volume claim', 3),
    meta('kuberneets_snapshot_data', 'Volume snapshot data', 4),
  ],
};

/** Topologies that carry the container metric templates (the app aggregates container metrics into them). */
const WITH_METRICS: readonly TopologyName[] = ['pod', 'service', 'deployment', 'daemon_set', 'stateful_set', 'cron_job', 'job'];

/** Every topology this plugin fills. */
export const K8S_TOPOLOGIES: readonly TopologyName[] = [
  'pod',
  'service',
  'deployment',
  'daemon_set',
  'stateful_set',
  'cron_job',
  'job',
  'namespace',
  'persistent_volume',
  'persistent_volume_claim',
  'storage_class',
  'volume_snapshot',
];

/** Adds templates and (when enabled) topology controls to the Kubernetes topologies of `r`. */
export function decorateKubernetesTopologies(r: Report, controlsEnabled: boolean, probeId: string): void {
  for (const name of K8S_TOPOLOGIES) {
    const t = r.topologies[name];
    for (const m of METADATA[name] ?? []) t.metadataTemplates.set(m.id, m);
    if (name !== 'namespace') {
      t.tableTemplates.set('kubernetes_labels_', {
        id: 'kubernetes_labels_',
        label: 'Kubernetes labels',
        prefix: 'kubernetes_labels_',
        type: 'property-list',
        columns: [],
        fixedRows: new Map(),
      });
    }
    if (WITH_METRICS.includes(name)) {
      t.metricTemplates.set('docker_cpu_total_usage', metricTemplate('docker_cpu_total_usage', 'CPU', 'percent', 1));
      t.metricTemplates.set('docker_memory_usage', metricTemplate('docker_memory_usage', 'Memory', 'filesize', 2));
    }
    if (controlsEnabled && name !== 'namespace') t.controls.set(DESCRIBE.id, DESCRIBE);
  }
  if (!controlsEnabled) return;
  const add = (name: TopologyName, c: Control): void => void r.topologies[name].controls.set(c.id, c);
  add('pod', control(K8S_CONTROL_IDS.getLogs, 'Get logs', 'fa fa-desktop', 0));
  add('pod', control(K8S_CONTROL_IDS.deletePod, 'Delete', 'far fa-trash-alt', 3, 'Are you sure you want to delete this pod?'));
  for (const name of ['deployment', 'stateful_set'] as const) {
    add(name, control(K8S_CONTROL_IDS.scaleDown, 'Scale down', 'fa fa-minus', 0));
    add(name, control(K8S_CONTROL_IDS.scaleUp, 'Scale up', 'fa fa-plus', 1));
  }
  add('persistent_volume_claim', control(K8S_CONTROL_IDS.createSnapshot, 'Create snapshot', 'fa fa-camera', 0));
  add('volume_snapshot', control(K8S_CONTROL_IDS.cloneSnapshot, 'Clone snapshot', 'far fa-clone', 0));
  add('volume_snapshot', control(K8S_CONTROL_IDS.deleteSnapshot, 'Delete', 'far fa-trash-alt', 1, 'Are you sure you want to delete this snapshot?'));
  // Host controls route to this probe, not to the host's own probe (wire §5.9).
  add('host', control(K8S_CONTROL_IDS.cordon, 'Cordon', 'fa fa-toggle-off', 1, '', probeId));
  add('host', control(K8S_CONTROL_IDS.uncordon, 'Uncordon', 'fa fa-toggle-on', 0, '', probeId));
}
