import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcFileReader } from '../../src/probe/procfs/read.js';
import { ProcWalker } from '../../src/probe/procfs/walker.js';
import { createProcessReporter, omitArgs } from '../../src/probe/process/reporter.js';
import { isKernelThread, parseCmdline, parsePidStat, parseProcStat, parseMaxOpenFiles, type PidStat } from '../../src/probe/procfs/parse.js';
import type { Report } from '../../src/report/types.js';
import { killAll, waitFor } from './helpers.js';

const children: ChildProcess[] = [];
after(() => killAll(children));

test('process reporter finds a spawned sleep with pid, ppid, name, cmdline, threads and metrics', async () => {
  const child = spawn('sleep', ['300', '2'], { stdio: 'ignore' });
  children.push(child);
  const walker = new ProcWalker();
  const reporter = createProcessReporter({ hostId: 'h', walker, omitCmdArgs: false });
  const node = await waitFor('sleep node', async () => {
    await walker.walk();
    return (await reporter.report()).topologies.process.nodes.get(`h;${child.pid}`);
  }, 5000);
  const latest = (k: string): string | undefined => node.latest.get(k)?.value;
  assert.equal(node.topology, 'process');
  assert.equal(latest('pid'), String(child.pid));
  assert.equal(latest('ppid'), String(process.pid));
  assert.match(latest('name') ?? '', /sleep$/);
  assert.equal(latest('cmdline'), 'sleep 300 2 ', 'Scope form: NULs → spaces, trailing space');
  assert.equal(latest('threads'), '1');
  const mem = node.metrics.get('process_memory_usage_bytes');
  assert.ok(mem && mem.samples.length === 1 && mem.samples[0]!.value > 0);
  const files = node.metrics.get('open_files_count');
  assert.ok(files && files.samples[0]!.value >= 0 && files.max > 0, 'open files with the soft limit as max');
  // A second tick has a CPU delta.
  await walker.walk();
  const again = (await reporter.report()).topologies.process.nodes.get(`h;${child.pid}`)!;
  const cpu = again.metrics.get('process_cpu_usage_percent');
  assert.ok(cpu, 'cpu metric');
  assert.ok(cpu.samples[0]!.value >= 0);
  assert.equal(cpu.max % 100, 0, 'max = CPUs × 100');
});

test('open file counts equal the entries of /proc/<pid>/fd; kernel threads have none', async () => {
  const child = spawn('sleep', ['302'], { stdio: 'ignore' });
  children.push(child);
  const walker = new ProcWalker();
  const reporter = createProcessReporter({ hostId: 'h', walker, omitCmdArgs: false });
  const files = (rpt: Report, pid: number): number | undefined => rpt.topologies.process.nodes.get(`h;${pid}`)?.metrics.get('open_files_count')?.samples[0]?.value;
  // Until it has exec'd, the child still holds the fd Node's spawn uses to report exec errors; the
  // count is refreshed every few ticks, so tick until it matches the directory (times out if never).
  const rpt = await waitFor('fd count of the sleep = entries of its fd directory', async () => {
    await walker.walk();
    const r = await reporter.report();
    const node = r.topologies.process.nodes.get(`h;${child.pid}`);
    if (node?.latest.get('cmdline')?.value !== 'sleep 302 ') return undefined;
    return files(r, child.pid!) === readdirSync(`/proc/${child.pid}/fd`).length ? r : undefined;
  }, 5000, 50);
  assert.ok(files(rpt, child.pid!)! >= 3, 'stdin, stdout, stderr at least');
  const kthreadd = walker.snapshot!.procs.get(2);
  if (kthreadd && kthreadd.name === '[kthreadd]') assert.equal(files(rpt, 2), 0);
});

test('--probe.omit.cmd-args keeps only the first token', async () => {
  const child = spawn('sleep', ['301'], { stdio: 'ignore' });
  children.push(child);
  const walker = new ProcWalker();
  const reporter = createProcessReporter({ hostId: 'h', walker, omitCmdArgs: true });
  const node = await waitFor('sleep node', async () => {
    await walker.walk();
    return (await reporter.report()).topologies.process.nodes.get(`h;${child.pid}`);
  }, 5000);
  assert.equal(node.latest.get('cmdline')?.value, 'sleep');
  assert.equal(omitArgs('/bin/x -a -b'), '/bin/x');
});

