import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  addMember,
  CHANGES_SINCE,
  createWorkspace,
  type Entity,
  errorCode,
  expectNoErrors,
  newId,
  type SyncClient,
  syncClient,
} from '../support/sync.ts';

type Page = { changesSince: { cursor: string; hasMore: boolean; entities: Entity[] } };

describe.each(testDatabaseKinds())('changesSince on %s', (kind) => {
  let server: TestServer;
  let alice: SyncClient;
  let workspaceId: string;

  beforeAll(async () => {
    server = await startTestServer(kind);
    workspaceId = await createWorkspace(server, 'alice');
    alice = syncClient(server, 'alice', workspaceId);
  });
  afterAll(() => server?.stop());

  async function pullPage(cursor: string | null, limit: number, types?: string[]) {
    return expectNoErrors(
      await server.graphql<Page>(
        CHANGES_SINCE,
        { workspaceId, cursor, limit, types },
        { as: 'alice' },
      ),
    ).changesSince;
  }

  it('pages 1,000 entities in pages of 100 with no gap and no repeat', async () => {
    const start = (await pullPage(null, 1000)).cursor;
    const ids: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const changes = Array.from({ length: 100 }, (_, i) => {
        const id = newId();
        ids.push(id);
        return batch % 3 === 2
          ? { project: { id, patch: { name: `Project ${batch}-${i}` } } }
          : { task: { id, patch: { title: `Task ${batch}-${i}` } } };
      });
      await alice.push(...changes);
    }
    const seen: string[] = [];
    let cursor = start;
    let pages = 0;
    for (;;) {
      const page = await pullPage(cursor, 100);
      pages++;
      seen.push(...page.entities.map((entity) => entity.id));
      expect(page.entities.length).toBeLessThanOrEqual(100);
      cursor = page.cursor;
      if (!page.hasMore) break;
    }
    expect(pages).toBeGreaterThanOrEqual(10);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(ids);
  });

  it('returns only the latest state of an entity, with tombstones, after the cursor', async () => {
    const id = newId();
    await alice.pushOne({ task: { id, patch: { title: 'v1' } } });
    const { cursor } = await pullPage(null, 1000).then(async function drain(page): Promise<{
      cursor: string;
    }> {
      return page.hasMore ? drain(await pullPage(page.cursor, 1000)) : page;
    });
    await alice.pushOne({ task: { id, baseVersion: 1, patch: { title: 'v2' } } });
    await alice.pushOne({ task: { id, baseVersion: 2, delete: true } });
    const page = await pullPage(cursor, 100);
    expect(page.entities).toHaveLength(1);
    expect(page.entities[0]).toMatchObject({ id, title: 'v2', version: 3, deleted: true });
    expect(page.hasMore).toBe(false);
    const after = await pullPage(page.cursor, 100);
    expect(after.entities).toEqual([]);
    expect(after.cursor).toBe(page.cursor);
  });

  it('filters by entity type', async () => {
    const { cursor } = await alice.pullAll();
    await alice.push(
      { project: { id: newId(), patch: { name: 'only project' } } },
      { task: { id: newId(), patch: { title: 'only task' } } },
    );
    const projects = await pullPage(cursor, 100, ['PROJECT']);
    expect(projects.entities.map((entity) => entity.__typename)).toEqual(['Project']);
  });

  it('answers the workspace cursor in pushChanges and Workspace.cursor', async () => {
    const pushed = expectNoErrors(
      await alice.pushRaw([{ task: { id: newId(), patch: { title: 'c' } } }]),
    );
    const workspaces = expectNoErrors(
      await server.graphql<{ workspaces: { id: string; cursor: string }[] }>(
        '{ workspaces { id cursor } }',
        {},
        { as: 'alice' },
      ),
    );
    expect(workspaces.workspaces.find((workspace) => workspace.id === workspaceId)?.cursor).toBe(
      pushed.pushChanges.cursor,
    );
    expect((await pullPage(pushed.pushChanges.cursor, 10)).entities).toEqual([]);
  });

  it('refuses bad cursors and limits with BAD_USER_INPUT', async () => {
    for (const [cursor, limit] of [
      ['garbage', 10],
      ['YzE6LTE', 10], // "c1:-1"
      [null, 0],
      [null, 1001],
    ] as const) {
      const response = await server.graphql(
        CHANGES_SINCE,
        { workspaceId, cursor, limit },
        { as: 'alice' },
      );
      expect(errorCode(response), `${cursor} ${limit}`).toBe('BAD_USER_INPUT');
    }
  });
});

describe.each(testDatabaseKinds())('concurrent writers and a reader on %s', (kind) => {
  let server: TestServer;
  let workspaceId: string;

  beforeAll(async () => {
    server = await startTestServer(kind);
    workspaceId = await createWorkspace(server, 'owner');
  });
  afterAll(() => server?.stop());

  it('leaves a paging reader with exactly the state of a final full pull', async () => {
    const writers = await Promise.all(
      Array.from({ length: 8 }, async (_, index) => {
        await addMember(server, 'owner', workspaceId, `writer-${index}`, 'EDITOR');
        return syncClient(server, `writer-${index}`, workspaceId);
      }),
    );
    const reader = syncClient(server, 'owner', workspaceId);
    const shared = newId();
    await writers[0]?.pushOne({ task: { id: shared, patch: { title: 'shared counter' } } });

    let writing = true;
    const readerState = new Map<string, Entity>();
    let cursor: string | null = null;
    const readLoop = (async () => {
      for (let round = 0; round < 5_000; round++) {
        const stillWriting = writing;
        const response: Awaited<ReturnType<typeof server.graphql<Page>>> =
          await server.graphql<Page>(
            CHANGES_SINCE,
            { workspaceId, cursor, limit: 50 },
            { as: 'owner' },
          );
        const page = expectNoErrors(response).changesSince;
        for (const entity of page.entities) readerState.set(entity.id, entity);
        cursor = page.cursor;
        if (!stillWriting && !page.hasMore) return;
      }
      throw new Error('reader did not catch up');
    })();

    await Promise.all(
      writers.map(async (writer) => {
        for (let round = 0; round < 15; round++) {
          await writer.push(
            { task: { id: newId(), patch: { title: `${writer.userId} ${round}` } } },
            { task: { id: shared, baseVersion: 1, patch: { timeSpentDelta: 1 } } },
          );
        }
      }),
    );
    writing = false;
    await readLoop;

    const final = await reader.pullAll(null, 1000);
    expect(final.entities).toHaveLength(1 + 8 * 15);
    expect(readerState.size).toBe(final.entities.length);
    for (const entity of final.entities) expect(readerState.get(entity.id)).toEqual(entity);
    expect(readerState.get(shared)).toMatchObject({ timeSpentMinutes: 8 * 15 });
  });
});
