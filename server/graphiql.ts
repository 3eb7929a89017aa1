import { createHash } from 'node:crypto';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { GraphiQLOptions, Plugin } from 'graphql-yoga';

/**
 * GraphiQL from the server itself: @graphql-yoga/render-graphiql bundles the page's script,
 * styles and editor workers into the HTML, so /graphql works offline and loads nothing from a
 * CDN. That page is one inline script: the Content-Security-Policy allows exactly that script
 * (by hash), talks to its own origin only, and runs its editor workers from blob: URLs.
 */

/** What a newcomer sees first: who they are and which workspaces they can sync. */
export const starterQuery = '{ me workspaces { id name role cursor } }';

export const graphiqlOptions: GraphiQLOptions = {
  title: 'Converge',
  defaultQuery: starterQuery,
};

const inlineScripts = /<script>([\s\S]*?)<\/script>/g;

function scriptHashes(html: string): string[] {
  return [...html.matchAll(inlineScripts)].map(
    ([, body]) =>
      `'sha256-${createHash('sha256')
        .update(body ?? '')
        .digest('base64')}'`,
  );
}

/** The policy for one rendered page: its scripts by hash, everything else from 'self'. */
export function graphiqlSecurityHeaders(html: string): Record<string, string> {
  return {
    // Monaco (the editor) adds <style> elements while it runs: styles cannot be pinned by hash.
    'content-security-policy': [
      "default-src 'self'",
      `script-src ${scriptHashes(html).join(' ')}`,
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self' data:",
      "connect-src 'self'",
      "worker-src 'self' blob:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

/**
 * Yoga's `renderGraphiQL` and a plugin that puts the policy of the page it rendered on the
 * response. The page depends on the options only: it is rendered and hashed once per options.
 */
export function createGraphiQLPage(endpoint: string): {
  render(options: GraphiQLOptions): string;
  plugin: Plugin;
} {
  const pages = new Map<string, { html: string; headers: Record<string, string> }>();
  let lastHeaders: Record<string, string> | null = null;
  return {
    render(options) {
      const key = JSON.stringify(options);
      let page = pages.get(key);
      if (!page) {
        const html = renderGraphiQL(options);
        page = { html, headers: graphiqlSecurityHeaders(html) };
        pages.set(key, page);
      }
      lastHeaders = page.headers;
      return page.html;
    },
    plugin: {
      onResponse({ request, response }) {
        if (!lastHeaders || new URL(request.url).pathname !== endpoint) return;
        if (!response.headers.get('content-type')?.includes('text/html')) return;
        for (const [name, value] of Object.entries(lastHeaders)) response.headers.set(name, value);
      },
    },
  };
}
