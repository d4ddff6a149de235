/** Bottom-left: connection status, node counts, topology options (app spec §6.3, §6.4). */
import { useEffect, useState } from 'react';
import { useActions, useStore } from '../store/react.js';
import { effectiveOptions } from '../ui/topologies.js';
import { useCurrentTopology, useSearchView } from './use-view-model.js';

export function ConnectionStatus(): React.JSX.Element | null {
  const actions = useActions();
  const conn = useStore((s) => s.connection);
  const [, tick] = useState(0);
  useEffect(() => {
    if (conn.kind !== 'offline' && conn.kind !== 'reconnecting') return undefined;
    const t = setInterval(() => tick((x) => x + 1), 1000);
    return () => clearInterval(t);
  }, [conn]);
  if (conn.kind === 'online') return null;
  const secs = 'retryAtMillis' in conn ? Math.max(0, Math.ceil((conn.retryAtMillis - Date.now()) / 1000)) : 0;
  return (
    <div className={`connection-status ${conn.kind}`} role="status" data-testid="connection-status" data-state={conn.kind}>
      {conn.kind === 'connecting' ? 'Connecting to OpenScope…' : null}
      {conn.kind === 'reconnecting' ? `Live updates interrupted — reconnecting${secs ? ` in ${secs}s` : '…'}` : null}
      {conn.kind === 'offline' ? (
        <>
          <strong>OpenScope is unreachable.</strong> <span className="reason">{conn.reason}</span> Retrying{secs ? ` in ${secs}s` : '…'}{' '}
          <button type="button" onClick={() => actions.retryNow()}>
            Retry now
          </button>
        </>
      ) : null}
    </div>
  );
}

function Options(): React.JSX.Element | null {
  const actions = useActions();
  const current = useCurrentTopology();
  const stored = useStore((s) => (current ? s.url.topologyOptions[current.parentId] : undefined));
  if (!current?.desc.options?.length) return null;
  const effective = effectiveOptions(current.desc.options, stored);
  return (
    <div className="options" data-testid="topology-options">
      {current.desc.options.map((g) => {
        const values = effective[g.id] ?? [];
        const union = g.selectType === 'union';
        const items = union ? [{ value: '', label: g.noneLabel ?? 'All' }, ...(g.options ?? [])] : (g.options ?? []);
        return (
          <div key={g.id} className="segmented small" role="group" aria-label={g.id} data-testid={`option-${g.id}`}>
            {items.map((o) => {
              const active = values.includes(o.value) || (union && o.value === '' && values.every((v) => v === ''));
              return (
                <button
                  key={o.value}
                  type="button"
                  className={active ? 'active' : ''}
                  aria-pressed={active}
                  data-testid={`option-${g.id}-${o.value || 'none'}`}
                  onClick={() => {
                    if (!union) return actions.setOption(current.parentId, g.id, [o.value]);
                    if (o.value === '') return actions.setOption(current.parentId, g.id, ['']);
                    const set = new Set(values.filter((v) => v !== ''));
                    if (set.has(o.value)) set.delete(o.value);
                    else set.add(o.value);
                    actions.setOption(current.parentId, g.id, set.size ? [...set] : ['']);
                  }}
                >
                  {o.label}
                </button>
              );
            })}
          </div>
        );
      })}
    </div>
  );
}

export function Sidebar(): React.JSX.Element {
  const current = useCurrentTopology();
  const nodes = useStore((s) => s.nodes);
  const loaded = useStore((s) => s.nodesLoaded);
  const mode = useStore((s) => s.url.topologyViewMode);
  const layout = useStore((s) => s.layout);
  const { hidden } = useSearchView();
  const filtered = (current?.desc.stats?.filtered_nodes ?? 0) + (hidden?.size ?? 0);
  const shown = nodes.size - (hidden?.size ?? 0);
  return (
    <aside className="sidebar">
      <ConnectionStatus />
      <div className="status-line" data-testid="status-line">
        {loaded ? `${shown} node${shown === 1 ? '' : 's'}` : 'Loading…'}
        {filtered > 0 ? ` (${filtered} filtered)` : ''}
        {layout?.pending ? ' · laying out…' : ''}
      </div>
      {mode !== 'resource' ? <Options /> : null}
    </aside>
  );
}
