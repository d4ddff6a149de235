#!/usr/bin/env node
// `openscope` / `scope`: Weave Scope's command line (wire §1), both roles in one process by default.
import { main } from './run.js';

main(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`openscope: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
