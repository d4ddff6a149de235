import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeFromMillis, timeFromUnix, timeToMillis, timeToUnix } from '../src/report/time.js';
import { ZERO_TIME } from '../src/report/types.js';

test('canonical times are fixed width and round-trip exactly through unix seconds+nanos', () => {
  const t = '2023-03-01T12:00:00.123456789Z';
  const [s, ns] = timeToUnix(t);
  assert.equal(timeFromUnix(s, ns), t);
  assert.equal(timeToMillis(t), 1677672000123);
  assert.equal(timeFromUnix(-62135596800, 0), ZERO_TIME);
  assert.equal(timeFromMillis(0), '1970-01-01T00:00:00.000000000Z');
});

test('string order of canonical times is chronological order', () => {
  const a = timeFromMillis(1_000);
  const b = timeFromMillis(1_000.5);
  const c = timeFromMillis(20_000);
  assert.ok(a < b && b < c);
});
