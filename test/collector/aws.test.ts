/**
 * The DynamoDB + S3 collector (issue #9) against dynalite and s3rver, through the official SDK:
 * two real `openscope --mode=app` replicas on one table + bucket with probes split between them
 * serve the same nodes (and a control crosses replicas through a Redis router); `timestamp=` a
 * minute back shows containers removed since (history written with an injected clock, no waiting);
 * a restart loses nothing; AWS down → the app keeps serving, queues, and writes once it is back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { WebSocket } from 'ws';
import { AwsCollector } from '../../src/app/collector/index.js';
import { AwsReportStore } from '../../src/app/collector/aws-store.js';
import { parseAwsUrl } from '../../src/app/collector/aws-url.js';
import { decodeReport } from '../../src/report/codec/index.js';
import { fixtureReport } from '../app/helpers.js';
import { getJson, startOpenScope, waitFor, type OpenScopeProcess } from '../helpers/openscope-process.js';
import { startLocalAws, type LocalAws } from './aws-helpers.js';
import { fakeProbeBody, redisAvailable, startRedis, type TestRedis } from './helpers.js';

const MIN = 60_000;
/** App start on a loaded machine: tsx compiles the app, the SDK loads. */
const SLOW = { timeoutMillis: 120_000 };
const nodeIds = (body: { nodes: Record<string, unknown> | null }): string[] => Object.keys(body.nodes ?? {}).sort();
const fixture = () => decodeReport(gunzipSync(fixtureReport(3).body), 'msgpack');
const withRedis = await redisAvailable();
if (!withRedis && process.env.CI === 'true') throw new Error('redis-server is required in CI');

async function post(app: OpenScopeProcess, body: Buffer, headers: Record<string, string>): Promise<number> {
  const res = await fetch(`${app.url}/api/report`, { method: 'POST', body, headers, signal: AbortSignal.timeout(15_000) });
  await res.arrayBuffer();
  return res.status;
}

function appArgs(aws: LocalAws, name: string, extra: string[] = []): string[] {
  return ['--mode=app', `--app.collector=${aws.dynamoUrl(name)}`, `--app.collector.s3=${aws.s3Url(name)}`, '--app.aws.create.tables', '--app.auth=none', ...extra];
}

/** A probe control channel on `app` that answers every control with its probe id and args. */
async function controlProbe(app: OpenScopeProcess, probeId: string): Promise<WebSocket> {
  const ws = new WebSocket(`${app.url.replace('http', 'ws')}/api/control/ws`, { headers: { 'X-Scope-Probe-ID': probeId } });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('control websocket did not open')), 10_000);
    ws.once('open', () => (clearTimeout(t), resolve()));
    ws.once('error', reject);
  });
  let seq: number | undefined;
  ws.on('message', (data: Buffer) => {
    const frame = JSON.parse(data.toString()) as { Request: { Seq: number } | null; Value: { ControlArgs?: unknown } | null };
    if (seq === undefined) {
      seq = frame.Request?.Seq;
      return;
    }
    const s = seq;
    seq = undefined;
    ws.send(JSON.stringify({ Request: null, Response: { ServiceMethod: 'control.Handle', Seq: s, Error: '' }, Value: null }));
    ws.send(JSON.stringify({ Request: null, Response: null, Value: { value: { probe: probeId, args: frame.Value?.ControlArgs ?? null } } }));
  });
  return ws;
}

