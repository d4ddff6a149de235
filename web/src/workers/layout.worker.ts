/// <reference lib="webworker" />
/** Layout Web Worker: runs `computeLayout` off the main thread so the tab never freezes. */
import { computeLayout, type LayoutRequest } from '../ui/layout.js';

interface Msg {
  seq: number;
  req: LayoutRequest;
}

self.onmessage = (ev: MessageEvent<Msg>) => {
  const { seq, req } = ev.data;
  try {
    const result = computeLayout(req);
    self.postMessage({ seq, result });
  } catch (err) {
    self.postMessage({ seq, error: (err as Error).message });
  }
};
