/**
 * Process → container (wire §5.7). Scope walks PID ancestry up to a container's main PID, which
 * misses `docker exec`'d processes (their parent is the containerd shim, outside the container).
 * We read `/proc/<pid>/cgroup` instead, which names the container for every process in it, and
 * keep the main-PID / ancestry walk as a fallback (e.g. cgroup namespaces hiding the id).
 */
import { ProcFileReader } from '../procfs/read.js';
import { makeContainerImageNodeId, makeContainerNodeId } from '../../report/ids.js';
import { nowTime } from '../../report/time.js';
import type { Node, Report, Time } from '../../report/types.js';
import type { Tagger } from '../types.js';
import { containerIdsInCgroupBytes } from './cgroup.js';
import { isLive } from './container-node.js';
import { imageNameAndTag, stateString } from './format.js';
import type { DockerRegistry, KnownContainer } from './registry.js';

/** What the tagger keeps per pid: the container ids in its cgroup file, and the last tick it was seen. */
interface CgroupEntry {
  ids: readonly string[];
  seenTick: number;
}

export class ContainerTagger implements Tagger {
  readonly name = 'docker';
  /** pid → container ids found in its cgroup file (empty: none). Pruned to the pids of each report. */
  private readonly cgroupIds = new Map<number, CgroupEntry>();
  private readonly reader = new ProcFileReader();
  private tick = 0;
  /**
   * Per-tick scratch, reused (the tagger runs every spy tick over every process, and its Maps and
   * arrays were most of what it allocated): main pid → container, pid → parent pid, and the pids
   * of the report's process nodes with their nodes.
   */
  private readonly byMainPid = new Map<number, KnownContainer>();
  private readonly ppid = new Map<number, number>();
  private readonly pids: number[] = [];
  private readonly pidNodes: Node[] = [];

  constructor(
    private readonly registry: DockerRegistry,
    private readonly procRoot = '/proc',
  ) {}

  async tag(report: Report): Promise<void> {
    const nodes = report.topologies.process.nodes;
    if (nodes.size === 0) return;
    const byMainPid = this.byMainPid;
    const ppid = this.ppid;
    const pids = this.pids;
    const pidNodes = this.pidNodes;
    try {
      this.registry.containers.forEach((c) => {
        if (c.info.state.pid > 1) byMainPid.set(c.info.state.pid, c);
      });
      nodes.forEach((node) => {
        const pid = Number(node.latest.get('pid')?.value ?? '');
        if (!Number.isSafeInteger(pid) || pid <= 0) return;
        pids.push(pid);
        pidNodes.push(node);
        const parent = Number(node.latest.get('ppid')?.value ?? '');
        if (Number.isSafeInteger(parent) && parent > 0) ppid.set(pid, parent);
      });
      this.refreshCgroups(pids, byMainPid.size > 0 || this.registry.containers.size > 0);
      let now: Time | undefined;
      for (let i = 0; i < pids.length; i++) {
        const c = this.containerOf(pids[i]!);
        if (!c || !isLive(stateString(c.info.state))) continue;
        now ??= nowTime();
        const node = pidNodes[i]!;
        node.latest.set('docker_container_id', { timestamp: now, value: c.info.id });
        node.parents.set('container', [makeContainerNodeId(c.info.id)]);
        const image = this.registry.images.get(c.info.imageId);
        const ref = image?.repoTags[0];
        if (ref) node.parents.set('container_image', [makeContainerImageNodeId(imageNameAndTag(ref).name)]);
      }
    } finally {
      byMainPid.clear();
      ppid.clear();
      pids.length = 0;
      pidNodes.length = 0;
    }
  }

  private containerOf(pid: number): KnownContainer | undefined {
    const ids = this.cgroupIds.get(pid)?.ids;
    if (ids !== undefined) {
      for (const id of ids) {
        const c = this.registry.containers.get(id);
        if (c) return c;
      }
    }
    // Scope's walk: this pid or an ancestor is a container's main process. A chain of distinct
    // pids is at most ppid.size + 1 long; going round a cycle (not a real process tree) visits
    // only pids already checked, so stopping after that many steps gives the same answer.
    let steps = this.ppid.size + 1;
    for (let p: number | undefined = pid; p !== undefined && steps > 0; p = this.ppid.get(p), steps--) {
      const c = this.byMainPid.get(p);
      if (c) return c;
    }
    return undefined;
  }

  /**
   * Reads the cgroup file of pids not seen before (synchronously: a few µs each, where a thread-pool
   * `readFile` costs ~170 µs of CPU, and short-lived processes make dozens of new pids a second);
   * forgets pids that are gone (not in this report).
   */
  private refreshCgroups(pids: readonly number[], wanted: boolean): void {
    const tick = ++this.tick;
    const known = this.cgroupIds;
    for (const pid of pids) {
      const entry = known.get(pid);
      if (entry !== undefined) {
        entry.seenTick = tick;
        continue;
      }
      if (!wanted) continue;
      const n = this.reader.readSingle(`${this.procRoot}/${pid}/cgroup`);
      // -1: the process is gone (or /proc is not ours): nothing to attribute.
      if (n >= 0) known.set(pid, { ids: containerIdsInCgroupBytes(this.reader.buffer, n), seenTick: tick });
    }
    known.forEach((entry, pid) => {
      if (entry.seenTick !== tick) known.delete(pid);
    });
  }
}
