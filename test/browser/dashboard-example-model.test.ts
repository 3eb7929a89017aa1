import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { storageKeys } from '../../dashboard/src/session.ts';
import { signToken } from '../../server/auth/jwt.ts';
import { graphqlAt, type ServerProcess } from '../fault/server-process.ts';
import { type ModelServer, startModelServer } from '../support/model-copy.ts';
import { describeWithChromium, launchChromium } from './harness.ts';

const exampleModel = new URL('../../examples/field-service/model.graphql', import.meta.url);
const secret = 'dashboard-example-model-secret-of-32-chars';

/**
 * The dashboard of a project whose model is the field-service example, generated into a
 * copy of the repository as a team would: its own page build, its own server, its own types.
 * Nothing of the default model (Task, Project, Comment) exists there.
 */
describeWithChromium('the dashboard on the field-service example model', () => {
  let server: ServerProcess;
  let stopServer: (() => Promise<void>) | undefined;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    let running: ModelServer;
    [running, browser] = await Promise.all([
      startModelServer({
        model: await readFile(exampleModel, 'utf8'),
        kind: 'pglite',
        secret,
        // NODE_ENV production: vitest sets `test`, which would bundle React's development build.
        prepare: (dir) =>
          promisify(execFile)(
            process.execPath,
            ['dashboard/build.mjs', '--outDir', join(dir, 'dashboard/dist')],
            { cwd: dir, env: { ...process.env, NODE_ENV: 'production' } },
          ).then(() => undefined),
      }),
      launchChromium(),
    ]);
    ({ server, stop: stopServer } = running);
  }, 600_000);

  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
    expect(pageErrors.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
    await stopServer?.();
  });

  async function graphql<T>(
    userId: string,
    query: string,
    variables: Record<string, unknown> = {},
  ) {
    const response = await graphqlAt<T>(server.url, { secret, userId }, query, variables);
    expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
    return response.data as T;
  }

  interface Result {
    status: string;
    conflict: { id: string } | null;
    error: { code: string; message: string } | null;
  }

  async function push(userId: string, workspaceId: string, change: Record<string, unknown>) {
    const [[key, body]] = Object.entries(change) as [[string, object]];
    const data = await graphql<{ pushChanges: { results: Result[] } }>(
      userId,
      `mutation($input: PushChangesInput!) {
        pushChanges(input: $input) { results { status conflict { id } error { code message } } }
      }`,
      {
        input: {
          workspaceId,
          clientId: `${userId}-device`,
          changes: [{ [key]: { mutationId: randomUUID(), ...body } }],
        },
      },
    );
    const [result] = data.pushChanges.results;
    if (!result) throw new Error('no result');
    return result;
  }

  async function openDashboard(userId: string, workspaceId: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const token = await signToken(secret, userId);
    await context.addInitScript(([key, value]) => localStorage.setItem(key, value), [
      storageKeys.token,
      token,
    ] as const);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.url}/dashboard/`);
    const picker = page.getByLabel('Workspace');
    await picker.locator(`option[value="${workspaceId}"]`).waitFor({ state: 'attached' });
    await picker.selectOption(workspaceId);
    return page;
  }

  it('lists the example entity types and resolves a conflict on WorkOrder.state (@manual)', async () => {
    const { createWorkspace } = await graphql<{ createWorkspace: { id: string } }>(
      'dispatcher',
      'mutation { createWorkspace(name: "North region") { id } }',
    );
    const workspaceId = createWorkspace.id;
    // An ADMIN: a work order belongs to its dispatcher (@owner), whom only ADMINs may overrule.
    await graphql(
      'dispatcher',
      'mutation($w: ID!) { addMember(workspaceId: $w, userId: "technician", role: ADMIN) { userId } }',
      { w: workspaceId },
    );
    const [siteId, orderId] = [randomUUID(), randomUUID()];
    expect(
      (
        await push('dispatcher', workspaceId, {
          site: { id: siteId, patch: { label: 'Pump house' } },
        })
      ).status,
    ).toBe('APPLIED');
    const created = await push('dispatcher', workspaceId, {
      workOrder: {
        id: orderId,
        patch: { siteId, summary: 'Replace boiler valve', requiredSkillsAdd: ['PLUMBING'] },
      },
    });
    expect(created.status).toBe('APPLIED');
    // The dispatcher moves the order on; the technician, from version 1, says another state.
    const change = (state: string) => ({
      workOrder: { id: orderId, baseVersion: 1, patch: { state } },
    });
    expect((await push('dispatcher', workspaceId, change('EN_ROUTE'))).status).toBe('APPLIED');
    const opened = await push('technician', workspaceId, change('ON_SITE'));
    expect(opened.status).toBe('CONFLICT');

    const page = await openDashboard('dispatcher', workspaceId);
    const filter = page.getByLabel('Entity type');
    await page.getByLabel('Label of “Pump house”').waitFor();
    expect(await filter.locator('option').allTextContents()).toEqual([
      'Site (1)',
      'Work order (1)',
      'Part category (0)',
      'Batch (0)',
      'Inventory (0)',
    ]);
    // The model's description of the type shows with it.
    expect(await page.locator('.entities .description').textContent()).toBe(
      'A customer location technicians drive to.',
    );
    await filter.selectOption('WorkOrder');
    await page.getByLabel('Summary of “Replace boiler valve”').waitFor();
    expect(await page.locator('[data-field="requiredSkills"] li').allTextContents()).toEqual([
      'PLUMBING',
    ]);

    // Labelled from the model: the type, the title (its first String field) and the field.
    const card = page.getByRole('article').filter({
      has: page.getByRole('heading', { name: 'Work order “Replace boiler valve” · state' }),
    });
    await card.waitFor();
    expect(await card.locator('.side-base .value').textContent()).toBe('SCHEDULED');
    expect(await card.locator('.side-local .value').textContent()).toBe('ON_SITE');
    expect(await card.locator('.side-server .value').textContent()).toBe('EN_ROUTE');
    // An enum takes one of its values: a select of the model's JobState values.
    const custom = card.getByLabel('Custom value');
    expect(await custom.locator('option').allTextContents()).toEqual([
      'SCHEDULED',
      'EN_ROUTE',
      'ON_SITE',
      'COMPLETED',
      'CANCELLED',
    ]);
    await custom.selectOption('COMPLETED');
    await card.getByRole('button', { name: 'Use custom' }).click();
    await card.waitFor({ state: 'detached' });

    const { workOrder } = await graphql<{ workOrder: { state: string; version: number } }>(
      'dispatcher',
      'query($id: ID!) { workOrder(id: $id) { state version } }',
      { id: orderId },
    );
    expect(workOrder).toEqual({ state: 'COMPLETED', version: 3 });
    const { conflicts } = await graphql<{
      conflicts: { id: string; status: string; resolution: unknown }[];
    }>('dispatcher', 'query($w: ID!) { conflicts(workspaceId: $w) { id status resolution } }', {
      w: workspaceId,
    });
    expect(conflicts).toEqual([
      { id: opened.conflict?.id, status: 'RESOLVED', resolution: 'COMPLETED' },
    ]);
  });
});
