import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
import { createDashboard } from '../../server/dashboard.ts';

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

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(chromiumPath)) {
    throw new Error(
      `No Chromium at ${chromiumPath}: run scripts/ensure-chromium.sh (or set CHROMIUM_PATH)`,
    );
  }
  return chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
}

/**
 * Flip to true once server/app.ts mounts useDashboard(): the tests then open the page on
 * the API server itself, built into dashboard/dist when stale.
 */
export const appServesDashboard = true;

/**
 * Builds the dashboard from the current sources: into a directory of its own by default, so
 * the tests never run a stale dashboard/dist and never race another run writing it. A child
 * process: Vite must see NODE_ENV=production (vitest sets `test`, which would bundle React's
 * development build).
 */
export async function buildDashboard(
  target: 'temporary' | 'dashboard/dist' = 'temporary',
): Promise<{ dir: string; remove(): Promise<void> }> {
  const temporary = target === 'temporary';
  const dir = temporary
    ? await mkdtemp(join(tmpdir(), 'converge-dashboard-'))
    : join(projectRoot, 'dashboard', 'dist');
  const args = temporary ? ['--outDir', dir] : ['--if-stale'];
  await promisify(execFile)(process.execPath, ['dashboard/build.mjs', ...args], {
    cwd: projectRoot,
    env: { ...process.env, NODE_ENV: 'production' },
  });
  return { dir, remove: () => (temporary ? rm(dir, { recursive: true, force: true }) : done()) };
}

const done = () => Promise.resolve();

/**
 * The origin the browser opens `/dashboard/` on, for an API server: the server itself once
 * it serves the page (`appServesDashboard`), else a front server built for the test.
 */
export async function startDashboard(apiUrl: string): Promise<DashboardOrigin> {
  if (appServesDashboard) {
    await buildDashboard('dashboard/dist');
    return { url: apiUrl, close: done };
  }
  const built = await buildDashboard();
  const front = await serveDashboard(apiUrl, built.dir);
  return {
    url: front.url,
    close: async () => {
      await front.close();
      await built.remove();
    },
  };
}

export interface DashboardOrigin {
  /** Where the browser opens `/dashboard/`; /graphql and /metrics answer there too. */
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the built page as server/dashboard.ts does, in front of the API server: one origin
 * for the page, /graphql (HTTP and WebSocket) and /metrics, as the real /dashboard route
 * gives. Once server/app.ts mounts useDashboard(), tests can open `server.url` directly.
 */
export async function serveDashboard(apiUrl: string, dir: string): Promise<DashboardOrigin> {
  const dashboard = createDashboard({ dir });
  const api = new URL(apiUrl);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (dashboard.matches(url.pathname)) {
      void answerFromDashboard(dashboard, url, req, res);
    } else {
      proxy(api, req, res);
    }
  });
  // Upgraded sockets leave the HTTP server's books: close() must end them itself.
  const tunnels = new Set<{ destroy(): void }>();
  server.on('upgrade', (req, socket, head) => {
    const upstream = connect(Number(api.port), api.hostname, () => {
      const headers = Object.entries(req.headers).flatMap(([name, value]) =>
        (Array.isArray(value) ? value : [value ?? '']).map((v) => `${name}: ${v}`),
      );
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`);
      upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    tunnels.add(socket).add(upstream);
    socket.on('close', () => {
      tunnels.delete(socket);
      tunnels.delete(upstream);
      upstream.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      for (const tunnel of tunnels) tunnel.destroy();
      return closeServer(server);
    },
  };
}

async function answerFromDashboard(
  dashboard: ReturnType<typeof createDashboard>,
  url: URL,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const answer = await dashboard.respond({
    method: req.method ?? 'GET',
    pathname: url.pathname,
    search: url.search,
    ifNoneMatch: req.headers['if-none-match'] ?? null,
  });
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body ?? undefined);
}

function proxy(api: URL, req: IncomingMessage, res: ServerResponse) {
  const upstream = httpRequest(
    {
      host: api.hostname,
      port: api.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: api.host },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
}

async function closeServer(server: Server) {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
