/**
 * Process reporter (wire §5.4): one node `<hostID>;<pid>` per live process from the shared
 * walker's latest snapshot, with pid/ppid/name/cmdline/threads and CPU, memory and open-file
 * metrics (one sample per spy tick; the publish merge accumulates them).
 */
import { makeSparseReport, makeNode } from '../../report/model.js';
import { nowTime } from '../../report/time.js';
import type { Report, Topology } from '../../report/types.js';
import type { Reporter } from '../types.js';
import type { ProcInfo, ProcWalker } from '../procfs/walker.js';
import { metadataTemplate, metricTemplate, setLatest, singletonMetric } from '../node-util.js';

/** Options of {@link createProcessReporter}. */
export interface ProcessReporterOptions {
  hostId: string;
  walker: ProcWalker;
  /** `--probe.omit.cmd-args`: keep only the text before the first space of `cmdline`. */
  omitCmdArgs: boolean;
}

/** Adds the process topology's templates (wire §5.4). */
export function addProcessTemplates(t: Topology): void {
  t.metadataTemplates.set('pid', metadataTemplate('pid', 'PID', 1, { dataType: 'number' }));
  t.metadataTemplates.set('cmdline', metadataTemplate('cmdline', 'Command', 2));
  t.metadataTemplates.set('ppid', metadataTemplate('ppid', 'Parent PID', 3, { dataType: 'number' }));
  t.metadataTemplates.set('threads', metadataTemplate('threads', '# Threads', 4, { dataType: 'number' }));
  t.metricTemplates.set('process_cpu_usage_percent', metricTemplate('process_cpu_usage_percent', 'CPU', 'percent', 1));
  t.metricTemplates.set('process_memory_usage_bytes', metricTemplate('process_memory_usage_bytes', 'Memory', 'filesize', 2));
  t.metricTemplates.set('open_files_count', metricTemplate('open_files_count', 'Open files', 'integer', 3));
}

/** Scope's `--probe.omit.cmd-args` censoring: the text before the first space. */
export function omitArgs(cmdline: string): string {
  const space = cmdline.indexOf(' ');
  return space < 0 ? cmdline : cmdline.slice(0, space);
}

/**
 * The strings a process's node repeats every tick (its id, pid, thread count, parent pid,
 * command line), kept per process so an idle host's tick does not format them all again.
 */
interface ProcessTexts {
  id: string;
  pid: string;
  threads: number;
  threadsText: string;
  ppid: number;
  ppidText: string;
  cmdline: string;
}

export function createProcessReporter(opts: ProcessReporterOptions): Reporter {
  // Keyed by the walker's ProcInfo, which lives as long as the process (a reused pid is a new one).
  const texts = new WeakMap<ProcInfo, ProcessTexts>();
  const textsOf = (p: ProcInfo): ProcessTexts => {
    let t = texts.get(p);
    if (t === undefined) {
      t = {
        id: `${opts.hostId};${p.pid}`,
        pid: String(p.pid),
        threads: p.threads,
        threadsText: String(p.threads),
        ppid: p.ppid,
        ppidText: String(p.ppid),
        cmdline: opts.omitCmdArgs ? omitArgs(p.cmdline) : p.cmdline,
      };
      texts.set(p, t);
      return t;
    }
    if (t.threads !== p.threads) {
      t.threads = p.threads;
      t.threadsText = String(p.threads);
    }
    if (t.ppid !== p.ppid) {
      t.ppid = p.ppid;
      t.ppidText = String(p.ppid);
    }
    return t;
  };
  return {
    name: 'process',
    async report(): Promise<Report> {
      const snap = opts.walker.snapshot ?? (await opts.walker.walk());
      const rpt = makeSparseReport('process');
      const topology = rpt.topologies.process;
      addProcessTemplates(topology);
      const ts = nowTime();
      const maxCpu = snap.cpus * 100;
      // forEach, not for…of: an unoptimised Map iterator allocates a result object per process.
      snap.procs.forEach((p) => {
        if (p.defunct) return;
        const text = textsOf(p);
        const node = makeNode(text.id, 'process');
        setLatest(node, 'pid', text.pid, ts);
        setLatest(node, 'threads', text.threadsText, ts);
        if (p.name !== '') setLatest(node, 'name', p.name, ts);
        if (text.cmdline !== '') setLatest(node, 'cmdline', text.cmdline, ts);
        if (p.ppid > 0) setLatest(node, 'ppid', text.ppidText, ts);
        node.metrics.set('process_memory_usage_bytes', singletonMetric(ts, p.rssBytes, p.rssLimitBytes));
        if (p.openFiles !== undefined) {
          node.metrics.set('open_files_count', singletonMetric(ts, p.openFiles, p.openFilesLimit));
        }
        if (p.cpuWindowJiffies > 0) {
          // Scope's definition: share of all CPUs' time, max = CPUs × 100 (wire §5.4, §6.4 item 35),
          // over the window since this process's previous read (one tick, or more if it was idle).
          const cpu = (100 * (p.jiffies - (p.prevJiffies ?? 0))) / p.cpuWindowJiffies;
          node.metrics.set('process_cpu_usage_percent', singletonMetric(ts, cpu, maxCpu));
        }
        topology.nodes.set(node.id, node);
      });
      return rpt;
    },
  };
}
