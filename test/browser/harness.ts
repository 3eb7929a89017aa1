import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
import { describe, inject } from 'vitest';

const projectRoot = new URL('../../', import.meta.url).pathname;

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// Flags for a shared CI machine: nothing in the background, no sandbox (root in containers).
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/**
 * Why the browser suites are skipped: Chromium is missing and this machine cannot install it
 * (test/browser/chromium-setup.ts, run by `npm test`, printed the reason once). Null: they run.
 */
export const chromiumSkipReason = inject('chromiumSkipReason') ?? null;

/** A suite that needs Chromium: reported as skipped, never failed, where there is none. */
export const describeWithChromium = describe.skipIf(chromiumSkipReason !== null);

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `No Chromium at ${chromiumPath}: run scripts/ensure-chromium.sh (or set CHROMIUM_PATH)`,
    );
  }
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/**
 * Builds dashboard/dist from the current sources when stale (as `npm start` does) and gives
 * the origin the browser opens `/dashboard/` on: the API server itself, which serves the page,
 * /graphql and /metrics. A child process: Vite must see NODE_ENV=production (vitest sets
 * `test`, which would bundle React's development build).
 */
export async function startDashboard(apiUrl: string): Promise<DashboardOrigin> {
  await promisify(execFile)(process.execPath, ['dashboard/build.mjs', '--if-stale'], {
    cwd: projectRoot,
    env: { ...process.env, NODE_ENV: 'production' },
  });
  return { url: apiUrl, close: () => Promise.resolve() };
}

export interface DashboardOrigin {
  /** Where the browser opens `/dashboard/`; /graphql and /metrics answer there too. */
  url: string;
  close(): Promise<void>;
}
