import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type * as ConvergeClient from '../../client/index.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { addMember, createWorkspace, expectNoErrors, newId, syncClient } from '../support/sync.ts';
import { describeWithChromium, launchChromium, serveClientPage } from './harness.ts';

/** What the test page keeps on `window` (page functions are sent as source: no helpers). */
interface PageGlobals {
  Converge: typeof ConvergeClient;
  sync: ConvergeClient.SyncClient;
  revoked: ConvergeClient.SyncEvents['revoked'][];
}

const DATABASE = 'converge-revoke';

describeWithChromium('access revoked, in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer('pglite'), launchChromium()]);
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    expect(pageErrors.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function openClientPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    contexts.push(context);
    const url = await serveClientPage(context, server.url);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(url);
    await page.waitForFunction(() => document.title === 'ready');
    return { context, page };
  }

  /** Keys the page keeps for `workspaceId`: IndexedDB records and localStorage journal. */
  function storedFor(page: Page, workspaceId: string): Promise<string[]> {
    return page.evaluate(
      async ([database, workspace]) => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const opening = indexedDB.open(`${database}:converge`);
          opening.onsuccess = () => resolve(opening.result);
          opening.onerror = () => reject(opening.error);
        });
        // Single records in `items`; the replica's entity records in `records`, keyed by
        // [collection, entity], and its cursor in `cursors` (client/storage/indexeddb.ts).
        const keysOf = (store: string) =>
          new Promise<IDBValidKey[]>((resolve, reject) => {
            const request = db.transaction(store).objectStore(store).getAllKeys();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          });
        const keys = [
          ...(await keysOf('items')),
          ...(await keysOf('records')).map((key) => (Array.isArray(key) ? key[0] : key)),
          ...(await keysOf('cursors')),
        ];
        db.close();
        const journal = Object.keys(localStorage);
        const stored = [...new Set(keys.map(String)), ...journal];
        return stored.filter((key) => key.includes(workspace));
      },
      [DATABASE, workspaceId] as const,
    );
  }

  it('empties IndexedDB and the localStorage journal, and the page gets the unsent edits', async () => {
    const workspaceId = await createWorkspace(server, 'ada');
    await addMember(server, 'ada', workspaceId, 'bob', 'EDITOR');
    const seen = newId();
    await syncClient(server, 'ada', workspaceId).pushOne({
      task: { id: seen, patch: { title: 'Seen by bob' } },
    });
    const { context, page } = await openClientPage();
    await page.evaluate(
      async ([url, token, workspace, database]) => {
        const { Converge } = window as unknown as PageGlobals;
        const sync = Converge.createSyncClient({
          url,
          token,
          workspaceId: workspace,
          storage: { indexedDB: database },
          live: false,
          retry: { baseMs: 20, maxMs: 300 },
        });
        Object.assign(window as unknown as PageGlobals, { sync, revoked: [] });
        sync.on('revoked', (event) => (window as unknown as PageGlobals).revoked.push(event));
        await sync.ready;
        await sync.pull();
      },
      [`${server.url}/graphql`, await server.token('bob'), workspaceId, DATABASE] as const,
    );

    await context.setOffline(true);
    const made = await page.evaluate((id) => {
      const { sync } = window as unknown as PageGlobals;
      const created = sync.tasks.create({ title: 'Made offline' });
      sync.tasks.update(id, { title: 'Renamed offline' });
      return created;
    }, seen);
    // An edit another tab journaled and never moved into the outbox (closed in that moment).
    const journaled = {
      mutationId: crypto.randomUUID(),
      kind: 'task',
      id: newId(),
      op: 'create',
      patch: { title: 'Journaled by another tab' },
      hlc: `${Date.now() + 60_000}:0`, // made after the page's edits
      baseVersion: 0,
      madeAt: Date.now(),
    };
    await page.evaluate(([key, value]) => localStorage.setItem(key, value), [
      `converge-journal:${DATABASE}:outbox:${workspaceId}:${journaled.mutationId}`,
      JSON.stringify(journaled),
    ] as const);
    await expect
      .poll(async () => (await storedFor(page, workspaceId)).sort())
      .toEqual(
        [
          `outbox:${workspaceId}`,
          `replica:${workspaceId}`,
          `converge-journal:${DATABASE}:outbox:${workspaceId}:${journaled.mutationId}`,
        ].sort(),
      );

    expectNoErrors(
      await server.graphql(
        'mutation($w: ID!, $u: ID!) { removeMember(workspaceId: $w, userId: $u) }',
        { w: workspaceId, u: 'bob' },
        { as: 'ada' },
      ),
    );
    // The browser's `online` event: the client catches up at once and learns of the removal.
    await context.setOffline(false);
    await page.waitForFunction(() => (window as unknown as PageGlobals).revoked.length > 0);

    const outcome = await page.evaluate(() => {
      const { sync, revoked, Converge } = window as unknown as PageGlobals;
      let refused = '';
      try {
        sync.tasks.create({ title: 'After the purge' });
      } catch (error) {
        refused = error instanceof Converge.WorkspaceRevokedError ? error.code : String(error);
      }
      return {
        events: revoked.length,
        unsent: revoked[0]?.unsent.map(({ id, op }) => ({ id, op })),
        status: sync.status,
        refused,
      };
    });
    expect(outcome).toMatchObject({
      events: 1,
      unsent: [
        { id: made, op: 'create' },
        { id: seen, op: 'update' },
        { id: journaled.id, op: 'create' },
      ],
      status: { revoked: true, pending: 0, cursor: null },
      refused: 'WORKSPACE_REVOKED',
    });
    expect(await storedFor(page, workspaceId)).toEqual([]);

    const { entities } = await syncClient(server, 'ada', workspaceId).pullAll();
    expect(entities.map((entity) => entity.id)).toEqual([seen]);
    await page.evaluate(() => (window as unknown as PageGlobals).sync.close());
  });
});
