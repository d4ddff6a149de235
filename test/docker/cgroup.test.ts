/**
 * Reading container cgroups, v2 and v1 layouts, on real files laid out as the kernel does (this
 * machine runs one of the two; the other is built in a temporary directory), plus the pid → container
 * lookup from /proc/<pid>/cgroup and the CPU percentage between readings.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CgroupReader, LIMIT_EVERY_READS, MEMORY_STAT_EVERY_READS, containerIdsInCgroup, containerIdsInCgroupBytes } from '../../src/probe/docker/cgroup.js';
import { ContainerMetrics } from '../../src/probe/docker/metrics.js';

const ID = 'ab'.repeat(32);
const root = mkdtempSync(join(tmpdir(), 'osdk-cgroup-'));
after(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

test('cgroup v2: found through /proc/<pid>/cgroup; usage − inactive_file; max → unlimited', async () => {
  const cg = join(root, 'v2/cg');
  const proc = join(root, 'v2/proc');
  const dir = join(cg, `system.slice/docker-${ID}.scope`);
  write(join(cg, 'cgroup.controllers'), 'cpu memory\n');
  write(join(dir, 'cpu.stat'), 'usage_usec 1500\nuser_usec 1000\nsystem_usec 500\n');
  write(join(dir, 'memory.current'), '10000\n');
  write(join(dir, 'memory.max'), 'max\n');
  write(join(dir, 'memory.stat'), 'anon 6000\nfile 4000\ninactive_file 3000\n');
  write(join(proc, '77/cgroup'), `0::/system.slice/docker-${ID}.scope\n`);
  const reader = new CgroupReader({ cgroupRoot: cg, procRoot: proc });
  assert.deepEqual(await reader.read(ID, 77), { cpuUsageNanos: 1_500_000, memoryBytes: 7000, memoryLimitBytes: Infinity });
  // Without a pid, the usual systemd-driver path is guessed.
  assert.equal((await new CgroupReader({ cgroupRoot: cg, procRoot: proc }).read(ID, 0)).memoryBytes, 7000);
});

test('cgroup v1 (cgroupfs driver): cpuacct.usage; usage − cache; the limit', async () => {
  const cg = join(root, 'v1/cg');
  write(join(cg, `cpu,cpuacct/docker/${ID}/cpuacct.usage`), '123456789\n');
  write(join(cg, `memory/docker/${ID}/memory.usage_in_bytes`), '5000\n');
  write(join(cg, `memory/docker/${ID}/memory.limit_in_bytes`), '9223372036854771712\n');
  write(join(cg, `memory/docker/${ID}/memory.stat`), 'cache 1200\nrss 3800\ntotal_cache 1200\n');
  const reader = new CgroupReader({ cgroupRoot: cg, procRoot: join(root, 'nowhere') });
  const s = await reader.read(ID, 0);
  assert.equal(s.cpuUsageNanos, 123456789);
  assert.equal(s.memoryBytes, 3800);
  await assert.rejects(reader.read('cd'.repeat(32), 0), /not found/);
});

test('CPU percentage from two readings is a share of the whole host; the stats API is the fallback', async () => {
  const cg = join(root, 'v1b/cg');
  const usage = join(cg, `cpuacct/docker/${ID}/cpuacct.usage`);
  write(usage, '0\n');
  write(join(cg, `memory/docker/${ID}/memory.usage_in_bytes`), '5000\n');
  write(join(cg, `memory/docker/${ID}/memory.limit_in_bytes`), '8000\n');
  write(join(cg, `memory/docker/${ID}/memory.stat`), 'cache 0\n');
  let statsCalls = 0;
  const m = new ContainerMetrics(new CgroupReader({ cgroupRoot: cg, procRoot: join(root, 'nowhere') }), async () => {
    statsCalls++;
    return { memory_stats: { usage: 42, limit: 100 }, cpu_stats: { cpu_usage: { total_usage: 5 } } };
  });
  const first = (await m.collect([{ id: ID, pid: 0 }])).get(ID)!;
  assert.equal(first.get('docker_memory_usage')?.samples[0]?.value, 5000);
  assert.equal(first.get('docker_memory_usage')?.max, 8000);
  assert.equal(first.has('docker_cpu_total_usage'), false, 'CPU needs two readings');
  await new Promise((r) => setTimeout(r, 50));
  writeFileSync(usage, String(10_000_000)); // 10 ms of CPU
  const cpu = (await m.collect([{ id: ID, pid: 0 }])).get(ID)!.get('docker_cpu_total_usage')!;
  assert.ok(cpu.samples[0]!.value > 0 && cpu.samples[0]!.value <= 100, String(cpu.samples[0]!.value));
  assert.equal(cpu.max, 100);
  assert.equal(statsCalls, 0, 'no Docker stats call while the cgroup is readable');

  const other = 'ef'.repeat(32);
  assert.equal((await m.collect([{ id: other, pid: 0 }])).size, 0, 'nothing yet: the stats call runs in the background');
  await new Promise((r) => setTimeout(r, 20));
  const fallback = (await m.collect([{ id: other, pid: 0 }])).get(other)!;
  assert.equal(fallback.get('docker_memory_usage')?.samples[0]?.value, 42);
  assert.ok(statsCalls >= 1);
});

test('container ids in /proc/<pid>/cgroup texts', () => {
  assert.deepEqual(containerIdsInCgroup(`12:memory:/docker/${ID}\n0::/docker/${ID}\n`), [ID, ID]);
  assert.deepEqual(containerIdsInCgroup(`0::/system.slice/docker-${ID}.scope\n`), [ID]);
  assert.deepEqual(containerIdsInCgroup('0::/user.slice/user-0.slice/session-1.scope\n'), []);
});

test('container ids from /proc/<pid>/cgroup bytes: exactly 64 hex digits, de-duplicated', () => {
  const ids = (text: string): readonly string[] => {
    const buf = Buffer.alloc(text.length + 16, 0x61); // trailing garbage past `length` is ignored
    buf.write(text, 'latin1');
    return containerIdsInCgroupBytes(buf, text.length);
  };
  assert.deepEqual(ids(`12:memory:/docker/${ID}\n0::/docker/${ID}\n`), [ID]);
  assert.deepEqual(ids(`0::/system.slice/docker-${ID}.scope`), [ID]);
  assert.deepEqual(ids(`0::/kubepods/pod1/${ID}/${'cd'.repeat(32)}\n`), [ID, 'cd'.repeat(32)]);
  assert.deepEqual(ids(`0::/x/${ID}0\n`), [], '65 hex digits are not an id');
  assert.deepEqual(ids('0::/user.slice/user-0.slice/session-1.scope\n'), []);
});

test('cgroup files stay open between readings, pick up new values, and are closed by forget/close', async () => {
  const cg = join(root, 'v2open/cg');
  const dir = join(cg, `docker/${ID}`);
  write(join(cg, 'cgroup.controllers'), 'cpu memory\n');
  write(join(dir, 'cpu.stat'), 'usage_usec 1\nuser_usec 1\n');
  write(join(dir, 'memory.current'), '100\n');
  write(join(dir, 'memory.max'), '4096\n');
  write(join(dir, 'memory.stat'), 'anon 1\ninactive_file 40\n');
  const fdCount = (): number => readdirSync('/proc/self/fd').length;
  const before = fdCount();
  const reader = new CgroupReader({ cgroupRoot: cg, procRoot: join(root, 'nowhere') });
  assert.deepEqual(await reader.read(ID, 0), { cpuUsageNanos: 1000, memoryBytes: 60, memoryLimitBytes: 4096 });
  assert.equal(reader.openCount, 1);
  assert.equal(fdCount(), before + 4);
  writeFileSync(join(dir, 'cpu.stat'), 'usage_usec 123456789012\nuser_usec 1\n'); // same inode, rewritten
  writeFileSync(join(dir, 'memory.current'), '200\n');
  assert.deepEqual(await reader.read(ID, 0), { cpuUsageNanos: 123456789012000, memoryBytes: 160, memoryLimitBytes: 4096 });
  assert.equal(fdCount(), before + 4, 'no new file opened');
  // The page cache figure and the limit change slowly and are re-read every few readings.
  writeFileSync(join(dir, 'memory.stat'), 'anon 1\ninactive_file 100\n');
  writeFileSync(join(dir, 'memory.max'), 'max\n');
  let last = await reader.read(ID, 0);
  for (let i = 0; i < Math.max(LIMIT_EVERY_READS, MEMORY_STAT_EVERY_READS); i++) last = await reader.read(ID, 0);
  assert.deepEqual(last, { cpuUsageNanos: 123456789012000, memoryBytes: 100, memoryLimitBytes: Infinity });
  reader.forget(ID);
  assert.equal(fdCount(), before);
  await reader.read(ID, 0);
  reader.close();
  assert.equal(reader.openCount, 0);
  assert.equal(fdCount(), before);

  writeFileSync(join(dir, 'cpu.stat'), 'user_usec 1\n');
  await assert.rejects(reader.read(ID, 0), /usage_usec/, 'a file without the number is an error');
  assert.equal(reader.openCount, 0, 'and the files are closed again');
});
