#!/usr/bin/env -S node --single-threaded-gc
// `openscope` / `scope`: Weave Scope's command line (wire §1), both roles in one process by default.
import { main } from './run.js';

const argv = process.argv.slice(2);
// `openscope launch [flags…]` / `openscope stop` (like `scope launch` / `scope stop`).
const command = argv[0] === 'launch' || argv[0] === 'stop' ? argv[0] : undefined;
const running = command
  ? import('./launch.js').then(async (l) => {
      process.exitCode = await l.runLaunchCommand(command, argv.slice(1));
    })
  : main(argv);
running.catch((err: unknown) => {
  process.stderr.write(`openscope: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
