/** Entry point: wires store, transport, data layer and React; nothing here is global state. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createStore } from './store/store.js';
import { initialState } from './store/app-state.js';
import { bindUrl, readUrlState } from './store/url-adapter.js';
import { ActionsContext, StoreContext } from './store/react.js';
import { ApiClient, pageBaseUrl } from './api/http.js';
import { LayoutService } from './data/layout-service.js';
import { DataSync } from './data/sync.js';
import { AppActions } from './data/actions.js';
import { App } from './components/App.js';
import './styles.css';

const store = createStore(initialState(readUrlState()));
const api = new ApiClient({ baseUrl: pageBaseUrl(window.location.href) });
const sync = new DataSync(store, api, new LayoutService());
const actions = new AppActions(store, api, sync);
bindUrl(store);
sync.start();

const rootEl = document.getElementById('root');
if (rootEl) {
  createRoot(rootEl).render(
    <StrictMode>
      <StoreContext.Provider value={store}>
        <ActionsContext.Provider value={actions}>
          <App />
        </ActionsContext.Provider>
      </StoreContext.Provider>
    </StrictMode>,
  );
}
