import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard, useDashboard } from '../../server/dashboard.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'converge-dashboard-serve-'));
  await mkdir(join(dir, 'assets'));
  await writeFile(join(dir, 'index.html'), '<!doctype html><title>Converge</title>');
  await writeFile(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)');
  await writeFile(join(dir, 'assets', 'index-AbC123.css'), 'body{}');
  await writeFile(join(dir, 'sw.js'), 'self.addEventListener("fetch", () => {})');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const get = (pathname: string, extra: { search?: string; ifNoneMatch?: string } = {}) =>
  createDashboard({ dir }).respond({ method: 'GET', pathname, ...extra });

describe('the built dashboard at /dashboard', () => {
  it('serves index.html, revalidated on every load, with a strict content security policy', async () => {
    const answer = await get('/dashboard/');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.headers['cache-control']).toBe('no-cache');
    expect(answer.headers['content-security-policy']).toContain("default-src 'self'");
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(Buffer.from(answer.body as Uint8Array).toString()).toContain('<title>Converge');
  });

  it('redirects the bare path to the page, keeping the query', async () => {
    const answer = await get('/dashboard', { search: '?poll=1000' });
    expect(answer.status).toBe(308);
    expect(answer.headers.location).toBe('/dashboard/?poll=1000');
  });

  it('caches hashed assets for good, with their content types', async () => {
    const script = await get('/dashboard/assets/index-AbC123.js');
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const style = await get('/dashboard/assets/index-AbC123.css');
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    // The service worker is not hashed: browsers must see a new one when it changes.
    expect((await get('/dashboard/sw.js')).headers['cache-control']).toBe('no-cache');
  });

  it('falls back to index.html for page paths, but not for missing files', async () => {
    const page = await get('/dashboard/workspaces/42');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const missing = await get('/dashboard/assets/index-gone.js');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toBe('text/plain; charset=utf-8');
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await get('/dashboard/');
    const again = await get('/dashboard/', { ifNoneMatch: first.headers.etag ?? '' });
    expect(again.status).toBe(304);
    expect(again.body).toBeNull();
  });

  it('never serves files outside the build', async () => {
    for (const path of [
      '/dashboard/../package.json',
      '/dashboard/%2e%2e/package.json',
      '/dashboard/assets/..%2f..%2fpackage.json',
      '/dashboard/.env',
      '/dashboard/%00',
    ]) {
      const answer = await get(path);
      expect(answer.status, path).toBe(400);
    }
  });

  it('takes GET and HEAD only; HEAD without a body', async () => {
    const dashboard = createDashboard({ dir });
    const head = await dashboard.respond({ method: 'HEAD', pathname: '/dashboard/' });
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    expect(head.headers['content-length']).toBeDefined();
    const post = await dashboard.respond({ method: 'POST', pathname: '/dashboard/' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('says how to build the page when it was not built', async () => {
    const answer = await createDashboard({ dir: join(dir, 'nothing-here') }).respond({
      method: 'GET',
      pathname: '/dashboard/',
    });
    expect(answer.status).toBe(404);
    expect(String(answer.body)).toContain('npm run dashboard:build');
  });

  it('answers through Yoga as a plugin, leaving other paths to Yoga', async () => {
    const yoga = createYoga({
      schema: createSchema({ typeDefs: 'type Query { ok: Boolean }', resolvers: {} }),
      plugins: [useDashboard({ dir })],
      logging: false,
    });
    const page = await yoga.fetch('http://localhost/dashboard/assets/index-AbC123.js');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await page.text()).toBe('console.log(1)');
    const other = await yoga.fetch('http://localhost/dashboards');
    expect(other.status).toBe(404);
    expect(other.headers.get('content-security-policy')).toBeNull();
  });
});
