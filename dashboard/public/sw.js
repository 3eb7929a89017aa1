// Keeps the dashboard's shell (index.html and the hashed assets it names) in a cache so the
// page opens without a network; its data lives in IndexedDB through the sync client.
// GraphQL, WebSockets and /metrics are never touched here.
const CACHE = 'converge-dashboard-shell';
const SHELL = '/dashboard/';

self.addEventListener('install', (event) => {
  event.waitUntil(cacheShell().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate' && url.pathname.startsWith(SHELL)) {
    event.respondWith(networkFirst(event));
  } else if (url.pathname.startsWith(`${SHELL}assets/`)) {
    event.respondWith(cacheFirst(request));
  }
});

// Online, every load gets the current index.html (and so the current build); offline, the
// last one seen.
async function networkFirst(event) {
  try {
    const response = await fetch(event.request);
    if (response.ok) event.waitUntil(cacheShell(response.clone()));
    return response;
  } catch (error) {
    const cached = await caches.match(SHELL, { ignoreVary: true });
    if (cached) return cached;
    throw error;
  }
}

// Hashed names never change meaning: a cached copy is always right.
async function cacheFirst(request) {
  // Yoga answers with `Vary: Origin` (CORS); a module script's request carries an Origin the
  // precached copy was not fetched with. The content of a hashed file cannot vary.
  const cached = await caches.match(request, { ignoreVary: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

// Stores index.html and the assets it names, and drops assets of older builds.
async function cacheShell(response) {
  const page = response ?? (await fetch(SHELL, { cache: 'no-cache' }));
  if (!page.ok) return;
  const html = await page.clone().text();
  const assets = [...html.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map(
    (match) => match[1],
  );
  const cache = await caches.open(CACHE);
  await cache.put(SHELL, page);
  await cache.addAll(assets.filter((asset) => asset !== undefined));
  for (const key of await cache.keys()) {
    const path = new URL(key.url).pathname;
    if (path.startsWith(`${SHELL}assets/`) && !assets.includes(path)) await cache.delete(key);
  }
}
