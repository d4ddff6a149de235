/**
 * Process reporter (wire §5.4): one node `<hostID>;<pid>` per live process from the shared
 * walker's latest snapshot, with pid/ppid/name/cmdline/threads and CPU, memory and open-file
 * metrics (one sample per spy tick; the publish merge accumulates them).
 */
import { makeSparseReport, makeNode } from '../../report/model.js';
import { nowTime } from '../../report/time.js';
import type { Report, Topology } from '../../report/types.js';
import type { Reporter } from '../types.js';
import type { ProcWalker } from '../procfs/walker.js';
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

export function createProcessReporter(opts: ProcessReporterOptions): Reporter {
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
        const node = makeNode(`${opts.hostId};${p.pid}`, 'process');
        setLatest(node, 'pid', String(p.pid), ts);
        setLatest(node, 'threads', String(p.threads), ts);
        if (p.name !== '') setLatest(node, 'name', p.name, ts);
        if (p.cmdline !== '') setLatest(node, 'cmdline', opts.omitCmdArgs ? omitArgs(p.cmdline) : p.cmdline, ts);
        if (p.ppid > 0) setLatest(node, 'ppid', String(p.ppid), ts);
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
