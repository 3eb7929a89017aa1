import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  addMember,
  type ChangeInput,
  CONFLICT_FIELDS,
  createWorkspace,
  errorCode,
  expectNoErrors,
  newId,
  type SyncClient,
  syncClient,
} from '../support/sync.ts';

const LIST_CONFLICTS = `
  query($w: ID!, $status: ConflictStatus, $first: Int, $after: String) {
    conflicts(workspaceId: $w, status: $status, first: $first, after: $after) { ${CONFLICT_FIELDS} }
  }`;

const RESOLVE = `
  mutation($id: ID!, $choice: ConflictChoice!, $value: JSON) {
    resolveConflict(id: $id, choice: $choice, value: $value) { ${CONFLICT_FIELDS} }
  }`;

const READ_TASK =
  'query($id: ID!) { task(id: $id) { version title estimateMinutes deleted notes } }';

interface ConflictView {
  id: string;
  field: string;
  status: string;
  resolution: unknown;
  resolvedBy: string | null;
  resolvedAt: string | null;
}

describe.each(testDatabaseKinds())('conflicts on %s', (kind) => {
  let server: TestServer;
  let workspaceId: string;
  let alice: SyncClient;
  let bob: SyncClient;

  beforeAll(async () => {
    server = await startTestServer(kind);
    workspaceId = await createWorkspace(server, 'alice');
    await addMember(server, 'alice', workspaceId, 'bob', 'EDITOR');
    await addMember(server, 'alice', workspaceId, 'carol', 'EDITOR');
    await addMember(server, 'alice', workspaceId, 'victor', 'VIEWER');
    alice = syncClient(server, 'alice', workspaceId);
    bob = syncClient(server, 'bob', workspaceId);
  });
  afterAll(() => server?.stop());

  /** Alice sets the estimate to 90, Bob to 120 from the same base: a MANUAL conflict opened by Bob. */
  async function estimateConflict() {
    const id = newId();
    await alice.pushOne({ task: { id, patch: { title: 'Estimate me', estimateMinutes: 60 } } });
    await alice.pushOne({ task: { id, baseVersion: 1, patch: { estimateMinutes: 90 } } });
    const result = await bob.pushOne({
      task: { id, baseVersion: 1, patch: { estimateMinutes: 120 } },
    });
    expect(result.status).toBe('CONFLICT');
    return { taskId: id, conflictId: (result.conflict as { id: string }).id };
  }

  async function readTask(id: string) {
    return expectNoErrors(
      await server.graphql<{ task: Record<string, unknown> }>(READ_TASK, { id }, { as: 'alice' }),
    ).task;
  }

  /** The workspace's conflicts (first 500), of one status or all, as `as` sees them. */
  async function listConflicts(status: 'OPEN' | 'RESOLVED' | null, as = 'alice') {
    return expectNoErrors(
      await server.graphql<{ conflicts: (ConflictView & { entityId: string })[] }>(
        LIST_CONFLICTS,
        { w: workspaceId, ...(status ? { status } : {}), first: 500 },
        { as },
      ),
    ).conflicts;
  }

  async function resolve(id: string, choice: string, as: string, value?: unknown) {
    return server.graphql<{ resolveConflict: ConflictView }>(
      RESOLVE,
      { id, choice, value },
      { as },
    );
  }

  it('lists open conflicts, filtered by status and paged with after', async () => {
    const first = await estimateConflict();
    const second = await estimateConflict();
    const open = (await listConflicts('OPEN', 'victor')).map((conflict) => conflict.id);
    expect(open).toEqual(expect.arrayContaining([first.conflictId, second.conflictId]));

    const pages: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 100; page++) {
      const batch: ConflictView[] = expectNoErrors(
        await server.graphql<{ conflicts: ConflictView[] }>(
          LIST_CONFLICTS,
          { w: workspaceId, status: 'OPEN', first: 1, after },
          { as: 'alice' },
        ),
      ).conflicts;
      if (batch.length === 0) break;
      pages.push(...batch.map((conflict) => conflict.id));
      after = batch.at(-1)?.id ?? null;
    }
    expect(pages).toEqual(open);
  });

  it('SERVER keeps the server value, as an applied change with a new version', async () => {
    const { taskId, conflictId } = await estimateConflict();
    const before = await readTask(taskId);
    const requestedAt = Date.now();
    const resolved = expectNoErrors(await resolve(conflictId, 'SERVER', 'alice')).resolveConflict;
    expect(resolved).toMatchObject({ status: 'RESOLVED', resolution: 90, resolvedBy: 'alice' });
    // Stored as UTC and read back unshifted, whatever the server's time zone.
    const resolvedAt = Date.parse(resolved.resolvedAt ?? '');
    expect(resolvedAt).toBeGreaterThanOrEqual(requestedAt);
    expect(resolvedAt).toBeLessThanOrEqual(Date.now());
    const listed = await listConflicts('RESOLVED');
    expect(listed.find((conflict) => conflict.id === conflictId)).toEqual(resolved);
    expect(await readTask(taskId)).toMatchObject({
      estimateMinutes: 90,
      version: (before.version as number) + 1,
    });
    const stillOpen = await listConflicts('OPEN');
    expect(stillOpen.map((conflict) => conflict.id)).not.toContain(conflictId);
  });

  it('LOCAL applies the local value; the editor who opened the conflict may resolve it', async () => {
    const { taskId, conflictId } = await estimateConflict();
    const resolved = expectNoErrors(await resolve(conflictId, 'LOCAL', 'bob')).resolveConflict;
    expect(resolved).toMatchObject({ status: 'RESOLVED', resolution: 120, resolvedBy: 'bob' });
    expect(await readTask(taskId)).toMatchObject({ estimateMinutes: 120 });
    const pulled = await alice.pullAll();
    expect(pulled.entities.find((entity) => entity.id === taskId)).toMatchObject({
      estimateMinutes: 120,
    });
  });

  it('CUSTOM applies the given value after validating it', async () => {
    const { taskId, conflictId } = await estimateConflict();
    expect(errorCode(await resolve(conflictId, 'CUSTOM', 'alice', -1))).toBe('BAD_USER_INPUT');
    expect(errorCode(await resolve(conflictId, 'CUSTOM', 'alice'))).toBe('BAD_USER_INPUT');
    const resolved = expectNoErrors(
      await resolve(conflictId, 'CUSTOM', 'alice', 105),
    ).resolveConflict;
    expect(resolved).toMatchObject({ status: 'RESOLVED', resolution: 105 });
    expect(await readTask(taskId)).toMatchObject({ estimateMinutes: 105 });
  });

  it('refuses a second resolution, viewers, other editors and non-members', async () => {
    const { conflictId } = await estimateConflict();
    expect(errorCode(await resolve(conflictId, 'SERVER', 'victor'))).toBe('FORBIDDEN');
    expect(errorCode(await resolve(conflictId, 'SERVER', 'carol'))).toBe('FORBIDDEN');
    expect(errorCode(await resolve(conflictId, 'SERVER', 'mallory'))).toBe('FORBIDDEN');
    expectNoErrors(await resolve(conflictId, 'SERVER', 'alice'));
    expect(errorCode(await resolve(conflictId, 'LOCAL', 'alice'))).toBe('BAD_USER_INPUT');
    expect(errorCode(await resolve(newId(), 'LOCAL', 'alice'))).toBe('NOT_FOUND');
  });

  it('turns an edit of a concurrently deleted entity into a _deleted conflict, not a silent drop', async () => {
    const id = newId();
    await alice.pushOne({ task: { id, patch: { title: 'Doomed' } } });
    await alice.pushOne({ task: { id, baseVersion: 1, delete: true } });
    const edit = await bob.pushOne({
      task: { id, baseVersion: 1, patch: { notes: 'my offline notes' } },
    });
    expect(edit).toMatchObject({
      status: 'CONFLICT',
      entity: { deleted: true },
      conflict: { field: '_deleted', localValue: { notes: 'my offline notes' }, status: 'OPEN' },
    });

    // Taking the local side brings the entity back with the edit applied.
    const conflictId = (edit.conflict as { id: string }).id;
    expectNoErrors(await resolve(conflictId, 'LOCAL', 'bob'));
    expect(await readTask(id)).toMatchObject({
      deleted: false,
      notes: 'my offline notes',
      version: 3,
    });
  });

  it('SERVER on a _deleted conflict keeps the entity deleted', async () => {
    const id = newId();
    await alice.pushOne({ task: { id, patch: { title: 'Gone' } } });
    await alice.pushOne({ task: { id, baseVersion: 1, delete: true } });
    const edit = await bob.pushOne({ task: { id, baseVersion: 1, patch: { title: 'Keep me' } } });
    const conflictId = (edit.conflict as { id: string }).id;
    expectNoErrors(await resolve(conflictId, 'SERVER', 'alice'));
    expect(await readTask(id)).toMatchObject({ deleted: true, title: 'Gone' });
  });

  it('replaying the change that opened a conflict answers DUPLICATE and opens no second conflict', async () => {
    const id = newId();
    await alice.pushOne({ task: { id, patch: { title: 'T', estimateMinutes: 1 } } });
    await alice.pushOne({ task: { id, baseVersion: 1, patch: { estimateMinutes: 2 } } });
    const change = {
      task: { mutationId: newId(), id, baseVersion: 1, patch: { estimateMinutes: 3 } },
    };
    expect((await bob.pushOne(change)).status).toBe('CONFLICT');
    expect((await bob.pushOne(change)).status).toBe('DUPLICATE');
    const all = await listConflicts(null);
    expect(all.filter((conflict) => conflict.entityId === id)).toHaveLength(1);
  });

  describe('a resolution is checked as a pushed change is', () => {
    let mallory: SyncClient;
    let foreignProjectId: string;
    let foreignTaskId: string;

    beforeAll(async () => {
      foreignProjectId = newId();
      foreignTaskId = newId();
      await alice.push(
        { project: { id: foreignProjectId, patch: { name: "Alice's" } } },
        { task: { id: foreignTaskId, patch: { title: "Alice's" } } },
      );
      mallory = syncClient(server, 'mallory', await createWorkspace(server, 'mallory'));
    });

    /** In Mallory's own workspace: an edit of a deleted entity opens a `_deleted` conflict. */
    async function deletedConflict(
      type: 'task' | 'comment',
      patch: Record<string, unknown>,
    ): Promise<{ id: string; conflictId: string }> {
      const taskId = newId();
      await mallory.pushOne({ task: { id: taskId, patch: { title: 'Mine' } } });
      const id = type === 'task' ? taskId : newId();
      if (type === 'comment') {
        await mallory.pushOne({ comment: { id, patch: { taskId, body: 'Mine' } } });
      }
      const change = (body: object) => ({ [type]: { id, ...body } }) as ChangeInput;
      await mallory.pushOne(change({ baseVersion: 1, delete: true }));
      const edit = await mallory.pushOne(change({ baseVersion: 1, patch }));
      expect(edit.status).toBe('CONFLICT');
      return { id, conflictId: (edit.conflict as { id: string }).id };
    }

    it("refuses LOCAL with a projectId of another workspace's project", async () => {
      const { id, conflictId } = await deletedConflict('task', { projectId: foreignProjectId });
      const refused = await resolve(conflictId, 'LOCAL', 'mallory');
      expect(errorCode(refused)).toBe('INVALID_REFERENCE');
      expect(refused.errors?.[0]?.extensions?.field).toBe('projectId');
      const task = await server.graphql<{ task: { deleted: boolean; projectId: string | null } }>(
        'query($id: ID!) { task(id: $id) { deleted projectId } }',
        { id },
        { as: 'mallory' },
      );
      expect(task.data?.task).toEqual({ deleted: true, projectId: null });
    });

    it('refuses CUSTOM with an assigneeId that is no member of the workspace', async () => {
      const { conflictId } = await deletedConflict('task', { title: 'Back' });
      const refused = await resolve(conflictId, 'CUSTOM', 'mallory', { assigneeId: 'alice' });
      expect(errorCode(refused)).toBe('INVALID_REFERENCE');
      expect(refused.errors?.[0]?.extensions?.field).toBe('assigneeId');
      const allowed = await resolve(conflictId, 'CUSTOM', 'mallory', { assigneeId: 'mallory' });
      expect(expectNoErrors(allowed).resolveConflict.status).toBe('RESOLVED');
    });

    it("refuses CUSTOM moving a comment onto another workspace's task", async () => {
      const { conflictId } = await deletedConflict('comment', { body: 'Edited' });
      const refused = await resolve(conflictId, 'CUSTOM', 'mallory', { taskId: foreignTaskId });
      expect(errorCode(refused)).toBe('INVALID_REFERENCE');
      expect(refused.errors?.[0]?.extensions?.field).toBe('taskId');
    });
  });
});
