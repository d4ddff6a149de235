/**
 * Packaging end to end on this machine's Docker: the image builds on the locally made base (built
 * here if missing: debootstrap + this node binary, no registry), `launch` runs it as one privileged
 * host-network/host-PID container with the Docker socket, its UI answers and shows this host's
 * containers, and `stop` removes it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { appPortOf, launch, missingCapabilities, runLaunchCommand, stopLaunched, type LaunchOptions } from '../../src/cli/launch.js';
import { loadScaledMillis } from '../helpers/deadline.js';
import { cleanupDocker, docker, dockerUnavailable } from '../helpers/docker.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PREFIX = `os-launch-${process.pid}-`;
const IMAGE = process.env.OPENSCOPE_TEST_IMAGE ?? 'openscope:latest';

/** 4040 when free (the acceptance port), else any free port. */
async function pickPort(): Promise<number> {
  const tryPort = (port: number): Promise<number | undefined> =>
    new Promise((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(undefined));
      s.listen(port, '0.0.0.0', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
  return (await tryPort(4040)) ?? (await tryPort(0))!;
}

async function imageExists(tag: string): Promise<boolean> {
  try {
    await docker('image', 'inspect', tag);
    return true;
  } catch {
    return false;
  }
}

describe('launch helpers', () => {
  it('reads the app port from the forwarded flags', () => {
    assert.equal(appPortOf([]), 4040);
    assert.equal(appPortOf(['--app.http.address=127.0.0.1:5050']), 5050);
    assert.equal(appPortOf(['--app.http.address', ':6060', '--probe.docker=true']), 6060);
  });

  it('names the capabilities a sandboxed host lacks', () => {
    assert.deepEqual(missingCapabilities('CapBnd:\t000001ffffffffff\n'), []);
    assert.deepEqual(missingCapabilities('CapBnd:\t000001fffeffffff\n'), ['SYS_RESOURCE']);
    assert.deepEqual(missingCapabilities('nothing'), []);
  });

  it('`stop` with nothing launched says so and succeeds', async () => {
    const out: string[] = [];
    const code = await runLaunchCommand('stop', [], { OPENSCOPE_CONTAINER_NAME: `${PREFIX}absent` }, { out: (t) => void out.push(t), err: (t) => void out.push(t) });
    if ((await dockerUnavailable()) !== undefined) return;
    assert.equal(code, 0);
    assert.match(out.join(''), /not running/);
  });

  it('`launch` of a missing image fails with one clear line', async () => {
    if ((await dockerUnavailable()) !== undefined) return;
    const err: string[] = [];
    const code = await runLaunchCommand('launch', [], { OPENSCOPE_IMAGE: 'openscope-no-such-image:none', OPENSCOPE_CONTAINER_NAME: `${PREFIX}none` }, { out: () => undefined, err: (t) => void err.push(t) });
    assert.equal(code, 1);
    assert.match(err.join(''), /image openscope-no-such-image:none not found/);
  });
});

describe('openscope launch / stop with the locally built image', { timeout: 30 * 60_000 }, async () => {
  const skip = await dockerUnavailable();
  const output: string[] = [];
  const opts: LaunchOptions = { image: IMAGE, containerName: `${PREFIX}scope`, readyTimeoutMillis: loadScaledMillis(90_000), out: (t) => void output.push(t) };
  let port = 4040;

  before(async () => {
    if (skip) return;
    await cleanupDocker(PREFIX);
    if (!(await imageExists(IMAGE))) {
      // Slow the first time on a machine (debootstrap); later runs reuse both images.
      await run('bash', ['scripts/build-image.sh', IMAGE], { cwd: ROOT, timeout: 25 * 60_000, maxBuffer: 64 * 1024 * 1024 });
    }
    port = await pickPort();
  });
  after(async () => {
    if (!skip) await cleanupDocker(PREFIX);
  });

  it('the image is built on the local base', { skip }, async () => {
    const history = await docker('image', 'history', '--no-trunc', '--format', '{{.CreatedBy}}', IMAGE);
    assert.match(history, /dist\/cli\/main\.js/);
    assert.equal(await docker('run', '--rm', IMAGE, '--version'), 'openscope 0.1.0');
  });

  it('launches, answers on the app port with this host\'s containers, and stops', { skip }, async () => {
    const marker = `${PREFIX}marker`;
    await docker('run', '-d', '--name', marker, 'localbb:latest', 'sleep', '300');
    const args = port === 4040 ? [] : [`--app.http.address=:${port}`];
    assert.equal(appPortOf(args), port);
    const { containerId, urls, token } = await launch(args, opts);
    assert.ok(token, 'a login token for an app beyond loopback');
    assert.ok(urls.every((u) => u.endsWith(`:${port}/?token=${token}`)));
    const auth = { authorization: `Bearer ${token}` };
    assert.match(output.join(''), /listening at the following URL/);

    const info = JSON.parse(await docker('inspect', containerId)) as Array<{ HostConfig: { Privileged: boolean; CapAdd: string[] | null; NetworkMode: string; PidMode: string; Binds: string[] } }>;
    const hc = info[0]!.HostConfig;
    // Privileged, or every capability on a sandboxed Docker host that refuses privileged containers.
    assert.ok(hc.Privileged || (hc.CapAdd ?? []).includes('ALL'), 'privileged');
    assert.equal(hc.NetworkMode, 'host');
    assert.equal(hc.PidMode, 'host');
    assert.ok(hc.Binds.includes('/var/run/docker.sock:/var/run/docker.sock'));

    const ui = await fetch(`http://127.0.0.1:${port}/`, { headers: auth, signal: AbortSignal.timeout(10_000) });
    assert.equal(ui.status, 200);
    assert.match(await ui.text(), /<html/i);

    const deadline = Date.now() + 60_000;
    let labels: string[] = [];
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/topology/containers?system=all&stopped=both`, { headers: auth, signal: AbortSignal.timeout(10_000) });
        const body = (await res.json()) as { nodes: Record<string, { label: string }> };
        labels = Object.values(body.nodes).map((n) => n.label);
        if (labels.includes(marker)) break;
      } catch {
        // not ready yet
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(labels.includes(marker), `this host's container ${marker} shown (saw ${labels.join(', ')})`);

    // A second launch does not start a second copy.
    output.length = 0;
    await launch(args, opts);
    assert.match(output.join(''), /already running/);

    assert.equal(await stopLaunched(opts), true);
    await assert.rejects(docker('inspect', containerId));
    assert.equal(await stopLaunched(opts), false);
  });
});
