/**
 * The documents the generated client sends (client/operations/*.graphql), inlined so the
 * bench does not depend on the client's build: every field of every entity, because the
 * client's cache needs complete entities. Measuring a thinner selection would flatter us.
 */
const syncEntityFields = `
  __typename
  ... on Project { id workspaceId version updatedAt updatedBy deleted name color archived }
  ... on Task {
    id workspaceId version updatedAt updatedBy deleted projectId title notes status priority
    tags assigneeId dueAt estimateMinutes timeSpentMinutes sortKey
  }
  ... on Comment { id workspaceId version updatedAt updatedBy deleted taskId authorId body }
`;

const conflictFields = `
  __typename id workspaceId entityType entityId field baseValue localValue serverValue status
  resolution actorId clientId createdAt resolvedAt resolvedBy
`;

export const PUSH_CHANGES = `
  mutation PushChanges($input: PushChangesInput!) {
    pushChanges(input: $input) {
      __typename
      cursor
      results {
        __typename mutationId status mergedFields
        entity { ${syncEntityFields} }
        conflict { ${conflictFields} }
        error { __typename code message field }
      }
    }
  }`;

export const CHANGES_SINCE = `
  query ChangesSince($workspaceId: ID!, $cursor: Cursor, $limit: Int) {
    changesSince(workspaceId: $workspaceId, cursor: $cursor, limit: $limit) {
      __typename cursor hasMore
      entities { ${syncEntityFields} }
    }
  }`;

export const ENTITY_CHANGED = `
  subscription EntityChanged($workspaceId: ID!, $after: Cursor) {
    entityChanged(workspaceId: $workspaceId, after: $after) {
      __typename cursor op changedFields actorId clientId
      entity { ${syncEntityFields} }
    }
  }`;

export const CREATE_WORKSPACE = `
  mutation CreateWorkspace($name: String!) { createWorkspace(name: $name) { id cursor } }`;

export const ADD_MEMBER = `
  mutation AddMember($workspaceId: ID!, $userId: ID!, $role: Role!) {
    addMember(workspaceId: $workspaceId, userId: $userId, role: $role) { userId }
  }`;

export interface TaskEntity {
  __typename: 'Task';
  id: string;
  version: number;
  title: string;
  status: string;
  priority: number;
  [field: string]: unknown;
}

export interface PushPayload {
  pushChanges: {
    cursor: string;
    results: { mutationId: string; status: string; entity: TaskEntity | null }[];
  };
}

export interface PullPayload {
  changesSince: { cursor: string; hasMore: boolean; entities: TaskEntity[] };
}
