/**
 * Docker's and Go's human-readable strings, reproduced exactly because users and Scope's UI see
 * them: container state (`StateString`, `State.String` of go-dockerclient), `units.HumanDuration`,
 * `humanize.Bytes`, and Scope's image name/tag split.
 */
import type { ContainerState } from './wire.js';

const GO_ZERO_TIME_MILLIS = Date.parse('0001-01-01T00:00:00Z');

/** Milliseconds since the epoch of a Docker time; undefined for Go's zero time or garbage. */
export function dockerTimeMillis(s: string): number | undefined {
  const ms = Date.parse(s);
  if (Number.isNaN(ms) || ms <= GO_ZERO_TIME_MILLIS) return undefined;
  return ms;
}

/** `docker_container_state`: running, paused, restarting, dead, created, exited. */
export function stateString(s: ContainerState): string {
  if (s.running) {
    if (s.paused) return 'paused';
    if (s.restarting) return 'restarting';
    return 'running';
  }
  if (s.dead) return 'dead';
  if (dockerTimeMillis(s.startedAt) === undefined) return 'created';
  return 'exited';
}

/** docker/go-units `HumanDuration`. */
export function humanDuration(millis: number): string {
  const seconds = Math.trunc(millis / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(millis / 60_000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.trunc(millis / 3_600_000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(millis / 3_600_000 / 24 / 365)} years`;
}

/** `docker_container_state_human`: `Up 2 hours`, `Exited (0) 5 minutes ago`… */
export function stateHuman(s: ContainerState, nowMillis: number): string {
  const started = dockerTimeMillis(s.startedAt);
  const finished = dockerTimeMillis(s.finishedAt);
  if (s.running) {
    const up = humanDuration(nowMillis - (started ?? nowMillis));
    if (s.paused) return `Up ${up} (Paused)`;
    if (s.restarting) return `Restarting (${s.exitCode}) ${humanDuration(nowMillis - (finished ?? nowMillis))} ago`;
    return `Up ${up}`;
  }
  if (s.removalInProgress) return 'Removal In Progress';
  if (s.dead) return 'Dead';
  if (started === undefined) return 'Created';
  if (finished === undefined) return '';
  return `Exited (${s.exitCode}) ${humanDuration(nowMillis - finished)} ago`;
}

const SI_SIZES = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];

/** dustin/go-humanize `Bytes`: SI units, one decimal below 10 (`2.0 MB`, `142 MB`). */
export function humanBytes(bytes: number): string {
  if (bytes < 10) return `${Math.max(0, Math.trunc(bytes))} B`;
  const e = Math.min(Math.floor(Math.log(bytes) / Math.log(1000)), SI_SIZES.length - 1);
  const val = Math.floor((bytes / 1000 ** e) * 10 + 0.5) / 10;
  return `${val < 10 ? val.toFixed(1) : val.toFixed(0)} ${SI_SIZES[e] ?? 'B'}`;
}

/**
 * Scope's image reference split: at most 3 `/` parts, the registry dropped when there are 3, then
 * split at the first `:` (so `reg:5000/app:v1` → `reg` + `5000/app:v1`, as Scope does).
 */
export function imageNameAndTag(ref: string): { name: string; tag: string } {
  const parts = ref.split('/');
  const kept = parts.length >= 3 ? [parts[1] ?? '', parts.slice(2).join('/')] : parts;
  const joined = kept.join('/');
  const colon = joined.indexOf(':');
  return colon < 0 ? { name: joined, tag: '' } : { name: joined.slice(0, colon), tag: joined.slice(colon + 1) };
}
