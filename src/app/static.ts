/**
 * Serves the web UI (app §1.13): files of the built UI at `/` and `/ui/`, `index.html` for any
 * other browser path (the UI routes on the client). Without a built UI, a small page says so.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** `<repo>/web/dist`, from both `src/app/` (tsx) and `dist/app/` (built). */
export function defaultUiDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'dist');
}

/** The UI directory to serve, or undefined when there is no built UI. */
export function resolveUiDir(configured: string | undefined): string | undefined {
  const dir = configured ?? defaultUiDir();
  return existsSync(join(dir, 'index.html')) ? dir : undefined;
}

export const UI_MISSING_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OpenScope</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto; line-height: 1.5">
<h1>OpenScope app is running</h1>
<p>The web UI is not built, so there is nothing to show here yet. Build it with
<code>npm run build:web</code> (it goes to <code>web/dist</code>) or point the app at a built UI.</p>
<p>The API works: try <a href="api">api</a>, <a href="api/topology">api/topology</a> or
<a href="api/report">api/report</a>.</p>
</body></html>
`;

/** Registers static file serving for `uiDir` under the instance's prefix (plus `/ui/`). */
export async function registerStatic(app: FastifyInstance, uiDir: string): Promise<void> {
  await app.register(fastifyStatic, { root: uiDir, prefix: '/', wildcard: true, cacheControl: true });
  await app.register(fastifyStatic, { root: uiDir, prefix: '/ui/', decorateReply: false, wildcard: true });
}
