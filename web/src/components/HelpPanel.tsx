/** Help overlay: keyboard shortcuts and search syntax. */
import { useActions, useStore } from '../store/react.js';

const SHORTCUTS: [string, string][] = [
  ['Esc', 'Close the top details card / this help'],
  ['/', 'Focus search'],
  ['?', 'Toggle this help'],
  ['g / t / r', 'Graph / Table / Resources view'],
  ['< / >', 'Fill nodes by the previous / next metric'],
  ['q', 'Stop filling nodes by a metric'],
  ['f', 'Fit the graph to the screen'],
  ['Enter (in search)', 'Pin the current search'],
  ['Backspace (empty search)', 'Unpin the last search'],
];

export function HelpPanel(): React.JSX.Element | null {
  const open = useStore((s) => s.helpOpen);
  const actions = useActions();
  if (!open) return null;
  return (
    <div className="help-overlay" role="dialog" aria-label="Help" data-testid="help" onClick={() => actions.toggleHelp(false)}>
      <div className="help" onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <table>
          <tbody>
            {SHORTCUTS.map(([k, v]) => (
              <tr key={k}>
                <td>
                  <kbd>{k}</kbd>
                </td>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>Search</h2>
        <ul>
          <li>
            <code>frontend</code> — any field (regular expression)
          </li>
          <li>
            <code>image:nginx</code>, <code>pid:12</code> — a field by its label
          </li>
          <li>
            <code>cpu &gt; 2</code>, <code>memory &lt; 10MB</code> — compare a metric
          </li>
          <li>Enter pins a term; every pinned term filters the view.</li>
        </ul>
        <button type="button" onClick={() => actions.toggleHelp(false)}>
          Close
        </button>
      </div>
    </div>
  );
}
