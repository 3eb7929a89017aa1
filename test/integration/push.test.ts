import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  addMember,
  createWorkspace,
  errorCode,
  newId,
  PUSH_CHANGES,
  type SyncClient,
  syncClient,
} from '../support/sync.ts';

describe.each(testDatabaseKinds())('pushChanges on %s', (kind) => {
  let server: TestServer;
  let workspaceId: string;
  let alice: SyncClient;
  let bob: SyncClient;

  beforeAll(async () => {
    server = await startTestServer(kind);
    workspaceId = await createWorkspace(server, 'alice');
    await addMember(server, 'alice', workspaceId, 'bob', 'EDITOR');
    alice = syncClient(server, 'alice', workspaceId);
    bob = syncClient(server, 'bob', workspaceId);
  });
  afterAll(() => server?.stop());

  async function createTask(patch: Record<string, unknown> = {}) {
    const id = newId();
    const result = await alice.pushOne({ task: { id, patch: { title: 'A task', ...patch } } });
    expect(result.status).toBe('APPLIED');
    return result.entity as Record<string, unknown> & { id: string; version: number };
  }

  describe('create, update, delete', () => {
    it('creates with defaults, version 1 and the creator as updatedBy', async () => {
      const task = await createTask();
      expect(task).toMatchObject({
        __typename: 'Task',
        workspaceId,
        version: 1,
        title: 'A task',
        notes: '',
        status: 'TODO',
        priority: 0,
        tags: [],
        timeSpentMinutes: 0,
        sortKey: '',
        projectId: null,
        assigneeId: null,
        dueAt: null,
        estimateMinutes: null,
        updatedBy: 'alice',
        deleted: false,
      });
    });

    it('updates fields and bumps the version by one per applied change', async () => {
      const task = await createTask();
      const dueAt = '2027-01-31T12:00:00.000Z';
      const result = await alice.pushOne({
        task: {
          id: task.id,
          baseVersion: 1,
          patch: { status: 'IN_PROGRESS', priority: 3, dueAt, sortKey: 'm' },
        },
      });
      expect(result).toMatchObject({ status: 'APPLIED', mergedFields: [] });
      expect(result.entity).toMatchObject({
        version: 2,
        status: 'IN_PROGRESS',
        priority: 3,
        dueAt,
        sortKey: 'm',
      });
    });

    it('clears nullable fields with null', async () => {
      const task = await createTask({ estimateMinutes: 30, dueAt: '2027-01-01T00:00:00Z' });
      const result = await alice.pushOne({
        task: { id: task.id, baseVersion: 1, patch: { estimateMinutes: null, dueAt: null } },
      });
      expect(result.entity).toMatchObject({ estimateMinutes: null, dueAt: null, version: 2 });
    });

    it('deletes into a tombstone, and a second delete changes nothing', async () => {
      const task = await createTask();
      const first = await alice.pushOne({ task: { id: task.id, baseVersion: 1, delete: true } });
      expect(first).toMatchObject({ status: 'APPLIED', entity: { deleted: true, version: 2 } });
      const again = await bob.pushOne({ task: { id: task.id, baseVersion: 2, delete: true } });
      expect(again).toMatchObject({ status: 'APPLIED', entity: { deleted: true, version: 2 } });
      const read = await server.graphql<{ task: { deleted: boolean } }>(
        'query($id: ID!) { task(id: $id) { deleted } }',
        { id: task.id },
        { as: 'bob' },
      );
      expect(read.data?.task.deleted).toBe(true);
    });

    it('creates projects and comments with their required fields, author set by the server', async () => {
      const projectId = newId();
      const commentId = newId();
      const task = await createTask();
      const [project, comment] = await alice.push(
        { project: { id: projectId, patch: { name: 'Inbox', color: '#112233' } } },
        { comment: { id: commentId, patch: { taskId: task.id, body: 'First!' } } },
      );
      expect(project).toMatchObject({
        status: 'APPLIED',
        entity: { name: 'Inbox', color: '#112233', archived: false },
      });
      expect(comment).toMatchObject({
        status: 'APPLIED',
        entity: { taskId: task.id, authorId: 'alice', body: 'First!' },
      });
    });

    it('applies changes in order inside one batch: create, then update, then reference', async () => {
      const projectId = newId();
      const taskId = newId();
      const results = await alice.push(
        { project: { id: projectId, patch: { name: 'P' } } },
        { project: { id: projectId, baseVersion: 1, patch: { name: 'P2' } } },
        { task: { id: taskId, patch: { title: 'T', projectId } } },
      );
      expect(results.map((result) => result.status)).toEqual(['APPLIED', 'APPLIED', 'APPLIED']);
      expect(results[1]?.entity).toMatchObject({ name: 'P2', version: 2 });
      expect(results[2]?.entity).toMatchObject({ projectId });
    });
  });

  describe('validation and rejections', () => {
    it('rejects a create without its required field, and the rest of the batch still applies', async () => {
      const results = await alice.push(
        { task: { id: newId(), patch: { notes: 'no title' } } },
        { comment: { id: newId(), patch: { body: 'no task' } } },
        { project: { id: newId(), patch: {} } },
        { task: { id: newId(), patch: { title: 'fine' } } },
      );
      expect(
        results.map((result) => [result.status, result.error?.code, result.error?.field]),
      ).toEqual([
        ['REJECTED', 'VALIDATION', 'title'],
        ['REJECTED', 'VALIDATION', 'taskId'],
        ['REJECTED', 'VALIDATION', 'name'],
        ['APPLIED', undefined, undefined],
      ]);
    });

    it('rejects values past their limits with the field named', async () => {
      const task = await createTask();
      const cases: [Record<string, unknown>, string][] = [
        [{ title: 'x'.repeat(10_000) }, 'title'],
        [{ title: '' }, 'title'],
        [{ title: 'nul\u0000byte' }, 'title'],
        [{ title: 'lone \ud800 surrogate' }, 'title'],
        [{ priority: 1_000_000 }, 'priority'],
        [{ tagsAdd: Array.from({ length: 500 }, (_, i) => `t${i}`) }, 'tagsAdd'],
        [{ estimateMinutes: -5 }, 'estimateMinutes'],
        [{ timeSpentDelta: 0 }, 'timeSpentDelta'],
        [{ title: null }, 'title'],
      ];
      for (const [patch, field] of cases) {
        const result = await alice.pushOne({ task: { id: task.id, baseVersion: 1, patch } });
        expect(result, JSON.stringify(patch).slice(0, 80)).toMatchObject({
          status: 'REJECTED',
          entity: null,
          error: { code: 'VALIDATION', field },
        });
      }
    });

    it('rejects invalid ids, hlc and baseVersion per change', async () => {
      const task = await createTask();
      const results = await alice.push(
        { task: { id: 'not an id!', patch: { title: 'x' } } },
        { task: { id: task.id, baseVersion: 1, hlc: 'yesterday', patch: { title: 'x' } } },
        { task: { id: task.id, baseVersion: 99, patch: { title: 'x' } } },
      );
      expect(results.map((result) => result.error?.field)).toEqual(['id', 'hlc', 'baseVersion']);
      expect(results.every((result) => result.error?.code === 'VALIDATION')).toBe(true);
    });

    it('rejects hostile ids one change at a time instead of failing the batch', async () => {
      const task = await createTask();
      const results = await alice.push(
        { task: { id: 'nul\u0000id', patch: { title: 'x' } } },
        { task: { mutationId: 'lone\ud800', id: newId(), patch: { title: 'x' } } },
        { task: { id: task.id, baseVersion: 1, patch: { projectId: 'p\u0000' } } },
        { task: { id: task.id, baseVersion: 1, patch: { assigneeId: 'bob\udc00' } } },
        { task: { id: task.id, baseVersion: 1, patch: { priority: 4 } } },
      );
      expect(results.map((result) => [result.status, result.error?.field ?? null])).toEqual([
        ['REJECTED', 'id'],
        ['REJECTED', 'mutationId'],
        ['REJECTED', 'projectId'],
        ['REJECTED', 'assigneeId'],
        ['APPLIED', null],
      ]);
    });

    it('refuses a delta that would overflow the time counter, keeping the rest of the batch', async () => {
      const task = await createTask();
      await server.app.database.prisma.task.update({
        where: { id: task.id },
        data: { timeSpentMinutes: 2_147_483_600 },
      });
      const results = await alice.push(
        { task: { id: task.id, baseVersion: 1, patch: { timeSpentDelta: 100 } } },
        { task: { id: task.id, baseVersion: 1, patch: { timeSpentDelta: -100 } } },
      );
      expect(results.map((result) => [result.status, result.error?.field ?? null])).toEqual([
        ['REJECTED', 'timeSpentDelta'],
        ['APPLIED', null],
      ]);
      expect(results[1]?.entity).toMatchObject({ timeSpentMinutes: 2_147_483_500 });
    });

    it('answers NOT_FOUND for an update or delete of an unknown entity', async () => {
      const results = await alice.push(
        { task: { id: newId(), baseVersion: 3, patch: { title: 'x' } } },
        { task: { id: newId(), delete: true } },
      );
      expect(results.map((result) => result.error?.code)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    });

    it('answers INVALID_REFERENCE for a project, task or assignee that is not in the workspace', async () => {
      const task = await createTask();
      const results = await alice.push(
        { task: { id: task.id, baseVersion: 1, patch: { projectId: newId() } } },
        { comment: { id: newId(), patch: { taskId: newId(), body: 'orphan' } } },
        { task: { id: task.id, baseVersion: 1, patch: { assigneeId: 'mallory' } } },
        { task: { id: task.id, baseVersion: 1, patch: { assigneeId: 'bob' } } },
      );
      expect(
        results.map((result) => [
          result.status,
          result.error?.code ?? null,
          result.error?.field ?? null,
        ]),
      ).toEqual([
        ['REJECTED', 'INVALID_REFERENCE', 'projectId'],
        ['REJECTED', 'INVALID_REFERENCE', 'taskId'],
        ['REJECTED', 'INVALID_REFERENCE', 'assigneeId'],
        ['APPLIED', null, null],
      ]);
    });

    it('answers WRONG_WORKSPACE for an id that lives in another workspace', async () => {
      const otherWorkspace = await createWorkspace(server, 'alice', 'Other');
      const other = syncClient(server, 'alice', otherWorkspace);
      const task = await createTask();
      const result = await other.pushOne({
        task: { id: task.id, baseVersion: 1, patch: { title: 'hijack' } },
      });
      expect(result).toMatchObject({ status: 'REJECTED', error: { code: 'WRONG_WORKSPACE' } });
    });

    it('only lets the author or an ADMIN change a comment', async () => {
      const task = await createTask();
      const commentId = newId();
      await bob.pushOne({ comment: { id: commentId, patch: { taskId: task.id, body: "bob's" } } });
      const carol = syncClient(server, 'carol', workspaceId);
      await addMember(server, 'alice', workspaceId, 'carol', 'EDITOR');
      const byCarol = await carol.pushOne({
        comment: { id: commentId, baseVersion: 1, patch: { body: 'edited' } },
      });
      expect(byCarol).toMatchObject({ status: 'REJECTED', error: { code: 'FORBIDDEN' } });
      const byAdmin = await alice.pushOne({
        comment: { id: commentId, baseVersion: 1, patch: { body: 'moderated' } },
      });
      expect(byAdmin).toMatchObject({
        status: 'APPLIED',
        entity: { body: 'moderated', authorId: 'bob' },
      });
    });
  });

  describe('idempotency', () => {
    it('answers DUPLICATE on replay and applies nothing again', async () => {
      const task = await createTask({ timeSpentMinutes: undefined });
      const change = {
        task: { mutationId: newId(), id: task.id, baseVersion: 1, patch: { timeSpentDelta: 15 } },
      };
      const first = await alice.pushOne(change);
      expect(first).toMatchObject({
        status: 'APPLIED',
        entity: { timeSpentMinutes: 15, version: 2 },
      });
      const replay = await alice.pushOne(change);
      expect(replay).toMatchObject({
        status: 'DUPLICATE',
        entity: { timeSpentMinutes: 15, version: 2 },
      });
      const pulled = await alice.pullAll();
      expect(pulled.entities.find((entity) => entity.id === task.id)).toMatchObject({
        timeSpentMinutes: 15,
      });
    });

    it('treats a repeated mutation id inside one batch as a duplicate', async () => {
      const task = await createTask();
      const mutationId = newId();
      const change = {
        task: { mutationId, id: task.id, baseVersion: 1, patch: { timeSpentDelta: 5 } },
      };
      const results = await alice.push(change, change);
      expect(results.map((result) => result.status)).toEqual(['APPLIED', 'DUPLICATE']);
      expect(results[1]?.entity).toMatchObject({ timeSpentMinutes: 5 });
    });

    it('refuses a mutation id reused for a different change of the same client', async () => {
      const first = await createTask();
      const second = await createTask();
      const mutationId = newId();
      await alice.pushOne({
        task: { mutationId, id: first.id, baseVersion: 1, patch: { priority: 1 } },
      });
      const reuse = await alice.pushOne({
        task: { mutationId, id: second.id, baseVersion: 1, patch: { priority: 2 } },
      });
      expect(reuse).toMatchObject({
        status: 'REJECTED',
        error: { code: 'VALIDATION', field: 'mutationId' },
      });
    });

    describe("scoped to the user and workspace: nobody probes, claims or shadows another's ids", () => {
      /** A stranger with a workspace of their own, pushing with Alice's clientId. */
      async function strangerAsAlice(userId: string): Promise<SyncClient> {
        const ownWorkspace = await createWorkspace(server, userId);
        return syncClient(server, userId, ownWorkspace, alice.clientId);
      }

      it("does not reveal that another user's mutationId was used", async () => {
        const mutationId = newId();
        await alice.pushOne({ task: { mutationId, id: newId(), patch: { title: 'secret' } } });
        const probe = await (await strangerAsAlice('mallory-probe')).pushOne({
          task: { mutationId, id: newId(), patch: { title: 'probe' } },
        });
        expect(probe).toMatchObject({ status: 'APPLIED', error: null });
      });

      it("lets nobody claim another user's next mutationId first", async () => {
        const mutationId = newId();
        const claim = await (await strangerAsAlice('mallory-claim')).pushOne({
          task: { mutationId, id: newId(), patch: { title: 'claimed' } },
        });
        expect(claim.status).toBe('APPLIED');
        const id = newId();
        const real = await alice.pushOne({ task: { mutationId, id, patch: { title: 'mine' } } });
        expect(real).toMatchObject({ status: 'APPLIED', entity: { id, title: 'mine' } });
      });

      it("does not let an editor of the workspace shadow Alice's change with her ids", async () => {
        const task = await createTask();
        const mutationId = newId();
        const shadowing = syncClient(server, 'bob', workspaceId, alice.clientId);
        const shadow = await shadowing.pushOne({
          task: { mutationId, id: task.id, baseVersion: 1, patch: { priority: 1 } },
        });
        expect(shadow).toMatchObject({ status: 'APPLIED', entity: { priority: 1 } });
        const own = await alice.pushOne({
          task: { mutationId, id: task.id, baseVersion: 2, patch: { title: 'edited by Alice' } },
        });
        expect(own).toMatchObject({
          status: 'APPLIED',
          entity: { title: 'edited by Alice', priority: 1, version: 3 },
        });
        // Her replay is the only DUPLICATE, and it answers her change.
        const replay = await alice.pushOne({
          task: { mutationId, id: task.id, baseVersion: 2, patch: { title: 'edited by Alice' } },
        });
        expect(replay).toMatchObject({ status: 'DUPLICATE', entity: { version: 3 } });
      });
    });

    it('applies a batch sent twice concurrently exactly once', async () => {
      const task = await createTask();
      const changes = Array.from({ length: 20 }, () => ({
        task: { mutationId: newId(), id: task.id, baseVersion: 1, patch: { timeSpentDelta: 1 } },
      }));
      const [one, two] = await Promise.all([alice.push(...changes), alice.push(...changes)]);
      const statuses = [...(one ?? []), ...(two ?? [])].map((result) => result.status);
      expect(statuses.filter((status) => status === 'DUPLICATE')).toHaveLength(20);
      const read = await server.graphql<{ task: { timeSpentMinutes: number } }>(
        'query($id: ID!) { task(id: $id) { timeSpentMinutes } }',
        { id: task.id },
        { as: 'alice' },
      );
      expect(read.data?.task.timeSpentMinutes).toBe(20);
    });
  });

  describe('batch limits', () => {
    it('answers BATCH_TOO_LARGE past MAX_BATCH and applies nothing', async () => {
      const ids = Array.from({ length: 501 }, () => newId());
      const response = await alice.pushRaw(
        ids.map((id) => ({ task: { id, patch: { title: 'bulk' } } })),
      );
      expect(errorCode(response)).toBe('BATCH_TOO_LARGE');
      const pulled = await alice.pullAll();
      expect(pulled.entities.filter((entity) => ids.includes(entity.id))).toEqual([]);
    });

    it('refuses a ChangeInput that names two entity kinds (@oneOf)', async () => {
      const response = await server.graphql(
        PUSH_CHANGES,
        {
          input: {
            workspaceId,
            clientId: alice.clientId,
            changes: [
              {
                task: { mutationId: newId(), id: newId() },
                project: { mutationId: newId(), id: newId() },
              },
            ],
          },
        },
        { as: 'alice' },
      );
      expect(response.errors?.length).toBeGreaterThan(0);
      expect(response.data).toBeUndefined();
    });
  });
});
