/**
 * The view state that lives in the URL, and its (de)serialisation — pure. Scope-compatible
 * format (app spec §6.20): `#!/state/<JSON>` with sorted keys, `/` → `<SLASH>`, `%` → `<PERCENT>`,
 * then URL-encoded. Keys equal to their defaults are omitted. `zoom` is ours (Scope keeps zoom
 * in local storage only), so a copied link reproduces the view exactly.
 */

export type ViewMode = 'topo' | 'grid' | 'resource';
export type Theme = 'light' | 'dark' | 'contrast';

export interface CardRef {
  id: string;
  topologyId: string;
}

export interface Zoom {
  x: number;
  y: number;
  k: number;
}

export interface UrlState {
  topologyId: string | null;
  /** Per parent topology id, per option group id, the selected values. */
  topologyOptions: Record<string, Record<string, string[]>>;
  topologyViewMode: ViewMode;
  selectedNodeId: string | null;
  nodeDetails: CardRef[];
  pinnedMetricType: string | null;
  searchQuery: string;
  pinnedSearches: string[];
  pausedAt: string | null;
  theme: Theme;
  gridSortedBy: string | null;
  gridSortedDesc: boolean | null;
  zoom: Zoom | null;
}

export const DEFAULT_URL_STATE: UrlState = {
  topologyId: null,
  topologyOptions: {},
  topologyViewMode: 'topo',
  selectedNodeId: null,
  nodeDetails: [],
  pinnedMetricType: null,
  searchQuery: '',
  pinnedSearches: [],
  pausedAt: null,
  theme: 'light',
  gridSortedBy: null,
  gridSortedDesc: null,
  zoom: null,
};

const PREFIX = '#!/state/';

function stableStringify(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .filter((k) => o[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function isDefault(key: keyof UrlState, value: unknown): boolean {
  const d = DEFAULT_URL_STATE[key];
  return stableStringify(d) === stableStringify(value);
}

/** Serialises to a URL hash (`#!/state/...`), or '' when everything is default. */
export function encodeUrlState(state: UrlState): string {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(DEFAULT_URL_STATE) as (keyof UrlState)[]) {
    const value = state[key];
    if (isDefault(key, value)) continue;
    if (key === 'theme') out['contrastMode'] = value === 'contrast' ? true : undefined;
    if (key === 'zoom' && value) {
      const z = value as Zoom;
      out[key] = { x: Math.round(z.x * 10) / 10, y: Math.round(z.y * 10) / 10, k: Math.round(z.k * 1000) / 1000 };
      continue;
    }
    out[key] = value;
  }
  if (Object.keys(out).length === 0) return '';
  const json = stableStringify(out).replace(/\//g, '<SLASH>').replace(/%/g, '<PERCENT>');
  return PREFIX + encodeURIComponent(json);
}

function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function strArray(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Parses a URL hash; anything malformed falls back to the default for that key. */
export function decodeUrlState(hash: string): UrlState {
  const state: UrlState = { ...DEFAULT_URL_STATE };
  if (!hash.startsWith(PREFIX)) return state;
  let raw: unknown;
  try {
    const json = decodeURIComponent(hash.slice(PREFIX.length)).replace(/<SLASH>/g, '/').replace(/<PERCENT>/g, '%');
    raw = JSON.parse(json);
  } catch {
    return state;
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return state;
  const o = raw as Record<string, unknown>;
  state.topologyId = str(o['topologyId']);
  const mode = o['topologyViewMode'];
  if (mode === 'topo' || mode === 'grid' || mode === 'resource') state.topologyViewMode = mode;
  state.selectedNodeId = str(o['selectedNodeId']);
  state.pinnedMetricType = str(o['pinnedMetricType']);
  state.searchQuery = str(o['searchQuery']) ?? '';
  state.pinnedSearches = strArray(o['pinnedSearches']);
  state.pausedAt = str(o['pausedAt']);
  state.gridSortedBy = str(o['gridSortedBy']);
  state.gridSortedDesc = typeof o['gridSortedDesc'] === 'boolean' ? o['gridSortedDesc'] : null;
  const theme = o['theme'];
  if (theme === 'dark' || theme === 'contrast' || theme === 'light') state.theme = theme;
  else if (o['contrastMode'] === true) state.theme = 'contrast';
  const cards = o['nodeDetails'];
  if (Array.isArray(cards)) {
    state.nodeDetails = cards.flatMap((c: unknown) => {
      if (!c || typeof c !== 'object') return [];
      const r = c as Record<string, unknown>;
      const id = str(r['id']);
      const topologyId = str(r['topologyId']);
      return id && topologyId ? [{ id, topologyId }] : [];
    });
  }
  const opts = o['topologyOptions'];
  if (opts && typeof opts === 'object' && !Array.isArray(opts)) {
    for (const [topo, groups] of Object.entries(opts as Record<string, unknown>)) {
      if (!groups || typeof groups !== 'object' || Array.isArray(groups)) continue;
      const g: Record<string, string[]> = {};
      // Legacy URLs with string values are discarded (§6.20).
      for (const [k, v] of Object.entries(groups as Record<string, unknown>)) if (Array.isArray(v)) g[k] = strArray(v);
      state.topologyOptions[topo] = g;
    }
  }
  const z = o['zoom'];
  if (z && typeof z === 'object') {
    const r = z as Record<string, unknown>;
    const { x, y, k } = r;
    if (typeof x === 'number' && typeof y === 'number' && typeof k === 'number' && k > 0 && Number.isFinite(x + y + k)) state.zoom = { x, y, k };
  }
  return state;
}
