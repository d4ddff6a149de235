/** One node details card (app spec §6.11): header, controls, metrics, info, connections, children, tables. */
import { useState } from 'react';
import { useActions, useStore } from '../store/react.js';
import { cardKey } from '../store/app-state.js';
import type { ConnectionsTable, ControlInstance, DetailedNode, MetadataRow, NodeSummaryGroup, Table } from '../domain/api-types.js';
import { nodeColor } from '../ui/color.js';
import { formatMetadata, formatMetric } from '../ui/format.js';
import type { CardRef } from '../ui/url-state.js';
import { Sparkline } from './Sparkline.js';
import { useTopologyNames } from './use-view-model.js';

const ICONS: Record<string, string> = {
  'fa-stop': '■', 'fa-play': '▶', 'fa-pause': '❚❚', 'fa-redo': '↻', 'fa-terminal': '>_', 'fa-desktop': '▭',
  'fa-trash-alt': '🗑', 'fa-file-text': '☰', 'fa-minus': '−', 'fa-plus': '+', 'fa-camera': '◉', 'fa-clone': '⧉',
};

function iconFor(icon: string): string {
  for (const cls of icon.split(/\s+/)) if (ICONS[cls]) return ICONS[cls];
  return '•';
}

function Controls({ node }: { node: DetailedNode }): React.JSX.Element | null {
  const actions = useActions();
  const state = useStore((s) => s.controls[node.id]);
  if (node.controls.length === 0) return null;
  const sorted = [...node.controls].sort((a, b) => a.rank - b.rank);
  return (
    <div className="controls" data-testid="controls" aria-busy={state?.pending === true}>
      {sorted.map((c: ControlInstance) => (
        <button
          key={c.id}
          type="button"
          className="control"
          data-testid={`control-${c.id}`}
          aria-label={c.human}
          title={c.human}
          disabled={state?.pending === true}
          onClick={() => void actions.runControl(c, node.label)}
        >
          <span className="control-icon" aria-hidden="true">
            {iconFor(c.icon)}
          </span>
          <span className="control-text">{c.human}</span>
        </button>
      ))}
      {state?.pending ? <span className="spinner" data-testid="control-pending" aria-label="Working…" /> : null}
      {state?.error ? (
        <div className="control-error" role="alert" data-testid="control-error">
          {state.error}
        </div>
      ) : null}
    </div>
  );
}

