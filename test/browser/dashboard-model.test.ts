import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { storageKeys } from '../../dashboard/src/session.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { addMember, createWorkspace, expectNoErrors, newId, syncClient } from '../support/sync.ts';
import { describeWithChromium, launchChromium, startDashboard } from './harness.ts';

/**
 * The dashboard reads the default model like any other: the entity type filter lists every
 * type of the generated client model, and conflict values show by their field's type.
 */
describeWithChromium('the dashboard on the default model', () => {
  let server: TestServer;
  let browser: Browser;
  let dashboardUrl: string;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startTestServer('pglite'), launchChromium()]);
    dashboardUrl = (await startDashboard(server.url)).url;
  });

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    expect(pageErrors.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function openDashboard(userId: string, workspaceId: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const token = await server.token(userId);
    await context.addInitScript(([key, value]) => localStorage.setItem(key, value), [
      storageKeys.token,
      token,
    ] as const);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${dashboardUrl}/dashboard/`);
    const picker = page.getByLabel('Workspace');
    await picker.locator(`option[value="${workspaceId}"]`).waitFor({ state: 'attached' });
    await picker.selectOption(workspaceId);
    return page;
  }

  async function taskOnServer(id: string) {
    const data = expectNoErrors(
      await server.graphql<{
        task: { deleted: boolean; tags: string[]; dueAt: string | null; version: number } | null;
      }>('query($id: ID!) { task(id: $id) { deleted tags dueAt version } }', { id }, { as: 'ada' }),
    );
    return data.task;
  }

  it('lists every entity type of the model in its type filter, newest first, and creates by type', async () => {
    const workspaceId = await createWorkspace(server, 'ada', 'Depot');
    const ada = syncClient(server, 'ada', workspaceId);
    const [projectId, firstTask, secondTask] = [newId(), newId(), newId()];
    const results = await ada.push(
      { project: { id: projectId, patch: { name: 'Spring audit' } } },
      { task: { id: firstTask, patch: { title: 'Count pallets' } } },
      {
        task: {
          id: secondTask,
          patch: {
            title: 'Seal crates',
            tagsAdd: ['fragile', 'cold'],
            dueAt: '2026-05-01T09:30:00.000Z',
          },
        },
      },
    );
    expect(results.map((result) => result.status)).toEqual(['APPLIED', 'APPLIED', 'APPLIED']);

    const page = await openDashboard('ada', workspaceId);
    const filter = page.getByLabel('Entity type');
    // The first type that has entities shows until one is picked: the model's order.
    await page.getByLabel('Name of “Spring audit”').waitFor();
    expect(await filter.locator('option').allTextContents()).toEqual([
      'Project (1)',
      'Task (2)',
      'Comment (0)',
    ]);
    expect(await page.getByLabel('Title of “Count pallets”').count()).toBe(0);

    await filter.selectOption('Task');
    await page.getByRole('heading', { name: 'Tasks' }).waitFor();
    const rows = page.getByRole('list', { name: 'Tasks' }).locator(':scope > li');
    // Newest first: the task changed last comes first.
    await expect.poll(() => rows.count()).toBe(2);
    expect(
      await rows
        .locator('input.entity-title')
        .evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value)),
    ).toEqual(['Seal crates', 'Count pallets']);
    // A set as its items, a date as a date, an enum as a select of its values.
    const crates = page.getByRole('definition').filter({ has: page.locator('.value-items') });
    // The set's items in the order the server keeps them (sorted).
    expect(await crates.locator('li').allTextContents()).toEqual(['cold', 'fragile']);
    const due = page.locator('[data-field="dueAt"] time');
    expect(await due.getAttribute('datetime')).toBe('2026-05-01T09:30:00.000Z');
    expect(await due.textContent()).toBe(
      await page.evaluate(() => new Date('2026-05-01T09:30:00.000Z').toLocaleString()),
    );
    expect(
      await page.getByLabel('Status of “Seal crates”').locator('option').allTextContents(),
    ).toEqual(['Todo', 'In progress', 'Done']);

    // A comment needs a task: the page says so instead of offering a form it cannot fill.
    await filter.selectOption('Comment');
    await page.getByText('No comments.').waitFor();
    expect(await page.locator('.create-note').textContent()).toContain('task id');

    // A project takes only text to create: the generic form, through sync.projects.
    await filter.selectOption('Project');
    await page.getByLabel('New project name').fill('Autumn audit');
    await page.getByRole('button', { name: 'Add project' }).click();
    await page.getByLabel('Name of “Autumn audit”').waitFor();
    expect(
      await page
        .getByRole('list', { name: 'Projects' })
        .locator('input.entity-title')
        .evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value)),
    ).toEqual(['Autumn audit', 'Spring audit']);
    await expect
      .poll(async () => (await ada.pullAll()).entities.map((entity) => entity.name ?? null))
      .toContain('Autumn audit');
    await expect.poll(() => filter.locator('option').first().textContent()).toBe('Project (2)');
  });

  it('shows the patch of an edit made to a deleted task by its field types, and restores it with it', async () => {
    const workspaceId = await createWorkspace(server, 'ada', 'Cold store');
    await addMember(server, 'ada', workspaceId, 'bob', 'EDITOR');
    const ada = syncClient(server, 'ada', workspaceId);
    const bob = syncClient(server, 'bob', workspaceId);
    const taskId = newId();
    expect(
      (await ada.pushOne({ task: { id: taskId, patch: { title: 'Seal crates' } } })).status,
    ).toBe('APPLIED');
    const page = await openDashboard('ada', workspaceId);
    await page.getByLabel('Title of “Seal crates”').waitFor();

    expect((await ada.pushOne({ task: { id: taskId, baseVersion: 1, delete: true } })).status).toBe(
      'APPLIED',
    );
    const edit = await bob.pushOne({
      task: {
        id: taskId,
        baseVersion: 1,
        patch: {
          tagsAdd: ['fragile', 'cold'],
          dueAt: '2026-05-01T09:30:00.000Z',
          estimateMinutes: 40,
        },
      },
    });
    expect(edit.status).toBe('CONFLICT');
    const card = page.locator(`[data-conflict-id="${edit.conflict?.id}"]`);
    await card.waitFor({ timeout: 20_000 });
    expect(await card.getByRole('heading').textContent()).toMatch(/^Task .* · deleted$/);

    // Base and server sides say what they are; the local side is the edit, field by field.
    expect(await card.locator('.side-base .value').textContent()).toBe('not deleted');
    expect(await card.locator('.side-server .value').textContent()).toBe('deleted');
    const local = card.locator('.side-local .value');
    const tags = local.locator('[data-patch-field="tagsAdd"]');
    expect(await tags.locator('dt').textContent()).toBe('tags: add');
    expect(await tags.locator('li').allTextContents()).toEqual(['fragile', 'cold']);
    const due = local.locator('[data-patch-field="dueAt"] time');
    expect(await due.getAttribute('datetime')).toBe('2026-05-01T09:30:00.000Z');
    expect(await due.textContent()).toBe(
      await page.evaluate(() => new Date('2026-05-01T09:30:00.000Z').toLocaleString()),
    );
    expect(await local.locator('[data-patch-field="estimateMinutes"] dd').textContent()).toBe('40');
    // A custom resolution of a deleted entity is a patch: a JSON editor starting from the edit.
    const custom = card.getByLabel('Custom value');
    expect(await custom.evaluate((element) => element.tagName)).toBe('TEXTAREA');
    expect(JSON.parse(await custom.inputValue())).toEqual({
      tagsAdd: ['fragile', 'cold'],
      dueAt: '2026-05-01T09:30:00.000Z',
      estimateMinutes: 40,
    });

    await card.getByRole('button', { name: 'Take local' }).click();
    await card.waitFor({ state: 'detached' });
    expect(await taskOnServer(taskId)).toMatchObject({
      deleted: false,
      tags: ['cold', 'fragile'],
      dueAt: '2026-05-01T09:30:00.000Z',
    });
  });

  it('offers an input that fits the field and resolution only to those the server lets resolve', async () => {
    const workspaceId = await createWorkspace(server, 'ada', 'Night dock');
    await addMember(server, 'ada', workspaceId, 'bob', 'EDITOR');
    await addMember(server, 'ada', workspaceId, 'cy', 'EDITOR');
    const ada = syncClient(server, 'ada', workspaceId);
    const bob = syncClient(server, 'bob', workspaceId);
    const taskId = newId();
    await ada.pushOne({
      task: { id: taskId, patch: { title: 'Weigh pallets', estimateMinutes: 30 } },
    });
    await ada.pushOne({ task: { id: taskId, baseVersion: 1, patch: { estimateMinutes: 45 } } });
    const opened = await bob.pushOne({
      task: { id: taskId, baseVersion: 1, patch: { estimateMinutes: 60 } },
    });
    expect(opened.status).toBe('CONFLICT');

    // cy, an editor whose change did not open it, sees it but is not offered to resolve it.
    const cyPage = await openDashboard('cy', workspaceId);
    const cyCard = cyPage.locator(`[data-conflict-id="${opened.conflict?.id}"]`);
    await cyCard.waitFor();
    expect(await cyCard.getByRole('button').count()).toBe(0);
    expect(await cyCard.locator('.not-yours').textContent()).toContain('Only an admin, or bob');

    // bob opened it: a number input (the field is an Int), checked before it is sent.
    const bobPage = await openDashboard('bob', workspaceId);
    const card = bobPage.getByRole('article').filter({
      has: bobPage.getByRole('heading', { name: 'Task “Weigh pallets” · estimate minutes' }),
    });
    const custom = card.getByLabel('Custom value');
    expect(await custom.getAttribute('type')).toBe('number');
    expect(await custom.inputValue()).toBe('60');
    await custom.fill('52');
    await card.getByRole('button', { name: 'Use custom' }).click();
    await card.waitFor({ state: 'detached' });
    const data = expectNoErrors(
      await server.graphql<{ task: { estimateMinutes: number } }>(
        'query($id: ID!) { task(id: $id) { estimateMinutes } }',
        { id: taskId },
        { as: 'ada' },
      ),
    );
    expect(data.task.estimateMinutes).toBe(52);
  });
});
