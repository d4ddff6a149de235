/**
 * Node shapes as SVG path strings in unit coordinates (radius 1, centred on 0,0), pure.
 * The canvas renderer turns each into one Path2D and reuses it for every node (app spec §3.7).
 */

export const SHAPES = ['circle', 'triangle', 'square', 'pentagon', 'hexagon', 'heptagon', 'octagon', 'cloud', 'cylinder', 'dottedcylinder', 'sheet', 'dottedtriangle'] as const;
export type Shape = (typeof SHAPES)[number];

/** Unknown shapes are drawn as circles instead of crashing the renderer (Scope would crash). */
export function normalizeShape(shape: string | undefined): Shape {
  if (shape === 'storagesheet') return 'sheet';
  return (SHAPES as readonly string[]).includes(shape ?? '') ? (shape as Shape) : 'circle';
}

function polygon(sides: number, rotation: number): string {
  const pts: string[] = [];
  for (let i = 0; i < sides; i++) {
    const a = rotation + (i * 2 * Math.PI) / sides;
    pts.push(`${(Math.cos(a)).toFixed(4)} ${(Math.sin(a)).toFixed(4)}`);
  }
  return `M${pts.join('L')}Z`;
}

const CIRCLE = 'M1 0A1 1 0 1 1 -1 0A1 1 0 1 1 1 0Z';

const PATHS: Record<Shape, string> = {
  circle: CIRCLE,
  triangle: polygon(3, -Math.PI / 2),
  dottedtriangle: polygon(3, -Math.PI / 2),
  square: 'M-0.8 -0.8H0.8V0.8H-0.8Z',
  pentagon: polygon(5, -Math.PI / 2),
  hexagon: polygon(6, 0),
  heptagon: polygon(7, -Math.PI / 2),
  octagon: polygon(8, Math.PI / 8),
  cloud:
    'M-0.81 0.72C-1.23 0.72 -1.4 0.16 -1.04 -0.08C-1.12 -0.55 -0.6 -0.81 -0.29 -0.55C-0.13 -1.01 0.55 -1.04 0.68 -0.49C1.17 -0.57 1.4 -0.03 1.09 0.26C1.3 0.55 1.07 0.78 0.81 0.72Z',
  cylinder: 'M-0.8 -0.6A0.8 0.25 0 0 1 0.8 -0.6V0.6A0.8 0.25 0 0 1 -0.8 0.6Z M-0.8 -0.6A0.8 0.25 0 0 0 0.8 -0.6',
  dottedcylinder: 'M-0.8 -0.6A0.8 0.25 0 0 1 0.8 -0.6V0.6A0.8 0.25 0 0 1 -0.8 0.6Z M-0.8 -0.6A0.8 0.25 0 0 0 0.8 -0.6',
  sheet: 'M-0.7 -0.85H0.35L0.7 -0.5V0.85H-0.7Z',
};

export function shapePath(shape: Shape): string {
  return PATHS[shape];
}

/** Dashed outline for the `dotted*` shapes. */
export function isDotted(shape: Shape): boolean {
  return shape === 'dottedcylinder' || shape === 'dottedtriangle';
}
