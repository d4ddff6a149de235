/** Shared helpers of the collector tests: reports with chosen containers, fake probes, Redis servers. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeReport, encodeReport } from '../../src/report/codec/index.js';
import { makeNode, makeReport } from '../../src/report/model.js';
import type { Report } from '../../src/report/types.js';
import { fixtureReport } from '../app/helpers.js';
import { freePort } from '../helpers/openscope-process.js';

/** A report of host `host` with containers `ids` (node ids `<id>;<container>`). */
export function reportWithContainers(host: string, ids: readonly string[]): Report {
  const r = makeReport();
  for (const id of ids) {
    const n = makeNode(`${id};<container>`, 'container');
    n.latest.set('docker_container_id', { timestamp: '2026-01-01T00:00:00.000000000Z', value: id });
    n.latest.set('host_node_id', { timestamp: '2026-01-01T00:00:00.000000000Z', value: `${host};<host>` });
    r.topologies.container.nodes.set(n.id, n);
  }
  return r;
}

export const containerIds = (r: Report): string[] => [...r.topologies.container.nodes.keys()].sort();

/**
 * Fixture report `n` rewritten as if probe `probeId` on host `host` sent it: node ids and host
 * fields that name the recorded host are renamed, so N fake probes give N distinct hosts.
 */
export function fakeProbeBody(n: number, host: string): { body: Buffer; headers: Record<string, string> } {
  const report = decodeReport(gunzipSync(fixtureReport(n).body), 'msgpack');
  const recorded = [...report.topologies.host.nodes.keys()][0]?.replace(/;<host>$/, '') ?? '';
  // In the JSON form every string that is the host id or starts with `<host id>;` is renamed.
  const json = Buffer.from(encodeReport(report, 'json')).toString('utf8');
  const renamed = json.split(`"${recorded}"`).join(`"${host}"`).split(`"${recorded};`).join(`"${host};`);
  const body = gzipSync(encodeReport(decodeReport(Buffer.from(renamed), 'json'), 'msgpack'));
  return {
    body,
    headers: { 'content-type': 'application/msgpack', 'content-encoding': 'gzip', 'x-scope-probe-id': `probe-${host}` },
  };
}

export function tempDir(prefix: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A redis-server of our own on a free port; `kill()` stops it (and is safe to call twice). */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  kill(): Promise<void>;
  /** Starts it again on the same port (after kill). */
  restart(): Promise<void>;
}

/** Whether `redis-server` can be run here; in CI its absence is a failure, elsewhere a skip. */
export async function redisAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn('redis-server', ['--version'], { stdio: 'ignore' });
    p.once('error', () => resolve(false));
    p.once('exit', (code) => resolve(code === 0));
  });
}

/**
 * With `persistDir`, Redis writes an append-only file there, fsynced on every write, so a
 * SIGKILLed server comes back with every acknowledged write (as a production Redis with AOF).
 */
export async function startRedis(opts: { persistDir?: string } = {}): Promise<TestRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const persistence = opts.persistDir
    ? ['--dir', opts.persistDir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always']
    : ['--save', '', '--appendonly', 'no'];
  const launch = async (): Promise<void> => {
    const p = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistence], { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = p;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('redis-server did not start within 30 s')), 30_000); // a loaded CI machine
      let out = '';
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      p.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${out}`));
      });
    });
  };
  const kill = async (): Promise<void> => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        p.kill('SIGKILL');
        resolve();
      }, 3000);
      p.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      p.kill('SIGKILL');
    });
  };
  await launch();
  return { port, url: `redis://127.0.0.1:${port}/0`, kill, restart: launch };
}
