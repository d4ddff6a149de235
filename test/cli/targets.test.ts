import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCliConfig } from '../../src/cli/config.js';
import { CliUsageError } from '../../src/cli/errors.js';
import { parseArgs } from '../../src/cli/parse-args.js';
import { computeProbeTargets, parseTarget, probeTargetArgs } from '../../src/cli/targets.js';

const config = (...argv: string[]) => buildCliConfig(parseArgs(argv), {});

describe('target normalisation (appclient.ParseTargets, wire §1.5)', () => {
  const cases: Array<[string, string, string | undefined]> = [
    ['10.0.0.1', 'http://10.0.0.1:4040', undefined],
    ['app.example:80', 'http://app.example:80', undefined],
    ['scope.example:443', 'https://scope.example:443', undefined],
    ['https://tok@cloud.example', 'https://cloud.example:443', 'tok'],
    ['http://app.example', 'http://app.example:80', undefined],
    ['https://app.example', 'https://app.example:443', undefined],
    ['localhost', 'http://localhost:4040', undefined],
    ['https://cloud.weave.works.:443', 'https://cloud.weave.works.:443', undefined],
    ['http://10.0.0.1:4040/scope/', 'http://10.0.0.1:4040/scope', undefined],
    ['https://t%40k:secret@h.example:8443/p', 'https://h.example:8443/p', 't@k'],
    ['[::1]:4040', 'http://[::1]:4040', undefined],
    ['http://[fd00::1]', 'http://[fd00::1]:80', undefined],
    ['weave-scope-app.weave.svc.cluster.local.:80', 'http://weave-scope-app.weave.svc.cluster.local.:80', undefined],
  ];
  for (const [input, url, token] of cases) {
    it(`${input} → ${url}${token === undefined ? '' : ` token ${token}`}`, () => {
      const target = parseTarget(input);
      assert.equal(target.url, url);
      assert.equal(target.token, token);
      assert.equal(target.original, input);
    });
  }

  it('gives hostname and port separately', () => {
    assert.deepEqual(
      { hostname: parseTarget('[::1]:99').hostname, port: parseTarget('[::1]:99').port },
      { hostname: '::1', port: 99 },
    );
  });

  for (const bad of ['host:', 'host:http', '::1', 'a:b:c', 'ftp://x', 'http://', 'host:70000', 'bad host']) {
    it(`rejects ${JSON.stringify(bad)} with a one-line usage error`, () => {
      assert.throws(() => parseTarget(bad), (err: unknown) => err instanceof CliUsageError && err.message.includes(JSON.stringify(bad)));
    });
  }
});

describe('which targets a probe publishes to (wire §1.5)', () => {
  it('probe mode: 127.0.0.1:<app port> then every positional', () => {
    assert.deepEqual(probeTargetArgs(config('--mode=probe', 'a.example', 'b.example:80')), [
      '127.0.0.1:4040',
      'a.example',
      'b.example:80',
    ]);
  });

  it('the local target follows --app.http.address', () => {
    assert.deepEqual(probeTargetArgs(config('--mode=probe', '--app.http.address=0.0.0.0:5050')), ['127.0.0.1:5050']);
  });

  it('--no-app and --probe-only drop the local target', () => {
    assert.deepEqual(probeTargetArgs(config('--mode=probe', '--no-app', 'x')), ['x']);
    assert.deepEqual(probeTargetArgs(config('--mode=probe', '--probe-only', 'x')), ['x']);
    assert.deepEqual(probeTargetArgs(config('--mode=probe', '--probe-only')), []);
  });

  it('a token with no positionals targets Weave Cloud', () => {
    assert.deepEqual(probeTargetArgs(config('--mode=probe', '--probe.token=t')), ['https://cloud.weave.works.:443']);
    assert.deepEqual(probeTargetArgs(config('--mode=probe', '--service-token=t')), ['https://cloud.weave.works.:443']);
  });

  it('a token with positionals: only the positionals (no local target)', () => {
    assert.deepEqual(probeTargetArgs(config('--mode=probe', '--probe.token=t', 'a.example')), ['a.example']);
  });

  it('computed only in probe mode or with --dry-run (Scope)', () => {
    assert.deepEqual(probeTargetArgs(config('--mode=app', 'x')), ['x']);
    assert.deepEqual(probeTargetArgs(config('--mode=app', '--dry-run')), ['127.0.0.1:4040']);
  });

  it('the URL username overrides --probe.token; others get --probe.token', () => {
    const targets = computeProbeTargets(config('--mode=probe', '--probe.token=global', 'https://own@a.example', 'b.example'));
    assert.deepEqual(targets.map((t) => [t.url, t.token]), [
      ['https://a.example:443', 'own'],
      ['http://b.example:4040', 'global'],
    ]);
  });

  it('no token at all leaves targets without one', () => {
    const [target] = computeProbeTargets(config('--mode=probe'));
    assert.equal(target?.url, 'http://127.0.0.1:4040');
    assert.equal(target !== undefined && 'token' in target, false);
  });
});
