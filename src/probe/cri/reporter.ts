/**
 * The CRI reporter (wire §5.8): the containers of a containerd / CRI-O node, listed over the CRI
 * socket each report, as `container` nodes carrying the Docker reporter's keys so that the render,
 * the Kubernetes tagger (container → pod through the kubelet's `io.kubernetes.pod.uid` label) and
 * Scope's own app read them alike.
 *
 * Beyond Scope:
 * - `docker_container_state` uses Docker's words (`running`, `created`, `exited`, `unknown`); Scope
 *   wrote the CRI enum name (`CONTAINER_RUNNING`), which its own render's "running" filter did not
 *   recognise, so every CRI container counted as stopped and was hidden by default. The enum name
 *   is kept in `cri_container_state`.
 * - image nodes (`container_image`) with the image's name from the runtime's image list, so the
 *   by-image view and the image name shown on containers work (a kubelet creates containers from
 *   image ids, so `image.image` alone is often `sha256:…`);
 * - creation time, the pod sandbox's id, and CPU / memory metrics from `ListContainerStats`;
 * - the container topology's templates (Scope gave it the image topology's, a quirk).
 */
import { timeFromMillis } from '../../report/time.js';
import { makeContainerImageNodeId, makeContainerNodeId } from '../../report/ids.js';
import { makeNode, makeReport } from '../../report/model.js';
import type { Metric, Node, Report, Time } from '../../report/types.js';
import { LogOnce, type Logger } from '../../common/log.js';
import { nowTime } from '../../report/time.js';
import { setLatest } from '../node-util.js';
import { decorateContainerTopology, decorateImageTopology } from '../docker/templates.js';
import { imageNameAndTag } from '../docker/format.js';
import type { Reporter } from '../types.js';
import type { CriClient, CriContainer, CriContainerState, CriContainerStats, CriImage } from './client.js';

/** Docker's word for each CRI container state. */
const DOCKER_STATE: Record<CriContainerState, string> = {
  CONTAINER_CREATED: 'created',
  CONTAINER_RUNNING: 'running',
  CONTAINER_EXITED: 'exited',
  CONTAINER_UNKNOWN: 'unknown',
};

/** Options of {@link CriReporter}. */
export interface CriReporterOptions {
  /** How long the image list is reused before asking the runtime again, milliseconds. Default 10000. */
  imageListMaxAgeMillis?: number;
  /** Number of CPUs, for CPU percentages (a share of the whole host, as the Docker reporter). */
  cpuCount: number;
  /** Host memory, bytes: the memory metric's max. */
  hostMemoryBytes: number;
}

/** RFC 3339 (UTC, seconds) of a nanosecond epoch string, or ''. */
function rfc3339FromNanos(nanos: string): string {
  if (nanos === '' || nanos === '0') return '';
  const millis = Number(nanos.length > 6 ? nanos.slice(0, -6) : '0');
  return Number.isFinite(millis) && millis > 0 ? new Date(millis).toISOString().replace(/\.\d{3}Z$/, 'Z') : '';
}

export class CriReporter implements Reporter {
  readonly name = 'cri';
  private readonly logOnce: LogOnce;
  private images: { byId: Map<string, CriImage>; atMillis: number } = { byId: new Map(), atMillis: -Infinity };
  private readonly lastCpu = new Map<string, { coreNanos: number; atNanos: number }>();

  constructor(
    private readonly client: CriClient,
    logger: Logger,
    private readonly opts: CriReporterOptions,
  ) {
    this.logOnce = new LogOnce(logger);
  }

  private async imageList(): Promise<Map<string, CriImage>> {
    const maxAge = this.opts.imageListMaxAgeMillis ?? 10_000;
    if (Date.now() - this.images.atMillis < maxAge) return this.images.byId;
    try {
      const list = await this.client.listImages();
      this.images = { byId: new Map(list.map((i) => [i.id, i])), atMillis: Date.now() };
      this.logOnce.ok('cri images');
    } catch (err) {
      // Names are a nicety: keep the last list and go on.
      this.logOnce.fail('cri images', err, 'CRI image list failed; image names may be ids');
    }
    return this.images.byId;
  }

  private async stats(): Promise<Map<string, CriContainerStats>> {
    try {
      const list = await this.client.listContainerStats();
      this.logOnce.ok('cri stats');
      return new Map(list.map((s) => [s.id, s]));
    } catch (err) {
      this.logOnce.fail('cri stats', err, 'CRI container stats failed; containers shown without metrics');
      return new Map();
    }
  }

