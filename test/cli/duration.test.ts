import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DurationSyntaxError, formatGoDuration, parseGoDurationMillis, parseGoDurationNanos } from '../../src/cli/duration.js';

describe('Go duration parsing', () => {
  const ok: Array<[string, bigint]> = [
    ['0', 0n],
    ['-0', 0n],
    ['+0', 0n],
    ['0s', 0n],
    ['15s', 15_000_000_000n],
    ['300ms', 300_000_000n],
    ['1m30s', 90_000_000_000n],
    ['1.5h', 5_400_000_000_000n],
    ['-1s', -1_000_000_000n],
    ['+5m', 300_000_000_000n],
    ['.5s', 500_000_000n],
    ['1.s', 1_000_000_000n],
    ['2h45m', 9_900_000_000_000n],
    ['1ns', 1n],
    ['7us', 7_000n],
    ['7µs', 7_000n],
    ['7μs', 7_000n],
    ['1h1m1s1ms1us1ns', 3_661_001_001_001n],
    ['1.0000000001s', 1_000_000_000n], // sub-nanosecond digits are truncated
  ];
  for (const [input, nanos] of ok) {
    it(`accepts ${JSON.stringify(input)}`, () => assert.equal(parseGoDurationNanos(input), nanos));
  }

  const bad: Array<[string, RegExp]> = [
    ['', /invalid duration ""/],
    ['5', /missing unit in duration "5"/],
    ['1.5', /missing unit/],
    ['1d', /unknown unit "d" in duration "1d"/],
    ['s', /invalid duration/],
    ['.s', /invalid duration/],
    ['-', /invalid duration/],
    ['1s2', /missing unit/],
    ['1 s', /unknown unit " s"/],
    ['1S', /unknown unit "S"/],
    ['3000000h', /invalid duration/], // beyond int64 nanoseconds
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input)}`, () => {
      assert.throws(() => parseGoDurationNanos(input), (err: unknown) => err instanceof DurationSyntaxError && message.test(err.message));
    });
  }

  it('converts to milliseconds, keeping fractions', () => {
    assert.equal(parseGoDurationMillis('1m30s'), 90_000);
    assert.equal(parseGoDurationMillis('300us'), 0.3);
  });

  it('formats like time.Duration.String', () => {
    assert.equal(formatGoDuration(0n), '0s');
    assert.equal(formatGoDuration(15_000_000_000n), '15s');
    assert.equal(formatGoDuration(60_000_000_000n), '1m0s');
    assert.equal(formatGoDuration(3_600_000_000_000n), '1h0m0s');
    assert.equal(formatGoDuration(100_000_000n), '100ms');
    assert.equal(formatGoDuration(1_500n), '1.5µs');
    assert.equal(formatGoDuration(90_500_000_000n), '1m30.5s');
    assert.equal(formatGoDuration(-1_000_000_000n), '-1s');
  });
});
