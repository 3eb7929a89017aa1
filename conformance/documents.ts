/**
 * GraphQL documents built from the model description and the naming rules of docs/model.md
 * (object type = entity name, query field, EntityType value, ChangeInput key): nothing here
 * names an entity of a particular model.
 */

import type { EntityDescription, ModelDescription } from '../model/index.ts';

/** Every sync field and every model field of the given entities (of a SyncEntity). */
export function entitySelection(entities: readonly EntityDescription[]): string {
  const perEntity = entities.map(
    (entity) => `... on ${entity.name} { ${entity.fields.map((field) => field.name).join(' ')} }`,
  );
  return `__typename ... on SyncRecord { id workspaceId version updatedAt updatedBy deleted } ${perEntity.join(' ')}`;
}

export const CONFLICT_FIELDS = `id workspaceId entityType entityId field baseValue localValue serverValue
  status resolution actorId clientId createdAt resolvedAt resolvedBy`;

export interface Documents {
  push: string;
  changesSince: string;
  entityChanged: string;
  conflicts: string;
  resolveConflict: string;
  auditLog: string;
  workspaceCursor: string;
  createWorkspace: string;
  addMember: string;
  /** `<queryField>(id:)` of one entity. */
  byId(entity: EntityDescription): string;
}

export function buildDocuments(model: ModelDescription): Documents {
  const entity = entitySelection(model.entities);
  return {
    push: `mutation ConformancePush($input: PushChangesInput!) {
      pushChanges(input: $input) {
        cursor
        results { mutationId status mergedFields entity { ${entity} } conflict { ${CONFLICT_FIELDS} } error { code message field } }
      }
    }`,
    changesSince: `query ConformancePull($workspaceId: ID!, $cursor: Cursor, $limit: Int, $types: [EntityType!]) {
      changesSince(workspaceId: $workspaceId, cursor: $cursor, limit: $limit, types: $types) {
        cursor hasMore entities { ${entity} }
      }
    }`,
    entityChanged: `subscription ConformanceChanges($workspaceId: ID!, $types: [EntityType!], $after: Cursor) {
      entityChanged(workspaceId: $workspaceId, types: $types, after: $after) {
        cursor op changedFields actorId clientId entity { ${entity} }
      }
    }`,
    conflicts: `query ConformanceConflicts($workspaceId: ID!, $status: ConflictStatus, $first: Int, $after: String) {
      conflicts(workspaceId: $workspaceId, status: $status, first: $first, after: $after) { ${CONFLICT_FIELDS} }
    }`,
    resolveConflict: `mutation ConformanceResolve($id: ID!, $choice: ConflictChoice!, $value: JSON) {
      resolveConflict(id: $id, choice: $choice, value: $value) { ${CONFLICT_FIELDS} }
    }`,
    auditLog: `query ConformanceAudit($workspaceId: ID!, $entityType: EntityType, $entityId: ID, $first: Int, $before: Cursor) {
      auditLog(workspaceId: $workspaceId, entityType: $entityType, entityId: $entityId, first: $first, before: $before) {
        cursor hasMore entries { entityType entityId op changedFields version actorId clientId mutationId }
      }
    }`,
    workspaceCursor: '{ workspaces { id cursor } }',
    createWorkspace:
      'mutation ConformanceWorkspace($name: String!) { createWorkspace(name: $name) { id cursor } }',
    addMember:
      'mutation ConformanceMember($workspaceId: ID!, $userId: ID!, $role: Role!) { addMember(workspaceId: $workspaceId, userId: $userId, role: $role) { userId role } }',
    byId: (target) =>
      `query ConformanceEntity($id: ID!) { ${target.queryField}(id: $id) { ${entitySelection([target])} } }`,
  };
}
