/**
 * Runs layouts in a Web Worker; a newer request supersedes an older one still running
 * (its result is dropped). Falls back to the main thread if workers are unavailable.
 */
import { computeLayout, type LayoutRequest, type LayoutResult } from '../ui/layout.js';

interface Pending {
  resolve: (r: LayoutResult | null) => void;
  reject: (e: Error) => void;
}

export class LayoutService {
  private worker: Worker | null = null;
  private seq = 0;
  private pending = new Map<number, Pending>();

  constructor() {
    try {
      this.worker = new Worker(new URL('../workers/layout.worker.ts', import.meta.url), { type: 'module' });
      this.worker.onmessage = (ev: MessageEvent<{ seq: number; result?: LayoutResult; error?: string }>) => {
        const p = this.pending.get(ev.data.seq);
        if (!p) return;
        this.pending.delete(ev.data.seq);
        if (ev.data.result) p.resolve(ev.data.result);
        else p.reject(new Error(ev.data.error ?? 'layout failed'));
      };
    } catch {
      this.worker = null;
    }
  }

  /** Resolves null when a newer request superseded this one. */
  layout(req: LayoutRequest): Promise<LayoutResult | null> {
    const seq = ++this.seq;
    for (const [s, p] of this.pending) {
      p.resolve(null);
      this.pending.delete(s);
    }
    if (!this.worker) return Promise.resolve(computeLayout(req));
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      this.worker?.postMessage({ seq, req });
    });
  }

  dispose(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}
