import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { starterQuery } from '../../server/graphiql.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { describeWithChromium, launchChromium } from './harness.ts';

// GraphiQL must work where only the Converge server is reachable (offline, air-gapped): every
// request to another host is refused, as a network without internet would.
describeWithChromium('GraphiQL at /graphql', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startTestServer('pglite', { GRAPHIQL: 'true' }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);
  const squeeze = (text: string | null) => (text ?? '').replace(/\s+/g, ' ').trim();

  it('loads with outside network blocked, shows the starter query, and runs it', async () => {
    const context = await browser.newContext({
      extraHTTPHeaders: { authorization: `Bearer ${await server.token('graphiql-user')}` },
    });
    const blocked: string[] = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (loopback.has(url.hostname)) return route.continue();
      blocked.push(url.href);
      return route.abort('internetdisconnected');
    });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });

    const response = await page.goto(`${server.url}/graphql`);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'sha256-/);
    const editor = page.locator('.graphiql-query-editor');
    await editor.locator('.view-lines').waitFor({ timeout: 30_000 });
    await expect
      .poll(async () => squeeze(await editor.locator('.view-lines').textContent()), {
        timeout: 15_000,
      })
      .toBe(squeeze(starterQuery));

    await page.locator('.graphiql-execute-button').click();
    const result = page.locator('.graphiql-response');
    await expect
      .poll(async () => squeeze(await result.textContent()), { timeout: 15_000 })
      .toContain('"me": "graphiql-user"');
    expect(squeeze(await result.textContent())).toContain('"workspaces": []');

    expect({ blocked, problems }).toEqual({ blocked: [], problems: [] });
    await context.close();
  });
});
