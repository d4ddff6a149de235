// The package version, read from package.json next to the code (works from src/ and dist/).
import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** `version` of the openscope package.json; `dev` if it cannot be read. */
export function packageVersion(): string {
  if (cached !== undefined) return cached;
  cached = 'dev';
  // src/cli/version.ts and dist/cli/version.js both sit two levels below the package root.
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg: unknown = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8'));
      if (typeof pkg === 'object' && pkg !== null && 'name' in pkg && pkg.name === 'openscope' && 'version' in pkg) {
        if (typeof pkg.version === 'string') cached = pkg.version;
        break;
      }
    } catch {
      // try the next candidate
    }
  }
  return cached;
}
