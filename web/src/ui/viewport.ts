/** Pan/zoom math for the graph canvas, pure. screen = world × k + (x, y). */
import type { Zoom } from './url-state.js';

export const MIN_SCALE = 0.02;
export const MAX_SCALE = 4;

export interface Size {
  width: number;
  height: number;
}

export interface Bounds {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

export function clampScale(k: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, k));
}

/** Fits `bounds` (padded by `pad` world units) into `size`, at most scale 1.2. */
export function fitZoom(bounds: Bounds | null, size: Size, pad = 80): Zoom {
  if (!bounds || size.width <= 0 || size.height <= 0) return { x: size.width / 2, y: size.height / 2, k: 1 };
  const w = bounds.maxX - bounds.minX + 2 * pad;
  const h = bounds.maxY - bounds.minY + 2 * pad;
  const k = clampScale(Math.min(1.2, size.width / w, size.height / h));
  const cx = (bounds.minX + bounds.maxX) / 2;
  const cy = (bounds.minY + bounds.maxY) / 2;
  return { x: size.width / 2 - cx * k, y: size.height / 2 - cy * k, k };
}

/** Zooms by `factor` keeping the world point under screen point (sx, sy) fixed. */
export function zoomAround(z: Zoom, sx: number, sy: number, factor: number): Zoom {
  const k = clampScale(z.k * factor);
  const f = k / z.k;
  return { k, x: sx - (sx - z.x) * f, y: sy - (sy - z.y) * f };
}

export function toWorld(z: Zoom, sx: number, sy: number): { x: number; y: number } {
  return { x: (sx - z.x) / z.k, y: (sy - z.y) / z.k };
}

export function toScreen(z: Zoom, wx: number, wy: number): { x: number; y: number } {
  return { x: wx * z.k + z.x, y: wy * z.k + z.y };
}

/** The world rectangle visible on screen, grown by `margin` screen pixels (for culling). */
export function visibleWorld(z: Zoom, size: Size, margin = 60): Bounds {
  const a = toWorld(z, -margin, -margin);
  const b = toWorld(z, size.width + margin, size.height + margin);
  return { minX: a.x, minY: a.y, maxX: b.x, maxY: b.y };
}

export function boundsOf(points: Iterable<{ x: number; y: number }>): Bounds | null {
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    if (p.x < minX) minX = p.x;
    if (p.y < minY) minY = p.y;
    if (p.x > maxX) maxX = p.x;
    if (p.y > maxY) maxY = p.y;
  }
  return minX === Infinity ? null : { minX, minY, maxX, maxY };
}
