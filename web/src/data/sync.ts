/**
 * Keeps the store in step with the app (hubble-ui's data layer): polls `/api` and
 * `/api/topology`, streams the current topology's diffs, loads the top details card, runs
 * layouts, and turns transport trouble into `connection` state. Reacts to store changes only.
 */
import type { Store } from '../store/store.js';
import { cardKey, type AppState } from '../store/app-state.js';
import { ApiError, type ApiClient } from '../api/http.js';
import { ReconnectingSocket, type SocketState } from '../api/socket.js';
import { parseDiff } from '../api/validate.js';
import { applyDiff, diffNodeSets, edgesOf } from '../ui/graph-diff.js';
import { effectiveOptions, findTopology, flattenTopologies, optionsQuery, defaultTopologyId } from '../ui/topologies.js';
import type { LayoutService } from './layout-service.js';
import type { Point } from '../ui/layout.js';
import type { NodeSummary } from '../domain/api-types.js';

const API_POLL_MILLIS = 30_000;
const TOPOLOGY_POLL_MILLIS = 5_000;
/** How often the timeline's range and change marks are refreshed (historic collectors). */
const HISTORY_POLL_MILLIS = 10_000;

export class DataSync {
  private socket: ReconnectingSocket | null = null;
  private socketKey = '';
  private timers: ReturnType<typeof setTimeout>[] = [];
  private topoTimer: ReturnType<typeof setTimeout> | null = null;
  private historyTimer: ReturnType<typeof setTimeout> | null = null;
  private unsub: (() => void) | null = null;
  /** Positions per view key, for the whole session (nodes that come back reuse theirs). */
  private positions = new Map<string, Record<string, Point>>();
  private detailsSeq = 0;
  private stopped = false;

  constructor(
    private readonly store: Store<AppState>,
    private readonly api: ApiClient,
    private readonly layouts: LayoutService,
  ) {}

  start(): void {
    this.unsub = this.store.subscribe((s, prev) => this.onChange(s, prev));
    void this.pollApi();
    void this.pollTopologies();
  }

  stop(): void {
    this.stopped = true;
    this.unsub?.();
    this.socket?.close();
    for (const t of this.timers) clearTimeout(t);
    if (this.topoTimer) clearTimeout(this.topoTimer);
    if (this.historyTimer) clearTimeout(this.historyTimer);
    this.layouts.dispose();
  }

  /** Query of the current topology's options (+ timestamp when paused). */
  currentQuery(s: AppState = this.store.get()): string {
    const flat = flattenTopologies(s.topologies ?? []);
    const t = findTopology(flat, s.url.topologyId);
    if (!t) return s.url.pausedAt ? `timestamp=${s.url.pausedAt}` : '';
    const opts = effectiveOptions(t.desc.options, s.url.topologyOptions[t.parentId]);
    return optionsQuery(opts, { timestamp: s.url.pausedAt ?? undefined });
  }

  viewKey(s: AppState = this.store.get()): string {
    return `${s.url.topologyId ?? ''}|${this.currentQuery({ ...s, url: { ...s.url, pausedAt: null } })}`;
  }

  private later(fn: () => void, ms: number): void {
    if (this.stopped) return;
    this.timers.push(setTimeout(fn, ms));
  }

  private async pollApi(): Promise<void> {
    try {
      const api = await this.api.getApi();
      this.store.set({ api });
      if (api.capabilities['historic_reports'] && !this.historyTimer) void this.pollHistory();
      this.later(() => void this.pollApi(), API_POLL_MILLIS);
    } catch {
      this.later(() => void this.pollApi(), 15_000);
    }
  }

  /** Refreshes the timeline's range and change marks while the app keeps history. */
  async pollHistory(): Promise<void> {
    if (this.historyTimer) clearTimeout(this.historyTimer);
    this.historyTimer = null;
    try {
      this.store.set({ history: await this.api.getHistory() });
    } catch {
      /* the timeline keeps its last range; the connection state comes from the topology poll */
    }
    if (!this.stopped) this.historyTimer = setTimeout(() => void this.pollHistory(), HISTORY_POLL_MILLIS);
  }