function Section({ title, children, testid }: { title: string; children: React.ReactNode; testid?: string }): React.JSX.Element {
  return (
    <section className="card-section" data-testid={testid}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

/** The toggle under a list cut to its first rows: "+N more", then "Show less". */
function ShowMore({ hidden, more, setMore }: { hidden: number; more: boolean; setMore: (more: boolean) => void }): React.JSX.Element | null {
  if (hidden <= 0) return null;
  return (
    <button type="button" className="show-more" onClick={() => setMore(!more)}>
      {more ? 'Show less' : `+${hidden} more`}
    </button>
  );
}

/** Rows shown before "+N more" in the connection, children and property lists. */
const FIRST_ROWS = 5;

function Info({ rows }: { rows: MetadataRow[] }): React.JSX.Element | null {
  const [more, setMore] = useState(false);
  if (rows.length === 0) return null;
  const main = rows.filter((r) => (r.priority ?? 0) < 10);
  const rest = rows.filter((r) => (r.priority ?? 0) >= 10);
  const shown = more ? rows : main.length ? main : rows;
  return (
    <Section title="Info" testid="card-info">
      <dl className="info">
        {shown.map((r) => (
          <div key={r.id} className="info-row" data-testid={`meta-${r.id}`}>
            <dt>{r.label}</dt>
            <dd title={r.value}>{formatMetadata(r.value, r.dataType, Date.now(), r.truncate)}</dd>
          </div>
        ))}
      </dl>
      <ShowMore hidden={main.length > 0 ? rest.length : 0} more={more} setMore={setMore} />
    </Section>
  );
}

/** A row of a {@link NodeLinkTable}: a node to open, and its cells under the table's columns. */
interface NodeLinkRow {
  /** React key: unique in the table (a node may have several connection rows, one per port). */
  key: string;
  target: CardRef;
  label: string;
  cells: string[];
}

/** A card section listing nodes: the first column opens a node's card, the others are `columns`. */
function NodeLinkTable(props: {
  title: string;
  testid: string;
  firstHeader: string;
  columns: Array<{ id: string; label: string }>;
  rows: NodeLinkRow[];
  rowTestid: string;
  onOpen: (ref: CardRef) => void;
}): React.JSX.Element {
  const { title, testid, firstHeader, columns, rows, rowTestid, onOpen } = props;
  const [more, setMore] = useState(false);
  return (
    <Section title={title} testid={testid}>
      <table className="mini-table">
        <thead>
          <tr>
            <th>{firstHeader}</th>
            {columns.map((c) => (
              <th key={c.id} className="num">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {(more ? rows : rows.slice(0, FIRST_ROWS)).map((r) => (
            <tr key={r.key} data-testid={rowTestid} data-node-id={r.target.id}>
              <td>
                <button type="button" className="link" onClick={() => onOpen(r.target)}>
                  {r.label}
                </button>
              </td>
              {columns.map((c, i) => (
                <td key={c.id} className="num">
                  {r.cells[i]}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <ShowMore hidden={rows.length - FIRST_ROWS} more={more} setMore={setMore} />
    </Section>
  );
}

function Connections({ table, onOpen }: { table: ConnectionsTable; onOpen: (ref: CardRef) => void }): React.JSX.Element | null {
  const rows = table.connections ?? [];
  if (rows.length === 0) return null;
  const cols = table.columns ?? [];
  const count = (r: (typeof rows)[number]): number => Number(r.metadata?.find((m) => m.id === 'count')?.value ?? 0);
  const sorted = [...rows].sort((a, b) => count(b) - count(a));
  return (
    <NodeLinkTable
      title={table.label}
      testid={table.id.startsWith('incoming') ? 'connections-inbound' : 'connections-outbound'}
      firstHeader={table.label === 'Inbound' ? 'From' : 'To'}
      columns={cols}
      rows={sorted.map((r) => ({
        key: r.id,
        target: { id: r.nodeId, topologyId: table.topologyId },
        label: r.label,
        cells: cols.map((c) => r.metadata?.find((m) => m.id === c.id)?.value ?? ''),
      }))}
      rowTestid="connection-row"
      onOpen={onOpen}
    />
  );
}

function Children({ group, onOpen }: { group: NodeSummaryGroup; onOpen: (ref: CardRef) => void }): React.JSX.Element | null {
  const nodes = group.nodes ?? [];
  if (nodes.length === 0) return null;
  const cols = group.columns ?? [];
  const cell = (n: (typeof nodes)[number], id: string): string => {
    const m = n.metrics?.find((x) => x.id === id);
    if (m) return formatMetric(m.value, m.format);
    return n.metadata?.find((x) => x.id === id)?.value ?? '';
  };
  return (
    <NodeLinkTable
      title={group.label}
      testid={`children-${group.topologyId}`}
      firstHeader="Name"
      columns={cols}
      rows={nodes.map((n) => ({ key: n.id, target: { id: n.id, topologyId: group.topologyId }, label: n.label, cells: cols.map((c) => cell(n, c.id)) }))}
      rowTestid="child-row"
      onOpen={onOpen}
    />
  );
}

function PropertyTable({ table }: { table: Table }): React.JSX.Element | null {
  const [more, setMore] = useState(false);
  const rows = table.rows ?? [];
  if (rows.length === 0) return null;
  if (table.type === 'multicolumn-table') {
    const cols = table.columns ?? [];
    return (
      <Section title={table.label} testid={`table-${table.id}`}>
        <table className="mini-table">
          <thead>
            <tr>
              {cols.map((c) => (
                <th key={c.id}>{c.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id}>
                {cols.map((c) => (
                  <td key={c.id}>{r.entries[c.id] ?? ''}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
    );
  }
  return (
    <Section title={table.label} testid={`table-${table.id}`}>
      <dl className="info">
        {(more ? rows : rows.slice(0, FIRST_ROWS)).map((r) => (
          <div key={r.id} className="info-row">
            <dt>{(r.entries['label'] ?? '').trim()}</dt>
            <dd title={r.entries['value']}>{r.entries['value']}</dd>
          </div>
        ))}
      </dl>
      <ShowMore hidden={rows.length - FIRST_ROWS} more={more} setMore={setMore} />
      {table.truncationCount ? <div className="warning">{table.truncationCount} rows were dropped by the probe.</div> : null}
    </Section>
  );
}

export function NodeCard({ cardRef, index, isTop }: { cardRef: CardRef; index: number; isTop: boolean }): React.JSX.Element {
  const actions = useActions();
  const state = useStore((s) => s.cards[cardKey(cardRef.topologyId, cardRef.id)]);
  const currentTopology = useStore((s) => s.url.topologyId);
  const names = useTopologyNames();
  const node = state && 'node' in state ? state.node : undefined;
  const summary = useStore((s) => (cardRef.topologyId === s.url.topologyId ? s.nodes.get(cardRef.id) : undefined));
  const label = node?.label ?? summary?.label ?? cardRef.id;
  const color = nodeColor(node?.rank ?? summary?.rank ?? '', label, (node?.pseudo ?? summary?.pseudo) === true);
  const open = (ref: CardRef): void => actions.pushCard(ref);
  return (
    <article
      className={`card${isTop ? ' top' : ''}`}
      style={{ transform: `translate(${-index * 0}px, ${index * 0}px)` }}
      data-testid="details-card"
      data-node-id={cardRef.id}
      aria-label={`Details of ${label}`}
    >
      <header className="card-header" style={{ background: color.dark }}>
        <div className="card-tools">
          {cardRef.topologyId !== currentTopology ? (
            <button type="button" className="link light" onClick={() => actions.showInTopology(cardRef)}>
              Show in {names[cardRef.topologyId] ?? cardRef.topologyId}
            </button>
          ) : null}
          <button type="button" aria-label="Close details" data-testid="card-close" className="close" onClick={() => actions.closeCard(cardRef)}>
            ×
          </button>
        </div>
        <h2 data-testid="card-title">{state?.status === 'notfound' ? `${label} not found!` : label}</h2>
        <div className="card-minor">{node?.labelMinor ?? summary?.labelMinor ?? ''}</div>
        {node?.parents?.length ? (
          <div className="parents">
            {node.parents.slice(0, 5).map((p) => (
              <button key={`${p.topologyId}|${p.id}`} type="button" className="link light" title={`View in ${names[p.topologyId] ?? p.topologyId}: ${p.label}`} onClick={() => open({ id: p.id, topologyId: p.topologyId })}>
                {p.label}
              </button>
            ))}
          </div>
        ) : null}
      </header>
      {isTop ? (
        <div className="card-body">
          {node ? <Controls node={node} /> : null}
          {state?.status === 'loading' && !node ? <div className="loading">Loading details…</div> : null}
          {state?.status === 'error' ? <div className="control-error">Could not refresh: {state.message}</div> : null}
          {node?.metrics?.length ? (
            <Section title="Status" testid="card-metrics">
              <div className="metrics">
                {node.metrics.map((m) => (
                  <div key={m.id} className="metric" data-testid={`metric-row-${m.id}`}>
                    <div className="metric-value">{m.valueEmpty ? '—' : formatMetric(m.value, m.format)}</div>
                    <Sparkline metric={m} />
                    <div className="metric-label">{m.label}</div>
                  </div>
                ))}
              </div>
            </Section>
          ) : null}
          {node ? <Info rows={node.metadata ?? []} /> : null}
          {node?.connections.map((c) => <Connections key={c.id} table={c} onOpen={open} />)}
          {node?.children?.map((g) => <Children key={`${g.topologyId}|${g.label}`} group={g} onOpen={open} />)}
          {node?.tables?.map((t) => <PropertyTable key={t.id} table={t} />)}
        </div>
      ) : null}
    </article>
  );
}
