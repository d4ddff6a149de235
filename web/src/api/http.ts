/**
 * HTTP transport: the only code (with socket.ts) that talks to the network. Every URL is
 * relative to the directory of the page, so the UI works under a path prefix (app spec §1.1).
 */
import { parseHistory, type TimelineHistory } from './history.js';
import type { ApiDetails, ControlResponse, DetailedNode, NodeSummary, TopologyDesc } from '../domain/api-types.js';
import { parseApiDetails, parseControlResponse, parseDetailedNode, parseNodes, parseTopologies } from './validate.js';

/** A failed request: `status` 0 means the app could not be reached at all. */
export class ApiError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Directory of the page (`http://h/prefix/`), where `api/...` lives. */
export function pageBaseUrl(href: string): string {
  const u = new URL(href);
  u.hash = '';
  u.search = '';
  u.pathname = u.pathname.replace(/[^/]*$/, '');
  return u.toString();
}

export function wsUrl(httpUrl: string): string {
  return httpUrl.replace(/^http/, 'ws');
}

export interface ApiClientOptions {
  /** Base URL ending in `/`; API paths are appended (`api/topology`). */
  baseUrl: string;
  /** Per-request timeout, default 15 s. */
  timeoutMillis?: number;
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly timeoutMillis: number;

  constructor(opts: ApiClientOptions) {
    this.baseUrl = opts.baseUrl;
    this.timeoutMillis = opts.timeoutMillis ?? 15_000;
  }

  url(path: string): string {
    return this.baseUrl + path;
  }

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    const url = this.url(path);
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), this.timeoutMillis);
    let res: Response;
    try {
      res = await fetch(url, { ...init, signal: ctrl.signal, cache: 'no-store' });
    } catch (err) {
      throw new ApiError(url, 0, ctrl.signal.aborted ? `timed out after ${this.timeoutMillis} ms` : `unreachable (${(err as Error).message})`);
    } finally {
      clearTimeout(timer);
    }
    if (!res.ok) {
      let text = await res.text().catch(() => '');
      // Scope's error bodies are JSON strings (quotes included, app §1.1).
      try {
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed === 'string') text = parsed;
      } catch {
        /* plain text */
      }
      throw new ApiError(url, res.status, text.trim() || `HTTP ${res.status}`);
    }
    return res;
  }

  private async json(path: string): Promise<unknown> {
    const res = await this.request(path);
    return (await res.json()) as unknown;
  }

  async getApi(): Promise<ApiDetails> {
    return parseApiDetails(await this.json('api'));
  }

  async getTopologies(query: string): Promise<TopologyDesc[]> {
    return parseTopologies(await this.json(`api/topology${query ? `?${query}` : ''}`));
  }

  async getNodes(topologyId: string, query: string): Promise<Map<string, NodeSummary>> {
    return parseNodes(await this.json(`api/topology/${encodeURIComponent(topologyId)}${query ? `?${query}` : ''}`));
  }

  /** `GET /api/history` (historic collectors only): the timeline's range and change marks. */
  async getHistory(): Promise<TimelineHistory> {
    return parseHistory(await this.json('api/history'));
  }

  /** Node details; resolves null on 404 (the card shows "not found"). */
  async getNode(topologyId: string, nodeId: string, query: string): Promise<DetailedNode | null> {
    try {
      return parseDetailedNode(await this.json(`api/topology/${encodeURIComponent(topologyId)}/${encodeURIComponent(nodeId)}${query ? `?${query}` : ''}`));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return null;
      throw err;
    }
  }

  async control(probeId: string, nodeId: string, controlId: string, args?: Record<string, string>): Promise<ControlResponse> {
    const res = await this.request(`api/control/${encodeURIComponent(probeId)}/${encodeURIComponent(nodeId)}/${controlId}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      ...(args ? { body: JSON.stringify(args, Object.keys(args).sort()) } : {}),
    });
    const text = await res.text();
    if (!text) return {};
    try {
      return parseControlResponse(JSON.parse(text));
    } catch {
      return {};
    }
  }

  /** 'alive' (204 or unknown pipe), 'gone' (404), or 'unknown' (anything else). */
  async checkPipe(pipeId: string): Promise<'alive' | 'gone' | 'unknown'> {
    try {
      await this.request(`api/pipe/${encodeURIComponent(pipeId)}/check`);
      return 'alive';
    } catch (err) {
      return err instanceof ApiError && err.status === 404 ? 'gone' : 'unknown';
    }
  }

  async deletePipe(pipeId: string): Promise<void> {
    await this.request(`api/pipe/${encodeURIComponent(pipeId)}`, { method: 'DELETE' });
  }

  topologySocketUrl(topologyId: string, query: string): string {
    return wsUrl(this.url(`api/topology/${encodeURIComponent(topologyId)}/ws?${query ? `${query}&` : ''}t=5s`));
  }

  pipeSocketUrl(pipeId: string): string {
    return wsUrl(this.url(`api/pipe/${encodeURIComponent(pipeId)}`));
  }

  reportUrl(): string {
    return this.url('api/report');
  }
}
