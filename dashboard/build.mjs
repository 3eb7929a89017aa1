// Builds the dashboard (dashboard/dist) with Vite: `npm run dashboard:build`.
//
//   --if-stale   skip when the build is newer than every source (what `npm start` runs, so
//                starting stays fast and a fresh clone still gets the page)
//   --outDir <d> build somewhere else (the browser tests build into a temporary directory)
//
// Vite comes with the dev dependencies (vitest's). Without it (a production install) this
// says so and exits 0: the server then answers /dashboard with a 404 that explains.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const projectRoot = resolve(here, '..');
// The page bundles the client and the model modules it imports: their sources count too.
const sources = [
  join(here, 'src'),
  join(here, 'public'),
  join(here, 'index.html'),
  join(here, 'vite.config.ts'),
  join(projectRoot, 'client'),
  join(projectRoot, 'model'),
];

function newestChange(path) {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return 0;
  }
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestChange(join(path, entry)));
  return newest;
}

function isFresh(outDir) {
  const built = newestChange(join(outDir, 'index.html'));
  return built > 0 && sources.every((source) => newestChange(source) < built);
}

/** Builds into `outDir` (default dashboard/dist); returns false when Vite is unavailable. */
export async function buildDashboard({ outDir = join(here, 'dist'), ifStale = false } = {}) {
  if (ifStale && isFresh(outDir)) return true;
  let vite;
  try {
    vite = await import('vite');
  } catch {
    console.warn(
      'dashboard: Vite is not installed (a dev dependency), so the page was not built; /dashboard answers 404 until `npm run dashboard:build` succeeds.',
    );
    return false;
  }
  await vite.build({
    configFile: join(here, 'vite.config.ts'),
    build: { outDir: resolve(outDir), emptyOutDir: true },
  });
  return true;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--outDir');
  const outDir = at === -1 ? undefined : args[at + 1];
  if (at !== -1 && !outDir) throw new Error('--outDir needs a directory');
  await buildDashboard({ ifStale: args.includes('--if-stale'), ...(outDir ? { outDir } : {}) });
}
