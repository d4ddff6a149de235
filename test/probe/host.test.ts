import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createHostReporter, createHostTagger, createTopologyTagger } from '../../src/probe/host/reporter.js';
import { localNetworks, parseMemInfo } from '../../src/probe/host/system.js';
import { ProcFileReader } from '../../src/probe/procfs/read.js';
import { makeNode, makeReport } from '../../src/report/model.js';

test('host reporter on this machine: facts, local networks, metrics with samples, control', async () => {
  const reporter = createHostReporter({ hostId: hostname(), probeId: 'abc', version: 'test', procRoot: '/proc', controlsEnabled: true });
  await reporter.report();
  await sleep(50);
  const rpt = await reporter.report();
  const node = rpt.topologies.host.nodes.get(`${hostname()};<host>`);
  assert.ok(node, 'host node present');
  assert.equal(node.topology, 'host');
  const latest = (k: string): string | undefined => node.latest.get(k)?.value;
  assert.equal(latest('host_name'), hostname());
  assert.equal(latest('os'), 'linux');
  assert.equal(latest('control_probe_id'), 'abc');
  assert.equal(latest('host_scope_version'), 'test');
  assert.equal(latest('active_controls'), 'host_exec');
  assert.match(latest('kernel_version') ?? '', /^\d+\.\d+\S* #/);
  assert.match(latest('uptime') ?? '', /^\d+$/);
  const nets = node.sets.get('local_networks') ?? [];
  assert.ok(nets.includes('127.0.0.1/8'), `loopback in ${nets.join(',')}`);
  assert.deepEqual([...nets].sort(), nets, 'sorted set');
  for (const key of ['host_cpu_usage_percent', 'host_mem_usage_bytes', 'load1']) {
    const m = node.metrics.get(key);
    assert.ok(m, `${key} present`);
    assert.equal(m.samples.length, 1);
    assert.ok(Number.isFinite(m.samples[0]!.value));
  }
  const cpu = node.metrics.get('host_cpu_usage_percent')!;
  assert.equal(cpu.max, 100);
  assert.ok(cpu.samples[0]!.value >= 0 && cpu.samples[0]!.value <= 100);
  const mem = node.metrics.get('host_mem_usage_bytes')!;
  assert.ok(mem.samples[0]!.value > 0 && mem.samples[0]!.value < mem.max);
  assert.equal(rpt.topologies.host.controls.get('host_exec')?.human, 'Exec shell');
  assert.equal(rpt.topologies.host.metadataTemplates.get('local_networks')?.from, 'sets');
});

test('host reporter without controls advertises none', async () => {
  const rpt = await createHostReporter({ hostId: 'h', probeId: 'p', version: 'v', procRoot: '/proc', controlsEnabled: false }).report();
  assert.equal(rpt.topologies.host.controls.size, 0);
  assert.equal(rpt.topologies.host.nodes.get('h;<host>')?.latest.has('active_controls'), false);
});

test('local networks are CIDRs with host bits, IPv4 and non-link-local IPv6', () => {
  const nets = localNetworks();
  for (const n of nets) assert.match(n, /^[0-9a-f.:]+\/\d+$/);
  assert.ok(!nets.some((n) => n.startsWith('fe80')));
});

test('meminfo: used = total − free − buffers − cached, in bytes', () => {
  const m = parseMemInfo('MemTotal:  1000 kB\nMemFree:  100 kB\nBuffers:  50 kB\nCached:  250 kB\n');
  assert.deepEqual(m, { usedBytes: 600 * 1024, totalBytes: 1000 * 1024 });
  assert.equal(parseMemInfo('garbage'), undefined);
});

test('host tagger links process/container/image/host nodes; topology tagger names every node', async () => {
  const rpt = makeReport();
  rpt.topologies.process.nodes.set('h;1', makeNode('h;1'));
  rpt.topologies.endpoint.nodes.set(';1.2.3.4;80', makeNode(';1.2.3.4;80'));
  await createHostTagger('h').tag(rpt);
  await createTopologyTagger().tag(rpt);
  const p = rpt.topologies.process.nodes.get('h;1')!;
  assert.equal(p.latest.get('host_node_id')?.value, 'h;<host>');
  assert.deepEqual(p.parents.get('host'), ['h;<host>']);
  assert.equal(p.topology, 'process');
  const e = rpt.topologies.endpoint.nodes.get(';1.2.3.4;80')!;
  assert.equal(e.latest.has('host_node_id'), false);
  assert.equal(e.topology, 'endpoint');
});

test('kept-open procfs reads see fresh content on every call, and closeKept releases the fds', async () => {
  const reader = new ProcFileReader();
  // Only this process's fds on /proc/uptime are counted: the process opens and closes others at
  // any time (tsx writes its transform cache asynchronously, for one), so a count of all its fds
  // failed about once in ten runs. The host reporter of the first test keeps one open too.
  const uptimeFds = (): number =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === '/proc/uptime';
      } catch {
        return false; // closed meanwhile (or the directory's own fd)
      }
    }).length;
  const before = uptimeFds();
  const first = Number(reader.readKeptText('/proc/uptime')?.split(' ')[0]);
  await sleep(120);
  const second = Number(reader.readKeptText('/proc/uptime')?.split(' ')[0]);
  assert.ok(second > first, `uptime moved: ${first} → ${second}`);
  assert.equal(uptimeFds(), before + 1, 'one fd kept for the file');
  assert.equal(reader.readKept('/proc/no-such-file'), -1);
  reader.closeKept();
  assert.equal(uptimeFds(), before);
});

test('preadSingle: whole-file procfs reads match a full read; files that do not end in a newline are read to the end', () => {
  const reader = new ProcFileReader();
  const full = new ProcFileReader();
  for (const path of ['/proc/self/stat', '/proc/meminfo', '/proc/stat', '/proc/loadavg']) {
    const fd = openSync(path, 'r');
    try {
      const n = reader.preadSingle(fd);
      const m = full.preadInto(fd);
      assert.ok(n > 0 && reader.buffer[n - 1] === 10, `${path}: a whole line-terminated file`);
      // Counters move between the two reads; the line structure does not.
      const lines = (r: ProcFileReader, k: number): string[] => r.buffer.toString('latin1', 0, k).split('\n').map((l) => l.split(/[\s:]/)[0]!);
      assert.deepEqual(lines(reader, n), lines(full, m), path);
    } finally {
      closeSync(fd);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'preadsingle-'));
  try {
    const file = join(dir, 'f');
    const text = 'x'.repeat(70_000); // larger than the 64-KiB buffer, no trailing newline
    writeFileSync(file, text);
    const fd = openSync(file, 'r');
    try {
      assert.equal(reader.preadSingle(fd), text.length);
    } finally {
      closeSync(fd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(reader.preadSingle(1_000_000), -1, 'a bad fd is unreadable');
});
