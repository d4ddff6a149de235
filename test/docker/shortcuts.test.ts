/** Coalescing container changes into shortcut reports (wire §4.5): one report per burst. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { ShortcutBatcher } from '../../src/probe/docker/shortcuts.js';

test('a burst of changes within the delay is one flush; a removal wins over a change', async () => {
  const flushes: Array<{ changed: string[]; removed: string[] }> = [];
  const b = new ShortcutBatcher(30, (c, r) => flushes.push({ changed: [...c].sort(), removed: [...r].sort() }));
  b.changed('a');
  b.changed('b');
  b.changed('a');
  b.removed('b');
  b.changed('b'); // after its removal: ignored
  b.removed('c');
  assert.equal(flushes.length, 0, 'nothing before the delay');
  await sleep(120);
  assert.deepEqual(flushes, [{ changed: ['a'], removed: ['b', 'c'] }]);
  b.changed('d');
  await sleep(120);
  assert.deepEqual(flushes[1], { changed: ['d'], removed: [] }, 'a later change is a new report');
  b.changed('e');
  b.stop();
  await sleep(80);
  assert.equal(flushes.length, 2, 'nothing after stop');
});
