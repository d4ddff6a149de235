import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveAppConfig } from '../../src/app/config.js';
import { buildCliConfig } from '../../src/cli/config.js';
import { CliUsageError } from '../../src/cli/errors.js';
import { parseArgs } from '../../src/cli/parse-args.js';
import { computeProbeTargets } from '../../src/cli/targets.js';
import { loadAppSecrets, resolvePassword, toAppConfig, toProbeConfig } from '../../src/cli/to-config.js';
import { parseTokenFile } from '../../src/cli/token-file.js';
import { defaultProbeConfig } from '../../src/probe/config.js';

const facts = { osHostname: 'os-host', version: '9.9.9' };
const noSecrets = { basicAuthPassword: '', fileTokens: [] };
const build = (argv: string[], env: Record<string, string> = {}) => buildCliConfig(parseArgs(argv), env);

describe('CLI → AppConfig', () => {
  it('maps the app flags, and the app accepts the result', () => {
    const app = toAppConfig(build(['--mode=app', '--app.window=1m', '--app.max-report-bytes=1024', '--app.log.level=warn']), facts, noSecrets);
    assert.deepEqual(app, {
      listenAddress: ':4040',
      windowMillis: 60_000,
      maxReportBytes: 1024,
      collector: 'local',
      collectorRetentionMillis: 24 * 3_600_000,
      logLevel: 'warn',
      hostname: 'os-host',
      version: '9.9.9',
      gracefulStopMillis: 5000,
      logHttp: false,
      logHttpHeaders: false,
      auth: {},
    });
    assert.doesNotThrow(() => resolveAppConfig(app));
  });

  it('SCOPE_HOSTNAME names the host; panic maps to pino fatal', () => {
    const app = toAppConfig(build(['--mode=app', '--app.log.level=panic'], { SCOPE_HOSTNAME: 'h1' }), facts, noSecrets);
    assert.equal(app.hostname, 'h1');
    assert.equal(app.logLevel, 'fatal');
  });
});

describe('CLI → app security settings', () => {
  it('maps tokens, probe token, TLS, audit log, HTTP logging and the stop timeout', () => {
    const config = build([
      '--mode=app', '--app.auth.token=adm', '--app.auth.viewer-token=view', '--app.probe.token=pt',
      '--app.tls.cert=/c.pem', '--app.tls.key=/k.pem', '--app.audit-log=/var/log/audit', '--app.log.http',
      '--app.log.httpHeaders', '--app.stopTimeout=2s',
    ]);
    const app = toAppConfig(config, facts, { basicAuthPassword: '', fileTokens: [{ token: 'f', role: 'viewer' }] });
    assert.deepEqual(app.auth, {
      tokens: [{ token: 'adm', role: 'admin' }, { token: 'view', role: 'viewer' }, { token: 'f', role: 'viewer' }],
      probeToken: 'pt',
    });
    assert.deepEqual(app.tls, { certFile: '/c.pem', keyFile: '/k.pem' });
    assert.equal(app.auditLogFile, '/var/log/audit');
    assert.deepEqual([app.logHttp, app.logHttpHeaders, app.gracefulStopMillis], [true, true, 2000]);
  });

  it('maps basic auth (flags or ENABLE_BASIC_AUTH) with the resolved password', () => {
    const app = toAppConfig(build(['--mode=app'], { ENABLE_BASIC_AUTH: 'true', BASIC_AUTH_USERNAME: 'u' }), facts, {
      basicAuthPassword: 'from-file',
      fileTokens: [],
    });
    assert.deepEqual(app.auth, { basic: { username: 'u', password: 'from-file' } });
    assert.throws(() => resolveAppConfig({ ...app, auth: { ...app.auth, probeToken: 'x' } }), /cannot be combined/);
  });

  it('--app.auth without any token is a usage error', () => {
    assert.throws(() => toAppConfig(build(['--mode=app', '--app.auth']), facts, noSecrets), (err: unknown) =>
      err instanceof CliUsageError && /--app.auth needs a token/.test(err.message));
  });

  it('loadAppSecrets reads the password file and the token file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openscope-cli-'));
    try {
      writeFileSync(join(dir, 'pw'), 'pw\n');
      writeFileSync(join(dir, 'tokens'), '# people\nalice-token admin\n\n  bob-token   viewer  \n');
      const secrets = await loadAppSecrets(build([
        '--mode=app', '--app.basicAuth', `--app.basicAuth.password.filename=${join(dir, 'pw')}`,
        `--app.auth.token-file=${join(dir, 'tokens')}`,
      ]));
      assert.deepEqual(secrets, {
        basicAuthPassword: 'pw\n',
        fileTokens: [{ token: 'alice-token', role: 'admin' }, { token: 'bob-token', role: 'viewer' }],
      });
      await assert.rejects(loadAppSecrets(build(['--mode=app', `--app.auth.token-file=${join(dir, 'nope')}`])), CliUsageError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a malformed token file names the line, never the token', () => {
    assert.throws(() => parseTokenFile('ok admin\nsecret-token root\n', '/t'), (err: unknown) =>
      err instanceof CliUsageError && /line 2/.test(err.message) && !err.message.includes('secret-token'));
    assert.throws(() => parseTokenFile('# nothing\n', '/t'), /holds no token/);
    assert.throws(() => parseTokenFile('a admin extra\n', '/t'), /line 1/);
  });
});

