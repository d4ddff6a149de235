/** The stack of details cards (right side); only the top one is expanded and refreshed. */
import { useStore } from '../store/react.js';
import { NodeCard } from './NodeCard.js';

export function DetailsPanel(): React.JSX.Element | null {
  const cards = useStore((s) => s.url.nodeDetails);
  if (cards.length === 0) return null;
  return (
    <div className="details-panel" data-testid="details-panel">
      {cards.map((c, i) => (
        <NodeCard key={`${c.topologyId}|${c.id}`} cardRef={c} index={i} isTop={i === cards.length - 1} />
      ))}
    </div>
  );
}
