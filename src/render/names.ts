/**
 * Display-name helpers shared by stages and summaries (app §0, §3.7).
 */
import type { LatestMap } from '../report/types.js';

/**
 * Image name without tag, and without the registry when the name has three `/` parts
 * (`docker.io/library/nginx:1.25` → `library/nginx`; Scope's `ImageNameWithoutVersion`).
 */
export function imageNameWithoutVersion(name: string): string {
  // Two or more `/`: drop the first part (what `${parts[1]}/${parts.slice(2).join('/')}` was), no array.
  const slash = name.indexOf('/');
  if (slash >= 0 && name.indexOf('/', slash + 1) >= 0) name = name.slice(slash + 1);
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(0, colon);
}

/** The part of `<x>;<tag>` before the first `;`. */
export function idPart(id: string): string {
  const i = id.indexOf(';');
  return i < 0 ? id : id.slice(0, i);
}

const CONTAINER_NAME_KEYS = [
  'docker_label_com.amazonaws.ecs.container-name',
  'docker_label_io.kubernetes.container.name',
  'docker_env_MARATHON_APP_ID',
  'docker_container_name',
  'docker_container_hostname',
];

/** User-friendly container name (app §3.7), else the first 12 characters of its id. */
export function containerLabel(latest: LatestMap, id: string): string {
  for (const key of CONTAINER_NAME_KEYS) {
    const v = latest.get(key)?.value;
    if (v !== undefined) return v;
  }
  return idPart(id).slice(0, 12);
}

/** Host label: the hostname up to the first `.`. */
export function hostLabel(hostname: string): string {
  const dot = hostname.indexOf('.');
  return dot < 0 ? hostname : hostname.slice(0, dot);
}
