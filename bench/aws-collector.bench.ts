/**
 * The DynamoDB + S3 collector (issue #9) next to the memory and Redis collectors, each behind a
 * real app (in this process) fed over HTTP by N fake probes (bench/lib/fake-probes.ts: the
 * recorded Scope reports renamed to N hosts):
 * - ingest: process CPU per `POST /api/report` (the app's decode + the collector's add, awaited;
 *   for AWS the gzip, hash and two SDK requests; the HTTP client side is the same for all three);
 * - latency of `GET /api/topology/containers` right after a report arrived (a fresh render);
 * - time travel (`timestamp=` a few seconds back): first request (index query + bodies fetched +
 *   merge + render) and again for another moment (bodies cached).
 * dynalite and s3rver run in a child process, so their CPU is not counted (Redis is a server too).
 * Local emulators answer in well under a millisecond, so AWS round trips (~5–20 ms in-region)
 * add wall time to the AWS figures in production, not CPU.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../src/common/log.js';
import { defaultAppConfig, startApp, type AppConfig, type RunningApp } from '../src/app/index.js';
import { redisAvailable, startRedis } from '../test/collector/helpers.js';
import { fakeHostBody, FULL_FIXTURES, PROBE_HEADERS } from './lib/fake-probes.js';
import type { BenchResult } from './lib/types.js';

const PROBES = Number(process.env.AWS_BENCH_PROBES ?? 50);
const ROUNDS = 3;
const LATENCY_SAMPLES = 15;
const REPO = fileURLToPath(new URL('..', import.meta.url));

/** dynalite + s3rver in a child process; resolves with their ports. */
async function startEmulators(): Promise<{ dynamoPort: number; s3Port: number; stop(): void }> {
  const script = `
    const dynalite = require('dynalite'); const S3rver = require('s3rver');
    const { mkdtempSync } = require('node:fs'); const { tmpdir } = require('node:os'); const { join } = require('node:path');
    const d = dynalite({ createTableMs: 0 });
    d.listen(0, '127.0.0.1', async () => {
      const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: mkdtempSync(join(tmpdir(), 'bench-s3-')), resetOnClose: true });
      const a = await s3.run();
      console.log(JSON.stringify({ dynamoPort: d.address().port, s3Port: a.port }));
    });`;
  const child: ChildProcess = spawn(process.execPath, ['-e', script], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise<{ dynamoPort: number; s3Port: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('emulators did not start within 30 s')), 30_000);
    child.stdout!.once('data', (d: Buffer) => {
      clearTimeout(timer);
      resolve(JSON.parse(d.toString()) as { dynamoPort: number; s3Port: number });
    });
    child.once('exit', (code) => reject(new Error(`emulators exited with ${code}`)));
  });
  return { ...ports, stop: () => child.kill('SIGKILL') };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

interface Figures {
  ingestCpuMillis: number;
  topologyMillis: number;
  historicColdMillis?: number;
  historicWarmMillis?: number;
}

