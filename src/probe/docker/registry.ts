/**
 * What Docker has right now (wire §5.6 "Registry"): containers (inspected), images, networks.
 * Subscribes to the event stream so state changes are seen at once, re-lists containers every
 * `intervalMillis`, and reconnects with backoff when Docker is absent or restarting — while
 * disconnected it simply knows nothing, so the rest of the probe keeps reporting.
 *
 * Images and networks are re-listed when their events say they changed (and when a container
 * uses an image not listed yet), plus every {@link FULL_RELIST_EVERY}th re-list as a safety net:
 * listing them every interval was most of the Docker daemon's CPU spent on the probe at rest.
 */
import { Backoff, sleep } from '../../common/backoff.js';
import { LogOnce, type Logger } from '../../common/log.js';
import { timeFromMillis } from '../../report/time.js';
import type { Time } from '../../report/types.js';
import { isNotFound, withTimeout } from './client.js';
import type { EngineApi } from './engine.js';
import {
  parseContainerInspect,
  parseContainerList,
  parseEvent,
  parseImageList,
  parseNetworkList,
  type ContainerInfo,
  type ImageInfo,
  type NetworkInfo,
} from './wire.js';

/** A known container: its last inspection and when we first saw it (the fixed part's timestamp). */
export interface KnownContainer {
  info: ContainerInfo;
  firstSeen: Time;
}

/** Why a container changed: an event (or a control), or a re-list that found a difference. */
export type ChangeCause = 'event' | 'list' | 'initial';

/** Callbacks of {@link DockerRegistry}. */
export interface RegistryListener {
  /** A container was (re-)inspected. */
  changed(c: KnownContainer, cause: ChangeCause): void;
  /** A container is gone (destroy event, or missing from a re-list). */
  removed(id: string): void;
}

/** Container event actions that make us re-inspect the container. */
const REINSPECT = new Set([
  'create', 'rename', 'start', 'restart', 'die', 'stop', 'kill', 'oom',
  'pause', 'unpause', 'update', 'health_status',
]);

const INSPECT_CONCURRENCY = 8;

/** Network event actions that change the network list (connect/disconnect re-inspect the container). */
const NETWORK_LIST_ACTIONS = new Set(['create', 'destroy', 'remove', 'update']);

/** Every how many re-lists images and networks are listed again even without an event. */
export const FULL_RELIST_EVERY = 6;

/** Options of {@link DockerRegistry}. */
export interface RegistryOptions {
  /** Full re-list period (`--probe.docker.interval`), milliseconds. */
  intervalMillis: number;
}

/**
 * `task` run at most one at a time: a request while it runs (an image or network event arriving
 * during its list) makes it run once more afterwards, unless `stopped()`.
 */
function coalesced(task: () => Promise<void>, stopped: () => boolean): () => void {
  let running = false;
  let again = false;
  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    void task().finally(() => {
      running = false;
      if (again && !stopped()) run();
    });
  };
  return run;
}

export class DockerRegistry {
  readonly containers = new Map<string, KnownContainer>();
  /** Image id (no `sha256:`) → image. */
  images = new Map<string, ImageInfo>();
  networks: NetworkInfo[] = [];
  private connectedFlag = false;
  private readonly abort = new AbortController();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly dirty = new Set<string>();
  /** Bumped on destroy so an inspect that was already running cannot resurrect the container. */
  private readonly generation = new Map<string, number>();
  private readonly logOnce: LogOnce;
  private loop: Promise<void> | undefined;
  /** Re-lists images now (a container uses one we have not listed yet). */
  private readonly refreshImages = coalesced(
    () =>
      withTimeout('image list', this.docker.listImages())
        .then((v) => {
          if (!this.abort.signal.aborted) this.images = new Map(parseImageList(v).map((i) => [i.id, i]));
        })
        .catch((err: unknown) => this.logger.debug({ err }, 'docker image list failed')),
    () => this.abort.signal.aborted,
  );
  /** Re-lists networks now (a network was created, removed or updated). */
  private readonly refreshNetworks = coalesced(
    () =>
      withTimeout('network list', this.docker.listNetworks())
        .then((v) => {
          if (!this.abort.signal.aborted) this.networks = parseNetworkList(v);
        })
        .catch((err: unknown) => this.logger.debug({ err }, 'docker network list failed')),
    () => this.abort.signal.aborted,
  );
  private events: NodeJS.ReadableStream | undefined;

