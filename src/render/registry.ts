/**
 * The API topology registry (app §2): ids, names, ranks, option groups and renderers.
 */
import type { Report } from '../report/types.js';
import {
  renderContainersByHostname,
  renderContainersByImage,
  renderContainersByService,
} from './container-groups.js';
import { renderContainers } from './containers.js';
import {
  isApplication,
  isConnected,
  isNamespace,
  isNotPseudo,
  isRunning,
  isStopped,
  isSystem,
  isTopology,
  NO_STACK,
  type NodePredicate,
} from './filters.js';
import { renderHosts } from './hosts.js';
import { renderEcsServices, renderEcsTasks, renderSwarmServices, renderWeave } from './others.js';
import { renderControllers, renderPodsBase, renderServices } from './pods.js';
import { renderProcesses, renderProcessesByName } from './processes.js';
import type { RenderResult } from './rnode.js';

export interface OptionDef {
  readonly value: string;
  readonly label: string;
  /** Absent: the option matches everything. */
  readonly filter?: NodePredicate;
  /** Whether the filter applies to pseudo nodes too (otherwise pseudo nodes always pass). */
  readonly filterPseudo?: boolean;
}

export interface OptionGroupDef {
  readonly id: string;
  readonly defaultValue: string;
  readonly options: readonly OptionDef[];
  /** `union` groups take a comma list of values. */
  readonly selectType?: 'one' | 'union';
  readonly noneLabel?: string;
}

export interface TopologyDef {
  readonly id: string;
  readonly name: string;
  readonly rank: number;
  readonly hideIfEmpty: boolean;
  /** Id of the parent topology for sub-topologies. */
  readonly parent?: string;
  /** `null` for topologies without options (Scope lists `options: null`). */
  readonly groups: readonly OptionGroupDef[] | null;
  /** Which dynamic namespace groups apply (§2.4). */
  readonly namespaces?: 'kubernetes' | 'kubernetes+swarm' | 'swarm';
  readonly render: (report: Report) => RenderResult;
}

const unconnectedGroup: OptionGroupDef = {
  id: 'unconnected',
  defaultValue: 'hide',
  options: [
    { value: 'show', label: 'Show unconnected' },
    { value: 'hide', label: 'Hide unconnected', filter: isConnected },
  ],
};

const systemGroup: OptionGroupDef = {
  id: 'system',
  defaultValue: 'application',
  options: [
    { value: 'all', label: 'All' },
    { value: 'system', label: 'System containers', filter: isSystem },
    { value: 'application', label: 'Application containers', filter: isApplication },
  ],
};

const stoppedGroup: OptionGroupDef = {
  id: 'stopped',
  defaultValue: 'running',
  options: [
    { value: 'stopped', label: 'Stopped containers', filter: isStopped },
    { value: 'running', label: 'Running containers', filter: isRunning },
    { value: 'both', label: 'Both' },
  ],
};

function pseudoGroup(what: 'uncontained' | 'unmanaged'): OptionGroupDef {
  return {
    id: 'pseudo',
    defaultValue: 'hide',
    options: [
      { value: 'show', label: `Show ${what}` },
      { value: 'hide', label: `Hide ${what}`, filter: isNotPseudo, filterPseudo: true },
    ],
  };
}

const notStorage = (n: Parameters<NodePredicate>[0]): boolean =>
  !isTopology('persistent_volume', 'persistent_volume_claim', 'storage_class')(n);
const notSnapshot = (n: Parameters<NodePredicate>[0]): boolean => !isTopology('volume_snapshot', 'volume_snapshot_data')(n);

const storageGroup: OptionGroupDef = {
  id: 'storage',
  defaultValue: 'hide',
  options: [
    { value: 'show', label: 'Show storage' },
    { value: 'hide', label: 'Hide storage', filter: notStorage },
  ],
};

const snapshotGroup: OptionGroupDef = {
  id: 'snapshot',
  defaultValue: 'hide',
  options: [
    { value: 'show', label: 'Show snapshots' },
    { value: 'hide', label: 'Hide snapshots', filter: notSnapshot },
  ],
};

const containerGroups = [systemGroup, stoppedGroup, pseudoGroup('uncontained')];
const unmanaged = [pseudoGroup('unmanaged')];

