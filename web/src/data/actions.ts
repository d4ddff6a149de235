/**
 * User intents → store updates and API calls. Components call these; they never touch the
 * transport themselves.
 */
import type { Store } from '../store/store.js';
import { cardKey, type AppState } from '../store/app-state.js';
import type { ApiClient } from '../api/http.js';
import type { ControlInstance } from '../domain/api-types.js';
import type { CardRef, Theme, UrlState, ViewMode, Zoom } from '../ui/url-state.js';
import type { DataSync } from './sync.js';

const CONTROL_ERROR_MILLIS = 10_000;

export class AppActions {
  constructor(
    private readonly store: Store<AppState>,
    private readonly api: ApiClient,
    private readonly sync: DataSync,
  ) {}

  get client(): ApiClient {
    return this.api;
  }

  private setUrl(patch: Partial<UrlState>): void {
    this.store.set((s) => ({ url: { ...s.url, ...patch } }));
  }

  selectTopology(topologyId: string): void {
    const s = this.store.get();
    if (s.url.topologyId === topologyId) return;
    const patch: Partial<UrlState> = { topologyId, selectedNodeId: null, nodeDetails: [], zoom: null };
    if (s.url.topologyViewMode === 'resource' && !['hosts', 'containers', 'processes'].includes(topologyId)) patch.topologyViewMode = 'topo';
    this.setUrl(patch);
  }

  setOption(parentId: string, groupId: string, values: string[]): void {
    const s = this.store.get();
    const forParent = { ...(s.url.topologyOptions[parentId] ?? {}), [groupId]: values };
    this.setUrl({ topologyOptions: { ...s.url.topologyOptions, [parentId]: forParent }, zoom: null });
  }

  setViewMode(mode: ViewMode): void {
    this.setUrl({ topologyViewMode: mode });
  }

  /** Click on a node: opens a single card, or deselects when it is already the only card. */
  selectNode(nodeId: string | null, topologyId?: string): void {
    const s = this.store.get();
    const topo = topologyId ?? s.url.topologyId ?? '';
    if (nodeId === null || (s.url.selectedNodeId === nodeId && s.url.nodeDetails.length === 1)) {
      this.setUrl({ selectedNodeId: null, nodeDetails: [] });
      return;
    }
    this.setUrl({ selectedNodeId: nodeId, nodeDetails: [{ id: nodeId, topologyId: topo }] });
  }

  /** A relative link in a card (parent, child, connection): pushes a card, or raises it. */
  pushCard(ref: CardRef): void {
    const s = this.store.get();
    const rest = s.url.nodeDetails.filter((c) => !(c.id === ref.id && c.topologyId === ref.topologyId));
    this.setUrl({ nodeDetails: [...rest, ref] });
  }

  closeCard(ref: CardRef): void {
    const s = this.store.get();
    const nodeDetails = s.url.nodeDetails.filter((c) => !(c.id === ref.id && c.topologyId === ref.topologyId));
    this.setUrl({ nodeDetails, selectedNodeId: nodeDetails.length === 0 ? null : s.url.selectedNodeId });
  }

  closeTopCard(): void {
    const top = this.store.get().url.nodeDetails.at(-1);
    if (top) this.closeCard(top);
  }

  /** "Show in <topology>": switch view and select the node there. */
  showInTopology(ref: CardRef): void {
    this.setUrl({ topologyId: ref.topologyId, selectedNodeId: ref.id, nodeDetails: [ref], zoom: null });
  }

  setSearch(query: string): void {
    this.setUrl({ searchQuery: query });
  }

  pinSearch(): void {
    const s = this.store.get();
    const q = s.url.searchQuery.trim();
    if (!q || s.url.pinnedSearches.includes(q)) return;
    this.setUrl({ pinnedSearches: [...s.url.pinnedSearches, q], searchQuery: '' });
  }

  unpinSearch(query?: string): void {
    const s = this.store.get();
    const list = query === undefined ? s.url.pinnedSearches.slice(0, -1) : s.url.pinnedSearches.filter((q) => q !== query);
    this.setUrl({ pinnedSearches: list });
  }

  setPinnedMetric(label: string | null): void {
    this.setUrl({ pinnedMetricType: label });
  }

  setZoom(zoom: Zoom | null): void {
    this.setUrl({ zoom });
  }

  setTheme(theme: Theme): void {
    this.setUrl({ theme });
  }

  setGridSort(by: string, desc: boolean): void {
    this.setUrl({ gridSortedBy: by, gridSortedDesc: desc });
  }

  pause(): void {
    this.setUrl({ pausedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') });
  }

  resume(): void {
    this.setUrl({ pausedAt: null });
  }

  relayout(): void {
    this.store.set((s) => ({ relayoutNonce: s.relayoutNonce + 1 }));
  }

  toggleHelp(open?: boolean): void {
    this.store.set((s) => ({ helpOpen: open ?? !s.helpOpen }));
  }

  /** Search box focused: refresh the per-topology match counts (at most every 30 s). */
  searchFocused(): void {
    const now = Date.now();
    if (now - this.searchIndexAt < 30_000) return;
    this.searchIndexAt = now;
    void this.sync.loadSearchIndex();
  }

  private searchIndexAt = 0;

  retryNow(): void {
    void this.sync.pollTopologies();
  }

  /** Runs a control; pipe-backed controls open the terminal (app spec §5). */
  async runControl(control: ControlInstance, title: string): Promise<void> {
    if (control.confirmation && !window.confirm(control.confirmation)) return;
    const key = control.nodeId;
    this.store.set((s) => ({ controls: { ...s.controls, [key]: { pending: true } } }));
    try {
      const res = await this.api.control(control.probeId, control.nodeId, control.id);
      this.store.set((s) => ({ controls: { ...s.controls, [key]: { pending: false } }, lastControlResponse: res }));
      if (res.pipe) {
        const old = this.store.get().terminal;
        if (old && old.pipeId !== res.pipe) void this.api.deletePipe(old.pipeId).catch(() => undefined);
        this.store.set({
          terminal: {
            pipeId: res.pipe,
            nodeId: control.nodeId,
            probeId: control.probeId,
            title: `${title} — ${control.human}`,
            raw: res.raw_tty === true,
            resizeControl: res.resize_tty_control ?? null,
            controlId: control.id,
          },
        });
      }
      if (res.removedNode) {
        const s = this.store.get();
        for (const c of s.url.nodeDetails) if (c.id === res.removedNode) this.closeCard(c);
      }
      void this.sync.loadTopCard();
    } catch (err) {
      const message = (err as Error).message;
      this.store.set((s) => ({ controls: { ...s.controls, [key]: { pending: false, error: message } } }));
      setTimeout(() => {
        const cur = this.store.get().controls[key];
        if (cur?.error === message) this.store.set((s) => ({ controls: { ...s.controls, [key]: { pending: false } } }));
      }, CONTROL_ERROR_MILLIS);
    }
  }

  /** Closes the terminal; `keepPipe` when it was popped out into its own window. */
  closeTerminal(keepPipe = false): void {
    const t = this.store.get().terminal;
    if (!t) return;
    this.store.set({ terminal: null });
    if (!keepPipe) void this.api.deletePipe(t.pipeId).catch(() => undefined);
  }

  cardState(ref: CardRef): AppState['cards'][string] | undefined {
    return this.store.get().cards[cardKey(ref.topologyId, ref.id)];
  }
}