  constructor(
    private readonly docker: EngineApi,
    private readonly opts: RegistryOptions,
    private readonly listener: RegistryListener,
    private readonly logger: Logger,
  ) {
    this.logOnce = new LogOnce(logger);
  }

  /** Whether the event stream is up and the first listing is done. */
  get connected(): boolean {
    return this.connectedFlag;
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.destroyEvents();
    await this.loop;
    await Promise.allSettled([...this.inflight.values()]);
  }

  /** Finds a container by full id, unique id prefix, or name. */
  lookup(ref: string): KnownContainer | undefined {
    const exact = this.containers.get(ref);
    if (exact) return exact;
    let found: KnownContainer | undefined;
    for (const [id, c] of this.containers) {
      if (id.startsWith(ref) || c.info.name === ref) {
        if (found) return undefined; // ambiguous prefix
        found = c;
      }
    }
    return found;
  }

  /** Re-inspects one container now (after a control, or an event); resolves when done. */
  refresh(id: string, cause: ChangeCause = 'event'): Promise<void> {
    const running = this.inflight.get(id);
    if (running) {
      this.dirty.add(id);
      return running;
    }
    const p = (async () => {
      do {
        this.dirty.delete(id);
        await this.inspect(id, cause);
      } while (this.dirty.has(id));
    })().finally(() => {
      this.inflight.delete(id);
      this.generation.delete(id);
    });
    this.inflight.set(id, p);
    return p;
  }

  private async inspect(id: string, cause: ChangeCause): Promise<void> {
    const gen = this.generation.get(id) ?? 0;
    let info: ContainerInfo;
    try {
      info = parseContainerInspect(await withTimeout('inspect', this.docker.inspectContainer(id)));
    } catch (err) {
      if (isNotFound(err)) this.forget(id);
      else this.logger.debug({ err, container: id }, 'docker inspect failed');
      return;
    }
    if (this.abort.signal.aborted || (this.generation.get(id) ?? 0) !== gen) return;
    const known = this.containers.get(info.id);
    const c: KnownContainer = { info, firstSeen: known?.firstSeen ?? timeFromMillis(Date.now()) };
    this.containers.set(info.id, c);
    if (cause !== 'initial' && !this.images.has(info.imageId)) this.refreshImages();
    this.listener.changed(c, cause);
  }

  /** Drops a container; `notify` false when we merely lost sight of Docker (no "deleted" shortcut). */

  private forget(id: string, notify = true): void {
    // Only an inspect already running needs to know; the entry is dropped when it finishes.
    if (this.inflight.has(id)) this.generation.set(id, (this.generation.get(id) ?? 0) + 1);
    for (const full of [...this.containers.keys()]) {
      if (full === id || full.startsWith(id)) {
        this.containers.delete(full);
        if (notify) this.listener.removed(full);
      }
    }
  }

  private clear(): void {
    for (const id of [...this.containers.keys()]) this.forget(id, false);
    this.images = new Map();
    this.networks = [];
  }

  private destroyEvents(): void {
    const ev = this.events as unknown as { destroy?: () => void } | undefined;
    ev?.destroy?.();
    this.events = undefined;
  }

