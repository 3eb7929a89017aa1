import { execute, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeChangesSinceJson } from '../../server/schema/changes-since-json.ts';
import type { Context } from '../../server/schema/context.ts';
import { schema } from '../../server/schema/index.ts';
import { testDatabaseKinds } from '../support/database.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import {
  CHANGES_SINCE,
  createWorkspace,
  newId,
  type SyncClient,
  syncClient,
} from '../support/sync.ts';

/**
 * The pull hot path (server/schema/changes-since-json.ts) against plain graphql-js: the same
 * query on the same schema, context and database must give the same bytes, and queries or
 * pages the path does not write must be left to execution.
 */

// Every character class JSON escapes differently, in a String field PostgreSQL's to_json writes.
const awkward = 'quote " backslash \\ slash / \u0001\u001f\b\f\n\r\t é ß 中 😀 \u2028\u2029 \u007f';

const QUERIES: Record<string, string> = {
  'every field': CHANGES_SINCE,
  'aliases, __typename and repeated fields': `
    query Pull($workspaceId: ID!, $cursor: Cursor, $limit: Int) {
      page: changesSince(workspaceId: $workspaceId, cursor: $cursor, limit: $limit) {
        kind: __typename more: hasMore next: cursor hasMore
        rows: entities {
          type: __typename __typename
          ... on Task { key: id title state: status id due: dueAt tags title }
          ... on SyncRecord { version id deleted }
        }
      }
    }`,
  'named fragments, nested and on the union': `
    query Pull($workspaceId: ID!, $cursor: Cursor, $limit: Int) {
      changesSince(workspaceId: $workspaceId, cursor: $cursor, limit: $limit) { ...Batch }
    }
    fragment Batch on ChangeBatch { cursor entities { ...Entity } hasMore }
    fragment Entity on SyncEntity { ...Record ... on Project { name color archived } ...Record }
    fragment Record on SyncRecord { id updatedAt updatedBy workspaceId }`,
  'a subset of fields, types filter': `
    query Pull($workspaceId: ID!, $cursor: Cursor, $limit: Int) {
      changesSince(workspaceId: $workspaceId, cursor: $cursor, limit: $limit, types: [TASK, COMMENT]) {
        entities { ... on Comment { body authorId } ... on Task { notes estimateMinutes assigneeId } }
      }
    }`,
  'no entities selected': `
    query Pull($workspaceId: ID!, $cursor: Cursor, $limit: Int) {
      changesSince(workspaceId: $workspaceId, cursor: $cursor, limit: $limit) { hasMore cursor }
    }`,
  'entities selecting only __typename': `
    query Pull($workspaceId: ID!, $cursor: Cursor, $limit: Int) {
      changesSince(workspaceId: $workspaceId, cursor: $cursor, limit: $limit) { entities { __typename } }
    }`,
};