  async report(): Promise<Report> {
    const r = makeReport();
    decorateContainerTopology(r.topologies.container, false);
    decorateImageTopology(r.topologies.container_image);
    let containers: CriContainer[];
    try {
      containers = await this.client.listContainers();
      this.logOnce.ok('cri', 'CRI runtime answering again');
    } catch (err) {
      this.logOnce.fail('cri', err, `CRI ListContainers on ${this.client.socketPath} failed; retrying every report`);
      return r;
    }
    const [images, stats] = await Promise.all([this.imageList(), this.stats()]);
    const now = nowTime();
    const live = new Set<string>();
    for (const c of containers) {
      live.add(c.id);
      const node = this.containerNode(c, images, now);
      const s = stats.get(c.id);
      if (s !== undefined) this.addMetrics(node, s);
      r.topologies.container.nodes.set(node.id, node);
      const image = this.imageNode(c, images, now);
      if (image !== undefined) r.topologies.container_image.nodes.set(image.id, image);
    }
    for (const id of this.lastCpu.keys()) if (!live.has(id)) this.lastCpu.delete(id);
    return r;
  }

  /** The image's human name: what the user asked for, else a tag the runtime knows it by, else the spec. */
  private imageName(c: CriContainer, images: ReadonlyMap<string, CriImage>): string {
    if (c.userSpecifiedImage !== '') return c.userSpecifiedImage;
    const img = images.get(c.imageRef) ?? images.get(c.image);
    return img?.repoTags[0] ?? c.image;
  }

  private containerNode(c: CriContainer, images: ReadonlyMap<string, CriImage>, now: Time): Node {
    const n = makeNode(makeContainerNodeId(c.id), 'container');
    const set = (k: string, v: string): void => setLatest(n, k, v, now);
    set('docker_container_id', c.id);
    set('docker_container_name', c.name);
    set('docker_container_state', DOCKER_STATE[c.state]);
    set('cri_container_state', c.state);
    set('docker_container_restart_count', String(c.attempt));
    set('docker_image_id', c.imageRef);
    set('docker_image_name', this.imageName(c, images));
    if (c.podSandboxId !== '') set('cri_pod_sandbox_id', c.podSandboxId);
    const created = rfc3339FromNanos(c.createdAtNanos);
    if (created !== '') set('docker_container_created', created);
    for (const [k, v] of c.labels) set(`docker_label_${k}`, v);
    if (c.imageRef !== '') n.parents.set('container_image', [makeContainerImageNodeId(c.imageRef)]);
    return n;
  }

  private imageNode(c: CriContainer, images: ReadonlyMap<string, CriImage>, now: Time): Node | undefined {
    if (c.imageRef === '') return undefined;
    const n = makeNode(makeContainerImageNodeId(c.imageRef), 'container_image');
    setLatest(n, 'docker_image_id', c.imageRef, now);
    const name = this.imageName(c, images);
    if (name !== '' && !name.startsWith('sha256:')) {
      const { name: bare, tag } = imageNameAndTag(name);
      setLatest(n, 'docker_image_name', bare, now);
      setLatest(n, 'docker_image_tag', tag, now);
    }
    return n;
  }

  private addMetrics(n: Node, s: CriContainerStats): void {
    if (s.memoryWorkingSetBytes !== undefined) {
      const date = timeFromMillis(s.memoryTimestampNanos > 0 ? s.memoryTimestampNanos / 1e6 : Date.now());
      const mem = s.memoryWorkingSetBytes;
      n.metrics.set('docker_memory_usage', metric(date, mem, Math.max(mem, this.opts.hostMemoryBytes)));
    }
    if (s.cpuCoreNanos !== undefined && s.cpuTimestampNanos > 0) {
      const prev = this.lastCpu.get(s.id);
      this.lastCpu.set(s.id, { coreNanos: s.cpuCoreNanos, atNanos: s.cpuTimestampNanos });
      if (prev !== undefined && s.cpuTimestampNanos > prev.atNanos) {
        const used = s.cpuCoreNanos - prev.coreNanos;
        const available = (s.cpuTimestampNanos - prev.atNanos) * Math.max(1, this.opts.cpuCount);
        const pct = used > 0 ? Math.min(100, (100 * used) / available) : 0;
        n.metrics.set('docker_cpu_total_usage', metric(timeFromMillis(s.cpuTimestampNanos / 1e6), pct, 100));
      }
    }
  }
}

function metric(date: Time, value: number, max: number): Metric {
  return { samples: [{ date, value }], min: value, max };
}
