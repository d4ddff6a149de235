/** Node colours as Scope computes them (app spec §6.6), pure. */

const PSEUDO_COLOR = '#b1b1cb';

function hueFromText(text: string): number {
  // First two characters upper-cased, clamped into A–Z, read as base-26 digits (A=0 … Z=25).
  const s = text.slice(0, 2).toUpperCase();
  let v = 0;
  for (let i = 0; i < 2; i++) {
    const c = s.charCodeAt(i);
    const d = Number.isNaN(c) ? 0 : Math.min(25, Math.max(0, c - 65));
    v = v * 25 + d;
  }
  const hue = 20 + (v / (25 * 25)) * 310;
  return hue > 70 && hue < 150 ? hue + 80 : hue;
}

export interface NodeColor {
  fill: string;
  stroke: string;
  dark: string;
}

const cache = new Map<string, NodeColor>();

/** Colour of a node from its rank (hue) and label (lightness); pseudo nodes are grey. */
export function nodeColor(rank: string, label: string, pseudo: boolean): NodeColor {
  if (pseudo) return { fill: PSEUDO_COLOR, stroke: '#8d8da8', dark: '#6d6d88' };
  const key = `${rank}\u0000${label}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const hue = hueFromText(rank || label);
  const light = 0.45 + ((hueFromText(label) - 20) / 390) * 0.15;
  const c: NodeColor = {
    fill: `hsl(${hue.toFixed(0)} 60% ${(light * 100).toFixed(0)}%)`,
    stroke: `hsl(${hue.toFixed(0)} 60% ${(light * 100 - 10).toFixed(0)}%)`,
    dark: `hsl(${hue.toFixed(0)} 55% 32%)`,
  };
  if (cache.size > 20000) cache.clear();
  cache.set(key, c);
  return c;
}