/** Every API topology, top-level ones sorted by name, each followed by its sub-topologies in order. */
export const TOPOLOGY_DEFS: readonly TopologyDef[] = [
  { id: 'containers', name: 'Containers', rank: 2, hideIfEmpty: false, groups: containerGroups, namespaces: 'kubernetes+swarm', render: renderContainers },
  { id: 'containers-by-hostname', name: 'by DNS name', rank: 0, hideIfEmpty: false, parent: 'containers', groups: containerGroups, namespaces: 'kubernetes+swarm', render: renderContainersByHostname },
  { id: 'containers-by-image', name: 'by image', rank: 0, hideIfEmpty: false, parent: 'containers', groups: containerGroups, namespaces: 'kubernetes+swarm', render: renderContainersByImage },
  // OpenScope addition: Docker Compose services. Hidden when empty, so hosts without Compose do not see it.
  { id: 'containers-by-service', name: 'by service', rank: 0, hideIfEmpty: true, parent: 'containers', groups: containerGroups, namespaces: 'kubernetes+swarm', render: renderContainersByService },
  { id: 'hosts', name: 'Hosts', rank: 4, hideIfEmpty: false, groups: null, render: renderHosts },
  { id: 'weave', name: 'Weave Net', rank: 0, hideIfEmpty: false, parent: 'hosts', groups: null, render: renderWeave },
  { id: 'pods', name: 'Pods', rank: 3, hideIfEmpty: true, groups: [snapshotGroup, storageGroup, pseudoGroup('unmanaged')], namespaces: 'kubernetes', render: renderPodsBase },
  { id: 'kube-controllers', name: 'Controllers', rank: 0, hideIfEmpty: true, parent: 'pods', groups: unmanaged, namespaces: 'kubernetes', render: renderControllers },
  { id: 'services', name: 'Services', rank: 0, hideIfEmpty: true, parent: 'pods', groups: unmanaged, namespaces: 'kubernetes', render: renderServices },
  { id: 'processes', name: 'Processes', rank: 1, hideIfEmpty: true, groups: [unconnectedGroup], render: renderProcesses },
  { id: 'processes-by-name', name: 'by name', rank: 0, hideIfEmpty: true, parent: 'processes', groups: [unconnectedGroup], render: renderProcessesByName },
  { id: 'swarm-services', name: 'Services', rank: 3, hideIfEmpty: true, groups: unmanaged, namespaces: 'swarm', render: renderSwarmServices },
  { id: 'ecs-tasks', name: 'Tasks', rank: 3, hideIfEmpty: true, groups: unmanaged, render: renderEcsTasks },
  { id: 'ecs-services', name: 'Services', rank: 0, hideIfEmpty: true, parent: 'ecs-tasks', groups: unmanaged, render: renderEcsServices },
];

const BY_ID = new Map(TOPOLOGY_DEFS.map((d) => [d.id, d]));

export function topologyDef(id: string): TopologyDef | undefined {
  return BY_ID.get(id);
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** Kubernetes namespace names (from the Namespace topology), sorted. */
function kubernetesNamespaces(report: Report): string[] {
  const names: string[] = [];
  for (const n of report.topologies.namespace.nodes.values()) {
    const name = n.latest.get('kubernetes_name')?.value;
    if (name !== undefined) names.push(name);
  }
  return sortedUnique(names);
}

/** Swarm stack namespaces, sorted (Scope lists them in random map order). */
function swarmStacks(report: Report): string[] {
  const names: string[] = [];
  for (const n of report.topologies.swarm_service.nodes.values()) {
    const ns = n.latest.get('stack_namespace')?.value;
    if (ns !== undefined) names.push(ns);
  }
  return sortedUnique(names);
}

function namespaceGroup(values: string[], noneLabel: string): OptionGroupDef {
  return {
    id: 'namespace',
    defaultValue: '',
    selectType: 'union',
    noneLabel,
    options: values.map((v) => ({ value: v, label: v, filter: isNamespace(v) })),
  };
}

/**
 * A custom container label filter (`--app.container-label-filter[-exclude]='Title:key=value'`,
 * app §2.3), offered as an extra option of the containers views' `system` group.
 */
export interface ContainerLabelFilter {
  /** Option label shown in the UI. */
  readonly title: string;
  /** Docker label key (without the `docker_label_` prefix). */
  readonly key: string;
  readonly value: string;
  /** `true` for `--app.container-label-filter-exclude`: containers *without* the label. */
  readonly exclude: boolean;
}

/**
 * The `system` group options for label filters. Option ids keep Scope's (swapped) prefixes, so
 * URLs stay compatible: include filters are `containerLabelFilterExclude<N>`, exclude filters
 * `containerLabelFilter<N>`, numbered per kind in flag order. Unlike Scope, each is listed once
 * (Scope lists every one three times, app §8 #13).
 */
function labelFilterOptions(filters: readonly ContainerLabelFilter[]): OptionDef[] {
  let include = 0;
  let exclude = 0;
  return filters.map((f) => {
    const key = `docker_label_${f.key}`;
    const has = (n: Parameters<NodePredicate>[0]): boolean => n.latest.get(key)?.value === f.value;
    return f.exclude
      ? { value: `containerLabelFilter${exclude++}`, label: f.title, filter: (n) => !has(n) }
      : { value: `containerLabelFilterExclude${include++}`, label: f.title, filter: has };
  });
}

/**
 * Option groups of a topology for this report, with the dynamic namespace group (§2.4) and the
 * custom label filters (§2.3). Unlike Scope, sub-topologies render with the namespace group their
 * listing shows, and a topology gets at most one `namespace` group (Kubernetes wins over Swarm
 * stacks when both exist).
 */
export function optionGroups(
  report: Report,
  def: TopologyDef,
  labelFilters: readonly ContainerLabelFilter[] = [],
): readonly OptionGroupDef[] {
  let groups = def.groups ?? [];
  if (labelFilters.length > 0 && groups.includes(systemGroup)) {
    const extended: OptionGroupDef = { ...systemGroup, options: [...systemGroup.options, ...labelFilterOptions(labelFilters)] };
    groups = groups.map((g) => (g === systemGroup ? extended : g));
  }
  if (def.namespaces === undefined) return groups;
  if (def.namespaces !== 'swarm') {
    const k8s = kubernetesNamespaces(report);
    if (k8s.length > 0) return [...groups, namespaceGroup(k8s, 'All Namespaces')];
  }
  if (def.namespaces !== 'kubernetes') {
    const stacks = swarmStacks(report);
    if (stacks.length > 0) return [...groups, namespaceGroup(stacks, 'All Stacks')];
  }
  return groups;
}

export { NO_STACK };