  private async run(): Promise<void> {
    const backoff = new Backoff({ initialMillis: 500, maxMillis: Math.max(1000, this.opts.intervalMillis) });
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        // A session only ever ends in failure; once it got connected, the next retry starts quickly.
        await this.session(() => backoff.reset());
      } catch (err) {
        if (!signal.aborted) this.logOnce.fail('docker', err, 'Docker unavailable; reporting without containers and retrying');
      }
      this.connectedFlag = false;
      this.destroyEvents();
      this.clear();
      if (!signal.aborted) await sleep(backoff.next(), signal);
    }
  }

  /** One connection: subscribe, list, then re-list every interval until the event stream ends. */
  private async session(onConnected: () => void): Promise<void> {
    await this.unlessStopped(withTimeout('ping', this.docker.ping()));
    // Subscribe before listing so no change between the two is missed (as Scope does).
    const events = await this.unlessStopped(
      withTimeout('events', this.docker.events({ type: ['container', 'network', 'image'] })),
    );
    this.events = events;
    const ended = new Promise<void>((resolve, reject) => {
      let buf = '';
      events.on('data', (chunk: Buffer | string) => {
        buf += chunk.toString();
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) this.onEventLine(line);
        }
      });
      events.on('end', () => reject(new Error('Docker event stream ended')));
      events.on('close', () => reject(new Error('Docker event stream closed')));
      events.on('error', (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))));
    });
    ended.catch(() => undefined); // observed below; avoid an unhandled rejection while listing
    await this.unlessStopped(this.relist('initial'));
    this.connectedFlag = true;
    onConnected();
    // One line either way: the recovery after an outage, or the first connection.
    if (!this.logOnce.ok('docker', 'Docker connected')) this.logger.info({ containers: this.containers.size }, 'docker: connected');
    const signal = this.abort.signal;
    let relisting = false;
    let relists = 0;
    const timer = setInterval(() => {
      if (relisting) return; // skip a tick while the last re-list is in flight
      relisting = true;
      relists++;
      this.relist('list', relists % FULL_RELIST_EVERY === 0)
        .catch((err: unknown) => {
          this.logger.debug({ err }, 'docker re-list failed');
          this.destroyEvents(); // reconnect
        })
        .finally(() => (relisting = false));
    }, this.opts.intervalMillis);
    timer.unref();
    const aborted = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    try {
      await Promise.race([ended, aborted]);
    } finally {
      clearInterval(timer);
    }
  }

  /** `p`, or a rejection as soon as the registry is stopped (so stop() never waits on a slow dockerd). */
  private unlessStopped<T>(p: Promise<T>): Promise<T> {
    const signal = this.abort.signal;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(new Error('stopped'));
      if (signal.aborted) onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  }

  private onEventLine(line: string): void {
    let ev;
    try {
      ev = parseEvent(JSON.parse(line));
    } catch (err) {
      this.logger.debug({ err }, 'docker: bad event');
      return;
    }
    if (ev.type === 'image') {
      this.refreshImages();
      return;
    }
    if (ev.type === 'network') {
      // Scope keyed these by the network id and so never updated IPs; the container is an attribute.
      if ((ev.action === 'connect' || ev.action === 'disconnect') && ev.container) void this.refresh(ev.container, 'event');
      if (NETWORK_LIST_ACTIONS.has(ev.action)) this.refreshNetworks();
      return;
    }
    if (ev.type !== 'container' || !ev.id) return;
    if (ev.action === 'destroy') this.forget(ev.id);
    else if (REINSPECT.has(ev.action)) void this.refresh(ev.id, 'event');
  }

  /**
   * Lists containers (and, when `all` — always for the initial listing — images and networks);
   * inspects containers that are new or changed state.
   */
  private async relist(cause: ChangeCause, all = cause === 'initial'): Promise<void> {
    const [list, images, networks] = await Promise.all([
      withTimeout('container list', this.docker.listContainers()),
      all ? withTimeout('image list', this.docker.listImages()) : undefined,
      all ? withTimeout('network list', this.docker.listNetworks()) : undefined,
    ]);
    const summaries = parseContainerList(list);
    if (images !== undefined) this.images = new Map(parseImageList(images).map((i) => [i.id, i]));
    if (networks !== undefined) this.networks = parseNetworkList(networks);
    const listed = new Set(summaries.map((s) => s.id));
    for (const id of [...this.containers.keys()]) if (!listed.has(id)) this.forget(id);
    const todo = summaries.filter((s) => this.containers.get(s.id)?.info.state.status !== s.state).map((s) => s.id);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const id = todo[next++];
        if (id !== undefined) await this.refresh(id, cause);
      }
    };
    await Promise.all(Array.from({ length: Math.min(INSPECT_CONCURRENCY, todo.length) }, worker));
  }
}