describe('DynamoDB + S3 collector', () => {
  let aws: LocalAws;
  let redis: TestRedis | undefined;
  const apps: OpenScopeProcess[] = [];
  before(async () => {
    aws = await startLocalAws();
    if (withRedis) redis = await startRedis();
  });
  after(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await aws?.stop();
    await redis?.kill();
  });

  test('two replicas on one table + bucket, probes split: same nodes on both; a restart loses nothing', async () => {
    // A long window: on a loaded machine a restart may take longer than the default 15 s.
    const window = '--app.window=120s';
    const router = redis ? [window, `--app.control.router=${redis.url}`, `--app.pipe.router=${redis.url}`] : [window];
    // One after the other: two tsx compiles at once on a loaded machine take longer than both in turn.
    const a = await startOpenScope(appArgs(aws, 'replicas', router), SLOW);
    apps.push(a);
    const b = await startOpenScope(appArgs(aws, 'replicas', router), SLOW);
    apps.push(b);
    let posted = 0;
    for (const [app, host] of [[a, 'hosta'], [b, 'hostb']] as const) {
      const { body, headers } = fakeProbeBody(3, host);
      assert.equal(await post(app, body, headers), 200);
      posted++;
    }
    const same = async (): Promise<string[] | undefined> => {
      const fromA = nodeIds(await getJson(`${a.url}/api/topology/hosts`));
      const fromB = nodeIds(await getJson(`${b.url}/api/topology/hosts`));
      return fromA.length === 2 && fromA.join() === fromB.join() ? fromA : undefined;
    };
    const hosts = await waitFor('the same two hosts on both replicas', same, 15_000);
    assert.deepEqual(hosts.map((h) => h.replace(/;<host>$/, '')), ['hosta', 'hostb']);
    const containersA = nodeIds(await getJson(`${a.url}/api/topology/containers?system=all&stopped=both`));
    assert.ok(containersA.length > 0);
    assert.deepEqual(nodeIds(await getJson(`${b.url}/api/topology/containers?system=all&stopped=both`)), containersA);
    const api = await getJson<{ capabilities: Record<string, boolean> }>(`${a.url}/api`);
    assert.equal(api.capabilities.historic_reports, true);

    if (redis) {
      // Routing across replicas with a non-Redis collector: --app.control.router names Redis.
      const ws = await controlProbe(b, 'probe-on-b');
      try {
        const answer = await waitFor('a control through the other replica', async () => {
          const res = await fetch(`${a.url}/api/control/probe-on-b/node1/echo`, { method: 'POST', body: '{"x":"1"}', signal: AbortSignal.timeout(5000) });
          return res.status === 200 ? ((await res.json())) : undefined;
        }, 10_000);
        assert.deepEqual(answer, { value: { probe: 'probe-on-b', args: { x: '1' } } });
      } finally {
        ws.terminate();
      }
    }

    // Restart A: its hosts are back at once (from the index), and every acknowledged report is stored.
    const { body, headers } = fakeProbeBody(4, 'hostc');
    assert.equal(await post(a, body, headers), 200);
    posted++;
    await a.stop();
    const a2 = await startOpenScope(appArgs(aws, 'replicas', [window]), SLOW);
    apps.push(a2);
    const after = nodeIds(await getJson(`${a2.url}/api/topology/hosts`)).map((h) => h.replace(/;<host>$/, ''));
    assert.deepEqual(after, ['hosta', 'hostb', 'hostc'], 'the restarted replica serves the last window at once');
    const store = new AwsReportStore(parseAwsUrl(aws.dynamoUrl('replicas'), 'dynamodb'), parseAwsUrl(aws.s3Url('replicas'), 's3'), MIN);
    try {
      const items = await store.range(Date.now() - 10 * MIN, Date.now());
      assert.deepEqual(items.map((i) => i.probeId).sort(), ['probe-hosta', 'probe-hostb', 'probe-hostc']);
      assert.equal(items.length, posted);
      for (const i of items) assert.ok((await store.body(i.objectKey)).length > 0, `body of ${i.sk}`);
    } finally {
      store.close();
    }
  });

  test('timestamp= a minute back shows a container removed since', async () => {
    const containers = [...fixture().topologies.container.nodes.keys()];
    const removed = containers[0]!;
    const cid = removed.replace(/;<container>$/, '');
    const app = await startOpenScope(appArgs(aws, 'history'), SLOW);
    apps.push(app);
    // Two minutes of history ending now, written with an injected clock; the container goes
    // 40 s before the end, so "now" lacks it and one minute back has it.
    const end = Date.now();
    let now = end - 2 * MIN;
    const writer = new AwsCollector({
      dynamoUrl: aws.dynamoUrl('history'), s3Url: aws.s3Url('history'), windowMillis: 15_000, pollMillis: 3_600_000, now: () => now,
    });
    await writer.ready();
    const withoutRemoved = () => {
      const r = fixture();
      r.topologies.container.nodes.delete(removed);
      for (const [id, n] of r.topologies.process.nodes) {
        if (n.latest.get('docker_container_id')?.value === cid) r.topologies.process.nodes.delete(id);
      }
      return r;
    };
    try {
      for (; now <= end; now += 4000) await writer.add('probe-1', now > end - 40_000 ? withoutRemoved() : fixture(), now);
      // And the current window, at the real time (the replica folds it in at its next poll).
      now = Date.now();
      await writer.add('probe-1', withoutRemoved(), now);
      assert.equal(writer.queued, 0);
    } finally {
      await writer.close();
    }
    const current = await waitFor('the current window from the index', async () => {
      const ids = nodeIds(await getJson(`${app.url}/api/topology/containers?system=all&stopped=both`));
      return ids.length > 0 ? ids : undefined;
    }, 10_000);
    assert.ok(!current.includes(removed), `${removed} is gone now`);
    const past = new Date(end - MIN).toISOString();
    const then = nodeIds(await getJson(`${app.url}/api/topology/containers?system=all&stopped=both&timestamp=${past}`));
    assert.ok(then.includes(removed), `${removed} was there a minute ago: ${then.join(', ')}`);
    // The timeline knows where the stored history starts (the table's marker item).
    const history = await getJson<{ oldest: string | null }>(`${app.url}/api/history`);
    assert.equal(history.oldest, new Date(end - 2 * MIN).toISOString());
    const long = new Date(end - 10 * MIN).toISOString();
    assert.deepEqual(nodeIds(await getJson(`${app.url}/api/topology/containers?timestamp=${long}`)), [], 'nothing before the history');
  });

  test('DynamoDB down: the collector keeps serving, acknowledges from its queue, writes everything once back', async () => {
    const c = new AwsCollector({ dynamoUrl: aws.dynamoUrl('outage'), s3Url: aws.s3Url('outage'), createTables: true, windowMillis: 15_000, writeDeadlineMillis: 1000 });
    await c.ready();
    try {
      const t0 = Date.now();
      await c.add('probe-x', fixture(), t0);
      await aws.pauseDynamo();
      for (let i = 1; i <= 3; i++) await c.add('probe-x', fixture(), t0 + i);
      assert.ok(c.queued > 0, 'reports wait in the retry queue');
      assert.ok((await c.report()).topologies.container.nodes.size > 0, 'still serving');
      await aws.resumeDynamo();
      await waitFor('the queue to drain', async () => (c.queued === 0 ? true : undefined), 20_000);
      const store = new AwsReportStore(parseAwsUrl(aws.dynamoUrl('outage'), 'dynamodb'), parseAwsUrl(aws.s3Url('outage'), 's3'), MIN);
      try {
        assert.equal((await store.range(t0 - 1, t0 + 10)).length, 4, 'every acknowledged report is stored');
      } finally {
        store.close();
      }
    } finally {
      await aws.resumeDynamo().catch(() => undefined);
      await c.close();
    }
  });
});
