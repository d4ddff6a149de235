/** The application state held by the store. URL-backed keys live in `url` (see url-adapter.ts). */
import type { ApiDetails, ControlResponse, DetailedNode, NodeSummary, TopologyDesc } from '../domain/api-types.js';
import { DEFAULT_URL_STATE, type UrlState } from '../ui/url-state.js';
import type { Point } from '../ui/layout.js';
import type { TimelineHistory } from '../api/history.js';
import type { Playback } from './timeline.js';

/** Reachability of the app, shown to the user (hubble-ui's status center). */
export type ConnectionStatus =
  | { kind: 'connecting' }
  | { kind: 'online' }
  | { kind: 'reconnecting'; retryAtMillis: number; reason: string }
  | { kind: 'offline'; retryAtMillis: number; reason: string };

export type CardState =
  | { status: 'loading'; node?: DetailedNode }
  | { status: 'ok'; node: DetailedNode }
  | { status: 'notfound' }
  | { status: 'error'; message: string; node?: DetailedNode };

export interface ControlState {
  pending: boolean;
  error?: string;
}

export interface TerminalState {
  pipeId: string;
  nodeId: string;
  probeId: string;
  title: string;
  raw: boolean;
  resizeControl: string | null;
  controlId: string;
}

export interface LayoutState {
  /** `<topologyId>|<options>`: positions are kept per view. */
  key: string;
  positions: Record<string, Point>;
  engine: string;
  millis: number;
  pending: boolean;
}

export interface AppState {
  url: UrlState;
  api: ApiDetails | null;
  topologies: TopologyDesc[] | null;
  /** Nodes of the current topology. Unchanged nodes keep their object identity across diffs. */
  nodes: Map<string, NodeSummary>;
  nodesLoaded: boolean;
  /** Bumped when nodes or edges come or go (a layout is needed). */
  structureVersion: number;
  connection: ConnectionStatus;
  /** Keyed by `<topologyId>|<nodeId>`. */
  cards: Record<string, CardState>;
  controls: Record<string, ControlState>;
  terminal: TerminalState | null;
  layout: LayoutState | null;
  resource: { hosts: NodeSummary[]; containers: NodeSummary[]; processes: NodeSummary[] } | null;
  /** Nodes of every topology, fetched when the search box gets focus (per-topology match counts). */
  searchIndex: Record<string, NodeSummary[]> | null;
  helpOpen: boolean;
  lastControlResponse: ControlResponse | null;
  relayoutNonce: number;
  /** The timeline's range and change marks (historic collectors only; see store/timeline.ts). */
  history: TimelineHistory | null;
  /** Replaying history forward from `url.pausedAt` (not in the URL). */
  playback: Playback | null;
}

export function initialState(url: UrlState = DEFAULT_URL_STATE): AppState {
  return {
    url,
    api: null,
    topologies: null,
    nodes: new Map(),
    nodesLoaded: false,
    structureVersion: 0,
    connection: { kind: 'connecting' },
    cards: {},
    controls: {},
    terminal: null,
    layout: null,
    resource: null,
    searchIndex: null,
    helpOpen: false,
    lastControlResponse: null,
    relayoutNonce: 0,
    history: null,
    playback: null,
  };
}

export function cardKey(topologyId: string, nodeId: string): string {
  return `${topologyId}|${nodeId}`;
}