  /** Polls the topology list; its success or failure is what "online"/"offline" means. */
  async pollTopologies(): Promise<void> {
    if (this.topoTimer) clearTimeout(this.topoTimer);
    this.topoTimer = null;
    const s = this.store.get();
    try {
      const topologies = await this.api.getTopologies(s.topologies ? this.currentQuery(s) : '');
      const patch: Partial<AppState> = { topologies };
      const wasDown = s.connection.kind === 'offline' || s.connection.kind === 'connecting';
      if (wasDown) patch.connection = { kind: 'online' };
      const url = this.store.get().url;
      if (!url.topologyId || !findTopology(flattenTopologies(topologies), url.topologyId)) {
        const id = defaultTopologyId(flattenTopologies(topologies));
        if (id && !url.topologyId) patch.url = { ...url, topologyId: id };
      }
      this.store.set(patch);
      if (wasDown) this.socket?.retryNow();
      this.ensureStream();
      void this.loadTopCard();
    } catch (err) {
      const reason = err instanceof ApiError ? (err.status === 0 ? `Cannot reach OpenScope at ${this.api.baseUrl} (${err.message})` : `${err.message} (HTTP ${err.status})`) : (err as Error).message;
      this.store.set({ connection: { kind: 'offline', retryAtMillis: Date.now() + TOPOLOGY_POLL_MILLIS, reason } });
    }
    if (!this.store.get().url.pausedAt && !this.stopped) {
      this.topoTimer = setTimeout(() => void this.pollTopologies(), TOPOLOGY_POLL_MILLIS);
    }
  }

  /** Opens (or keeps) the websocket for the current view; paused views fetch once instead. */
  private ensureStream(): void {
    const s = this.store.get();
    const topologyId = s.url.topologyId;
    if (!topologyId || !s.topologies) return;
    const query = this.currentQuery(s);
    // A replay streams from `timestamp=` (app §1.6): the server moves it forward at wall-clock speed.
    const key = `${s.url.pausedAt && s.playback ? 'replay:' : ''}${topologyId}?${query}`;
    if (s.url.pausedAt && !s.playback) {
      this.socket?.close();
      this.socket = null;
      if (key !== this.socketKey) {
        this.socketKey = key;
        void this.fetchPaused(topologyId, query, key);
      }
      return;
    }
    if (this.socket && key === this.socketKey) return;
    this.socket?.close();
    this.socketKey = key;
    const url = this.api.topologySocketUrl(topologyId, query);
    const socket = new ReconnectingSocket({
      url,
      baseDelayMillis: 1000,
      maxDelayMillis: 5000,
      onMessage: (data) => {
        if (this.socket !== socket || typeof data !== 'string') return;
        this.onDiff(data);
      },
      onState: (st: SocketState) => {
        if (this.socket !== socket && this.socket !== null) return;
        this.onSocketState(st);
      },
    });
    this.socket = socket;
  }

  private onSocketState(st: SocketState): void {
    const conn = this.store.get().connection;
    if (st.kind === 'open' && conn.kind === 'reconnecting') this.store.set({ connection: { kind: 'online' } });
    if (st.kind === 'waiting' && conn.kind !== 'offline') {
      this.store.set({ connection: { kind: 'reconnecting', retryAtMillis: st.retryAtMillis, reason: st.reason } });
    }
  }

  private onDiff(text: string): void {
    let diff;
    try {
      diff = parseDiff(JSON.parse(text));
    } catch {
      return; // a malformed message costs only itself
    }
    const s = this.store.get();
    const r = applyDiff(s.nodes, diff);
    const patch: Partial<AppState> = { nodes: r.nodes, nodesLoaded: true };
    if (s.connection.kind !== 'online') patch.connection = { kind: 'online' };
    if (r.structureChanged || !s.nodesLoaded) patch.structureVersion = s.structureVersion + 1;
    this.store.set(patch);
  }

  private async fetchPaused(topologyId: string, query: string, key: string): Promise<void> {
    try {
      const nodes = await this.api.getNodes(topologyId, query);
      if (this.socketKey !== key) return;
      const s = this.store.get();
      const r = applyDiff(s.nodes, diffNodeSets(s.nodes, nodes));
      this.store.set({ nodes: r.nodes, nodesLoaded: true, structureVersion: s.structureVersion + (r.structureChanged ? 1 : 0) });
    } catch {
      /* shown through the next topology poll */
    }
  }