async function post(app: RunningApp, body: Buffer, probe: number): Promise<void> {
  const res = await fetch(`${app.url}api/report`, { method: 'POST', body, headers: { ...PROBE_HEADERS, 'x-scope-probe-id': `probe${probe}` } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`POST /api/report: ${res.status}`);
}

async function timed(url: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return performance.now() - t;
}

async function measureCollector(overrides: Partial<AppConfig>, bodies: Buffer[][], historic: boolean): Promise<Figures> {
  const app = await startApp({ ...defaultAppConfig(), listenAddress: '127.0.0.1:0', version: 'bench', hostname: 'bench', ...overrides }, silentLogger());
  const probes = bodies.length;
  try {
    // Warm-up: one round, not counted (JIT, connection pools, table/bucket creation).
    for (let i = 0; i < probes; i++) await post(app, bodies[i]![0]!, i);
    const before = process.cpuUsage();
    for (let r = 1; r <= ROUNDS; r++) for (let i = 0; i < probes; i++) await post(app, bodies[i]![r % bodies[i]!.length]!, i);
    const cpu = process.cpuUsage(before);
    const ingestCpuMillis = (cpu.user + cpu.system) / 1000 / (ROUNDS * probes);
    const latencies: number[] = [];
    for (let k = 0; k < LATENCY_SAMPLES; k++) {
      await post(app, bodies[k % probes]![k % bodies[0]!.length]!, k % probes);
      latencies.push(await timed(`${app.url}api/topology/containers`));
    }
    const figures: Figures = { ingestCpuMillis, topologyMillis: median(latencies) };
    if (historic) {
      const at = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
      figures.historicColdMillis = await timed(`${app.url}api/topology/containers?timestamp=${at(2000)}`);
      const warm: number[] = [];
      for (let k = 0; k < 5; k++) warm.push(await timed(`${app.url}api/topology/containers?timestamp=${at(2000 + 37 * (k + 1))}`));
      figures.historicWarmMillis = median(warm);
    }
    return figures;
  } finally {
    await app.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  const bodies = Array.from({ length: PROBES }, (_, i) => FULL_FIXTURES.slice(0, ROUNDS + 1).map((n) => fakeHostBody(n, `awshost${i}`, i)));
  const load = `load ${loadavg()[0]!.toFixed(0)}`;
  // A first, discarded run warms the shared code paths (decode, merge, render), so the first
  // collector measured is not penalised.
  await measureCollector({ collector: 'memory' }, bodies.slice(0, 5), false);
  const memory = await measureCollector({ collector: 'memory' }, bodies, false);
  const emulators = await startEmulators();
  let aws: Figures;
  try {
    aws = await measureCollector(
      {
        collector: `dynamodb://local:local@127.0.0.1:${emulators.dynamoPort}/openscope-bench`,
        collectorS3: `s3://S3RVER:S3RVER@127.0.0.1:${emulators.s3Port}/openscope-bench`,
        awsCreateTables: true,
      },
      bodies,
      true,
    );
  } finally {
    emulators.stop();
  }
  let redis: Figures | undefined;
  if (await redisAvailable()) {
    const server = await startRedis();
    try {
      redis = await measureCollector({ collector: server.url }, bodies, true);
    } finally {
      await server.kill();
    }
  }
  const note = `${PROBES} fake probes (5 containers, ~90 processes each), ${load}; process CPU incl. the HTTP client`;
  const out: BenchResult[] = [
    {
      name: `dynamodb+s3 collector: ingest CPU per report (${PROBES} probes)`,
      value: aws.ingestCpuMillis,
      unit: 'ms',
      baseline: { name: 'memory collector', value: memory.ingestCpuMillis },
      note: `${note}; awaited S3 PUT + DynamoDB PutItem (emulators in another process)${redis ? `; redis collector ${redis.ingestCpuMillis.toFixed(2)} ms` : ''}`,
    },
    {
      name: `dynamodb+s3 collector: GET containers after a report (${PROBES} probes)`,
      value: aws.topologyMillis,
      unit: 'ms',
      baseline: { name: 'memory collector', value: memory.topologyMillis },
      note: `median of ${LATENCY_SAMPLES}; served from the live window as with memory${redis ? `; redis collector ${redis.topologyMillis.toFixed(1)} ms` : ''}`,
    },
  ];
  if (aws.historicColdMillis !== undefined && aws.historicWarmMillis !== undefined) {
    out.push(
      {
        name: 'dynamodb+s3 collector: containers at timestamp= (first, bodies fetched)',
        value: aws.historicColdMillis,
        unit: 'ms',
        ...(redis?.historicColdMillis === undefined ? {} : { baseline: { name: 'redis collector', value: redis.historicColdMillis } }),
        note: 'index query of 1–2 buckets + S3 GETs + decode + merge + render',
      },
      {
        name: 'dynamodb+s3 collector: containers at another timestamp= (bodies cached)',
        value: aws.historicWarmMillis,
        unit: 'ms',
        ...(redis?.historicWarmMillis === undefined ? {} : { baseline: { name: 'redis collector', value: redis.historicWarmMillis } }),
        note: 'median of 5; index query + merge + render (LRU body cache)',
      },
    );
  }
  return out;
}
