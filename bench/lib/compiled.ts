/**
 * The app as deployed: the CLI compiled to JS by tsc (no tsx/esbuild helpers in the hot paths),
 * built into a private directory because dist/ is shared with other helpers.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { runtimeFlagsNote } from './app-process.js';

const REPO = new URL('../../', import.meta.url).pathname;

/** Node arguments that start the CLI: compiled when tsc emits, else through tsx. */
export function cliArgs(cacheName: string): { args: string[]; note: string } {
  const out = `${REPO}node_modules/.cache/openscope-bench-${cacheName}`;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json', '--outDir', out, '--sourceMap', 'false'], { cwd: REPO, stdio: 'ignore', timeout: 300_000 });
  } catch {
    // tsc exits non-zero on type errors in files being edited elsewhere, but still emits
  }
  const js = `${out}/cli/main.js`;
  if (existsSync(js)) return { args: [js], note: `compiled JS, ${runtimeFlagsNote()}` };
  return { args: ['--import', 'tsx', `${REPO}src/cli/main.ts`], note: 'via tsx (compile failed)' };
}