  private onChange(s: AppState, prev: AppState): void {
    const u = s.url;
    const p = prev.url;
    const viewChanged = u.topologyId !== p.topologyId || u.topologyOptions !== p.topologyOptions;
    if (viewChanged) {
      // New view: drop the node set, keep positions cached per view.
      this.store.set({ nodes: new Map(), nodesLoaded: false, structureVersion: s.structureVersion + 1, layout: null });
      void this.pollTopologies();
      return;
    }
    if (!u.pausedAt && s.playback) {
      // Live again (the header's Live button): a replay has nothing left to do.
      this.store.set({ playback: null });
      return;
    }
    if (u.pausedAt !== p.pausedAt || s.playback !== prev.playback) {
      this.socketKey = '';
      if (!u.pausedAt) void this.pollTopologies();
      else this.ensureStream();
      // Details and resources follow the chosen moment too.
      if (u.pausedAt !== p.pausedAt) {
        void this.loadTopCard();
        if (u.topologyViewMode === 'resource') void this.loadResources();
      }
    }
    if (u.nodeDetails !== p.nodeDetails) void this.loadTopCard();
    if (s.structureVersion !== prev.structureVersion || s.relayoutNonce !== prev.relayoutNonce) void this.runLayout(s.relayoutNonce !== prev.relayoutNonce);
    if (u.topologyViewMode === 'resource' && (p.topologyViewMode !== 'resource' || !s.resource)) void this.loadResources();
  }

  private async runLayout(fresh: boolean): Promise<void> {
    const s = this.store.get();
    const key = this.viewKey(s);
    const previous = this.positions.get(key) ?? {};
    const nodes = [...s.nodes.values()].map((n) => ({ id: n.id, rank: n.rank }));
    const edges = edgesOf(s.nodes).map((e) => ({ source: e.source, target: e.target }));
    this.store.set({ layout: s.layout && s.layout.key === key ? { ...s.layout, pending: true } : { key, positions: {}, engine: '', millis: 0, pending: true } });
    const result = await this.layouts.layout({ nodes, edges, previous, fresh });
    if (!result || this.viewKey() !== key) return;
    this.positions.set(key, { ...previous, ...result.positions });
    this.store.set({ layout: { key, positions: result.positions, engine: result.engine, millis: result.millis, pending: false } });
  }

  /** Loads (or refreshes) the top details card only (§6.11). */
  async loadTopCard(): Promise<void> {
    const s = this.store.get();
    const top = s.url.nodeDetails[s.url.nodeDetails.length - 1];
    if (!top) return;
    const k = cardKey(top.topologyId, top.id);
    const seq = ++this.detailsSeq;
    const existing = s.cards[k];
    if (!existing) this.store.set({ cards: { ...s.cards, [k]: { status: 'loading' } } });
    const query = top.topologyId === s.url.topologyId ? this.currentQuery(s) : s.url.pausedAt ? `timestamp=${s.url.pausedAt}` : '';
    try {
      const node = await this.api.getNode(top.topologyId, top.id, query);
      if (seq !== this.detailsSeq && existing) return;
      const cards = { ...this.store.get().cards };
      cards[k] = node && node.id === top.id ? { status: 'ok', node } : { status: 'notfound' };
      this.store.set({ cards });
    } catch (err) {
      const cards = { ...this.store.get().cards };
      const prevNode = cards[k] && 'node' in cards[k] ? cards[k].node : undefined;
      cards[k] = prevNode ? { status: 'error', message: (err as Error).message, node: prevNode } : { status: 'error', message: (err as Error).message };
      this.store.set({ cards });
    }
  }

  /** Fetches every topology's nodes once (unfiltered, like Scope) for the selector's match counts. */
  async loadSearchIndex(): Promise<void> {
    const s = this.store.get();
    const ts = s.url.pausedAt ? `timestamp=${s.url.pausedAt}` : '';
    const index: Record<string, NodeSummary[]> = {};
    for (const t of flattenTopologies(s.topologies ?? [])) {
      if ((t.desc.stats?.node_count ?? 1) === 0) continue;
      try {
        index[t.id] = [...(await this.api.getNodes(t.id, ts)).values()];
      } catch {
        /* counts are a hint; skip this topology */
      }
    }
    this.store.set({ searchIndex: index });
  }

  async loadResources(): Promise<void> {
    try {
      const ts = this.store.get().url.pausedAt;
      const q = ts ? `timestamp=${ts}` : '';
      const hosts = await this.api.getNodes('hosts', q);
      const containers = await this.api.getNodes('containers', q);
      const processes = await this.api.getNodes('processes', q);
      this.store.set({ resource: { hosts: [...hosts.values()], containers: [...containers.values()], processes: [...processes.values()] } });
    } catch {
      this.store.set({ resource: { hosts: [], containers: [], processes: [] } });
    }
  }
}
