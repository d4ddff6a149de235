// URL state round trip (app spec §6.20).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_URL_STATE, decodeUrlState, encodeUrlState, type UrlState } from '../../web/src/ui/url-state.js';

test('defaults encode to an empty hash and decode back', () => {
  assert.equal(encodeUrlState(DEFAULT_URL_STATE), '');
  assert.deepEqual(decodeUrlState(''), DEFAULT_URL_STATE);
});

test('a full state round-trips, including ids with slashes, percent signs and zoom', () => {
  const s: UrlState = {
    ...DEFAULT_URL_STATE,
    topologyId: 'containers',
    topologyOptions: { containers: { system: ['all'], namespace: ['default', 'kube-system'] } },
    topologyViewMode: 'grid',
    selectedNodeId: 'abc;<container>',
    nodeDetails: [{ id: 'abc;<container>', topologyId: 'containers' }, { id: 'docker.io/x;<container_image>', topologyId: 'containers-by-image' }],
    pinnedMetricType: 'CPU',
    searchQuery: 'cpu > 2%',
    pinnedSearches: ['image:nginx'],
    pausedAt: '2026-11-25T15:00:00Z',
    theme: 'dark',
    gridSortedBy: 'metric:docker_cpu_total_usage',
    gridSortedDesc: true,
    zoom: { x: 10.5, y: -20.25, k: 0.75 },
  };
  const hash = encodeUrlState(s);
  assert.ok(hash.startsWith('#!/state/'));
  assert.ok(!decodeURIComponent(hash).includes('docker.io/x'), 'slashes are escaped as <SLASH>');
  const back = decodeUrlState(hash);
  assert.deepEqual({ ...back, zoom: null }, { ...s, zoom: null });
  assert.ok(back.zoom && Math.abs(back.zoom.x - 10.5) < 0.1 && Math.abs(back.zoom.k - 0.75) < 0.001);
});

test('Scope links decode (contrastMode, legacy string options dropped) and junk falls back to defaults', () => {
  const scope = '#!/state/' + encodeURIComponent(JSON.stringify({ contrastMode: true, topologyId: 'hosts', topologyOptions: { containers: { system: 'all' } } }));
  const s = decodeUrlState(scope);
  assert.equal(s.theme, 'contrast');
  assert.equal(s.topologyId, 'hosts');
  assert.deepEqual(s.topologyOptions, { containers: {} });
  assert.deepEqual(decodeUrlState('#!/state/%7Bnot json'), DEFAULT_URL_STATE);
  assert.deepEqual(decodeUrlState('#!/state/' + encodeURIComponent('{"zoom":{"x":"a"},"topologyViewMode":"bogus"}')), DEFAULT_URL_STATE);
});
