import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.ts';
import { type Received, subscribeSse } from '../support/subscriptions.ts';
import { expectNoErrors } from '../support/sync.ts';

/**
 * The README's "A first session in GraphiQL", run as written: every GraphQL block of the
 * section, in order, against a real server, with the outcomes the README's prose promises.
 * A README example that drifts from the API fails here instead of in a newcomer's first hour.
 */

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

function sessionBlocks(): string[] {
  const start = readme.indexOf('## A first session in GraphiQL');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1] as string);
}

/** The block that contains `marker`; exactly one must. */
function block(marker: string): string {
  const found = sessionBlocks().filter((text) => text.includes(marker));
  expect(found, `README blocks containing ${marker}`).toHaveLength(1);
  return found[0] as string;
}

const TASK_ID = '01JD3Z6M4X0000000000000002';
const USER = 'dev-user';

interface Result {
  mutationId?: string;
  status: string;
  conflict?: Record<string, unknown> | null;
  entity?: Record<string, unknown> | null;
}

describe('README: a first session in GraphiQL', () => {
  let server: TestServer;
  let workspaceId: string;
  let watch: Received<{ conflictChanged: Record<string, unknown> }> | undefined;

  beforeAll(async () => {
    server = await startTestServer('pglite');
  });
  afterAll(async () => {
    watch?.stop();
    await server?.stop();
  });

  const run = async <T>(query: string, variables: Record<string, unknown> = {}) =>
    expectNoErrors(await server.graphql<T>(query, variables, { as: USER }));

  /** Waits until the server listens for conflicts, so the next conflict reaches the stream. */
  async function conflictStreamsOpen(count: number): Promise<void> {
    const deadline = Date.now() + 15_000;
    const line = `converge_subscriptions_active{kind="conflictChanged"} ${count}`;
    while (Date.now() < deadline) {
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      if (metrics.split('\n').includes(line)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no conflictChanged stream opened within 15 s (${line})`);
  }

  it('has the blocks this test runs, and only those', () => {
    expect(sessionBlocks()).toHaveLength(7);
  });

  it('creates a workspace whose creator is ADMIN', async () => {
    const data = await run<{ createWorkspace: { id: string; role: string } }>(
      block('createWorkspace'),
    );
    expect(data.createWorkspace.role).toBe('ADMIN');
    workspaceId = data.createWorkspace.id;
  });

  it('pushes a batch, and the same batch again is all DUPLICATE', async () => {
    type Push = { pushChanges: { results: Result[] } };
    const push = block('mutation Push(');
    const first = await run<Push>(push, { workspaceId });
    expect(first.pushChanges.results.map((result) => result.status)).toEqual([
      'APPLIED',
      'APPLIED',
      'APPLIED',
    ]);
    expect(first.pushChanges.results[2]?.entity).toMatchObject({
      id: TASK_ID,
      version: 2,
      status: 'IN_PROGRESS',
      tags: ['dock-3'],
      timeSpentMinutes: 15,
    });
    const again = await run<Push>(push, { workspaceId });
    expect(again.pushChanges.results.map((result) => result.status)).toEqual([
      'DUPLICATE',
      'DUPLICATE',
      'DUPLICATE',
    ]);
  });

  it('pulls what changed', async () => {
    const data = await run<{ changesSince: { hasMore: boolean; entities: { id: string }[] } }>(
      block('query Pull('),
      { workspaceId },
    );
    expect(data.changesSince.hasMore).toBe(false);
    expect(data.changesSince.entities.map((entity) => entity.id)).toContain(TASK_ID);
  });

  it('makes a conflict, lists it, resolves it, and conflictChanged reports both', async () => {
    watch = subscribeSse(server.url, await server.token(USER), block('conflictChanged('), {
      workspaceId,
    });
    await conflictStreamsOpen(1);

    type TwoDevices = { phone: { results: Result[] }; laptop: { results: Result[] } };
    const pushed = await run<TwoDevices>(block('mutation TwoDevices('), { workspaceId });
    expect(pushed.phone.results[0]).toMatchObject({
      status: 'APPLIED',
      entity: { version: 3, estimateMinutes: 30 },
    });
    const laptop = pushed.laptop.results[0] as Result;
    expect(laptop).toMatchObject({
      status: 'CONFLICT',
      conflict: { field: 'estimateMinutes', baseValue: null, localValue: 45, serverValue: 30 },
      entity: { version: 3, estimateMinutes: 30 },
    });
    const conflictId = laptop.conflict?.id as string;

    const listed = await run<{ conflicts: Record<string, unknown>[] }>(
      block('query OpenConflicts('),
      { workspaceId },
    );
    expect(listed.conflicts).toEqual([
      expect.objectContaining({ id: conflictId, entityId: TASK_ID, clientId: 'laptop' }),
    ]);

    const resolved = await run<{ resolveConflict: Record<string, unknown> }>(
      block('mutation Resolve('),
      { id: conflictId },
    );
    expect(resolved.resolveConflict).toMatchObject({
      id: conflictId,
      status: 'RESOLVED',
      resolution: 40,
      resolvedBy: USER,
    });

    const events = await watch.waitFor(2);
    expect(events.map((event) => event.data?.conflictChanged)).toEqual([
      expect.objectContaining({ id: conflictId, status: 'OPEN', localValue: 45, serverValue: 30 }),
      expect.objectContaining({ id: conflictId, status: 'RESOLVED', resolution: 40 }),
    ]);

    const task = await run<{ task: { version: number; estimateMinutes: number } }>(
      'query ($id: ID!) { task(id: $id) { version estimateMinutes } }',
      { id: TASK_ID },
    );
    expect(task.task).toEqual({ version: 4, estimateMinutes: 40 });
  });
});
