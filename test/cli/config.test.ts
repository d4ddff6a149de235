import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildCliConfig, type CliEnv } from '../../src/cli/config.js';
import { CliUsageError } from '../../src/cli/errors.js';
import { parseArgs } from '../../src/cli/parse-args.js';
import { censoredArgs } from '../../src/cli/startup-log.js';

const build = (argv: string[], env: CliEnv = {}) => buildCliConfig(parseArgs(argv), env);
const usageError = (pattern: RegExp) => (err: unknown) =>
  err instanceof CliUsageError && pattern.test(err.message) && !err.message.includes('\n');

describe('CliConfig', () => {
  it('has Scope\'s defaults, with units in the names', () => {
    const c = build(['--mode=app']);
    assert.equal(c.mode, 'app');
    assert.equal(c.app.httpAddress, ':4040');
    assert.equal(c.app.listenHost, '');
    assert.equal(c.app.listenPort, 4040);
    assert.equal(c.app.windowMillis, 15_000);
    assert.equal(c.app.collector, 'local');
    assert.equal(c.app.maxReportBytes, 64 * 1024 * 1024);
    assert.equal(c.app.collectorRetentionMillis, 24 * 3600 * 1000);
    assert.equal(c.app.stopTimeoutMillis, 5000);
    assert.equal(c.probe.publishIntervalMillis, 3000);
    assert.equal(c.probe.spyIntervalMillis, 1000);
    assert.equal(c.probe.fullReportEvery, 3);
    assert.equal(c.probe.docker.enabled, false);
    assert.equal(c.probe.docker.intervalMillis, 10_000);
    assert.equal(c.probe.omitEnvVars, true);
    assert.equal(c.probe.conntrackBufferBytes, 4_194_304);
    assert.equal(c.probe.weave.hostname, 'scope.weave.local.');
    assert.equal(c.app.weave.hostname, 'scope.weave.local.');
    assert.equal(c.probe.basicAuth.username, 'admin');
    assert.deepEqual(c.targets, []);
  });

  it('no --mode runs both, the app on 127.0.0.1:4040 unless told otherwise', () => {
    const both = build([]);
    assert.equal(both.mode, 'both');
    assert.equal(both.app.httpAddress, '127.0.0.1:4040');
    assert.equal(build(['--app.http.address=:5000']).app.httpAddress, ':5000');
  });

  it('no --mode reports Docker containers unless told not to; --mode=probe keeps Scope\'s default (off)', () => {
    assert.equal(build([]).probe.docker.enabled, true);
    assert.equal(build(['--probe.docker=false']).probe.docker.enabled, false);
    assert.equal(build(['--mode=probe']).probe.docker.enabled, false);
    assert.equal(build(['--mode=probe', '--probe.docker=true']).probe.docker.enabled, true);
  });

  it('--help, --mode=help, --version and --mode=version', () => {
    assert.equal(build(['--mode=help']).mode, 'help');
    assert.equal(buildCliConfig(parseArgs(['-h']), {}).mode, 'help');
    assert.equal(build(['--version']).mode, 'version');
    assert.equal(build(['--mode=version']).mode, 'version');
  });

  it('without --mode, the entry-point hints pick one role', () => {
    assert.equal(build(['--no-app']).mode, 'probe');
    assert.equal(build(['--probe-only']).mode, 'probe');
    assert.equal(build(['--no-probe']).mode, 'app');
    assert.equal(build(['--app-only']).app.httpAddress, ':4040');
    assert.throws(() => build(['--no-app', '--no-probe']), usageError(/nothing to run/));
  });

  it('rejects an unknown mode', () => {
    assert.throws(() => build(['--mode=server']), usageError(/invalid value "server" for flag -mode/));
  });

  it('rejects listen addresses that are not host:port', () => {
    assert.throws(() => build(['--app.http.address=4040']), usageError(/-app.http.address/));
    assert.throws(() => build(['--app.http.address=host:99999']), usageError(/-app.http.address/));
    assert.throws(() => build(['--probe.http.listen=nope']), usageError(/-probe.http.listen/));
    assert.equal(build(['--app.http.address=[::1]:0']).app.listenHost, '::1');
  });

  it('rejects non-positive windows and intervals, bad log levels, half a TLS pair', () => {
    assert.throws(() => build(['--app.window=0']), usageError(/-app.window/));
    assert.throws(() => build(['--probe.publish.interval=-1s']), usageError(/-probe.publish.interval/));
    assert.throws(() => build(['--app.log.level=loud']), usageError(/-app.log.level/));
    assert.throws(() => build(['--app.tls.cert=c.pem']), usageError(/--app.tls.cert and --app.tls.key/));
    assert.deepEqual(build(['--app.tls.cert=c.pem', '--app.tls.key=k.pem']).app.tls, { certFile: 'c.pem', keyFile: 'k.pem' });
  });

  it('--debug forces debug logging in both roles', () => {
    const c = build(['--debug', '--app.log.level=error']);
    assert.equal(c.app.logLevel, 'debug');
    assert.equal(c.probe.logLevel, 'debug');
  });

  it('Kubernetes roles: role implies enabled; cluster turns host-local collection off; unknown warns', () => {
    const host = build(['--probe.kubernetes.role=host']);
    assert.equal(host.probe.kubernetes.enabled, true);
    assert.equal(host.probe.processes, true);
    const cluster = build(['--probe.kubernetes.role=cluster']);
    assert.deepEqual(
      [cluster.probe.processes, cluster.probe.procSpy, cluster.probe.conntrack, cluster.probe.ebpfConnections],
      [false, false, false, false],
    );
    const odd = build(['--probe.kubernetes.role=node']);
    assert.equal(odd.probe.kubernetes.role, '');
    assert.match(odd.warnings.join('\n'), /unknown --probe.kubernetes.role "node"/);
  });

  it('container label filters, with Scope\'s swapped option IDs and escaped colons', () => {
    const c = build([
      '--app.container-label-filter=Database Containers:role=db',
      '--app.container-label-filter=Time\\: now:a\\:b=c',
      '--app.container-label-filter-exclude=Not web:tier=web',
    ]);
    assert.deepEqual(c.app.containerLabelFilters, [
      { id: 'containerLabelFilterExclude0', title: 'Database Containers', key: 'role', value: 'db', exclude: false },
      { id: 'containerLabelFilterExclude1', title: 'Time: now', key: 'a:b', value: 'c', exclude: false },
      { id: 'containerLabelFilter0', title: 'Not web', key: 'tier', value: 'web', exclude: true },
    ]);
    assert.throws(() => build(['--app.container-label-filter=nocolon']), usageError(/no unescaped colon/));
    assert.throws(() => build(['--app.container-label-filter=a:b:c=d']), usageError(/more than one/));
    assert.throws(() => build(['--app.container-label-filter=a:novalue']), usageError(/key=value/));
  });

  it('app token auth is on with --app.auth or any token source', () => {
    assert.equal(build([]).app.auth.enabled, false);
    assert.equal(build(['--app.auth']).app.auth.enabled, true);
    assert.equal(build(['--app.auth.viewer-token=v']).app.auth.enabled, true);
    assert.equal(build(['--app.auth.token-file=/t']).app.auth.enabled, true);
  });
});

