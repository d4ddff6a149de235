/**
 * Process reporter (wire §5.4): one node `<hostID>;<pid>` per live process from the shared
 * walker's latest snapshot, with pid/ppid/name/cmdline/threads and CPU, memory and open-file
 * metrics (one sample per spy tick; the publish merge accumulates them).
 */
import { makeSparseReport, makeNode } from '../../report/model.js';
import { MAX_METRIC_SAMPLES, mergeMetric } from '../../report/merge-metric.js';
import { nowTime } from '../../report/time.js';
import type { Node, Report, Time, Topology } from '../../report/types.js';
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
  /** The node this reporter last issued for the process (see `report(into)`). */
  node: Node | undefined;
}

/**
 * Sets metric `key` of `node` to a one-sample metric, or, when `node` is a node of the pending
 * report updated in place, to `mergeMetric(existing, that one-sample metric)`: the newer sample is
 * appended to the existing metric itself (at most `MAX_METRIC_SAMPLES` newest kept, min of mins,
 * max of maxes), which is this node's own (made here during this publish interval, see
 * `report(into)`), instead of copying its samples into a new metric every tick.
 */
function addSample(node: Node, key: string, ts: Time, value: number, max: number, inPlace: boolean): void {
  const existing = inPlace ? node.metrics.get(key) : undefined;
  if (existing === undefined) {
    node.metrics.set(key, singletonMetric(ts, value, max));
    return;
  }
  const samples = existing.samples;
  const last = samples[samples.length - 1];
  if (last === undefined || !(last.date < ts)) {
    node.metrics.set(key, mergeMetric(existing, singletonMetric(ts, value, max)));
    return;
  }
  samples.push({ date: ts, value });
  if (samples.length > MAX_METRIC_SAMPLES) samples.splice(0, samples.length - MAX_METRIC_SAMPLES);
  existing.min = Math.min(existing.min, value);
  existing.max = Math.max(existing.max, max);
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
        node: undefined,
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
    async report(into?: Readonly<Report>): Promise<Report> {
      const snap = opts.walker.snapshot ?? (await opts.walker.walk());
      const rpt = makeSparseReport('process');
      const topology = rpt.topologies.process;
      addProcessTemplates(topology);
      const ts = nowTime();
      const maxCpu = snap.cpus * 100;
      // The pending report's process nodes: a node issued here in an earlier tick of this publish
      // interval is still there (same object) and is updated in place, as folding a new node into
      // it would (latest entries replaced by newer ones, keys it lacks this tick kept, one sample
      // appended per metric): an idle host's tick then allocates its entries and samples, not a
      // node with four Maps per process, and the fold skips the node.
      const pending = into?.topologies.process.nodes;
      // forEach, not for…of: an unoptimised Map iterator allocates a result object per process.
      snap.procs.forEach((p) => {
        if (p.defunct) return;
        const text = textsOf(p);
        const previous = text.node;
        const inPlace = previous !== undefined && pending !== undefined && pending.get(text.id) === previous;
        const node = inPlace ? previous : makeNode(text.id, 'process');
        text.node = node;
        setLatest(node, 'pid', text.pid, ts);
        setLatest(node, 'threads', text.threadsText, ts);
        if (p.name !== '') setLatest(node, 'name', p.name, ts);
        if (text.cmdline !== '') setLatest(node, 'cmdline', text.cmdline, ts);
        if (p.ppid > 0) setLatest(node, 'ppid', text.ppidText, ts);
        addSample(node, 'process_memory_usage_bytes', ts, p.rssBytes, p.rssLimitBytes, inPlace);
        if (p.openFiles !== undefined) addSample(node, 'open_files_count', ts, p.openFiles, p.openFilesLimit, inPlace);
        if (p.cpuWindowJiffies > 0) {
          // Scope's definition: share of all CPUs' time, max = CPUs × 100 (wire §5.4, §6.4 item 35),
          // over the window since this process's previous read (one tick, or more if it was idle).
          const cpu = (100 * (p.jiffies - (p.prevJiffies ?? 0))) / p.cpuWindowJiffies;
          addSample(node, 'process_cpu_usage_percent', ts, cpu, maxCpu, inPlace);
        }
        topology.nodes.set(node.id, node);
      });
      return rpt;
    },
  };
}
