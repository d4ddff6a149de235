/**
 * Level of detail for the graph, pure: what to draw depending on zoom and how many nodes are
 * on screen, so 5,000 nodes stay interactive. DOM labels are the expensive part (layout + paint),
 * so they are capped; shapes degrade to plain dots when tiny.
 */

export interface Detail {
  /** Draw DOM labels (label + minor label) for visible nodes. */
  labels: boolean;
  /** Draw the minor label too. */
  minorLabels: boolean;
  /** Draw real shapes (else filled squares, ~10× cheaper on canvas). */
  shapes: boolean;
  /** Draw edges as curves (else straight lines). */
  curves: boolean;
}

/** Most DOM labels kept on screen at once. */
export const MAX_LABELS = 500;

export function levelOfDetail(scale: number, visibleNodes: number): Detail {
  const nodePx = 60 * scale;
  return {
    labels: nodePx >= 14 && visibleNodes <= MAX_LABELS,
    minorLabels: nodePx >= 28 && visibleNodes <= MAX_LABELS / 2,
    shapes: nodePx >= 10 || visibleNodes < 600,
    curves: visibleNodes < 1500,
  };
}
