import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliUsageError } from '../../src/cli/errors.js';
import { FLAGS, FLAGS_BY_NAME } from '../../src/cli/flags/index.js';
import { parseArgs, parseGoInt } from '../../src/cli/parse-args.js';

const usageError = (pattern: RegExp) => (err: unknown) =>
  err instanceof CliUsageError && err.exitCode === 2 && pattern.test(err.message) && !err.message.includes('\n');

describe('Go flag syntax', () => {
  it('accepts -x and --x, with = or the next argument', () => {
    for (const argv of [
      ['--probe.token=abc'],
      ['-probe.token=abc'],
      ['--probe.token', 'abc'],
      ['-probe.token', 'abc'],
    ]) {
      assert.equal(parseArgs(argv).values.get('probe.token'), 'abc', argv.join(' '));
    }
  });

  it('takes the next argument as the value whatever it looks like', () => {
    assert.equal(parseArgs(['--probe.token', '--not-a-flag']).values.get('probe.token'), '--not-a-flag');
  });

  it('keeps everything after the first = in the value', () => {
    assert.equal(parseArgs(['--app.metrics-graph=/p?a=b']).values.get('app.metrics-graph'), '/p?a=b');
  });

  it('accepts every Go boolean spelling, bare means true, and never eats the next argument', () => {
    const words: Array<[string, boolean]> = [
      ['1', true], ['t', true], ['T', true], ['true', true], ['TRUE', true], ['True', true],
      ['0', false], ['f', false], ['F', false], ['false', false], ['FALSE', false], ['False', false],
    ];
    for (const [word, value] of words) {
      assert.equal(parseArgs([`--probe.docker=${word}`]).values.get('probe.docker'), value, word);
    }
    const bare = parseArgs(['--probe.docker', 'false']);
    assert.equal(bare.values.get('probe.docker'), true);
    assert.deepEqual(bare.positionals, ['false']);
  });

  it('rejects a bad boolean naming the flag and value', () => {
    assert.throws(() => parseArgs(['--probe.docker=yes']), usageError(/invalid value "yes" for flag -probe.docker/));
  });

  it('parses durations and rejects bad ones with the flag and value', () => {
    assert.equal(parseArgs(['--app.window=1m30s']).values.get('app.window'), 90_000_000_000n);
    assert.throws(() => parseArgs(['--app.window=15']), usageError(/invalid value "15" for flag -app.window: .*missing unit/));
    assert.throws(() => parseArgs(['--probe.spy.interval', '1x']), usageError(/-probe.spy.interval: .*unknown unit "x"/));
  });

  it('parses ints like strconv.ParseInt(s, 0, 64)', () => {
    assert.equal(parseArgs(['--probe.full-report-every=5']).values.get('probe.full-report-every'), 5);
    assert.equal(parseGoInt('0x10'), 16);
    assert.equal(parseGoInt('0o17'), 15);
    assert.equal(parseGoInt('017'), 15);
    assert.equal(parseGoInt('0b101'), 5);
    assert.equal(parseGoInt('-42'), -42);
    assert.equal(parseGoInt('+7'), 7);
    assert.equal(parseGoInt('1_000'), 1000);
    assert.equal(parseGoInt('0x_ff'), 255);
    assert.equal(parseGoInt('0'), 0);
    for (const bad of ['', '1.5', '08', '1__0', '_1', '1_', 'ten', '0x', '- 1', '99999999999999999999']) {
      assert.throws(() => parseGoInt(bad), RangeError, bad);
    }
    assert.throws(() => parseArgs(['--probe.conntrack.buffersize=4M']), usageError(/invalid value "4M" for flag -probe.conntrack.buffersize/));
  });

  it('the last occurrence of a flag wins; an empty value is a value', () => {
    assert.equal(parseArgs(['--app.window=1s', '-app.window', '2s']).values.get('app.window'), 2_000_000_000n);
    assert.equal(parseArgs(['--probe.token=a', '--service-token=b']).values.get('probe.token'), 'b');
    assert.equal(parseArgs(['--probe.token=']).values.get('probe.token'), '');
  });

  it('collects repeatable flags in order', () => {
    const parsed = parseArgs(['--app.container-label-filter=A:a=1', '--app.container-label-filter', 'B:b=2']);
    assert.deepEqual(parsed.values.get('app.container-label-filter'), ['A:a=1', 'B:b=2']);
  });

  it('stops at the first non-flag argument (Go semantics)', () => {
    const parsed = parseArgs(['--mode=probe', '10.0.0.1', '--probe.docker=true']);
    assert.deepEqual(parsed.positionals, ['10.0.0.1', '--probe.docker=true']);
    assert.equal(parsed.values.has('probe.docker'), false);
  });

  it('stops at -- and drops it; a lone - is positional', () => {
    assert.deepEqual(parseArgs(['--debug', '--', '--probe.docker']).positionals, ['--probe.docker']);
    assert.deepEqual(parseArgs(['-', 'x']).positionals, ['-', 'x']);
  });

  it('rejects an unknown flag with Go\'s message, in one line', () => {
    assert.throws(() => parseArgs(['--no-such-flag']), usageError(/^flag provided but not defined: -no-such-flag \(run with --help/));
    assert.throws(() => parseArgs(['-no-such-flag=1']), usageError(/not defined: -no-such-flag /));
  });

  it('rejects bad flag syntax and a missing value', () => {
    assert.throws(() => parseArgs(['---x']), usageError(/bad flag syntax: ---x/));
    assert.throws(() => parseArgs(['-=x']), usageError(/bad flag syntax: -=x/));
    assert.throws(() => parseArgs(['--app.window']), usageError(/flag needs an argument: -app.window/));
  });

  it('treats -h, -help and --help as a request for help', () => {
    for (const arg of ['-h', '--h', '-help', '--help']) assert.equal(parseArgs([arg]).help, true, arg);
    assert.equal(parseArgs(['--debug']).help, false);
  });

  it('writes aliases to the canonical flag and remembers the name as written', () => {
    const aliases: Array<[string, string, string]> = [
      ['--service-token=s', 'probe.token', 's'],
      ['--probe.kubernetes.api=https://k:6443', 'probe.kubernetes.server', 'https://k:6443'],
    ];
    for (const [arg, canonical, value] of aliases) {
      const parsed = parseArgs([arg]);
      assert.equal(parsed.values.get(canonical), value);
      assert.equal(parsed.occurrences[0]?.name, arg.slice(2, arg.indexOf('=')));
    }
    assert.equal(parseArgs(['--probe-only']).values.get('no-app'), true);
    assert.equal(parseArgs(['--app-only']).values.get('no-probe'), true);
  });

  it('has one entry per name, and every flag of Scope 1.13.2 (wire §1.2, §1.3, §1.6)', () => {
    const scope = `mode debug dry-run weave weave.hostname no-app probe-only no-probe app-only
      probe.publish.interval probe.spy.interval probe.full-report-every probe.publish.stdout probe.token service-token
      probe.basicAuth probe.basicAuth.username probe.basicAuth.password probe.basicAuth.password.filename probe.insecure
      probe.resolver probe.http.listen probe.plugins.root probe.no-controls probe.omit.cmd-args probe.omit.env-vars
      probe.log.prefix probe.log.level probe.processes probe.proc.spy probe.proc.root probe.conntrack
      probe.conntrack.buffersize probe.ebpf.connections probe.docker probe.docker.interval probe.docker.bridge probe.cri
      probe.cri.endpoint probe.kubernetes probe.kubernetes.role probe.kubernetes.node-name probe.kubernetes.api
      probe.kubernetes.server probe.kubernetes.kubeconfig probe.kubernetes.certificate-authority
      probe.kubernetes.client-certificate probe.kubernetes.client-key probe.kubernetes.cluster probe.kubernetes.context
      probe.kubernetes.user probe.kubernetes.insecure-skip-tls-verify probe.kubernetes.token probe.kubernetes.username
      probe.kubernetes.password probe.ecs probe.ecs.cache.size probe.ecs.cache.expiry probe.ecs.cluster.region
      probe.weave.addr probe.weave.hostname
      app.http.address app.window app.collector app.collector-addr app.collector.s3 app.collector.store-interval
      app.collector.tick-interval app.max-topology-nodes app.stopTimeout app.log.level app.log.prefix app.log.http
      app.log.httpHeaders app.basicAuth app.basicAuth.username app.basicAuth.password app.basicAuth.password.filename
      app.weave.addr app.weave.hostname app.container.name app.docker app.container-label-filter
      app.container-label-filter-exclude app.control.router app.control.rpctimeout app.pipe.router app.consul.inf
      app.nats app.memcached.hostname app.memcached.timeout app.memcached.expiration app.memcached.service
      app.memcached.compression app.userid.header app.externalUI app.metrics-graph app.service-name
      app.block.profile.rate app.aws.create.tables app.billing.enabled app.billing.default-publish-interval
      billing.max-buffered-events billing.retry-delay billing.ingester`.split(/\s+/);
    const openscope = `version app.max-report-bytes app.auth app.auth.token app.auth.viewer-token app.auth.token-file
      app.auth.header app.auth.roles-file app.probe.token app.tls.cert app.tls.key app.audit-log app.collector.retention`.split(/\s+/);
    for (const name of [...scope, ...openscope]) assert.ok(FLAGS_BY_NAME.has(name), name);
    const names = FLAGS.flatMap((f) => [f.name, ...f.aliases]);
    assert.equal(new Set(names).size, names.length);
    assert.deepEqual(names.filter((n) => !scope.includes(n) && !openscope.includes(n)), []);
  });

  it('parses the arguments of Scope\'s Kubernetes DaemonSet', () => {
    const parsed = parseArgs([
      '--mode=probe', '--probe-only', '--probe.kubernetes.role=host', '--probe.docker.bridge=docker0',
      '--probe.docker=true', 'weave-scope-app.weave.svc.cluster.local.:80',
    ]);
    assert.equal(parsed.values.get('mode'), 'probe');
    assert.equal(parsed.values.get('probe.kubernetes.role'), 'host');
    assert.deepEqual(parsed.positionals, ['weave-scope-app.weave.svc.cluster.local.:80']);
  });
});
