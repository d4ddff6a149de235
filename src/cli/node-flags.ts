import { setFlagsFromString } from 'node:v8';

/**
 * The V8 flags `openscope` runs with. The executable's shebang (main.ts), `npm start` and the
 * image's entrypoint all carry exactly these (test/cli/node-flags.test.ts checks it), and the
 * benches start the app with them, so what is measured is what users run.
 *
 * `--single-threaded-gc`: the app's work is allocation-heavy (decoding and merging reports), and
 * V8's parallel scavenger and concurrent marker spend more CPU in total than one thread doing the
 * same collections: helper threads coordinate, and on a busy 2-core host they spin waiting for a
 * core. Our target is what one core sustains (issue #8), so total CPU is what counts.
 * Measured on a quiet 2-core VM, same run, without → with (2026-11-26): app CPU per report at
 * N=500 probes 7.63 → 6.87 and 6.27 → 5.50 ms; fresh GET /api/topology/processes (150
 * processes) wall 9.1 → 5.5 ms, containers (55) 25.3 → 13.8 ms. The idle probe is unchanged
 * (2.99 vs 3.06 % of a core, 4 side-by-side pairs on a loaded host). Possible cost: with marking
 * on the main thread only, the heap can grow further between major collections. App RSS at N=500:
 * quiet runs 1123/1356 MiB without, 1042/1190 with; loaded runs (load 5–9) 674/723 without,
 * 914/1294 with.
 */
export const RUNTIME_NODE_FLAGS: readonly string[] = ['--single-threaded-gc'];

/**
 * V8 flags for a process that runs the probe alone (`--mode=probe`, as deployed on every host),
 * set with v8.setFlagsFromString when the probe role starts (run.ts), so an app in the same
 * process (no --mode) keeps V8's defaults for its allocation-heavy load (issue #8).
 *
 * `--semi-space-growth-factor=1`: the young generation stays at its initial 1 MiB per semi-space.
 * V8 doubles it (up to 16 MiB, 32 MiB for both halves, all of it resident) once enough bytes
 * survive scavenges, and only shrinks it again while allocation is slow; a probe with 55
 * containers went back and forth between 2 and 32 MiB. V8 reads this flag each time it would grow
 * the new space, so setting it at start-up works; `--max-semi-space-size` is read only when the
 * heap is created, so it cannot be set here. Measured on the docker bench's 55 containers, 4
 * probes side by side (2 with, 2 without; load 80): RSS at the end 99.4/99.1 MiB vs 122.8/99.5,
 * new space 2 MiB throughout vs 1–32 MiB; node CPU 5.51/4.88 % vs 5.47/4.98 % (no cost seen: a
 * probe's scavenges copy its pending report whatever the size, and smaller ones are more often).
 *
 * `--heap-growing-percent=20`: with a small young generation, what lives a few seconds (the
 * pending report) is promoted, and the old generation then grew from ~15 MiB live to ~45 MiB
 * before V8 marked it (its default growing factor on a heap it collects quickly is up to 4x).
 * 20 % keeps the next limit at live + V8's minimum step of 8 MiB; also read at each limit
 * computation. Same 55-container setup, 2 pairs with vs without: RSS max over the window
 * 89.3/87.3 vs 103.4/98.6 MiB, node CPU 5.38/5.06 vs 5.62/5.43 %.
 */
export const PROBE_PROCESS_V8_FLAGS: readonly string[] = ['--semi-space-growth-factor=1', '--heap-growing-percent=20'];

/** Applies {@link PROBE_PROCESS_V8_FLAGS} to this process (call only when it runs the probe alone). */
export function applyProbeProcessFlags(): void {
  for (const flag of PROBE_PROCESS_V8_FLAGS) setFlagsFromString(flag);
}
