/**
 * DOM labels for the visible nodes (render only): real text, so it is selectable, searchable with
 * the browser's find and testable. A pool keyed by node id is reused across frames; only
 * transforms change while panning, text only when it changed.
 */
import type { SceneNode } from '../../ui/scene.js';
import type { Zoom } from '../../ui/url-state.js';
import type { Detail } from '../../ui/lod.js';
import { NODE_RADIUS } from './painter.js';

/** Distance between grid neighbours in world units (see ui/layout.ts SPACING). */
const LABEL_PITCH = 130;

export interface LabelState {
  hovered: string | null;
  selected: string | null;
  highlighted: ReadonlySet<string>;
}

interface Entry {
  el: HTMLDivElement;
  label: HTMLSpanElement;
  minor: HTMLSpanElement;
  metric: HTMLSpanElement;
  key: string;
}

export class LabelLayer {
  private entries = new Map<string, Entry>();
  /** The zoom the labels were last laid out for; `shift` moves them all from there at once. */
  private base: Zoom | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly onEnter: (id: string) => void,
    private readonly onLeave: (id: string) => void,
  ) {}

  private create(n: SceneNode): Entry {
    const el = document.createElement('div');
    el.className = 'node-label';
    el.dataset['testid'] = 'graph-node';
    el.setAttribute('data-testid', 'graph-node');
    el.setAttribute('role', 'button');
    el.tabIndex = -1;
    const text = document.createElement('div');
    text.className = 'node-text';
    const label = document.createElement('span');
    label.className = 'node-label-main';
    const minor = document.createElement('span');
    minor.className = 'node-label-minor';
    const metric = document.createElement('span');
    metric.className = 'node-label-metric';
    text.append(label, minor);
    el.append(metric, text);
    const id = n.id;
    el.addEventListener('pointerenter', () => this.onEnter(id));
    el.addEventListener('pointerleave', () => this.onLeave(id));
    // Dragging on the text selects it instead of panning.
    text.addEventListener('pointerdown', (ev) => ev.stopPropagation());
    this.root.append(el);
    return { el, label, minor, metric, key: '' };
  }

  /**
   * During a gesture: a pan moves every label with one compositor transform; while the scale
   * changes, labels are hidden instead (re-rastering scaled text every frame cost 3–5× the frame
   * budget in measurements, bench/ui-results.md). `update` lays them out again at rest.
   */
  shift(zoom: Zoom): boolean {
    const b = this.base;
    if (!b) return false;
    if (Math.abs(zoom.k - b.k) > 1e-9) {
      if (this.root.style.visibility !== 'hidden') this.root.style.visibility = 'hidden';
      return true;
    }
    this.root.style.transform = `translate(${(zoom.x - b.x).toFixed(1)}px, ${(zoom.y - b.y).toFixed(1)}px)`;
    return true;
  }

  update(nodes: readonly SceneNode[], zoom: Zoom, detail: Detail, state: LabelState): void {
    this.base = { ...zoom };
    if (this.root.style.transform) this.root.style.transform = '';
    if (this.root.style.visibility) this.root.style.visibility = '';
    const seen = new Set<string>();
    const size = Math.max(12, NODE_RADIUS * 2 * zoom.k);
    // Labels may not be wider than the node pitch, so neighbours in a grid do not overlap.
    this.root.style.setProperty('--label-max', `${Math.max(72, Math.min(180, LABEL_PITCH * zoom.k - 6)).toFixed(0)}px`);
    if (detail.labels) {
      for (const n of nodes) {
        seen.add(n.id);
        let e = this.entries.get(n.id);
        if (!e) {
          e = this.create(n);
          this.entries.set(n.id, e);
        }
        const key = `${n.label}\u0000${n.labelMinor}\u0000${n.metricText ?? ''}\u0000${detail.minorLabels}`;
        if (key !== e.key) {
          e.key = key;
          e.label.textContent = n.label;
          e.minor.textContent = detail.minorLabels ? n.labelMinor : '';
          e.metric.textContent = n.metricText ?? '';
          e.el.dataset['nodeId'] = n.id;
          e.el.dataset['label'] = n.label;
          e.el.setAttribute('aria-label', `${n.label} ${n.labelMinor}`.trim());
          e.el.title = n.labelMinor ? `${n.label} (${n.labelMinor})` : n.label;
        }
        const x = n.x * zoom.k + zoom.x - size / 2;
        const y = n.y * zoom.k + zoom.y - size / 2;
        e.el.style.transform = `translate(${x.toFixed(1)}px, ${y.toFixed(1)}px)`;
        e.el.style.width = `${size.toFixed(1)}px`;
        e.el.style.height = `${size.toFixed(1)}px`;
        const dim = state.highlighted.size > 0 && !state.highlighted.has(n.id);
        const cls = `node-label${n.faded || dim ? ' faded' : ''}${n.matched ? ' matched' : ''}${state.selected === n.id ? ' selected' : ''}${state.hovered === n.id ? ' hovered' : ''}${n.pseudo ? ' pseudo' : ''}`;
        if (e.el.className !== cls) e.el.className = cls;
        const showMetric = n.metricText !== null && zoom.k > 0.45;
        e.metric.style.display = showMetric ? '' : 'none';
      }
    }
    for (const [id, e] of this.entries) {
      if (!seen.has(id)) {
        e.el.remove();
        this.entries.delete(id);
      }
    }
  }

  dispose(): void {
    for (const e of this.entries.values()) e.el.remove();
    this.entries.clear();
  }
}
