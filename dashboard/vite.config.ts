import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const stub = `${root}src/unavailable.ts`;

/**
 * The client loads Node-only modules on demand: file storage, and the ws package when there
 * is no global WebSocket. A browser never takes those paths; this keeps node:fs and friends
 * out of the bundle.
 */
function browserOnly(): Plugin {
  return {
    name: 'converge-browser-only',
    enforce: 'pre',
    resolveId(source, importer) {
      if (source === 'ws') return stub;
      if (
        source === './file.ts' &&
        importer?.replaceAll('\\', '/').endsWith('client/storage/index.ts')
      ) {
        return stub;
      }
      return null;
    },
  };
}

/**
 * The dashboard's build: `npm run dashboard:build` writes dashboard/dist, which the server
 * serves at /dashboard (server/dashboard.ts). Absolute asset URLs under /dashboard/ keep
 * working on any path the page is opened at.
 */
export default defineConfig({
  root,
  base: '/dashboard/',
  publicDir: 'public',
  logLevel: 'warn',
  plugins: [browserOnly()],
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // One script and one stylesheet, all named in index.html: the service worker caches
    // exactly those for offline use, with no lazily loaded chunk left out.
    rolldownOptions: { output: { codeSplitting: false } },
    chunkSizeWarningLimit: 1024,
  },
});
