import { mkdir, stat } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { storageKeys } from '../../dashboard/src/session.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  addMember,
  createWorkspace,
  expectNoErrors,
  newId,
  type SyncClient,
  syncClient,
} from '../support/sync.ts';
import {
  type DashboardOrigin,
  describeWithChromium,
  launchChromium,
  startDashboard,
} from './harness.ts';

const artifacts = new URL('./artifacts/', import.meta.url);

describeWithChromium('the dashboard in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  let dashboard: DashboardOrigin;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer('pglite'), launchChromium()]);
    dashboard = await startDashboard(server.url);
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    expect(pageErrors.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    await server?.stop();
  });

  /**
   * A fresh browser profile (its own IndexedDB and localStorage) on the dashboard; with a
   * token, signed in and on `workspaceId` (picked in the header, as a person would).
   */
  async function openDashboard(signedIn?: {
    token: string;
    workspaceId: string;
  }): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    if (signedIn) {
      await context.addInitScript(
        ([key, value]) => {
          if (!localStorage.getItem(key)) localStorage.setItem(key, value);
        },
        [storageKeys.token, signedIn.token] as const,
      );
    }
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // Faster /metrics polling, so the charts fill within the test.
    await page.goto(`${dashboard.url}/dashboard/?poll=500`);
    if (signedIn) await pickWorkspace(page, signedIn.workspaceId);
    return { context, page };
  }

  async function pickWorkspace(page: Page, workspaceId: string) {
    const picker = page.getByLabel('Workspace');
    await picker.locator(`option[value="${workspaceId}"]`).waitFor({ state: 'attached' });
    await picker.selectOption(workspaceId);
  }

  interface TaskState {
    version: number;
    title: string;
    status: string;
    estimateMinutes: number | null;
    deleted: boolean;
  }

  async function taskOnServer(id: string): Promise<TaskState | null> {
    const data = expectNoErrors(
      await server.graphql<{ task: TaskState | null }>(
        'query($id: ID!) { task(id: $id) { version title status estimateMinutes deleted } }',
        { id },
        { as: 'ada' },
      ),
    );
    return data.task;
  }

  async function conflictOnServer(workspaceId: string, id: string) {
    const data = expectNoErrors(
      await server.graphql<{
        conflicts: { id: string; status: string; resolution: unknown; resolvedBy: string | null }[];
      }>(
        'query($w: ID!) { conflicts(workspaceId: $w, first: 500) { id status resolution resolvedBy } }',
        { w: workspaceId },
        { as: 'ada' },
      ),
    );
    return data.conflicts.find((conflict) => conflict.id === id);
  }

  async function createTasks(client: SyncClient, titles: string[]): Promise<string[]> {
    const ids = titles.map(() => newId());
    const results = await client.push(
      ...titles.map((title, index) => ({
        task: { id: ids[index] ?? '', patch: { title, estimateMinutes: 30 } },
      })),
    );
    expect(results.map((result) => result.status)).toEqual(titles.map(() => 'APPLIED'));
    return ids;
  }

  /** ada's edit lands first; bob's, made on the same version, opens a MANUAL conflict. */
  async function openConflict(
    ada: SyncClient,
    bob: SyncClient,
    taskId: string,
    values: { server: number; local: number },
  ): Promise<string> {
    const base = (await taskOnServer(taskId))?.version ?? 0;
    const change = (estimateMinutes: number) => ({
      task: { id: taskId, baseVersion: base, patch: { estimateMinutes } },
    });
    expect((await ada.pushOne(change(values.server))).status).toBe('APPLIED');
    const result = await bob.pushOne(change(values.local));
    expect(result.status).toBe('CONFLICT');
    return String(result.conflict?.id);
  }

  /** The page's live streams are subscribed (the client's own plus conflictChanged). */
  async function liveSubscriptions(count: number) {
    await expect
      .poll(() => server.app.websocket()?.stats().subscriptions ?? 0, { timeout: 20_000 })
      .toBeGreaterThanOrEqual(count);
  }

  async function addTask(page: Page, title: string) {
    await page.getByLabel('New task title').fill(title);
    await page.getByRole('button', { name: 'Add task' }).click();
  }

  /** The service worker has cached the page and controls it, so a reload works offline. */
  async function untilServiceWorkerControls(page: Page) {
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await expect.poll(() => page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  }

  /**
   * Offline as the page sees it (navigator.onLine false, the `offline` event) and airtight:
   * Chromium's offline emulation now and then lets a request through while a page reloads,
   * so GraphQL requests are also refused at the browser's network layer.
   */
  async function goOffline(context: BrowserContext) {
    await context.route('**/graphql', (route) => route.abort('internetdisconnected'));
    await context.setOffline(true);
  }

  async function goOnline(context: BrowserContext) {
    await context.unroute('**/graphql');
    await context.setOffline(false);
  }

  /** Signs in as a person would after `npm start`: pasting the whole header line it prints. */
  async function signInWithHeaderLine(page: Page, userId: string) {
    const headerLine = `  { "Authorization": "Bearer ${await server.token(userId)}" }`;
    await page.getByLabel('Access token').fill(headerLine);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('tells a user with no workspace how to create one, and labels chart scales as scales', async () => {
    const newcomer = `newcomer-${newId()}`;
    const { page } = await openDashboard();
    await signInWithHeaderLine(page, newcomer);
    const hint = page.getByRole('status').filter({ hasText: 'not a member of any workspace' });
    await hint.waitFor();
    const mutation = await hint.locator('pre').textContent();
    expect(mutation).toBe('mutation { createWorkspace(name: "My team") { id name } }');

    // A corner number is the top of the axis, said so; the reading is the legend's.
    const autoResolution = page.locator('figure.chart').filter({ hasText: 'Auto-resolution' });
    expect(await autoResolution.locator('.chart-top').textContent()).toBe('scale 0–100%');
    await mkdir(artifacts, { recursive: true });
    await page.screenshot({ path: new URL('dashboard-no-workspace.png', artifacts).pathname });

    // The hint works as written: the mutation, then a reload, and the workspace is there.
    const created = expectNoErrors(
      await server.graphql<{ createWorkspace: { id: string } }>(
        mutation ?? '',
        {},
        { as: newcomer },
      ),
    );
    await page.reload();
    await pickWorkspace(page, created.createWorkspace.id);
    expect(await hint.count()).toBe(0);
  });

  const card = (page: Page, title: string) =>
    page.getByRole('article').filter({ has: page.getByRole('heading', { name: title }) });

  it('shows conflicts as they open and resolves them by click, by keyboard and in bulk', async () => {
    const workspaceId = await createWorkspace(server, 'ada', 'Warehouse 7');
    await addMember(server, 'ada', workspaceId, 'bob', 'EDITOR');
    const ada = syncClient(server, 'ada', workspaceId);
    const bob = syncClient(server, 'bob', workspaceId);
    const [pallets, labels, dock, bins, forklift] = await createTasks(ada, [
      'Count pallets',
      'Print labels',
      'Sweep dock 3',
      'Label bins',
      'Charge forklift',
    ]);

    // Signing in through the form: the header line `npm start` prints, pasted once and kept.
    const { page } = await openDashboard();
    await signInWithHeaderLine(page, 'ada');
    await pickWorkspace(page, workspaceId);
    await page.getByLabel('Title of “Charge forklift”').waitFor();
    await liveSubscriptions(2);

    // Appears without a reload, values side by side.
    const first = await openConflict(ada, bob, pallets ?? '', { server: 45, local: 60 });
    const pallet = card(page, 'Task “Count pallets” · estimate minutes');
    await pallet.waitFor();
    expect(await pallet.locator('.side-base .value').textContent()).toBe('30');
    expect(await pallet.locator('.side-local .value').textContent()).toBe('60');
    expect(await pallet.locator('.side-server .value').textContent()).toBe('45');
    // Each side names its user and, where the server knows it, the device (client id).
    const localNote = await pallet.locator('.side-local .note').textContent();
    expect(localNote).toContain(`by bob on device ${bob.clientId.slice(0, 8)}`);
    expect(await pallet.locator('.side-server .note').textContent()).toContain(
      'changed by ada · device not recorded',
    );

    await pallet.getByRole('button', { name: 'Keep server' }).click();
    await pallet.waitFor({ state: 'detached' });
    expect(await conflictOnServer(workspaceId, first)).toMatchObject({
      status: 'RESOLVED',
      resolvedBy: 'ada',
    });
    expect((await taskOnServer(pallets ?? ''))?.estimateMinutes).toBe(45);

    // By keyboard: Tab from one resolve button to the next, Enter presses it.
    const second = await openConflict(ada, bob, labels ?? '', { server: 20, local: 25 });
    const label = card(page, 'Task “Print labels” · estimate minutes');
    await label.getByRole('button', { name: 'Keep server' }).focus();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Take local');
    await page.keyboard.press('Enter');
    await label.waitFor({ state: 'detached' });
    expect(await conflictOnServer(workspaceId, second)).toMatchObject({ status: 'RESOLVED' });
    expect((await taskOnServer(labels ?? ''))?.estimateMinutes).toBe(25);
    // The focus does not fall back to the top of the page: it waits on the section heading.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('conflicts-heading');

    // Bulk: one value for every open conflict on the same field.
    const many = [];
    for (const id of [dock, bins, forklift]) {
      many.push(await openConflict(ada, bob, id ?? '', { server: 10, local: 15 }));
    }
    const bulk = page.getByRole('group', { name: '3 conflicts on task estimate minutes' });
    await bulk.getByLabel('Value for all').fill('50');
    await bulk.getByRole('button', { name: 'Set all' }).click();
    await expect.poll(() => page.getByRole('article').count(), { timeout: 15_000 }).toBe(0);
    for (const [index, id] of [dock, bins, forklift].entries()) {
      expect((await taskOnServer(id ?? ''))?.estimateMinutes).toBe(50);
      expect(await conflictOnServer(workspaceId, many[index] ?? '')).toMatchObject({
        status: 'RESOLVED',
        resolution: 50,
      });
    }
  });

  it('keeps edits made offline across a reload and sends them once, in order, when back online', async () => {
    const workspaceId = await createWorkspace(server, 'ada', 'Night shift');
    const ada = syncClient(server, 'ada', workspaceId);
    const [doomed] = await createTasks(ada, ['Old task']);
    const { context, page } = await openDashboard({
      token: await server.token('ada'),
      workspaceId,
    });
    await page.getByLabel('Title of “Old task”').waitFor();
    await untilServiceWorkerControls(page);

    await goOffline(context);
    await addTask(page, 'Restock shelves');
    const restock = page.getByLabel('Title of “Restock shelves”');
    await restock.fill('Restock shelves 4-6');
    await restock.press('Enter');
    await page.getByLabel('Status of “Restock shelves 4-6”').selectOption('DONE');
    await addTask(page, 'Check fire doors');
    await page.getByRole('button', { name: 'Delete “Old task”' }).click();
    const badge = page.getByRole('status').filter({ hasText: 'pending' });
    await expect.poll(() => badge.textContent()).toMatch(/Offline.*5 pending/);

    // At once, without waiting for the outbox to reach IndexedDB (each edit is also journaled in
    // localStorage before it shows). The page itself comes from the service worker.
    await page.reload();
    await expect.poll(() => badge.textContent(), { timeout: 15_000 }).toMatch(/Offline.*5 pending/);
    expect(await page.getByLabel('Title of “Old task”').count()).toBe(0);
    const before = await ada.pullAll();
    expect(before.entities.map((entity) => entity.id)).toEqual([doomed]);

    await goOnline(context);
    await expect.poll(() => badge.textContent(), { timeout: 45_000 }).toMatch(/Online.*0 pending/);
    await page.getByLabel('Title of “Check fire doors”').waitFor();
    expect(await page.getByLabel('Status of “Restock shelves 4-6”').inputValue()).toBe('DONE');

    const after = await ada.pullAll(before.cursor);
    const byTitle = new Map(after.entities.map((entity) => [String(entity.title), entity]));
    // Exactly once: a create is version 1 and each applied edit adds one, so a change applied
    // twice or lost would show in the versions (a replay is answered DUPLICATE, not applied).
    expect(byTitle.get('Restock shelves 4-6')).toMatchObject({ version: 3, status: 'DONE' });
    expect(byTitle.get('Check fire doors')).toMatchObject({ version: 1, status: 'TODO' });
    expect(byTitle.get('Old task')).toMatchObject({ id: doomed, version: 2, deleted: true });
    // In order: pulls come in commit order, which is the order the edits were made; the
    // rename and status change after their create (else NOT_FOUND and a rejected count).
    expect(after.entities.map((entity) => entity.title)).toEqual([
      'Restock shelves 4-6',
      'Check fire doors',
      'Old task',
    ]);
    expect(await badge.textContent()).not.toContain('rejected');
  });

  it('lists tasks created offline after a reload, before the server has them', async () => {
    const workspaceId = await createWorkspace(server, 'ada', 'Late shift');
    const ada = syncClient(server, 'ada', workspaceId);
    await createTasks(ada, ['Existing task']);
    const { context, page } = await openDashboard({
      token: await server.token('ada'),
      workspaceId,
    });
    await page.getByLabel('Title of “Existing task”').waitFor();
    await untilServiceWorkerControls(page);
    await goOffline(context);
    await addTask(page, 'Made offline');
    await page.getByRole('status').filter({ hasText: 'Offline' }).waitFor();
    await page.reload();
    await page.getByLabel('Title of “Existing task”').waitFor();
    await page.getByLabel('Title of “Made offline”').waitFor({ timeout: 5_000 });
  });

  it('writes a screenshot of the dashboard with live charts and open conflicts', async () => {
    const workspaceId = await createWorkspace(server, 'ada', 'Dock operations');
    await addMember(server, 'ada', workspaceId, 'bob', 'EDITOR');
    const ada = syncClient(server, 'ada', workspaceId);
    const bob = syncClient(server, 'bob', workspaceId);
    const ids = await createTasks(ada, [
      'Count pallets in aisle 4',
      'Print shipping labels',
      'Sweep dock 3',
      'Label returns bins',
      'Charge forklift B',
    ]);

    const { page } = await openDashboard({ token: await server.token('ada'), workspaceId });
    await page.getByLabel('Title of “Charge forklift B”').waitFor();
    await liveSubscriptions(2);

    // A few seconds of traffic: concurrent priority edits (merged), a bad priority (rejected),
    // and statuses moving along so the list looks like a working day.
    const statuses = ['IN_PROGRESS', 'DONE', 'TODO', 'IN_PROGRESS', 'TODO'] as const;
    for (let round = 0; round < 10; round++) {
      const index = round % ids.length;
      const id = ids[index] ?? '';
      const base = (await taskOnServer(id))?.version ?? 1;
      await ada.push({
        task: { id, baseVersion: base, patch: { priority: 2, status: statuses[index] } },
      });
      await bob.push(
        { task: { id, baseVersion: base, patch: { priority: round % 4 } } },
        { task: { id, baseVersion: base, patch: { priority: 9 } } },
      );
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    await openConflict(ada, bob, ids[0] ?? '', { server: 45, local: 60 });
    await openConflict(ada, bob, ids[2] ?? '', { server: 20, local: 35 });
    await openConflict(ada, bob, ids[3] ?? '', { server: 15, local: 10 });
    await expect.poll(() => page.getByRole('article').count()).toBe(3);
    await page.waitForTimeout(1_500);

    await mkdir(artifacts, { recursive: true });
    const file = new URL('dashboard.png', artifacts);
    await page.screenshot({ path: file.pathname, fullPage: true });
    expect((await stat(file)).size).toBeGreaterThan(20_000);
  });

  it('keeps an edit made before the client is ready across an immediate reload, and sends it once', async () => {
    const workspaceId = await createWorkspace(server, 'ada', 'Early shift');
    const ada = syncClient(server, 'ada', workspaceId);
    await createTasks(ada, ['Existing task']);
    const { context, page } = await openDashboard({
      token: await server.token('ada'),
      workspaceId,
    });
    await page.getByLabel('Title of “Existing task”').waitFor();
    // While the flag is set, the client's IndexedDB never opens: the page is up, the sync
    // client exists, and `ready` never comes.
    await context.addInitScript(() => {
      if (sessionStorage.getItem('hold-storage') !== '1') return;
      const open = indexedDB.open.bind(indexedDB);
      indexedDB.open = ((name: string, version?: number) =>
        name.startsWith('converge')
          ? ({} as IDBOpenDBRequest)
          : open(name, version)) as typeof indexedDB.open;
    });
    await page.evaluate(() => sessionStorage.setItem('hold-storage', '1'));
    await page.reload();

    await addTask(page, 'Made before ready');
    const badge = page.getByRole('status').filter({ hasText: 'pending' });
    // Counted at once, though storage is not open.
    await expect.poll(() => badge.textContent()).toMatch(/1 pending/);
    await page.evaluate(() => sessionStorage.removeItem('hold-storage'));
    await page.reload();

    await expect.poll(() => badge.textContent(), { timeout: 30_000 }).toMatch(/Online.*0 pending/);
    await page.getByLabel('Title of “Made before ready”').waitFor();
    const { entities } = await ada.pullAll();
    expect(entities.map((entity) => [entity.title, entity.version])).toEqual([
      ['Existing task', 1],
      ['Made before ready', 1],
    ]);
  });
});
