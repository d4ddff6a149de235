// The CLI's synchronous front (prepare): what is printed and the exit code, without a process.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { buildCliConfig } from '../../src/cli/config.js';
import { parseArgs } from '../../src/cli/parse-args.js';
import { localAppUrl, prepare, type CliIo } from '../../src/cli/run.js';
import { notAppliedFlags } from '../../src/cli/support.js';
import { usageText } from '../../src/cli/usage.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

function capture(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), env };
  const prepared = prepare(argv, io);
  return { prepared, out, err };
}

describe('prepare', () => {
  it('-h, -help, --help and --mode=help print the usage and exit 0', () => {
    for (const argv of [['-h'], ['-help'], ['--help'], ['--mode=help'], ['--debug', '--help']]) {
      const { prepared, out, err } = capture(argv);
      assert.deepEqual(prepared, { kind: 'exit', code: 0 }, argv.join(' '));
      assert.equal(out, usageText('openscope'));
      assert.equal(err, '');
    }
  });

  it('--version and --mode=version print `openscope <version>`', () => {
    for (const argv of [['--version'], ['-version'], ['--mode=version']]) {
      const { prepared, out } = capture(argv);
      assert.deepEqual(prepared, { kind: 'exit', code: 0 });
      assert.equal(out, `openscope ${VERSION}\n`);
    }
  });

  it('usage errors: one line on stderr, exit 2, nothing on stdout', () => {
    const cases: Array<[string[], RegExp]> = [
      [['--no-such-flag'], /^openscope: flag provided but not defined: -no-such-flag/],
      [['--probe.publish.interval=3'], /invalid value "3" for flag -probe\.publish\.interval/],
      [['--probe.docker=maybe'], /invalid value "maybe" for flag -probe\.docker/],
      [['--mode=server'], /invalid value "server" for flag -mode/],
      [['--app.http.address=4040'], /-app\.http\.address/],
      [['--dry-run', '--mode=probe', 'host:port'], /invalid probe target "host:port"/],
      [['--mode=probe', 'a:b:c'], /invalid probe target "a:b:c"/],
    ];
    for (const [argv, message] of cases) {
      const { prepared, out, err } = capture(argv);
      assert.deepEqual(prepared, { kind: 'exit', code: 2 }, argv.join(' '));
      assert.equal(out, '');
      assert.match(err, message);
      assert.equal(err.split('\n').length, 2, `one line: ${err}`);
    }
  });

  it('--dry-run exits 0 in every mode', () => {
    for (const argv of [['--dry-run'], ['--dry-run', '--mode=app'], ['--dry-run', '--mode=probe', '10.0.0.1']]) {
      assert.deepEqual(capture(argv).prepared, { kind: 'exit', code: 0 });
    }
  });

  it('probe mode carries the computed targets; both mode leaves them to start-up', () => {
    const probe = capture(['--mode=probe', '--probe.token=t', 'https://own@a.example', 'b.example']).prepared;
    assert.equal(probe.kind, 'run');
    if (probe.kind === 'run') {
      assert.deepEqual(probe.targets.map((t) => [t.url, t.token]), [['https://a.example:443', 'own'], ['http://b.example:4040', 't']]);
    }
    const both = capture(['x.example']).prepared;
    assert.equal(both.kind === 'run' && both.config.mode, 'both');
    assert.deepEqual(both.kind === 'run' ? both.targets : undefined, []);
  });
});

describe('flags the roles do not apply yet', () => {
  it('lists flags given for a running role that it does not apply (not Weave Cloud ones, the other role\'s, or ones turning a feature off)', () => {
    const argv = [
      '--mode=probe', '--probe.kubernetes=true', '--probe.http.listen=:9000', '--probe.ecs', '--app.window=1m', '--probe.docker',
      '--weave=false', '--probe.plugins.root=', '--probe.cri=false',
    ];
    const parsed = parseArgs(argv);
    assert.deepEqual(notAppliedFlags(buildCliConfig(parsed, {}), parsed), ['--probe.http.listen']);
  });
});

describe('localAppUrl', () => {
  it('turns the bound address into a loopback URL for the in-process probe', () => {
    assert.equal(localAppUrl('127.0.0.1:4040'), 'http://127.0.0.1:4040');
    assert.equal(localAppUrl('0.0.0.0:4040'), 'http://127.0.0.1:4040');
    assert.equal(localAppUrl(':4040'), 'http://127.0.0.1:4040');
    assert.equal(localAppUrl('[::]:4040'), 'http://127.0.0.1:4040');
    assert.equal(localAppUrl('[::1]:5000'), 'http://[::1]:5000');
    assert.equal(localAppUrl('10.1.2.3:80'), 'http://10.1.2.3:80');
    assert.equal(localAppUrl('0.0.0.0:4443', 'https'), 'https://127.0.0.1:4443');
  });
});