describe('environment overrides (wire §1.7)', () => {
  it('SCOPE_HOSTNAME and KUBERNETES_NODENAME', () => {
    const c = build(['--probe.kubernetes=true'], { SCOPE_HOSTNAME: 'h1', KUBERNETES_NODENAME: 'node-1' });
    assert.equal(c.hostname, 'h1');
    assert.equal(c.probe.kubernetes.nodeName, 'node-1');
    assert.equal(build(['--probe.kubernetes.node-name=n2'], { KUBERNETES_NODENAME: 'node-1' }).probe.kubernetes.nodeName, 'n2');
  });

  it('ENABLE_BASIC_AUTH forces basic auth on or off in both roles, case-insensitively', () => {
    const on = build([], { ENABLE_BASIC_AUTH: 'TRUE' });
    assert.equal(on.app.basicAuth.enabled && on.probe.basicAuth.enabled, true);
    const off = build(['--app.basicAuth', '--probe.basicAuth'], { ENABLE_BASIC_AUTH: 'false' });
    assert.equal(off.app.basicAuth.enabled || off.probe.basicAuth.enabled, false);
    assert.equal(build(['--app.basicAuth'], { ENABLE_BASIC_AUTH: 'maybe' }).app.basicAuth.enabled, true);
  });

  it('BASIC_AUTH_* override the flags of both roles when non-empty', () => {
    const env = { BASIC_AUTH_USERNAME: 'u', BASIC_AUTH_PASSWORD: 'p', BASIC_AUTH_PASSWORD_FILENAME: '/run/pw' };
    const c = build(['--app.basicAuth.username=x', '--probe.basicAuth.password=y'], env);
    for (const auth of [c.app.basicAuth, c.probe.basicAuth]) {
      assert.deepEqual([auth.username, auth.password, auth.passwordFile], ['u', 'p', '/run/pw']);
    }
    assert.equal(build(['--app.basicAuth.username=x'], { BASIC_AUTH_USERNAME: '' }).app.basicAuth.username, 'x');
  });
});

describe('startup log line (wire §1.1)', () => {
  it('elides tokens, passwords and URL credentials', () => {
    const line = censoredArgs(parseArgs([
      '--mode=probe', '--service-token=s3cret', '--probe.kubernetes.password=pw', '--probe.kubernetes.token=kt',
      '--app.auth.token=at', '--probe.docker', 'https://tok@cloud.example', 'http://u:p@h:80/x',
    ]));
    assert.equal(
      line,
      '--mode=probe --service-token=<elided> --probe.kubernetes.password=<elided> --probe.kubernetes.token=<elided> ' +
        '--app.auth.token=<elided> --probe.docker=true https://<elided>@cloud.example http://<elided>@h:80/x',
    );
    assert.doesNotMatch(line, /s3cret|pw\b|kt\b|tok@/);
  });
});
