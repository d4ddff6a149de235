/**
 * Deadlines for latencies the product promises (issue #4: container edges within 15 s, a control's
 * effect on a node within 5 s). On a machine with spare cores the promise is checked as written;
 * on an overloaded one (a CI box running Docker, Redis, bpftrace and the app at once, or 7 agents
 * sharing 2 cores) every process gets a fraction of a core, the same work takes longer in wall
 * time, and a fixed deadline only measures the machine. So the deadline grows with the load.
 */
import { availableParallelism, loadavg } from 'node:os';

/** The deadline never grows beyond this many times the promise (a broken product still fails). */
const MAX_STRETCH = 10;

/**
 * `millis` while the 1-minute load average is at most the number of cores, stretched by the load
 * per core beyond that (load 4 on 2 cores: twice `millis`), at most {@link MAX_STRETCH} times.
 */
export function loadScaledMillis(millis: number): number {
  const perCore = loadavg()[0]! / availableParallelism();
  return Math.round(millis * Math.min(MAX_STRETCH, Math.max(1, perCore)));
}
