/** Synthetic topologies for the benchmark (browser page and Node), pure and deterministic. */
import type { NodeSummary } from '../domain/api-types.js';

/** `n` containers with ~2n edges, mostly to nearby ids (service graphs are clustered). */
export function synthetic(n: number): Map<string, NodeSummary> {
  let seed = 42;
  const rnd = (): number => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const nodes = new Map<string, NodeSummary>();
  for (let i = 0; i < n; i++) {
    const id = `n${i};<container>`;
    nodes.set(id, {
      id,
      label: `service-${i}`,
      labelMinor: `host-${i % 13}`,
      rank: `image-${i % 31}`,
      shape: i % 10 === 0 ? 'circle' : 'hexagon',
      adjacency: [],
      metrics: [{ id: 'docker_cpu_total_usage', label: 'CPU', format: 'percent', value: rnd() * 100, min: 0, max: 100, samples: null }],
    });
  }
  const ids = [...nodes.keys()];
  // Edges preferentially to nearby ids: service graphs are clustered, not uniformly random.
  for (let e = 0; e < n * 2; e++) {
    const s = Math.floor(rnd() * n);
    const t = rnd() < 0.8 ? (s + 1 + Math.floor(rnd() * 20)) % n : Math.floor(rnd() * n);
    const src = nodes.get(ids[s] ?? '');
    const tgt = ids[t];
    if (src && tgt && tgt !== src.id && !src.adjacency?.includes(tgt)) src.adjacency?.push(tgt);
  }
  return nodes;
}
