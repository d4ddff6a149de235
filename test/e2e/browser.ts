/** Shared pieces of the browser tests: headless Chromium with a throw-away profile, and cleanups. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Where the tests put their screenshots. */
export const ARTIFACTS = 'test-artifacts';

export interface BrowserPage {
  page: Page;
  /** Messages of uncaught errors in the page so far. */
  errors: string[];
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** A 1400×900 page in headless Chromium with a new profile in a temporary directory named `profilePrefix…`. */
export async function openBrowserPage(profilePrefix: string): Promise<BrowserPage> {
  const userDataDir = mkdtempSync(join(tmpdir(), profilePrefix));
  const removeProfile = (): void => rmSync(userDataDir, { recursive: true, force: true });
  try {
    const ctx = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 900 },
    });
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    return {
      page,
      errors,
      close: async () => {
        try {
          await ctx.close();
        } finally {
          removeProfile();
        }
      },
    };
  } catch (err) {
    removeProfile();
    throw err;
  }
}

/** Runs `cleanups` last first; one that fails does not stop the others (best effort). */
export async function runCleanups(cleanups: (() => unknown)[]): Promise<void> {
  for (const cleanup of [...cleanups].reverse()) {
    try {
      await cleanup();
    } catch {
      /* best effort */
    }
  }
}
