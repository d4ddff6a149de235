// The topology body serialiser gives the bytes of JSON.stringify: for every view of the recorded
// and synthetic reports, and for arbitrary values (odd node ids, non-ASCII, lone surrogates,
// values JSON.stringify leaves out).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { renderTopology } from '../../src/render/index.js';
import { TOPOLOGY_DEFS } from '../../src/render/registry.js';
import { serialiseJson } from '../../src/render/serialise.js';
import { mergedFixtureReport, sampleApiReport } from './fixtures.js';
import { syntheticReport } from './synthetic.js';

const expected = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

test('every view of the fixture and synthetic reports serialises as JSON.stringify does', () => {
  let checked = 0;
  for (const report of [mergedFixtureReport(), sampleApiReport(), syntheticReport(120)]) {
    for (const def of TOPOLOGY_DEFS) {
      for (const query of [{}, { hideCommandLineArguments: 'true' }] as Record<string, string>[]) {
        const answer = renderTopology(report, def.id, query);
        if (answer === undefined) continue;
        assert.deepEqual(serialiseJson(answer), expected(answer), def.id);
        checked += Object.keys(answer.nodes).length;
      }
    }
  }
  assert.ok(checked > 100, `only ${checked} nodes checked`);
});

const arbKey = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }), // lone surrogates included
  fc.constantFrom('__proto__', 'toJSON', '0', '10', '-1', '1.5', 'a"b', 'a\\b', '\n', 'ü', '😀', '\ud800'),
);
const arbLeaf = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(() => 1),
);
const arbValue = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, arbLeaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(arbKey, tie('value'), { maxKeys: 4 })),
})).value;

test('arbitrary node maps serialise as JSON.stringify does', () => {
  fc.assert(
    fc.property(fc.dictionary(arbKey, arbValue, { maxKeys: 8 }), fc.boolean(), (entries, nullProto) => {
      const nodes: Record<string, unknown> = nullProto ? (Object.create(null) as Record<string, unknown>) : {};
      for (const [k, v] of Object.entries(entries)) nodes[k] = v;
      const answer = { nodes };
      assert.deepEqual(serialiseJson(answer), expected(answer));
    }),
    { numRuns: 500 },
  );
});

test('other values (lists, details, wider objects) serialise as JSON.stringify does', () => {
  fc.assert(fc.property(arbValue, (v) => {
    if (v === undefined || typeof v === 'function') return; // JSON.stringify gives no text at all
    assert.deepEqual(serialiseJson(v), expected(v));
    assert.deepEqual(serialiseJson({ nodes: v }), expected({ nodes: v }));
    assert.deepEqual(serialiseJson({ nodes: {}, other: v }), expected({ nodes: {}, other: v }));
  }), { numRuns: 300 });
});

test('a body larger than the kept scratch buffer is whole', () => {
  const nodes: Record<string, unknown> = {};
  for (let i = 0; i < 3000; i++) nodes[`n${i}`] = { id: `n${i}`, label: 'x'.repeat(1000), value: i };
  const answer = { nodes };
  assert.deepEqual(serialiseJson(answer), expected(answer));
  assert.deepEqual(serialiseJson({ nodes: { a: 'é' } }), expected({ nodes: { a: 'é' } }));
});