describe.each(testDatabaseKinds())('changesSince written by the database on %s', (kind) => {
  let server: TestServer;
  let alice: SyncClient;
  let workspaceId: string;
  let context: Context;

  beforeAll(async () => {
    server = await startTestServer(kind);
    workspaceId = await createWorkspace(server, 'alice');
    alice = syncClient(server, 'alice', workspaceId);
    context = { services: server.app.services, user: { userId: 'alice' }, requestId: 'test' };
    const projectId = newId();
    const [firstTask, yearOne, lastYear] = [newId(), newId(), newId()];
    await alice.push(
      { project: { id: projectId, patch: { name: awkward } } },
      { project: { id: newId(), patch: { name: 'Colored', color: '#A0b1C2', archived: true } } },
      {
        task: {
          id: firstTask,
          patch: {
            title: awkward,
            notes: `${awkward}\n`.repeat(3),
            projectId,
            status: 'IN_PROGRESS',
            priority: 5,
            tagsAdd: ['a', awkward, 'z'],
            dueAt: '2026-11-22T10:00:00.5+02:00',
            estimateMinutes: 0,
            timeSpentDelta: 42,
          },
        },
      },
      { task: { id: yearOne, patch: { title: 'first year', dueAt: '0001-01-01T00:00:00Z' } } },
      {
        task: { id: lastYear, patch: { title: 'last year', dueAt: '9999-12-31T23:59:59.999Z' } },
      },
      { comment: { id: newId(), patch: { taskId: firstTask, body: awkward } } },
    );
    await alice.push({ task: { id: yearOne, baseVersion: 1, delete: true } });
  });
  afterAll(() => server?.stop());

  const argsOf = (query: string, variables: Record<string, unknown>) => ({
    schema,
    document: parse(query),
    variableValues: variables,
    contextValue: context,
  });

  /** The bytes graphql-js execution gives, and the hot path's (null when it declined). */
  async function bothWays(query: string, variables: Record<string, unknown>) {
    const executed = JSON.stringify(await execute(argsOf(query, variables)));
    const json = await executeChangesSinceJson(argsOf(query, variables));
    return { executed, json: json?.stringify() ?? null };
  }

  it.each(Object.entries(QUERIES))(
    '%s: the same bytes as execution, page by page',
    async (_, query) => {
      for (const limit of [1000, 2, 1]) {
        let cursor: string | null = null;
        for (let page = 0; page < 20; page++) {
          const { executed, json } = await bothWays(query, { workspaceId, cursor, limit });
          expect(json).toBe(executed);
          const batch = Object.values(JSON.parse(executed).data)[0] as Record<string, unknown>;
          // Queries that select no cursor page once.
          const next = Object.entries(batch).find(([key]) => key === 'cursor' || key === 'next');
          if (!next || batch.hasMore === false || batch.more === false) break;
          cursor = next[1] as string;
        }
      }
    },
  );

  it('answers an empty page after the last change the same way', async () => {
    const { cursor } = await alice.pullAll();
    const { executed, json } = await bothWays(CHANGES_SINCE, { workspaceId, cursor, limit: 10 });
    expect(json).toBe(executed);
    expect(JSON.parse(executed).data.changesSince.entities).toEqual([]);
  });

  it('sends the same bytes over HTTP as execution', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await server.token('alice')}`,
      },
      body: JSON.stringify({ query: CHANGES_SINCE, variables: { workspaceId, limit: 1000 } }),
    });
    const { executed } = await bothWays(CHANGES_SINCE, { workspaceId, limit: 1000 });
    expect(await response.text()).toBe(executed);
  });

  it.each([
    ['a bad limit', { limit: 0 }],
    ['a bad cursor', { cursor: 'not a cursor' }],
    ['a workspace of someone else', { workspaceId: 'nobody-s' }],
  ])('leaves %s to execution, which reports the error', async (_, override) => {
    const variables = { workspaceId, cursor: null, limit: 10, ...override };
    const { executed, json } = await bothWays(CHANGES_SINCE, variables);
    expect(json).toBeNull();
    expect(JSON.parse(executed).errors).toHaveLength(1);
  });

  it.each([
    ['another root field', `query { me: __typename changesSince(workspaceId: "w") { cursor } }`],
    [
      'a directive',
      `query($skip: Boolean!) { changesSince(workspaceId: "w") { cursor @skip(if: $skip) } }`,
    ],
    [
      'two aliases of entities',
      `query { changesSince(workspaceId: "w") { a: entities { __typename } b: entities { __typename } } }`,
    ],
    ['a mutation', `mutation { createWorkspace(name: "x") { id } }`],
  ])('leaves a query with %s to execution', async (_, query) => {
    expect(await executeChangesSinceJson(argsOf(query, { skip: false }))).toBeNull();
  });

  it('leaves a page with a date-time outside years 1 to 9999 to execution', async () => {
    const other = await createWorkspace(server, 'alice');
    const id = newId();
    await syncClient(server, 'alice', other).push({ task: { id, patch: { title: 'far' } } });
    // PostgreSQL stores years past 9999; reading one is execution's error to report.
    await server.app.services.prisma.$executeRawUnsafe(
      `UPDATE "Task" SET "dueAt" = '10000-01-01 04:00:00' WHERE "id" = $1`,
      id,
    );
    const variables = { workspaceId: other, cursor: null, limit: 10 };
    const { executed, json } = await bothWays(CHANGES_SINCE, variables);
    expect(json).toBeNull();
    expect(JSON.parse(executed).errors).toHaveLength(1);
    const response = await server.graphql(CHANGES_SINCE, variables, { as: 'alice' });
    expect(response.errors).toHaveLength(1);
  });
});
