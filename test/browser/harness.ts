import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
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

/**
 * The sync client (client/index.ts) as one ES module for a page, bundled the way the
 * dashboard's build does it: the Node-only modules the client imports on demand (file
 * storage, the `ws` package) become the dashboard's stub, which a browser never reaches.
 */
export async function bundleClient(): Promise<string> {
  const stub = `${projectRoot}dashboard/src/unavailable.ts`;
  const result = await build({
    entryPoints: [`${projectRoot}client/index.ts`],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [
      {
        name: 'converge-browser-only',
        setup(bundler) {
          bundler.onResolve({ filter: /^ws$/ }, () => ({ path: stub }));
          bundler.onResolve({ filter: /^\.\/file\.ts$/ }, (args) =>
            args.importer.replaceAll('\\', '/').endsWith('client/storage/index.ts')
              ? { path: stub }
              : undefined,
          );
        },
      },
    ],
  });
  const [output] = result.outputFiles;
  if (!output) throw new Error('esbuild wrote no bundle of the client');
  return output.text;
}

/**
 * Serves a blank page at `${origin}/client-page/` that has the bundled client as
 * `window.Converge`, on the API server's own origin (so /graphql needs no CORS): the page and
 * its script are answered by the browser context, the rest goes to the server.
 */
export async function serveClientPage(context: BrowserContext, origin: string): Promise<string> {
  const bundle = await bundleClient();
  const base = `${origin}/client-page/`;
  await context.route(`${base}**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname.endsWith('/client.js')) {
      return route.fulfill({ contentType: 'text/javascript', body: bundle });
    }
    return route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><title>client</title><script type="module">
        import * as Converge from './client.js';
        window.Converge = Converge;
        document.title = 'ready';
      </script>`,
    });
  });
  return base;
}
