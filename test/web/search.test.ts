// Search syntax (app spec §6.13) on node summaries recorded from Scope.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { matchNode, matchingIds, parseMetricValue, parseTerm, parseTerms } from '../../web/src/ui/search.js';
import type { NodeSummary } from '../../web/src/domain/api-types.js';

const containers = Object.values(
  (JSON.parse(readFileSync(new URL('../../../shared/fixtures/scope/rendered/containers.json', import.meta.url), 'utf8')) as { nodes: Record<string, NodeSummary> }).nodes,
);
const byLabel = (l: string): NodeSummary => containers.find((n) => n.label === l)!;

test('free text matches label, labelMinor and metadata, case-insensitively', () => {
  const ids = matchingIds(containers, parseTerms(['API']));
  assert.ok(ids);
  assert.ok(ids.has(byLabel('api').id));
  assert.ok(!ids.has(byLabel('db').id));
  // metadata value (IP of api)
  const ip = byLabel('api').metadata!.find((m) => m.id === 'docker_container_ips')!.value;
  assert.ok(matchNode(byLabel('api'), parseTerms([ip])));
});

test('field:value restricts to fields whose slugified label matches', () => {
  assert.ok(matchNode(byLabel('api'), parseTerms(['imagename:localbb'])));
  assert.equal(matchNode(byLabel('api'), parseTerms(['imagename:frontend'])), null);
  assert.ok(matchNode(byLabel('api'), parseTerms(['label:^api$'])));
  assert.ok(matchNode(byLabel('api'), parseTerms(['hosts:vm'])), 'parent topology id is a field');
});

test('metric comparisons use the metric label and unit suffixes', () => {
  assert.equal(parseMetricValue('10MB'), 10 * 1024 * 1024);
  assert.equal(parseMetricValue('2%'), 2);
  assert.equal(parseMetricValue('1.5k'), 1536);
  assert.ok(Number.isNaN(parseMetricValue('abc')));
  const api = byLabel('api');
  const mem = api.metrics!.find((m) => m.label === 'Memory')!.value;
  assert.ok(matchNode(api, parseTerms([`memory > ${Math.floor(mem / 2)}`])));
  assert.equal(matchNode(api, parseTerms(['memory < 10'])), null);
  assert.ok(matchNode(api, parseTerms(['cpu < 50%'])));
});

test('all terms must match; invalid terms match nothing; empty terms are dropped', () => {
  assert.ok(matchNode(byLabel('api'), parseTerms(['api', 'vm'])));
  assert.equal(matchNode(byLabel('api'), parseTerms(['api', 'frontend'])), null);
  assert.deepEqual(parseTerm('a:b:c'), { kind: 'invalid' });
  assert.deepEqual(parseTerm('field:'), { kind: 'invalid' });
  assert.equal(parseTerm('   '), null);
  assert.equal(matchingIds(containers, []), null);
});

test('an invalid regular expression falls back to a literal match', () => {
  const node = { ...byLabel('api'), label: 'a(b' };
  assert.ok(matchNode(node, parseTerms(['a(b'])));
});
