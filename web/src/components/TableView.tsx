/** Table view (app spec §6.9): sortable columns, search and traffic filtering, click opens details. */
import { useMemo, useState } from 'react';
import { useActions, useStore } from '../store/react.js';
import { formatRate, formatRtt, nodeTraffic, parseRate } from '../ui/edge-traffic.js';
import { cellValue, defaultSort, inDegrees, passesTrafficFilter, sortRows, tableColumns, type Column, type TrafficFilter } from '../ui/table-model.js';
import { formatMetadata, formatMetric } from '../ui/format.js';
import { nodeColor } from '../ui/color.js';
import { useSearchView, useTopologyNames, visibleNodes } from './use-view-model.js';

const PAGE = 1000;

function renderCell(v: string | number | null, col: Column): string {
  if (v === null) return '';
  if (col.kind === 'traffic' && typeof v === 'number') return col.format === 'rate' ? formatRate(v) : col.format === 'rtt' ? formatRtt(v) : String(v);
  if (col.kind === 'metric' && typeof v === 'number') return formatMetric(v, col.format);
  if (col.kind === 'metadata') return formatMetadata(String(v), col.dataType, Date.now());
  return String(v);
}

export function TableView(): React.JSX.Element {
  const actions = useActions();
  const nodes = useStore((s) => s.nodes);
  const sortedBy = useStore((s) => s.url.gridSortedBy);
  const sortedDesc = useStore((s) => s.url.gridSortedDesc);
  const selected = useStore((s) => s.url.selectedNodeId);
  const names = useTopologyNames();
  const { matches, hidden } = useSearchView();
  const [limit, setLimit] = useState(PAGE);
  const columns = useMemo(() => tableColumns(nodes.values(), names), [nodes, names]);
  const indeg = useMemo(() => inDegrees(nodes.values()), [nodes]);
  const traffic = useMemo(() => nodeTraffic(nodes.values()), [nodes]);
  const hasTraffic = columns.some((c) => c.kind === 'traffic');
  const [minRateText, setMinRateText] = useState('');
  const [onlyProblems, setOnlyProblems] = useState(false);
  const minRate = parseRate(minRateText);
  const minBytesPerSecond = Number.isNaN(minRate) ? 0 : minRate;
  const def = defaultSort(columns);
  const col = columns.find((c) => c.id === sortedBy) ?? columns.find((c) => c.id === def.by) ?? columns[0];
  const desc = sortedBy && col?.id === sortedBy ? (sortedDesc ?? false) : def.desc;
  const rows = useMemo(() => {
    const filter: TrafficFilter | null = hasTraffic ? { minBytesPerSecond, onlyProblems } : null;
    const list = visibleNodes(nodes, hidden).filter((n) => (!matches || matches.has(n.id)) && (!filter || passesTrafficFilter(n.id, filter, traffic)));
    return col ? sortRows(list, col, desc, indeg, traffic) : list;
  }, [nodes, hidden, matches, col, desc, indeg, traffic, hasTraffic, minBytesPerSecond, onlyProblems]);
  return (
    <div className="table-view" data-testid="table-view">
      {hasTraffic ? (
        <div className="table-filters" data-testid="traffic-filter" style={{ display: 'flex', gap: 14, alignItems: 'center', padding: '4px 8px', fontSize: 13 }}>
          <label>
            Traffic at least{' '}
            <input
              type="text"
              inputMode="decimal"
              size={8}
              placeholder="e.g. 10k"
              data-testid="traffic-filter-min"
              aria-invalid={Number.isNaN(minRate)}
              value={minRateText}
              onChange={(ev) => setMinRateText(ev.target.value)}
            />{' '}
            B/s
          </label>
          <label>
            <input type="checkbox" data-testid="traffic-filter-problems" checked={onlyProblems} onChange={(ev) => setOnlyProblems(ev.target.checked)} /> only with
            retransmits or resets
          </label>
        </div>
      ) : null}
      <table className="node-table">
        <thead>
          <tr>
            {columns.map((c) => (
              <th
                key={c.id}
                data-testid={`column-${c.id}`}
                aria-sort={c.id === col?.id ? (desc ? 'descending' : 'ascending') : 'none'}
                className={c.dataType === 'number' ? 'num' : ''}
                onClick={() => actions.setGridSort(c.id, c.id === col?.id ? !desc : c.kind === 'metric' || c.kind === 'count' || c.kind === 'traffic')}
              >
                {c.label}
                {c.id === col?.id ? (desc ? ' ▾' : ' ▴') : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.slice(0, limit).map((n) => (
            <tr key={n.id} data-testid="table-row" data-node-id={n.id} className={n.id === selected ? 'selected' : ''} onClick={() => actions.selectNode(n.id)}>
              {columns.map((c) =>
                c.kind === 'label' ? (
                  <td key={c.id} className="label-cell">
                    <span className="swatch" style={{ background: nodeColor(n.rank, n.label, n.pseudo === true).fill }} />
                    {n.label}
                    {n.pseudo ? <span className="minor"> {n.labelMinor}</span> : null}
                  </td>
                ) : (
                  <td key={c.id} className={c.dataType === 'number' ? 'num' : ''}>
                    {renderCell(cellValue(n, c, indeg, traffic), c)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {rows.length > limit ? (
        <button type="button" className="show-more" onClick={() => setLimit(limit + PAGE)}>
          Show {Math.min(PAGE, rows.length - limit)} more of {rows.length - limit}
        </button>
      ) : null}
      {rows.length === 0 ? <div className="empty">No nodes to show.</div> : null}
    </div>
  );
}
