/**
 * Process → container (wire §5.7). Scope walks PID ancestry up to a container's main PID, which
 * misses `docker exec`'d processes (their parent is the containerd shim, outside the container).
 * We read `/proc/<pid>/cgroup` instead, which names the container for every process in it, and
 * keep the main-PID / ancestry walk as a fallback (e.g. cgroup namespaces hiding the id).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeContainerImageNodeId, makeContainerNodeId } from '../../report/ids.js';
import { nowTime } from '../../report/time.js';
import type { Report } from '../../report/types.js';
import type { Tagger } from '../types.js';
import { containerIdsInCgroup } from './cgroup.js';
import { isLive } from './container-node.js';
import { imageNameAndTag, stateString } from './format.js';
import type { DockerRegistry, KnownContainer } from './registry.js';

const READ_CONCURRENCY = 32;

export class ContainerTagger implements Tagger {
  readonly name = 'docker';
  /** pid → container ids found in its cgroup file (empty: none). Pruned to the pids of each report. */
  private readonly cgroupIds = new Map<number, string[]>();

  constructor(
    private readonly registry: DockerRegistry,
    private readonly procRoot = '/proc',
  ) {}

  async tag(report: Report): Promise<void> {
    const nodes = report.topologies.process.nodes;
    if (nodes.size === 0) return;
    const byMainPid = new Map<number, KnownContainer>();
    for (const c of this.registry.containers.values()) {
      if (c.info.state.pid > 1) byMainPid.set(c.info.state.pid, c);
    }
    const pids: number[] = [];
    const ppid = new Map<number, number>();
    for (const node of nodes.values()) {
      const pid = Number(node.latest.get('pid')?.value ?? '');
      if (!Number.isSafeInteger(pid) || pid <= 0) continue;
      pids.push(pid);
      const parent = Number(node.latest.get('ppid')?.value ?? '');
      if (Number.isSafeInteger(parent) && parent > 0) ppid.set(pid, parent);
    }
    await this.refreshCgroups(pids, byMainPid.size > 0 || this.registry.containers.size > 0);
    const now = nowTime();
    for (const node of nodes.values()) {
      const pid = Number(node.latest.get('pid')?.value ?? '');
      if (!Number.isSafeInteger(pid) || pid <= 0) continue;
      const c = this.containerOf(pid, byMainPid, ppid);
      if (!c || !isLive(stateString(c.info.state))) continue;
      node.latest.set('docker_container_id', { timestamp: now, value: c.info.id });
      node.parents.set('container', [makeContainerNodeId(c.info.id)]);
      const image = this.registry.images.get(c.info.imageId);
      const ref = image?.repoTags[0];
      if (ref) node.parents.set('container_image', [makeContainerImageNodeId(imageNameAndTag(ref).name)]);
    }
  }

  private containerOf(pid: number, byMainPid: Map<number, KnownContainer>, ppid: Map<number, number>): KnownContainer | undefined {
    for (const id of this.cgroupIds.get(pid) ?? []) {
      const c = this.registry.containers.get(id);
      if (c) return c;
    }
    // Scope's walk: this pid or an ancestor is a container's main process.
    const seen = new Set<number>();
    for (let p: number | undefined = pid; p !== undefined && !seen.has(p); p = ppid.get(p)) {
      seen.add(p);
      const c = byMainPid.get(p);
      if (c) return c;
    }
    return undefined;
  }

  /** Reads the cgroup file of pids not seen before; forgets pids that are gone. */
  private async refreshCgroups(pids: number[], wanted: boolean): Promise<void> {
    const live = new Set(pids);
    for (const pid of this.cgroupIds.keys()) if (!live.has(pid)) this.cgroupIds.delete(pid);
    if (!wanted) return;
    const todo = pids.filter((p) => !this.cgroupIds.has(p));
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const pid = todo[next++];
        if (pid === undefined) continue;
        try {
          const text = await readFile(join(this.procRoot, String(pid), 'cgroup'), 'utf8');
          this.cgroupIds.set(pid, [...new Set(containerIdsInCgroup(text))]);
        } catch {
          // The process is gone (or /proc is not ours): nothing to attribute.
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, todo.length) }, worker));
  }
}
