/**
 * The Docker topologies' presentation: controls, metadata/metric/table templates, exactly as Scope
 * 1.13.2's Docker reporter declares them (wire §5.6), plus our logs control.
 */
import type { Control, MetadataTemplate, MetricTemplate, TableTemplate, Topology } from '../../report/types.js';

/** Control ids the Docker plugin answers. */
export const CONTROL_IDS = {
  attach: 'docker_attach_container',
  exec: 'docker_exec_container',
  start: 'docker_start_container',
  restart: 'docker_restart_container',
  pause: 'docker_pause_container',
  unpause: 'docker_unpause_container',
  stop: 'docker_stop_container',
  remove: 'docker_remove_container',
  /** Beyond Scope: follow the container's logs in a read-only pipe. */
  logs: 'docker_logs_container',
  resizeExec: 'docker_resize_exec_tty',
  /** Beyond Scope: resize the TTY of an attached container that has one. */
  resizeAttach: 'docker_resize_attach_tty',
} as const;

function control(id: string, human: string, icon: string, rank: number): Control {
  return { id, human, icon, confirmation: '', rank, probeId: '' };
}

/** Controls shown on container nodes (the resize controls are handlers only, as in Scope). */
export const CONTAINER_CONTROLS: readonly Control[] = [
  control(CONTROL_IDS.attach, 'Attach', 'fa fa-desktop', 1),
  control(CONTROL_IDS.exec, 'Exec shell', 'fa fa-terminal', 2),
  control(CONTROL_IDS.start, 'Start', 'fa fa-play', 3),
  control(CONTROL_IDS.restart, 'Restart', 'fa fa-redo', 4),
  control(CONTROL_IDS.pause, 'Pause', 'fa fa-pause', 5),
  control(CONTROL_IDS.unpause, 'Unpause', 'fa fa-play', 6),
  control(CONTROL_IDS.stop, 'Stop', 'fa fa-stop', 7),
  control(CONTROL_IDS.remove, 'Remove', 'far fa-trash-alt', 8),
  control(CONTROL_IDS.logs, 'Get logs', 'fa fa-align-left', 9),
];

function meta(id: string, label: string, from: string, priority: number, dataType = '', truncate = 0): MetadataTemplate {
  return { id, label, from, priority, dataType, truncate };
}

const CONTAINER_METADATA: readonly MetadataTemplate[] = [
  meta('docker_image_tag', 'Image tag', 'latest', 1),
  meta('docker_image_name', 'Image name', 'latest', 2),
  meta('docker_container_command', 'Command', 'latest', 3),
  meta('docker_container_state_human', 'State', 'latest', 4),
  // Beyond Scope: the machine-readable state (running, paused, exited…) as its own row, so the UI
  // and API clients need not parse "Up 5 minutes (Paused)".
  meta('docker_container_state', 'Status', 'latest', 4.5),
  meta('docker_container_uptime', 'Uptime', 'latest', 5, 'duration'),
  meta('docker_container_restart_count', 'Restart #', 'latest', 6),
  meta('docker_container_networks', 'Networks', 'sets', 7),
  meta('docker_container_ips', 'IPs', 'sets', 8),
  meta('docker_container_ports', 'Ports', 'sets', 9),
  meta('docker_container_created', 'Created', 'latest', 10, 'datetime'),
  meta('docker_container_id', 'ID', 'latest', 11, '', 12),
];

const CONTAINER_METRICS: readonly MetricTemplate[] = [
  { id: 'docker_cpu_total_usage', label: 'CPU', format: 'percent', group: '', priority: 1 },
  { id: 'docker_memory_usage', label: 'Memory', format: 'filesize', group: '', priority: 2 },
];

function propertyList(id: string, label: string, prefix: string, fixedRows: Array<[string, string]> = []): TableTemplate {
  return { id, label, prefix, type: 'property-list', columns: [], fixedRows: new Map(fixedRows) };
}

const CONTAINER_TABLES: readonly TableTemplate[] = [
  propertyList('image_table', 'Image', '', [
    ['docker_image_id', ' ID'],
    ['docker_image_name', ' Name'],
    ['docker_image_tag', ' Tag'],
    ['docker_image_size', 'Size'],
    ['docker_image_virtual_size', 'Virtual size'],
  ]),
  propertyList('docker_label_', 'Docker labels', 'docker_label_'),
  propertyList('docker_env_', 'Environment variables', 'docker_env_'),
];

/**
 * Adds the container topology's templates (and controls when enabled) to `t`. The objects are
 * shared, not copied: the reporters add them to every spy tick's report, and nothing in the probe
 * writes to a template or control once made (merges replace entries, the encoder only reads).
 */
export function decorateContainerTopology(t: Topology, controlsEnabled: boolean): void {
  if (controlsEnabled) for (const c of CONTAINER_CONTROLS) t.controls.set(c.id, c);
  for (const m of CONTAINER_METADATA) t.metadataTemplates.set(m.id, m);
  for (const m of CONTAINER_METRICS) t.metricTemplates.set(m.id, m);
  for (const tt of CONTAINER_TABLES) t.tableTemplates.set(tt.id, tt);
}

const IMAGE_CONTAINERS = meta('container', '# Containers', 'counters', 2, 'number');
const IMAGE_LABELS = propertyList('docker_image_label_', 'Docker labels', 'docker_image_label_');

/** Adds the image topology's templates to `t` (shared objects, as above). */
export function decorateImageTopology(t: Topology): void {
  t.metadataTemplates.set(IMAGE_CONTAINERS.id, IMAGE_CONTAINERS);
  t.tableTemplates.set(IMAGE_LABELS.id, IMAGE_LABELS);
}

const SERVICE_NAME = meta('service_name', 'Service name', 'latest', 0);
const STACK_NAMESPACE = meta('stack_namespace', 'Stack namespace', 'latest', 1);

/** Adds the Swarm service topology's templates (its nodes come from the tagger; shared objects, as above). */
export function decorateSwarmTopology(t: Topology): void {
  t.metadataTemplates.set(SERVICE_NAME.id, SERVICE_NAME);
  t.metadataTemplates.set(STACK_NAMESPACE.id, STACK_NAMESPACE);
}