describe('CLI → ProbeConfig', () => {
  it('maps the probe flags and targets over the probe defaults', () => {
    const config = build([
      '--mode=probe', '--probe.spy.interval=250ms', '--probe.publish.interval=2s', '--probe.full-report-every=5',
      '--probe.docker', '--probe.docker.interval=30s', '--probe.docker.bridge=br0', '--probe.no-controls',
      '--probe.omit.cmd-args', '--probe.omit.env-vars=false', '--probe.processes=false', '--probe.conntrack=0',
      '--probe.proc.root=/host/proc', '--probe.insecure', '--probe.publish.stdout', '--probe.kubernetes.role=host',
      '--service-token=tok', 'https://own@a.example',
    ], { SCOPE_HOSTNAME: 'node-7' });
    const probe = toProbeConfig(config, computeProbeTargets(config), { enabled: false, username: 'admin', password: 'admin' }, facts);
    assert.deepEqual(probe, defaultProbeConfig({
      targets: [{ url: 'https://a.example:443', token: 'own' }],
      hostId: 'node-7',
      spyIntervalMillis: 250,
      publishIntervalMillis: 2000,
      fullReportEvery: 5,
      processes: false,
      procSpy: true,
      procRoot: '/host/proc',
      conntrack: false,
      omitCmdArgs: true,
      noControls: true,
      token: 'tok',
      insecure: true,
      publishStdout: true,
      docker: true,
      dockerIntervalMillis: 30_000,
      dockerBridge: 'br0',
      omitEnvVars: false,
      kubernetesRole: 'host',
      kubernetes: true, // implied by the role
      version: '9.9.9',
    }));
  });

  it('passes basic auth as resolved', () => {
    const config = build(['--mode=probe']);
    const probe = toProbeConfig(config, [], { enabled: true, username: 'u', password: 'p' }, facts);
    assert.deepEqual([probe.basicAuth, probe.basicAuthUsername, probe.basicAuthPassword, probe.hostId], [true, 'u', 'p', 'os-host']);
  });
});

describe('resolvePassword', () => {
  it('reads the whole file, trailing newline kept; else the flag value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openscope-cli-'));
    try {
      const file = join(dir, 'pw');
      writeFileSync(file, 's3cret\n');
      const base = { enabled: true, username: 'admin', password: 'flag' };
      assert.equal(await resolvePassword({ ...base, passwordFile: file }, 'probe.basicAuth.password.filename'), 's3cret\n');
      assert.equal(await resolvePassword({ ...base, passwordFile: '' }, 'x'), 'flag');
      await assert.rejects(
        resolvePassword({ ...base, passwordFile: join(dir, 'missing') }, 'app.basicAuth.password.filename'),
        (err: unknown) => err instanceof CliUsageError && /--app\.basicAuth\.password\.filename/.test(err.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
