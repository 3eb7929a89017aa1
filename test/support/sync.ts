import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { GraphQLResponse, TestServer } from './server.ts';

/** Every field of every synced type, so tests compare whole entities. */
export const ENTITY_FIELDS = `
  __typename
  ... on SyncRecord { id workspaceId version updatedAt updatedBy deleted }
  ... on Project { name color archived }
  ... on Task { projectId title notes status priority tags assigneeId dueAt estimateMinutes timeSpentMinutes sortKey }
  ... on Comment { taskId authorId body }
`;

export const CONFLICT_FIELDS = `
  id workspaceId entityType entityId field baseValue localValue serverValue status resolution
  actorId clientId createdAt resolvedAt resolvedBy
`;

export const PUSH_CHANGES = `
  mutation Push($input: PushChangesInput!) {
    pushChanges(input: $input) {
      cursor
      results {
        mutationId status mergedFields
        entity { ${ENTITY_FIELDS} }
        conflict { ${CONFLICT_FIELDS} }
        error { code message field }
      }
    }
  }`;

export const CHANGES_SINCE = `
  query Pull($workspaceId: ID!, $cursor: Cursor, $limit: Int, $types: [EntityType!]) {
    changesSince(workspaceId: $workspaceId, cursor: $cursor, limit: $limit, types: $types) {
      cursor hasMore entities { ${ENTITY_FIELDS} }
    }
  }`;

export type Entity = Record<string, unknown> & { __typename: string; id: string; version: number };

export interface ChangeResult {
  mutationId: string;
  status: 'APPLIED' | 'MERGED' | 'CONFLICT' | 'REJECTED' | 'DUPLICATE';
  mergedFields: string[];
  entity: Entity | null;
  conflict: Record<string, unknown> | null;
  error: { code: string; message: string; field: string | null } | null;
}

export type ChangeInput = { project: ChangeBody } | { task: ChangeBody } | { comment: ChangeBody };
export interface ChangeBody {
  mutationId?: string;
  id: string;
  baseVersion?: number | null;
  hlc?: string | null;
  delete?: boolean;
  patch?: Record<string, unknown>;
}

export function expectNoErrors<T>(response: GraphQLResponse<T>): T {
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  expect(response.status).toBe(200);
  return response.data as T;
}

export function errorCode(response: GraphQLResponse): string | undefined {
  return response.errors?.[0]?.extensions?.code;
}

export async function createWorkspace(
  server: TestServer,
  userId: string,
  name = 'Test workspace',
): Promise<string> {
  const data = expectNoErrors(
    await server.graphql<{ createWorkspace: { id: string } }>(
      'mutation($name: String!) { createWorkspace(name: $name) { id } }',
      { name },
      { as: userId },
    ),
  );
  return data.createWorkspace.id;
}

/** The workspace's cursor now, as `userId` sees it: subscriptions opened with it see what follows. */
export async function workspaceCursor(
  server: TestServer,
  userId: string,
  workspaceId: string,
): Promise<string> {
  const data = expectNoErrors(
    await server.graphql<{ workspaces: { id: string; cursor: string }[] }>(
      '{ workspaces { id cursor } }',
      {},
      { as: userId },
    ),
  );
  const cursor = data.workspaces.find((workspace) => workspace.id === workspaceId)?.cursor;
  if (!cursor) throw new Error(`${userId} is not a member of ${workspaceId}`);
  return cursor;
}

export async function addMember(
  server: TestServer,
  adminId: string,
  workspaceId: string,
  userId: string,
  role: 'VIEWER' | 'EDITOR' | 'ADMIN',
): Promise<void> {
  expectNoErrors(
    await server.graphql(
      'mutation($w: ID!, $u: ID!, $r: Role!) { addMember(workspaceId: $w, userId: $u, role: $r) { userId role } }',
      { w: workspaceId, u: userId, r: role },
      { as: adminId },
    ),
  );
}

/** A client of one user: pushes with its own clientId and fresh mutation ids. */
export function syncClient(
  server: TestServer,
  userId: string,
  workspaceId: string,
  clientId: string = randomUUID(),
) {
  return {
    clientId,
    userId,
    async pushRaw(changes: ChangeInput[]) {
      const withIds = changes.map((change) => {
        const [[key, body]] = Object.entries(change) as [[string, ChangeBody]];
        return { [key]: { mutationId: randomUUID(), ...body } };
      });
      return server.graphql<{ pushChanges: { cursor: string; results: ChangeResult[] } }>(
        PUSH_CHANGES,
        { input: { workspaceId, clientId, changes: withIds } },
        { as: userId },
      );
    },
    async push(...changes: ChangeInput[]): Promise<ChangeResult[]> {
      return expectNoErrors(await this.pushRaw(changes)).pushChanges.results;
    },
    async pushOne(change: ChangeInput): Promise<ChangeResult> {
      const [result] = await this.push(change);
      if (!result) throw new Error('no result');
      return result;
    },
    /** Pages through changesSince until hasMore is false. */
    async pullAll(cursor: string | null = null, limit = 500) {
      const entities: Entity[] = [];
      let next = cursor;
      for (let page = 0; page < 10_000; page++) {
        const data = expectNoErrors(
          await server.graphql<{
            changesSince: { cursor: string; hasMore: boolean; entities: Entity[] };
          }>(CHANGES_SINCE, { workspaceId, cursor: next, limit }, { as: userId }),
        );
        entities.push(...data.changesSince.entities);
        next = data.changesSince.cursor;
        if (!data.changesSince.hasMore) return { entities, cursor: next };
      }
      throw new Error('pullAll did not finish');
    },
  };
}

export type SyncClient = ReturnType<typeof syncClient>;

export const newId = (): string => randomUUID();
