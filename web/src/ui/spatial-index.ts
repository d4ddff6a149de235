/** Uniform-grid spatial index over node centres, for hit-testing and viewport culling. Pure. */

export interface Indexed {
  id: string;
  x: number;
  y: number;
}

export class SpatialIndex<T extends Indexed> {
  private cells = new Map<string, T[]>();

  constructor(
    items: readonly T[],
    private readonly cell = 200,
  ) {
    for (const it of items) {
      const k = this.key(Math.floor(it.x / cell), Math.floor(it.y / cell));
      let list = this.cells.get(k);
      if (!list) this.cells.set(k, (list = []));
      list.push(it);
    }
  }

  private key(cx: number, cy: number): string {
    return `${cx},${cy}`;
  }

  /** Items whose centre lies in the rectangle. */
  query(minX: number, minY: number, maxX: number, maxY: number, out: T[] = []): T[] {
    const c = this.cell;
    const x0 = Math.floor(minX / c);
    const x1 = Math.floor(maxX / c);
    const y0 = Math.floor(minY / c);
    const y1 = Math.floor(maxY / c);
    if ((x1 - x0 + 1) * (y1 - y0 + 1) > this.cells.size * 4) {
      for (const list of this.cells.values()) for (const it of list) if (it.x >= minX && it.x <= maxX && it.y >= minY && it.y <= maxY) out.push(it);
      return out;
    }
    for (let cx = x0; cx <= x1; cx++) {
      for (let cy = y0; cy <= y1; cy++) {
        const list = this.cells.get(this.key(cx, cy));
        if (!list) continue;
        for (const it of list) if (it.x >= minX && it.x <= maxX && it.y >= minY && it.y <= maxY) out.push(it);
      }
    }
    return out;
  }

  /** The item nearest to (x, y) within `radius`, or null. */
  nearest(x: number, y: number, radius: number): T | null {
    let best: T | null = null;
    let bestD = radius * radius;
    for (const it of this.query(x - radius, y - radius, x + radius, y + radius)) {
      const d = (it.x - x) ** 2 + (it.y - y) ** 2;
      if (d <= bestD) {
        bestD = d;
        best = it;
      }
    }
    return best;
  }
}
