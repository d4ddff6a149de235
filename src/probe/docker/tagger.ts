/**
 * Process → container (wire §5.7). Scope walks PID ancestry up to a container's main PID, which
 * misses `docker exec`'d processes (their parent is the containerd shim, outside the container).
 * We read `/proc/<pid>/cgroup` instead, which names the container for every process in it, and
 * keep the main-PID / ancestry walk as a fallback (e.g. cgroup namespaces hiding the id).
 */
import { ProcFileReader } from '../procfs/read.js';
import { makeContainerImageNodeId, makeContainerNodeId } from '../../report/ids.js';
import { nowTime } from '../../report/time.js';
import type { Report } from '../../report/types.js';
import type { Tagger } from '../types.js';
import { containerIdsInCgroupBytes } from './cgroup.js';
import { isLive } from './container-node.js';
import { imageNameAndTag, stateString } from './format.js';
import type { DockerRegistry, KnownContainer } from './registry.js';

export class ContainerTagger implements Tagger {
  readonly name = 'docker';
  /** pid → container ids found in its cgroup file (empty: none). Pruned to the pids of each report. */
  private readonly cgroupIds = new Map<number, readonly string[]>();
  private readonly reader = new ProcFileReader();

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
    this.refreshCgroups(pids, byMainPid.size > 0 || this.registry.containers.size > 0);
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

  /**
   * Reads the cgroup file of pids not seen before (synchronously: a few µs each, where a thread-pool
   * `readFile` costs ~170 µs of CPU, and short-lived processes make dozens of new pids a second);
   * forgets pids that are gone.
   */
  private refreshCgroups(pids: number[], wanted: boolean): void {
    const live = new Set(pids);
    for (const pid of this.cgroupIds.keys()) if (!live.has(pid)) this.cgroupIds.delete(pid);
    if (!wanted) return;
    for (const pid of pids) {
      if (this.cgroupIds.has(pid)) continue;
      const n = this.reader.readInto(`${this.procRoot}/${pid}/cgroup`);
      // -1: the process is gone (or /proc is not ours): nothing to attribute.
      if (n >= 0) this.cgroupIds.set(pid, containerIdsInCgroupBytes(this.reader.buffer, n));
    }
  }
}