test('zombies are not reported; exited processes disappear', async () => {
  const child = spawn('sh', ['-c', 'exit 0'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((r) => child.on('exit', r));
  const walker = new ProcWalker();
  await walker.walk();
  const rpt = await createProcessReporter({ hostId: 'h', walker, omitCmdArgs: false }).report();
  assert.equal(rpt.topologies.process.nodes.has(`h;${child.pid}`), false);
});

test('stat parsing counts fields from the last ")", so odd comm names do not shift them', () => {
  const line = '1234 (we ird) (x) S 77 1 1 0 -1 4194304 100 0 0 0 12 34 0 0 20 0 3 0 5555 1000 250 18446744073709551615 1 1 0 0 0\n';
  const buf = Buffer.from(line);
  const st: PidStat = { state: 0, ppid: 0, flags: 0, jiffies: 0, threads: 0, startTime: 0, rssPages: 0, rssLimitBytes: 0 };
  const comm = parsePidStat(buf, buf.length, st);
  assert.ok(comm);
  assert.equal(buf.toString('utf8', comm[0], comm[1]), 'we ird) (x');
  assert.equal(String.fromCharCode(st.state), 'S');
  assert.equal(st.ppid, 77);
  assert.equal(st.flags, 4194304);
  assert.equal(isKernelThread(st.flags), false);
  assert.equal(isKernelThread(0x00208040), true); // kthreadd's flags (PF_KTHREAD | PF_NOFREEZE | PF_FORKNOEXEC)
  assert.equal(st.jiffies, 46);
  assert.equal(st.threads, 3);
  assert.equal(st.startTime, 5555);
  assert.equal(st.rssPages, 250);
  assert.equal(st.rssLimitBytes, 2 ** 64);
  assert.equal(parsePidStat(Buffer.from('garbage'), 7, st), undefined);
});

test('/proc/stat, limits and cmdline parsing', () => {
  const cpu = parseProcStat('cpu  10 20 30 400 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8\ncpu1 1 2 3 4 5 6 7 8\nintr 1\n');
  assert.deepEqual(cpu, { idle: 405, total: 486, cpus: 2 });
  assert.equal(parseMaxOpenFiles('Limit   Soft Limit   Hard Limit   Units\nMax open files            1024                 524288               files\n'), 1024);
  const cmd = Buffer.from('/usr/bin/node\0-e\0x\0');
  assert.deepEqual(parseCmdline(cmd, cmd.length), ['/usr/bin/node', '/usr/bin/node -e x ']);
});

test('idle processes are re-read less often (0 % CPU meanwhile); busy ones every tick, with their CPU', async () => {
  const idle = spawn('sleep', ['300'], { stdio: 'ignore' });
  const busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  children.push(idle, busy);
  const walker = new ProcWalker();
  const reporter = createProcessReporter({ hostId: 'h', walker, omitCmdArgs: false });
  const cpuOf = (r: Awaited<ReturnType<typeof reporter.report>>, pid: number | undefined): number | undefined =>
    r.topologies.process.nodes.get(`h;${pid}`)?.metrics.get('process_cpu_usage_percent')?.samples[0]?.value;
  let skipped = false;
  let busyCpu = 0;
  for (let i = 0; i < 10; i++) {
    await walker.walk();
    const rpt = await reporter.report();
    assert.ok(rpt.topologies.process.nodes.has(`h;${idle.pid}`), 'the idle process is reported every tick');
    const info = walker.snapshot!.procs.get(idle.pid!)!;
    if (info.nextReadTick > i + 2) skipped = true;
    if (i >= 5) {
      assert.equal(cpuOf(rpt, idle.pid), 0);
      busyCpu += cpuOf(rpt, busy.pid) ?? 0;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(skipped, 'the idle process was skipped at least once');
  assert.ok(busyCpu > 0, 'the busy process shows its CPU');
});

test('an idle process that opens files without using a clock tick of CPU has its fd count refreshed within the idle bound', async () => {
  // A node child that, once idle, opens 20 files on a line from stdin (microseconds of CPU).
  const child = spawn(process.execPath, ['-e', `
    const fs = require('fs'); const held = [];
    process.stdin.once('data', () => { for (let i = 0; i < 20; i++) held.push(fs.openSync('/dev/null', 'r')); });
    setInterval(() => {}, 1 << 30);`], { stdio: ['pipe', 'ignore', 'ignore'] });
  children.push(child);
  const walker = new ProcWalker();
  const count = (): number | undefined => walker.snapshot?.procs.get(child.pid!)?.openFiles;
  // Let it start and settle: walked until idle (no CPU used between reads) and counted.
  await waitFor('child idle and counted', async () => {
    await walker.walk();
    const p = walker.snapshot!.procs.get(child.pid!);
    return p !== undefined && p.idleReads >= 2 && p.openFiles === readdirSync(`/proc/${child.pid}/fd`).length ? p : undefined;
  }, 20_000, 100);
  const before = count()!;
  child.stdin.write('go\n');
  await waitFor('files opened', () => Promise.resolve(readdirSync(`/proc/${child.pid}/fd`).length >= before + 20 ? true : undefined), 5000, 20);
  // Idle processes are recounted at least every 12 ticks (read every third tick at worst).
  let walks = 0;
  while (count() !== readdirSync(`/proc/${child.pid}/fd`).length && walks < 16) {
    await walker.walk();
    walks++;
  }
  assert.equal(count(), readdirSync(`/proc/${child.pid}/fd`).length, `fd count followed within ${walks} walks`);
  walker.close();
});

test('single-read procfs helpers return the whole file, falling back to reading on for long or unterminated ones', () => {
  const reader = new ProcFileReader();
  const text = (n: number): string => reader.buffer.toString('latin1', 0, n);
  for (const f of ['limits', 'cgroup']) {
    const path = `/proc/self/${f}`;
    assert.equal(text(reader.readSingle(path)), readFileSync(path, 'latin1'), f);
  }
  const cmdline = readFileSync('/proc/self/cmdline', 'latin1');
  assert.equal(text(reader.readCmdline('/proc/self/cmdline')), cmdline);
  assert.equal(reader.readSingle('/proc/self/no-such-file'), -1);
  assert.equal(reader.readCmdline('/proc/no-such-pid/cmdline'), -1);
  // Longer than the reader's buffer, and not ending in a newline: both read on to the end.
  const dir = mkdtempSync(join(tmpdir(), 'procread-'));
  try {
    const long = join(dir, 'long');
    const body = 'x'.repeat(200_000);
    writeFileSync(long, body);
    assert.equal(reader.readCmdline(long), body.length);
    assert.equal(reader.readSingle(long), body.length);
    const short = join(dir, 'short');
    writeFileSync(short, 'no newline');
    assert.equal(text(reader.readSingle(short)), 'no newline');
    // readInto (sequential reads) and preadInto (pread at each offset) read a file past the
    // buffer's size whole; readInto also a multi-record seq_file, whose reads stop at records.
    const longer = 'y'.repeat(300_000);
    writeFileSync(long, longer);
    assert.equal(text(reader.readInto(long)), longer);
    const fd = openSync(long, 'r');
    try {
      assert.equal(text(reader.preadInto(fd)), longer);
    } finally {
      closeSync(fd);
    }
    assert.equal(reader.readInto(join(dir, 'missing')), -1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * A process in a network namespace of its own holding `listeners` listening sockets on loopback,
 * so that its net/tcp table is stable (the host's changes as other tests run, and the timer
 * columns of TIME_WAIT sockets change by themselves). Needs root, as the probe does.
 */
async function privateTcpTable(listeners: number): Promise<{ path: string; stop: () => void }> {
  const script = `const net = require('net'); let n = 0; const N = Number(process.argv[1]);
    for (let i = 0; i < N; i++) net.createServer().listen(0, '127.0.0.1', () => { if (++n === N) console.log('ready'); });
    setInterval(() => {}, 1000);`;
  const child = spawn('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" -e "$1" "$2"', process.execPath, script, String(listeners)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const state = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('did not get ready within 30 s'), 30_000);
    child.stdout.once('data', () => {
      clearTimeout(timer);
      resolve('ready');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(`exited with ${code}`);
    });
  });
  if (state !== 'ready') {
    child.kill('SIGKILL');
    assert.fail(`unshare -n + node listeners: ${state}`);
  }
  return { path: `/proc/${child.pid}/net/tcp`, stop: () => child.kill('SIGKILL') };
}

test('readInto and readSeqFile read a TCP table as readFileSync does, one record (one read) and past a page', async () => {
  const reader = new ProcFileReader();
  const text = (n: number): string => reader.buffer.toString('latin1', 0, n);
  // One listener: 2 lines. 60 listeners: 61 lines of 150 bytes, over two 4-KiB pages, so the
  // first read is not the whole file (fails if readSeqFile stops after it, or at a page-sized read).
  for (const listeners of [1, 60]) {
    const table = await privateTcpTable(listeners);
    try {
      const expected = readFileSync(table.path, 'latin1');
      assert.equal(expected.split('\n').length - 1, listeners + 1, `${listeners}: the table holds the listeners`);
      assert.equal(text(reader.readSeqFile(table.path)), expected, `readSeqFile, ${listeners} listener(s)`);
      assert.equal(text(reader.readInto(table.path)), expected, `readInto, ${listeners} listener(s)`);
    } finally {
      table.stop();
    }
  }
  assert.equal(reader.readSeqFile('/proc/self/net/no-such-table'), -1);
});
