/** `--app.collector` values → collectors (wire §1.6, issue #8). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCollectorSpec } from '../../src/app/collector/index.js';
import { AppConfigError, defaultAppConfig, resolveAppConfig } from '../../src/app/config.js';

describe('collector setting', () => {
  test('local, memory, file:// and redis:// are understood', () => {
    assert.deepEqual(parseCollectorSpec('local'), { kind: 'memory' });
    assert.deepEqual(parseCollectorSpec('memory'), { kind: 'memory' });
    assert.deepEqual(parseCollectorSpec('file:///var/lib/openscope'), { kind: 'file', dir: '/var/lib/openscope' });
    assert.deepEqual(parseCollectorSpec('redis://redis:6379/2'), { kind: 'redis', url: 'redis://redis:6379/2' });
  });

  test('others are refused with a message naming the accepted forms', () => {
    for (const bad of ['sqs://x/t', 'file://relative/dir', 'redis://host:6379/notadb', 'multitenant-live']) {
      assert.throws(() => parseCollectorSpec(bad), (err: unknown) => err instanceof AppConfigError && /file:\/\/|redis:\/\/|local/.test(err.message), bad);
    }
  });

  test('the app config accepts history collectors and a positive retention (default 24 h)', () => {
    const resolved = resolveAppConfig({ ...defaultAppConfig(), collector: 'file:///tmp/x' });
    assert.equal(resolved.collectorRetentionMillis, 24 * 3_600_000);
    assert.throws(() => resolveAppConfig({ ...defaultAppConfig(), collector: 'redis://h:1/0', collectorRetentionMillis: 0 }), AppConfigError);
  });
});
