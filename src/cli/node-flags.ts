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
