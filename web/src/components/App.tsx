/** Page layout (app spec §6.1): header, canvas (graph/table/resources), sidebar, footer, details, terminal. */
import { useEffect } from 'react';
import { useStore } from '../store/react.js';
import { Header } from './Header.js';
import { GraphView } from './GraphView.js';
import { TableView } from './TableView.js';
import { ResourceView } from './ResourceView.js';
import { Sidebar } from './Sidebar.js';
import { Footer } from './Footer.js';
import { Timeline } from './Timeline.js';
import { DetailsPanel } from './DetailsPanel.js';
import { TerminalDock } from './TerminalDock.js';
import { HelpPanel } from './HelpPanel.js';
import { useKeyboardShortcuts } from './keyboard.js';
import { useCurrentTopology } from './use-view-model.js';

function EmptyState(): React.JSX.Element | null {
  const loaded = useStore((s) => s.nodesLoaded);
  const count = useStore((s) => s.nodes.size);
  const topologies = useStore((s) => s.topologies);
  const current = useCurrentTopology();
  if (!topologies) return <div className="empty-state">Connecting to OpenScope…</div>;
  if (!loaded) return <div className="empty-state">Loading {current?.desc.name.toLowerCase() ?? 'topology'}…</div>;
  if (count > 0) return null;
  const filtered = current?.desc.stats?.filtered_nodes ?? 0;
  return (
    <div className="empty-state" data-testid="empty-state">
      <strong>Nothing to show.</strong>
      <span>{filtered > 0 ? `${filtered} nodes are hidden by the view options below.` : 'No reports from probes yet, or nothing of this kind is running.'}</span>
    </div>
  );
}

export function App(): React.JSX.Element {
  const mode = useStore((s) => s.url.topologyViewMode);
  const theme = useStore((s) => s.url.theme);
  const title = useStore((s) => {
    const top = s.url.nodeDetails.at(-1);
    const card = top ? s.cards[`${top.topologyId}|${top.id}`] : undefined;
    return card && 'node' in card && card.node ? card.node.label : null;
  });
  useKeyboardShortcuts();
  useEffect(() => {
    document.documentElement.dataset['theme'] = theme;
    document.documentElement.classList.toggle('contrast-mode', theme === 'contrast');
  }, [theme]);
  useEffect(() => {
    document.title = title ? `${title} · OpenScope` : 'OpenScope';
  }, [title]);
  return (
    <div className={`app view-${mode}`} data-testid="app">
      <Header />
      <main className="canvas" data-view={mode}>
        {mode === 'topo' ? <GraphView /> : mode === 'grid' ? <TableView /> : <ResourceView />}
        {mode !== 'resource' ? <EmptyState /> : null}
      </main>
      <Sidebar />
      <Timeline />
      <Footer />
      <div className="right-dock">
        <TerminalDock />
        <DetailsPanel />
      </div>
      <HelpPanel />
    </div>
  );
}
