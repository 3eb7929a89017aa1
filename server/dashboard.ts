import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'graphql-yoga';

export interface DashboardOptions {
  /** The Vite build output (index.html and assets/); by default dashboard/dist. */
  dir?: string;
  /** Where the page is served. */
  basePath?: string;
}

/** What a dashboard request answers, independent of the HTTP layer (Yoga or node:http). */
export interface DashboardResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array<ArrayBuffer> | string | null;
}

export interface DashboardRequest {
  method: string;
  pathname: string;
  /** The query string, with its `?` (kept on the redirect to the trailing slash). */
  search?: string;
  ifNoneMatch?: string | null;
}

const dashboardDefaults = {
  // Relative to this file, so it works from server/ and from a compiled dist/server/ alike
  // (the production build must then put the page at dist/dashboard/dist).
  dir: new URL('../dashboard/dist/', import.meta.url).href,
  basePath: '/dashboard',
};

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

// The page talks to its own origin only: GraphQL over fetch and WebSocket ('self' covers
// ws:/wss: of the same host), and /metrics. Nothing inline, nothing from elsewhere.
const securityHeaders = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

// Vite names bundled files after their content hash: such a URL never changes meaning.
const immutable = 'public, max-age=31536000, immutable';
// Everything else (index.html, the service worker) must be checked on every load, or a
// browser would keep running an old build that points at assets no longer served.
const revalidate = 'no-cache';

/**
 * Serves the built dashboard: files of the build under `basePath`, hashed assets cached for
 * good, and index.html for every other path below it (the page has no server-side routes).
 * When the page was never built it answers 404 with the command that builds it.
 */
export function createDashboard(options: DashboardOptions = {}) {
  // A file URL only outside a DOM test environment, where vitest serves modules over http:
  // there the default stays a string nobody reads, since no test there asks for the page.
  const defaultDir = dashboardDefaults.dir.startsWith('file:')
    ? fileURLToPath(dashboardDefaults.dir)
    : dashboardDefaults.dir;
  const dir = resolve(options.dir ?? defaultDir);
  const basePath = options.basePath ?? dashboardDefaults.basePath;

  const matches = (pathname: string) =>
    pathname === basePath || pathname.startsWith(`${basePath}/`);

  async function respond(request: DashboardRequest): Promise<DashboardResponse> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return text(405, 'Method not allowed', { allow: 'GET, HEAD' });
    }
    // The page and its service worker live under `${basePath}/`: the bare path would be
    // outside the worker's scope, so it cannot open offline.
    if (request.pathname === basePath) {
      return text(308, `Moved to ${basePath}/`, {
        location: `${basePath}/${request.search ?? ''}`,
      });
    }
    const relative = relativePath(request.pathname.slice(basePath.length));
    if (relative === null) return text(400, 'Bad dashboard path');
    const file = relative === '' ? null : await readBuilt(dir, relative);
    if (file) return withoutBodyForHead(request, fileResponse(relative, file, request));
    // A missing file with an extension is a broken link, not a page: say so instead of
    // answering HTML where a script or stylesheet was expected.
    if (extname(relative) !== '') return text(404, `Not found: ${request.pathname}`);
    const index = await readBuilt(dir, 'index.html');
    if (!index) {
      return text(
        404,
        'The dashboard has not been built. Run `npm run dashboard:build` (`npm start` builds it when it is missing or out of date), then reload.',
      );
    }
    return withoutBodyForHead(request, fileResponse('index.html', index, request));
  }

  return { dir, basePath, matches, respond };
}

/** A Yoga plugin that answers `basePath` and everything below it from the built page. */
export function useDashboard(options: DashboardOptions = {}): Plugin {
  const dashboard = createDashboard(options);
  return {
    async onRequest({ request, url, endResponse }) {
      if (!dashboard.matches(url.pathname)) return;
      const answer = await dashboard.respond({
        method: request.method,
        pathname: url.pathname,
        search: url.search,
        ifNoneMatch: request.headers.get('if-none-match'),
      });
      endResponse(new Response(answer.body, { status: answer.status, headers: answer.headers }));
    },
  };
}

/** The path below the base, without leading slash; null when it tries to leave the build. */
function relativePath(rest: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((segment) => segment !== '' && segment !== '.');
  if (segments.some((segment) => segment === '..' || segment.startsWith('.'))) return null;
  return segments.join('/');
}

async function readBuilt(dir: string, relative: string): Promise<Buffer | null> {
  const path = join(dir, relative);
  if (!path.startsWith(dir + sep)) return null;
  try {
    if (!(await stat(path)).isFile()) return null;
    return await readFile(path);
  } catch {
    return null;
  }
}

function fileResponse(relative: string, body: Buffer, request: DashboardRequest) {
  const hashed = relative.startsWith('assets/');
  // Weak: the same file may go out compressed or not (server/observability/compression.ts).
  const etag = `W/"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  const headers: Record<string, string> = {
    ...securityHeaders,
    'content-type': contentTypes[extname(relative)] ?? 'application/octet-stream',
    'cache-control': hashed ? immutable : revalidate,
    etag,
  };
  if (request.ifNoneMatch === etag) return { status: 304, headers, body: null };
  return {
    status: 200,
    headers: { ...headers, 'content-length': String(body.length) },
    body: new Uint8Array(body),
  };
}

function withoutBodyForHead(request: DashboardRequest, response: DashboardResponse) {
  return request.method === 'HEAD' ? { ...response, body: null } : response;
}

function text(
  status: number,
  message: string,
  headers: Record<string, string> = {},
): DashboardResponse {
  return {
    status,
    headers: {
      ...securityHeaders,
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    },
    body: message,
  };
}
