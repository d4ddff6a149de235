/** Scope's AWS collector URLs (wire §1.6) → SDK settings, and the collector/router settings around them. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseAwsUrl, redact } from '../../src/app/collector/aws-url.js';
import { createCollector, parseCollectorSpec } from '../../src/app/collector/index.js';
import { AppConfigError, defaultAppConfig, resolveAppConfig } from '../../src/app/config.js';

describe('AWS collector URLs', () => {
  test('a host without a dot is the region; key:secret@ are static credentials (URL-escaped)', () => {
    assert.deepEqual(parseAwsUrl('dynamodb://AKID:se%2Fcret@eu-west-1/reports', 'dynamodb', {}), {
      service: 'dynamodb', name: 'reports', region: 'eu-west-1', endpoint: undefined,
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'se/cret' },
    });
  });

  test('a host with a dot or a port is an endpoint; region from AWS_REGION, else dummy', () => {
    const t = parseAwsUrl('s3://k:s@minio.local:9000/bucket', 's3', { AWS_REGION: 'us-west-2' });
    assert.equal(t.endpoint, 'http://minio.local:9000');
    assert.equal(t.region, 'us-west-2');
    assert.equal(parseAwsUrl('s3://localhost:4566/b', 's3', {}).region, 'dummy');
    assert.equal(parseAwsUrl('dynamodb://dynamodb.us-east-1.amazonaws.com/t', 'dynamodb', {}).endpoint, 'https://dynamodb.us-east-1.amazonaws.com');
  });

  test('no credentials and no host: the SDK default chains', () => {
    const t = parseAwsUrl('dynamodb:///reports', 'dynamodb', {});
    assert.equal(t.credentials, undefined);
    assert.equal(t.region, undefined);
    assert.equal(t.endpoint, undefined);
  });

  test('malformed URLs are configuration errors that do not echo the secret', () => {
    for (const bad of ['dynamodb://k:s@us-east-1/', 'dynamodb://k:s@us-east-1/a/b', 'dynamodb://k@us-east-1/t', 's3://k:s@us-east-1/b?x=1']) {
      assert.throws(() => parseAwsUrl(bad, bad.startsWith('s3') ? 's3' : 'dynamodb', {}), (err: unknown) => {
        assert.ok(err instanceof AppConfigError, bad);
        assert.ok(!(err).message.includes('k:s@'), (err).message);
        return true;
      });
    }
    assert.equal(redact('dynamodb://AKID:secret@eu-west-1/t'), 'dynamodb://AKID:***@eu-west-1/t');
  });

  test('the collector setting: dynamodb:// is accepted and needs --app.collector.s3', () => {
    assert.deepEqual(parseCollectorSpec('dynamodb://eu-west-1/t'), { kind: 'dynamodb', url: 'dynamodb://eu-west-1/t' });
    assert.throws(() => createCollector('dynamodb://eu-west-1/t', { windowMillis: 15_000 }), AppConfigError);
    assert.doesNotThrow(() => resolveAppConfig({ ...defaultAppConfig(), collector: 'dynamodb://eu-west-1/t', collectorS3: 's3://eu-west-1/b' }));
  });

  test('routers: local or redis://, the same Redis for controls and pipes', () => {
    const base = defaultAppConfig();
    assert.doesNotThrow(() => resolveAppConfig({ ...base, controlRouter: 'redis://r:6379/0', pipeRouter: 'redis://r:6379/0' }));
    assert.throws(() => resolveAppConfig({ ...base, controlRouter: 'sqs://eu-west-1/q' }), AppConfigError);
    assert.throws(() => resolveAppConfig({ ...base, controlRouter: 'redis://a:6379/0', pipeRouter: 'redis://b:6379/0' }), AppConfigError);
  });
});
