// The real CLI as a child process (through tsx, so no build is needed).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { FLAGS } from '../../src/cli/flags/index.js';
import { loadScaledMillis } from '../helpers/deadline.js';
import { freePort, REPO_ROOT } from '../helpers/openscope-process.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
after(() => {
  for (const child of children) child.kill('SIGKILL');
});

function spawnCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Result> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Result>((resolve) =>
    child.once('close', (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    }),
  );
  return { child, done };
}

async function run(args: string[], timeoutMillis = 30_000): Promise<Result> {
  const { child, done } = spawnCli(args);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMillis);
  const result = await done;
  clearTimeout(timer);
  return result;
}

async function waitForApi(url: string, child: ChildProcess, timeoutMillis: number, headers: Record<string, string> = {}): Promise<unknown> {
  timeoutMillis = loadScaledMillis(timeoutMillis); // tsx start-up on an overloaded machine
  const deadline = Date.now() + timeoutMillis;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited early with ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/api`, { headers });
      if (res.ok) return await res.json();
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`no answer from ${url}/api within ${timeoutMillis} ms`);
}

/** Sends `signal`, waits for the exit (SIGKILL after 10 s so a hang fails instead of stalling). */
async function stopWith(child: ChildProcess, done: Promise<Result>, signal: NodeJS.Signals): Promise<Result> {
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const result = await done;
  clearTimeout(timer);
  return result;
}

// Sequential on purpose: concurrent tsx start-ups on a busy 2-core machine time out.
describe('openscope CLI process', () => {
  it('--help lists every flag with its default and exits 0', async () => {
    const { code, stdout } = await run(['--help']);
    assert.equal(code, 0);
    const acceptance = `mode app.window app.http.address app.collector probe.publish.interval probe.spy.interval probe.docker
      probe.kubernetes.role probe.processes probe.conntrack probe.no-controls probe.token`.split(/\s+/);
    for (const name of acceptance) assert.match(stdout, new RegExp(`--${name.replaceAll('.', '\\.')}\\b`), name);
    for (const spec of FLAGS) {
      assert.ok(stdout.includes(`--${spec.name}`), spec.name);
      for (const alias of spec.aliases) assert.ok(stdout.includes(`--${alias}`), alias);
    }
    assert.match(stdout, /--app\.window duration\n\s+.*\(default 15s\)/);
    assert.match(stdout, /--probe\.docker\n\s+.*\(default false\)/);
  });

  it('--no-such-flag exits 2 with one clear line on stderr', async () => {
    const { code, stdout, stderr } = await run(['--no-such-flag']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.equal(stderr.trimEnd().split('\n').length, 1);
    assert.match(stderr, /^openscope: flag provided but not defined: -no-such-flag .*--help/);
  });

  it('--version prints the package version', async () => {
    const { code, stdout } = await run(['--version']);
    assert.equal(code, 0);
    assert.equal(stdout, `openscope ${VERSION}\n`);
  });

  it('--dry-run parses flags and targets, then exits 0 without starting anything', async () => {
    const ok = await run(['--dry-run', '--mode=probe', '--probe.docker', 'https://tok@app.example', '10.0.0.1']);
    assert.equal(ok.code, 0);
    assert.equal(ok.stdout, '');
    assert.equal(ok.stderr, '');
  });

  it('--mode=app answers GET /api, a second app on the same port fails in one line, SIGTERM exits 0', async () => {
    const port = await freePort();
    const { child, done } = spawnCli(['--mode=app', `--app.http.address=127.0.0.1:${port}`]);
    try {
      const api = (await waitForApi(`http://127.0.0.1:${port}`, child, 30_000)) as { version?: string };
      assert.equal(api.version, VERSION);
      const second = await run(['--mode=app', `--app.http.address=127.0.0.1:${port}`]);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /^openscope: .*EADDRINUSE/m);
    } finally {
      const result = await stopWith(child, done, 'SIGTERM');
      assert.equal(result.code, 0, result.stderr);
    }
  });

  it('with no --mode, a probe in the same process publishes to the app with its probe token; SIGINT exits 0', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const admin = { authorization: 'Bearer adm-token' };
    const { child, done } = spawnCli(
      [`--app.http.address=127.0.0.1:${port}`, '--probe.publish.interval=500ms', '--app.probe.token=probe-token', '--app.auth.token=adm-token'],
      { SCOPE_HOSTNAME: 'cli-test-host' },
    );
    try {
      await waitForApi(url, child, 30_000, admin);
      assert.equal((await fetch(`${url}/api`)).status, 401, 'the app asks for a token');
      const deadline = Date.now() + 30_000;
      let probes = '[]';
      while (!probes.includes('cli-test-host') && Date.now() < deadline) {
        const res = await fetch(`${url}/api/probes`, { headers: admin });
        probes = res.ok ? await res.text() : '[]';
        if (!probes.includes('cli-test-host')) await sleep(300);
      }
      assert.match(probes, /cli-test-host/, 'the in-process probe reported to the app');
    } finally {
      const result = await stopWith(child, done, 'SIGINT');
      assert.equal(result.code, 0, result.stderr);
    }
  });
});
